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

#include <mkbootimg/protocol.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HH UINT64_C(0xffffffff80000000)
#define STAGE2_SECTORS 2

static char dir[512], kernel[700], out[700];
static uint8_t blob[(1 + STAGE2_SECTORS) * 512];
static uint8_t efi[EB_EFI_SIZE];
static const struct loader_blob loader = { blob, sizeof blob, efi, sizeof efi };

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
	eb_fake_efi(efi);
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
	struct plan_options o = { .cmdline = "console=ttyS0" };
	struct stat st;

	(void)state;
	assert_int_equal(build_image(kernel, out, &o, &loader, NULL), 0);
	assert_int_equal(stat(out, &st), 0);
	/* The default, hybrid: whole MiBs, the ESP's 34 MiB included. */
	assert_int_equal(st.st_size % (1024 * 1024), 0);
	assert_true(st.st_size >= 36 * 1024 * 1024);
	o.layout = IMAGE_LAYOUT_BIOS;
	assert_int_equal(build_image(kernel, out, &o, &loader, NULL), 0);
	assert_int_equal(stat(out, &st), 0);
	assert_int_equal(st.st_size % (MKB_CYLINDER_SECTORS * MKB_SECTOR_SIZE), 0);
	assert_true(st.st_size < 1024 * 1024);
}

static void test_build_check_only(void **state)
{
	struct plan_options o = { 0 };
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
	struct plan_options o = { 0 };
	struct loader_blob broken = { blob, 100, efi, sizeof efi };

	(void)state;
	assert_int_equal(build_image(kernel, kernel, &o, &loader, NULL), -1);
	assert_non_null(strstr(mkb_error(), "kernel.elf: the output would replace the kernel"));
	assert_int_equal(build_image(out, NULL, &o, &loader, NULL), -1); /* no such kernel */
	assert_non_null(strstr(mkb_error(), "disk.img: No such file or directory"));
	assert_int_equal(build_image(kernel, out, &o, &broken, NULL), -1);
	assert_string_equal(mkb_error(), "embedded loader: 100 bytes, not stage 1 and stage 2 in whole sectors");
	assert_int_equal(eb_count_entries(dir, "disk"), 0);
}

static void write_file(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_build_modules(void **state)
{
	struct plan_options o = { 0 };
	char arg[800], log[4096] = "";
	FILE *f = fmemopen(log, sizeof log, "w");
	struct mkb_manifest m;
	uint8_t sector[512];

	(void)state;
	snprintf(arg, sizeof arg, "%s/mod.bin", dir);
	write_file(arg, "abc");
	snprintf(arg, sizeof arg, "%s/mod.bin=root=ram", dir);
	assert_int_equal(plan_options_add_module(&o, arg), 0);
	snprintf(arg, sizeof arg, "%s/mod.bin", dir);
	assert_int_equal(plan_options_add_module(&o, arg), 0);
	assert_int_equal(plan_parse_framebuffer("800x600x16", &o.framebuffer), 0);
	o.framebuffer_given = 1;
	assert_int_equal(build_image(kernel, out, &o, &loader, f), 0);
	fclose(f);
	assert_non_null(strstr(log, "  module 0 "));
	assert_non_null(strstr(log, "/mod.bin: 3 bytes, string \"root=ram\"\n"));
	assert_non_null(strstr(log, "/mod.bin: 3 bytes, string \"\"\n"));
	assert_non_null(strstr(log, "  framebuffer 800x600x16, set by the loader\n"));
	/* The caller's options are as given: build_image opened and closed its own copy. */
	assert_int_equal(o.modules[0].fd, -1);
	assert_int_equal(o.modules[0].size, 0);
	f = fopen(out, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, (MKB_STAGE2_LBA + STAGE2_SECTORS) * 512, SEEK_SET), 0);
	assert_int_equal(fread(sector, 1, sizeof sector, f), sizeof sector);
	fclose(f);
	memcpy(&m, sector, sizeof m);
	assert_int_equal(m.module_count, 2);
	assert_int_equal(m.fb_width, 800);
	plan_options_free(&o);
}

static void test_build_module_refused(void **state)
{
	struct plan_options o = { 0 };
	char arg[800];

	(void)state;
	snprintf(arg, sizeof arg, "%s/missing.bin=x", dir);
	assert_int_equal(plan_options_add_module(&o, arg), 0);
	assert_int_equal(build_image(kernel, out, &o, &loader, NULL), -1);
	assert_non_null(strstr(mkb_error(), "/missing.bin: cannot open module: No such file or directory"));
	assert_int_equal(eb_count_entries(dir, "disk"), 0);
	plan_options_free(&o);
	assert_int_equal(plan_options_add_module(&o, dir), 0);
	assert_int_equal(build_image(kernel, NULL, &o, &loader, NULL), -1);
	assert_non_null(strstr(mkb_error(), ": module is not a regular file"));
	plan_options_free(&o);
}

