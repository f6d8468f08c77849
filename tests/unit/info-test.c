/* info.c: reading an image back (every offset checked), printing it as text and JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "build.h"
#include "elf-builder.h"
#include "image.h"
#include "info.h"
#include "plan.h"
#include "util.h"

#include <mkbootimg/image.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HH UINT64_C(0xffffffff80000000)
#define STAGE2_SECTORS 2
#define MANIFEST_OFF ((MKB_STAGE2_LBA + STAGE2_SECTORS) * MKB_SECTOR_SIZE)

static char dir[512], kernel[700], out[700], mod[700];
static uint8_t blob[(1 + STAGE2_SECTORS) * 512];
static const struct loader_blob loader = { blob, sizeof blob };

/* A fake loader, a kernel with two segments, and its image with a module. */
static int setup(void **state)
{
	struct mkb_stage2_header h = { MKB_STAGE2_MAGIC, STAGE2_SECTORS, MKB_MANIFEST_VERSION, "mkbootimg 0.1" };
	struct plan_options o = { .cmdline = "console=ttyS0 \"q\"" };
	char arg[800];
	struct eb_elf e;
	FILE *f;
	int rc;

	(void)state;
	memset(blob, 0, sizeof blob);
	blob[510] = 0x55;
	blob[511] = 0xaa;
	memcpy(blob + 512, &h, sizeof h);
	if (eb_temp_dir(dir, sizeof dir) != 0)
		return -1;
	snprintf(kernel, sizeof kernel, "%s/kernel.elf", dir);
	snprintf(out, sizeof out, "%s/disk.img", dir);
	snprintf(mod, sizeof mod, "%s/mod.bin", dir);
	eb_init(&e, HH + 0x100000);
	eb_add(&e, PT_LOAD, PF_R | PF_X, HH + 0x100000, 0x100000, 0x1234, 0x1234);
	eb_add(&e, PT_LOAD, PF_R | PF_W, HH + 0x102000, 0x102000, 0x10, 0x3000);
	rc = eb_write(&e, kernel);
	eb_free(&e);
	if (rc != 0 || (f = fopen(mod, "w")) == NULL)
		return -1;
	fputs("module bytes", f);
	fclose(f);
	snprintf(arg, sizeof arg, "%s=initrd", mod);
	if (plan_options_add_module(&o, arg) != 0)
		return -1;
	rc = build_image(kernel, out, &o, &loader, NULL);
	plan_options_free(&o);
	return rc;
}

static int teardown(void **state)
{
	(void)state;
	eb_remove_dir(dir);
	return 0;
}

static int read_image(const char *path, struct info_image *im)
{
	int fd = open(path, O_RDONLY), rc;

	assert_true(fd >= 0);
	rc = info_read_image(fd, im);
	close(fd);
	return rc;
}

/* A copy of the image with 4 bytes at off replaced by v. */
static void patched(const char *path, long off, uint32_t v)
{
	char cmd[2200];
	FILE *f;

	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", out, path);
	assert_int_equal(system(cmd), 0);
	f = fopen(path, "r+b");
	assert_non_null(f);
	fseek(f, off, SEEK_SET);
	fwrite(&v, 4, 1, f);
	fclose(f);
}

static void test_info_reads_image(void **state)
{
	struct info_image im;

	(void)state;
	assert_int_equal(read_image(out, &im), 0);
	assert_string_equal(im.loader_version, "mkbootimg 0.1");
	assert_int_equal(im.m.segment_count, 2);
	assert_int_equal(im.m.module_count, 1);
	assert_int_equal(im.segments[1].memsz, 0x3000);
	assert_int_equal(im.modules[0].size, 12);
	assert_string_equal(im.module_strings[0], "initrd");
	assert_string_equal(im.cmdline, "console=ttyS0 \"q\"");
	assert_true(im.checksum_checked);
	assert_true(im.checksum == im.m.payload_checksum);
	assert_false(im.truncated);
	info_image_free(&im);
}

static void test_info_prints_text_and_json(void **state)
{
	struct info_image im;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(read_image(out, &im), 0);
	f = open_memstream(&buf, &len);
	assert_int_equal(info_print_image(f, "disk.img", &im, 0), 0);
	fclose(f);
	assert_non_null(strstr(buf, "command line   \"console=ttyS0 \\\"q\\\"\"\n"));
	assert_non_null(strstr(buf, "(matches the payload)"));
	assert_non_null(strstr(buf, "0x000100000-0x000101fff  #### segment 0 R-X"));
	free(buf);
	f = open_memstream(&buf, &len);
	assert_int_equal(info_print_image(f, "disk.img", &im, 1), 0);
	fclose(f);
	assert_non_null(strstr(buf, "\"cmdline\": \"console=ttyS0 \\\"q\\\"\""));
	assert_non_null(strstr(buf, "\"matches\": true"));
	assert_non_null(strstr(buf, "{\"size\": 12, \"string\": \"initrd\"}"));
	free(buf);
	info_image_free(&im);
}

