/* build.c: kernel path -> image file, or a check only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "build.h"
#include "elf-builder.h"
#include "image.h"
#include "plan.h"
#include "util.h"

#include <mkbootimg/image.h>

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define HH UINT64_C(0xffffffff80000000)
#define STAGE2_SECTORS 2

static char dir[512], kernel[700], out[700];
static uint8_t blob[(1 + STAGE2_SECTORS) * 512];
static const struct loader_blob loader = { blob, sizeof blob };

/* A fake loader: boot signature and a stage 2 header, nothing to run. */
static int setup(void **state)
{
	struct mkb_stage2_header h = { MKB_STAGE2_MAGIC, STAGE2_SECTORS, MKB_MANIFEST_VERSION, "mkbootimg 0.1" };
	struct eb_elf e;
	int rc;

	(void)state;
	memset(blob, 0, sizeof blob);
	blob[0] = 0xeb;
	blob[1] = 0x58;
	blob[510] = 0x55;
	blob[511] = 0xaa;
	memcpy(blob + 512, &h, sizeof h);
	if (eb_temp_dir(dir, sizeof dir) != 0)
		return -1;
	snprintf(kernel, sizeof kernel, "%s/kernel.elf", dir);
	snprintf(out, sizeof out, "%s/disk.img", dir);
	eb_init(&e, HH + 0x100000);
	eb_add(&e, PT_LOAD, PF_R | PF_X, HH + 0x100000, 0x100000, 0x1234, 0x1234);
	rc = eb_write(&e, kernel);
	eb_free(&e);
	return rc;
}

static int teardown(void **state)
{
	(void)state;
	eb_remove_dir(dir);
	return 0;
}

static void test_build_writes_image(void **state)
{
	struct plan_options o = { "console=ttyS0", 0, 0 };
	struct stat st;

	(void)state;
	assert_int_equal(build_image(kernel, out, &o, &loader, NULL), 0);
	assert_int_equal(stat(out, &st), 0);
	assert_int_equal(st.st_size % (MKB_CYLINDER_SECTORS * MKB_SECTOR_SIZE), 0);
}

static void test_build_check_only(void **state)
{
	struct plan_options o = { NULL, 0, 0 };
	char log[4096] = "";
	FILE *f = fmemopen(log, sizeof log, "w");

	(void)state;
	assert_int_equal(build_image(kernel, NULL, &o, &loader, f), 0);
	fclose(f);
	assert_int_equal(eb_count_entries(dir, "disk"), 0); /* nothing written */
	assert_non_null(strstr(log, "kernel.elf: entry 0xffffffff80100000"));
	assert_non_null(strstr(log, "segment 0 R-X virt 0xffffffff80100000 -> phys 0x00100000"));
}

static void test_build_refusals(void **state)
{
	struct plan_options o = { NULL, 0, 0 };
	struct loader_blob broken = { blob, 100 };

	(void)state;
	assert_int_equal(build_image(kernel, kernel, &o, &loader, NULL), -1);
	assert_non_null(strstr(mkb_error(), "kernel.elf: the output would replace the kernel"));
	assert_int_equal(build_image(out, NULL, &o, &loader, NULL), -1); /* no such kernel */
	assert_non_null(strstr(mkb_error(), "disk.img"));
	assert_int_equal(build_image(kernel, out, &o, &broken, NULL), -1);
	assert_int_equal(eb_count_entries(dir, "disk"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_build_writes_image, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_check_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_refusals, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