/* -v says which of the kernel's requests were taken and which a flag overrode. */
static void test_build_notes_log(void **state)
{
	static const uint32_t stack = 1 << 20, fb[3] = { 1024, 768, 32 }, version = 2;
	struct plan_options o = { .stack_size = 128 * 1024 };
	char log[4096] = "";
	FILE *f = fmemopen(log, sizeof log, "w");
	struct eb_elf e;

	(void)state;
	eb_init(&e, HH + 0x100000);
	eb_add(&e, PT_LOAD, PF_R | PF_X, HH + 0x100000, 0x100000, 0x1234, 0x1234);
	eb_mkb_note(&e, MKBOOTIMG_NOTE_STACK_SIZE, 1, &stack);
	eb_mkb_note(&e, MKBOOTIMG_NOTE_FRAMEBUFFER, 3, fb);
	eb_mkb_note(&e, MKBOOTIMG_NOTE_INFO_VERSION, 1, &version);
	assert_int_equal(eb_write(&e, kernel), 0);
	eb_free(&e);
	assert_int_equal(build_image(kernel, NULL, &o, &loader, f), 0);
	fclose(f);
	assert_non_null(strstr(log, "kernel.elf: --stack-size 128K overrides the kernel's note (1M)\n"));
	assert_non_null(strstr(log, "kernel.elf: framebuffer 1024x768x32 from the kernel's note\n"));
	char want[96];
	snprintf(want, sizeof want, "kernel.elf: the kernel's note needs boot information version 2 "
	         "(this mkbootimg gives %d)\n", MKBOOTIMG_INFO_VERSION);
	assert_non_null(strstr(log, want));
	assert_non_null(strstr(log, "(128 KiB)"));
	assert_non_null(strstr(log, "  framebuffer 1024x768x32, set by the loader\n"));

	f = fmemopen(log, sizeof log, "w");
	o = (struct plan_options){ .framebuffer_given = 1 }; /* --framebuffer 0 */
	assert_int_equal(build_image(kernel, NULL, &o, &loader, f), 0);
	fclose(f);
	assert_non_null(strstr(log, "kernel.elf: stack size 1M from the kernel's note\n"));
	assert_non_null(strstr(log, "kernel.elf: --framebuffer 0 (text mode) overrides the kernel's "
	                            "note (1024x768x32)\n"));
	assert_null(strstr(log, "  framebuffer"));
}

/*
 * The plan's warnings on the stream given (stderr for `mkbootimg -o`, none
 * with -q), segments named by program header as in the -v plan.
 */
static void test_build_warnings(void **state)
{
	struct plan_options o = { .stack_size = 2 * 1024 * 1024 };
	char log[4096] = "", warnings[4096] = "", err[800];
	FILE *f = fmemopen(log, sizeof log, "w"), *w = fmemopen(warnings, sizeof warnings, "w");
	struct eb_elf e;
	struct stat st;
	int saved, quiet, rc[2];

	(void)state;
	eb_init(&e, HH + 0x100000);
	eb_add(&e, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0);
	eb_add(&e, PT_LOAD, PF_R | PF_X, HH + 0x100000, 0x100000, 0x1234, 0x1234);
	eb_add(&e, PT_LOAD, PF_R | PF_W | PF_X, HH + 0x102000, 0x102000, 0x10, 0x1000);
	assert_int_equal(eb_write(&e, kernel), 0);
	eb_free(&e);
	assert_int_equal(build_image_warn(kernel, out, &o, &loader, f, w), 0);
	fclose(f);
	fclose(w);
	assert_non_null(strstr(log, "  segment 1 R-X virt 0xffffffff80100000"));
	assert_non_null(strstr(log, "  segment 2 RWX virt 0xffffffff80102000"));
	assert_non_null(strstr(warnings, "mkbootimg: "));
	assert_non_null(strstr(warnings, "/kernel.elf: warning: segment 2 is writable and executable: "
	                                 "give code and data segments of their own (PHDRS in the "
	                                 "linker script)\n"));
	assert_non_null(strstr(warnings, "/kernel.elf: warning: a stack of 2048 KiB (above 1 MiB)"));
	assert_null(strstr(log, "warning")); /* the plan log is the plan only */

	/* Without a stream (build_image, or -q): nothing on stderr either, and still an image. */
	snprintf(err, sizeof err, "%s/stderr.txt", dir);
	saved = dup(2);
	quiet = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && quiet >= 0);
	fflush(stderr);
	dup2(quiet, 2);
	rc[0] = build_image_warn(kernel, NULL, &o, &loader, NULL, NULL);
	rc[1] = build_image(kernel, out, &o, &loader, NULL);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_int_equal(rc[0], 0);
	assert_int_equal(rc[1], 0);
	assert_int_equal(fstat(quiet, &st), 0);
	close(quiet);
	assert_int_equal(st.st_size, 0);
	unlink(err);
}

/* A kernel linked as a PIE at 0: the hint on linking comes before any address check. */
static void test_build_dynamic_kernel(void **state)
{
	struct plan_options o = { 0 };
	char warnings[1024] = "";
	FILE *w = fmemopen(warnings, sizeof warnings, "w");
	struct eb_elf e;

	(void)state;
	eb_init(&e, 0x1040);
	eb_add(&e, PT_INTERP, PF_R, 0x318, 0x318, 28, 28);
	eb_add(&e, PT_LOAD, PF_R | PF_X, 0, 0, 0x2000, 0x2000);
	e.ehdr.e_type = ET_DYN;
	assert_int_equal(eb_write(&e, kernel), 0);
	eb_free(&e);
	assert_int_equal(build_image_warn(kernel, out, &o, &loader, NULL, w), -1);
	fclose(w);
	assert_non_null(strstr(mkb_error(), "/kernel.elf: dynamically linked (PT_INTERP): link with "
	                                    "-static -no-pie"));
	assert_null(strstr(mkb_error(), "1 MiB"));
	assert_string_equal(warnings, "");
	assert_int_equal(eb_count_entries(dir, "disk"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_build_writes_image, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_check_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_modules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_module_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_notes_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_warnings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_dynamic_kernel, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