static void test_info_checksum_mismatch(void **state)
{
	struct info_image im;
	char path[800];
	FILE *f = fopen("/dev/null", "w");

	(void)state;
	snprintf(path, sizeof path, "%s/bad.img", dir);
	assert_int_equal(read_image(out, &im), 0);
	patched(path, (long)(im.m.payload_lba * MKB_SECTOR_SIZE + 8), 0xdeadbeef);
	info_image_free(&im);
	assert_int_equal(read_image(path, &im), 0);
	assert_true(im.checksum != im.m.payload_checksum);
	assert_int_equal(info_print_image(f, path, &im, 0), 1);
	fclose(f);
	info_image_free(&im);
}

/* Every bad offset is refused with a message, never read past. */
static void test_info_refuses_bad_manifests(void **state)
{
	static const struct {
		size_t field;
		uint32_t value;
		const char *message;
	} cases[] = {
		{ offsetof(struct mkb_manifest, magic), 0, "no manifest" },
		{ offsetof(struct mkb_manifest, version), 9, "manifest version 9" },
		{ offsetof(struct mkb_manifest, sectors), 0x1000, "claims 4096 sectors" },
		{ offsetof(struct mkb_manifest, segment_count), 1000, "segments and" },
		{ offsetof(struct mkb_manifest, segment_offset), 0xfff0, "outside the manifest" },
		{ offsetof(struct mkb_manifest, cmdline_offset), 0xffffffff, "outside the manifest" },
		{ offsetof(struct mkb_manifest, cmdline_length), 0xffffffff, "outside the manifest" },
		{ offsetof(struct mkb_manifest, module_offset), 0x7ffffff0, "outside the manifest" },
		{ offsetof(struct mkb_manifest, payload_lba), 1, "overlaps the manifest" },
		{ offsetof(struct mkb_manifest, payload_sectors), 0xfffffff0, "ends after the image" },
		/* the first segment's payload_offset and filesz, the module's string */
		{ sizeof(struct mkb_manifest) + offsetof(struct mkb_segment, payload_offset), 0x100000,
		  "segment 0: its bytes lie outside" },
		{ sizeof(struct mkb_manifest) + offsetof(struct mkb_segment, filesz), 0x7fffffff,
		  "segment 0: its bytes lie outside" },
		{ sizeof(struct mkb_manifest) + 2 * sizeof(struct mkb_segment) +
		  offsetof(struct mkb_module, string_length), 0x7fffffff, "module 0: its string" },
	};
	char path[800];

	(void)state;
	snprintf(path, sizeof path, "%s/bad.img", dir);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct info_image im;
		patched(path, (long)(MANIFEST_OFF + cases[i].field), cases[i].value);
		assert_int_equal(read_image(path, &im), -1);
		if (strstr(mkb_error(), cases[i].message) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, mkb_error(), cases[i].message);
	}
	patched(path, MKB_STAGE2_LBA * MKB_SECTOR_SIZE, 0);
	{
		struct info_image im;
		assert_int_equal(read_image(path, &im), -1);
		assert_non_null(strstr(mkb_error(), "no loader"));
	}
}

static void test_info_truncated(void **state)
{
	struct info_image im;
	char path[800];

	(void)state;
	snprintf(path, sizeof path, "%s/short.img", dir);
	patched(path, 0, 0); /* a copy, then cut it after the payload's first sector */
	assert_int_equal(read_image(out, &im), 0);
	assert_int_equal(truncate(path, (off_t)((im.m.payload_lba + 1) * MKB_SECTOR_SIZE)), 0);
	info_image_free(&im);
	/* The boot sector was zeroed by the patch: put the signature back. */
	{
		FILE *f = fopen(path, "r+b");
		uint8_t sig[2] = { 0x55, 0xaa };
		fseek(f, MKB_MBR_BOOT_SIGNATURE, SEEK_SET);
		fwrite(sig, 2, 1, f);
		fclose(f);
	}
	assert_int_equal(read_image(path, &im), 0);
	assert_true(im.truncated);
	assert_false(im.checksum_checked);
	info_image_free(&im);
}

static void test_info_json_string(void **state)
{
	char buf[64] = "";
	FILE *f = fmemopen(buf, sizeof buf, "w");

	(void)state;
	info_json_string(f, "a\"b\\c\n\x01\xff");
	fclose(f);
	assert_string_equal(buf, "\"a\\\"b\\\\c\\u000a\\u0001\\u00ff\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_info_reads_image),
		cmocka_unit_test(test_info_prints_text_and_json),
		cmocka_unit_test(test_info_checksum_mismatch),
		cmocka_unit_test(test_info_refuses_bad_manifests),
		cmocka_unit_test(test_info_truncated),
		cmocka_unit_test(test_info_json_string),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
