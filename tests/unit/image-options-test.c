/* image-options.c: the image flags every command shares. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "image-options.h"
#include "util.h"

#include <mkbootimg/image.h>

#include <stdio.h>
#include <string.h>

static void test_image_option_takes_each(void **state)
{
	struct plan_options o = { 0 };

	(void)state;
	assert_int_equal(image_option(&o, IMAGE_OPT_CMDLINE, "a b"), 1);
	assert_string_equal(o.cmdline, "a b");
	assert_int_equal(image_option(&o, IMAGE_OPT_STACK_SIZE, "1M"), 1);
	assert_int_equal(o.stack_size, MKB_MIB);
	assert_int_equal(image_option(&o, IMAGE_OPT_MODULE, "initrd=root"), 1);
	assert_int_equal(o.module_count, 1);
	assert_string_equal(o.modules[0].string, "root");
	assert_int_equal(image_option(&o, IMAGE_OPT_FRAMEBUFFER, "800x600x32"), 1);
	assert_int_equal(o.framebuffer_given, 1);
	assert_int_equal(o.framebuffer.width, 800);
	assert_int_equal(image_option(&o, IMAGE_OPT_PROTOCOL, "multiboot2"), 1);
	assert_int_equal(o.protocol_given, 1);
	assert_int_equal(o.protocol, MKB_PROTOCOL_MULTIBOOT2);
	/* Anything else is the command's own. */
	assert_int_equal(image_option(&o, 'v', NULL), 0);
	plan_options_free(&o);
}

static void test_image_option_refuses_bad_values(void **state)
{
	struct plan_options o = { 0 };

	(void)state;
	assert_int_equal(image_option(&o, IMAGE_OPT_STACK_SIZE, "4K"), -1);
	assert_string_equal(mkb_error(), "--stack-size: 4K is outside 64K..1G");
	assert_int_equal(image_option(&o, IMAGE_OPT_PROTOCOL, "linux16"), -1);
	assert_string_equal(mkb_error(), "--protocol: 'linux16' is not native, multiboot1, multiboot2 or linux");
	assert_int_equal(image_option(&o, IMAGE_OPT_FRAMEBUFFER, "1024x768x12"), -1);
	assert_string_equal(mkb_error(), "--framebuffer: 12 bits per pixel is not 8, 15, 16, 24 or 32");
	assert_int_equal(o.protocol_given, 0);
	plan_options_free(&o);
}

/* A ready image takes none of them, and says which in one sentence. */
static void test_image_options_refuse(void **state)
{
	struct plan_options o = { 0 };

	(void)state;
	assert_int_equal(image_options_refuse(&o, "disk.img"), 0);
	assert_int_equal(image_option(&o, IMAGE_OPT_PROTOCOL, "native"), 1);
	assert_int_equal(image_options_refuse(&o, "disk.img"), -1);
	assert_string_equal(mkb_error(), "disk.img is a ready image: --cmdline, --stack-size, --module, "
	                                 "--initrd, --framebuffer, --protocol, --base and --kaslr apply only to a kernel");
}

/* Every help line fits 80 columns, and each option is there once. */
static void test_image_options_help(void **state)
{
	char buf[2048] = "";
	FILE *f = fmemopen(buf, sizeof buf, "w");
	const char *names[] = { "--cmdline", "--stack-size", "--module", "--initrd", "--framebuffer",
	                        "--protocol" };

	(void)state;
	assert_non_null(f);
	image_options_help(f, 31);
	fclose(f);
	for (char *line = buf, *nl; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		assert_true(nl - line <= 80);
	}
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const char *at = strstr(buf, names[i]);
		assert_non_null(at);
		assert_null(strstr(at + 1, names[i]));
	}
	assert_non_null(strstr(buf, "\n                               as the kernel's headers say: Linux setup"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_image_option_takes_each),
		cmocka_unit_test(test_image_option_refuses_bad_values),
		cmocka_unit_test(test_image_options_refuse),
		cmocka_unit_test(test_image_options_help),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
