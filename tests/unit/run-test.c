/* run.c: telling kernels from images, and cargo test binaries by their folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "elf-builder.h"
#include "run-options.h"
#include "run.h"
#include "util.h"

#include <mkbootimg/image.h>

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


/* A file name in eb_scratch, and the file written with n bytes of data. */
static const char *write_file(const char *name, const void *data, size_t n)
{
	static char path[700];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", eb_scratch, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
	return path;
}

static int identify(const char *path, enum run_target *kind)
{
	*kind = (enum run_target)-1;
	return run_identify_target(path, kind);
}

static void test_run_identify_kernel(void **state)
{
	struct eb_elf e;
	enum run_target kind;
	char path[700];

	(void)state;
	snprintf(path, sizeof path, "%s/kernel", eb_scratch);
	eb_init(&e, 0xffffffff80100000);
	eb_add(&e, PT_LOAD, PF_R | PF_X, 0xffffffff80100000, 0x100000, 0x100, 0x100);
	assert_int_equal(eb_write(&e, path), 0);
	eb_free(&e);
	assert_int_equal(identify(path, &kind), 0);
	assert_int_equal(kind, RUN_TARGET_KERNEL);
}

static void test_run_identify_image(void **state)
{
	static uint8_t image[(MKB_STAGE2_LBA + 1) * MKB_SECTOR_SIZE];
	uint32_t magic = MKB_STAGE2_MAGIC;
	enum run_target kind;
	const char *path;

	(void)state;
	image[510] = 0x55;
	image[511] = 0xaa;
	memcpy(image + MKB_STAGE2_LBA * MKB_SECTOR_SIZE, &magic, 4);
	assert_int_equal(identify(write_file("disk.bin", image, sizeof image), &kind), 0);
	assert_int_equal(kind, RUN_TARGET_IMAGE);

	/* Another boot sector (no stage 2 magic), or no boot signature: neither. */
	image[MKB_STAGE2_LBA * MKB_SECTOR_SIZE] ^= 1;
	path = write_file("other.img", image, sizeof image);
	assert_int_equal(identify(path, &kind), -1);
	assert_non_null(strstr(mkb_error(), "other.img: neither an ELF kernel nor an image made by mkbootimg"));
	image[MKB_STAGE2_LBA * MKB_SECTOR_SIZE] ^= 1;
	image[511] = 0;
	assert_int_equal(identify(write_file("nosig.img", image, sizeof image), &kind), -1);
	assert_non_null(strstr(mkb_error(), "/nosig.img: neither an ELF kernel nor an image made by mkbootimg"));
	image[511] = 0xaa;
	/* Cut short before LBA 34. */
	assert_int_equal(identify(write_file("short.img", image, 512 * 10), &kind), -1);
	assert_non_null(strstr(mkb_error(), "/short.img: neither an ELF kernel nor an image made by mkbootimg"));
}

static void test_run_identify_neither(void **state)
{
	enum run_target kind;
	char path[700];

	(void)state;
	assert_int_equal(identify(write_file("empty", "", 0), &kind), -1);
	assert_non_null(strstr(mkb_error(), "/empty: neither an ELF kernel nor an image made by mkbootimg"));
	assert_int_equal(identify(write_file("text", "hello\n", 6), &kind), -1);
	assert_non_null(strstr(mkb_error(), "/text: neither an ELF kernel nor an image made by mkbootimg"));
	assert_int_equal(identify(write_file("elf-ish", "\177EL", 3), &kind), -1);
	assert_non_null(strstr(mkb_error(), "/elf-ish: neither an ELF kernel nor an image made by mkbootimg"));
	snprintf(path, sizeof path, "%s/missing", eb_scratch);
	assert_int_equal(identify(path, &kind), -1);
	assert_non_null(strstr(mkb_error(), "missing: No such file or directory"));
	assert_int_equal(identify(eb_scratch, &kind), -1);
	assert_non_null(strstr(mkb_error(), ": not a regular file"));
}

static void test_run_test_binary(void **state)
{
	char sub[700], path[800], cwd[1024];

	(void)state;
	assert_false(run_is_test_binary(write_file("kernel", "x", 1)));
	snprintf(sub, sizeof sub, "%s/deps", eb_scratch);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(path, sizeof path, "%s/kernel-0123abcd", sub);
	assert_int_equal(rename(write_file("k1", "x", 1), path), 0);
	assert_true(run_is_test_binary(path));
	/* relative to a deps/ working folder */
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(sub), 0);
	assert_true(run_is_test_binary("kernel-0123abcd"));
	assert_int_equal(chdir(cwd), 0);
	unlink(path);
	rmdir(sub);

	snprintf(sub, sizeof sub, "%s/rustdoctestXyZ", eb_scratch);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(path, sizeof path, "%s/rust_out", sub);
	assert_int_equal(rename(write_file("k2", "x", 1), path), 0);
	assert_true(run_is_test_binary(path));
	unlink(path);
	rmdir(sub);

	snprintf(sub, sizeof sub, "%s/mydeps", eb_scratch); /* the whole name must be deps */
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(path, sizeof path, "%s/k", sub);
	assert_int_equal(rename(write_file("k3", "x", 1), path), 0);
	assert_false(run_is_test_binary(path));
	unlink(path);
	rmdir(sub);
	assert_false(run_is_test_binary("/nonexistent/deps/k"));
}

/* What builds an image is a usage error with a ready image: nothing would take it. */
static void test_run_image_refuses_kernel_options(void **state)
{
	static uint8_t image[(MKB_STAGE2_LBA + 1) * MKB_SECTOR_SIZE];
	uint32_t magic = MKB_STAGE2_MAGIC;
	struct run_options o = { .timeout = -1, .success_exit_code = -1 };
	char message[RUN_MESSAGE_MAX];

	(void)state;
	image[510] = 0x55;
	image[511] = 0xaa;
	memcpy(image + MKB_STAGE2_LBA * MKB_SECTOR_SIZE, &magic, 4);
	o.target = write_file("disk.img", image, sizeof image);
	assert_int_equal(plan_options_add_module(&o.plan, "initrd"), 0);
	assert_int_equal(run(&o, NULL, message, sizeof message), RUN_EXIT_USAGE);
	assert_non_null(strstr(message, "disk.img is a ready image: --cmdline, --stack-size, "
	                                "--module, --initrd, --framebuffer, --protocol, --base and --kaslr apply only to a kernel"));
	run_options_free(&o);
	o.plan.framebuffer_given = 1;
	assert_int_equal(run(&o, NULL, message, sizeof message), RUN_EXIT_USAGE);
	assert_non_null(strstr(message, "disk.img is a ready image"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_run_identify_kernel, eb_scratch_create, eb_scratch_remove),
		cmocka_unit_test_setup_teardown(test_run_identify_image, eb_scratch_create, eb_scratch_remove),
		cmocka_unit_test_setup_teardown(test_run_identify_neither, eb_scratch_create, eb_scratch_remove),
		cmocka_unit_test_setup_teardown(test_run_test_binary, eb_scratch_create, eb_scratch_remove),
		cmocka_unit_test_setup_teardown(test_run_image_refuses_kernel_options, eb_scratch_create, eb_scratch_remove),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
