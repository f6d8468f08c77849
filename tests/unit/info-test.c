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
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HH UINT64_C(0xffffffff80000000)
#define STAGE2_SECTORS 2
#define MANIFEST_OFF ((MKB_STAGE2_LBA + STAGE2_SECTORS) * MKB_SECTOR_SIZE)

static char dir[512], kernel[700], out[700], mod[700];
static uint8_t blob[(1 + STAGE2_SECTORS) * 512];
static uint8_t efi[EB_EFI_SIZE];
static const struct loader_blob loader = { blob, sizeof blob, efi, sizeof efi };

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
	eb_fake_efi(efi);
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
	assert_non_null(strstr(buf, "{\"size\": \"0xc\", \"string\": \"initrd\"}"));
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
		/* image_sectors + 2^32: more than the MBR's partition entry can hold */
		{ offsetof(struct mkb_manifest, image_sectors) + 4, 1, "more than the 2^32 that its "
		  "partition table can hold" },
		/* the first segment's payload_offset and filesz, the module's string */
		{ MKB_MANIFEST_HEADER_BASE + offsetof(struct mkb_segment, payload_offset), 0x100000,
		  "segment 0: its bytes lie outside" },
		{ MKB_MANIFEST_HEADER_BASE + offsetof(struct mkb_segment, filesz), 0x7fffffff,
		  "segment 0: its bytes lie outside" },
		{ MKB_MANIFEST_HEADER_BASE + 2 * sizeof(struct mkb_segment) +
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

/* ---- a small JSON reader: enough to check the output parses, and each value's type ---- */

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

/* The string at p (at its quote) into out; returns the text after it, or NULL. */
static const char *json_str(const char *p, char *out, size_t n)
{
	size_t k = 0;

	if (*p++ != '"')
		return NULL;
	for (; *p != '"'; p++) {
		char c = *p;
		if ((unsigned char)c < 0x20)
			return NULL;
		if (c == '\\') {
			c = *++p;
			if (c == 'u') {
				unsigned v;
				if (sscanf(p + 1, "%4x", &v) != 1)
					return NULL;
				c = (char)v;
				p += 4;
			} else if (c == 'n') {
				c = '\n';
			} else if (c != '"' && c != '\\' && c != '/') {
				return NULL;
			}
		}
		if (k + 1 < n)
			out[k++] = c;
	}
	if (n)
		out[k] = '\0';
	return p + 1;
}

/* Skip one value; returns the text after it, or NULL when it is not JSON. */
static const char *json_skip(const char *p)
{
	char tmp[8];

	p = ws(p);
	if (*p == '"')
		return json_str(p, tmp, 0);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		p = ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				if ((p = json_str(ws(p), tmp, 0)) == NULL || *(p = ws(p)) != ':')
					return NULL;
				p++;
			}
			if ((p = json_skip(p)) == NULL)
				return NULL;
			p = ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0)
		return p + 4;
	if (strncmp(p, "false", 5) == 0)
		return p + 5;
	/* A number as JSON has it: no hex, no leading zeros, no "+". */
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		p += strspn(p, "0123456789");
	else
		return NULL;
	if (*p == '.' && p[1] >= '0' && p[1] <= '9')
		p += 1 + strspn(p + 1, "0123456789");
	if (*p == 'e' || *p == 'E') {
		p += 1 + (p[1] == '+' || p[1] == '-');
		if (*p < '0' || *p > '9')
			return NULL;
		p += strspn(p, "0123456789");
	}
	return p;
}

/* The value at path ("entry", "segments.1.vaddr"), or NULL. */
static const char *json_at(const char *p, const char *path)
{
	char key[64], want[64];
	size_t n = strcspn(path, ".");

	if (n == 0)
		return ws(p);
	snprintf(want, sizeof want, "%.*s", (int)n, path);
	path += n + (path[n] == '.');
	p = ws(p);
	if (*p == '{') {
		for (p = ws(p + 1); *p == '"'; p = ws(p + 1)) {
			if ((p = json_str(p, key, sizeof key)) == NULL || *(p = ws(p)) != ':')
				return NULL;
			if (strcmp(key, want) == 0)
				return json_at(p + 1, path);
			if ((p = json_skip(p + 1)) == NULL || *(p = ws(p)) != ',')
				return NULL;
		}
	} else if (*p == '[') {
		for (long i = strtol(want, NULL, 10); i > 0; i--)
			if ((p = json_skip(p + 1)) == NULL || *(p = ws(p)) != ',')
				return NULL;
		return json_at(p + 1, path);
	}
	return NULL;
}

/* The value at path is the string want. */
static void expect_json_string(const char *json, const char *path, const char *want)
{
	const char *v = json_at(json, path);
	char got[256];

	if (v == NULL || json_str(v, got, sizeof got) == NULL)
		fail_msg("%s: no string there", path);
	if (strcmp(got, want) != 0)
		fail_msg("%s: \"%s\", not \"%s\"", path, got, want);
}

/* The value at path is a number (an integer), want. */
static void expect_json_number(const char *json, const char *path, unsigned long long want)
{
	const char *v = json_at(json, path);

	if (v == NULL || *v < '0' || *v > '9')
		fail_msg("%s: no number there", path);
	if (strtoull(v, NULL, 10) != want)
		fail_msg("%s: %llu, not %llu", path, strtoull(v, NULL, 10), want);
}

/* The value at path is a hex string: "0x" and lower-case digits. */
static void expect_json_hex(const char *json, const char *path)
{
	const char *v = json_at(json, path);
	char got[64];

	if (v == NULL || json_str(v, got, sizeof got) == NULL || strncmp(got, "0x", 2) != 0 ||
	    got[2] == '\0' || strspn(got + 2, "0123456789abcdef") != strlen(got + 2))
		fail_msg("%s: not a hex string", path);
}

static void test_json_reader(void **state)
{
	const char *j = "{\"a\": [1, {\"b\": \"x\\\"y\"}], \"c\": null, \"d\": \"0x1f\"}";

	(void)state;
	assert_non_null(json_skip(j));
	assert_string_equal(ws(json_skip(j)), "");
	expect_json_number(j, "a.0", 1);
	expect_json_string(j, "a.1.b", "x\"y");
	expect_json_hex(j, "d");
	assert_null(json_at(j, "e"));
	assert_null(json_skip("{\"a\": 1,}"));
	assert_null(json_skip("{\"a\": 0xff}"));
	assert_null(json_skip("{\"a\": 1 2}"));
	assert_null(json_skip("[01]"));
}

/* A kernel whose entry a double cannot hold: 0xffffffff80100180 needs 57 bits. */
#define WIDE_ENTRY (HH + 0x100180)

static void make_numbered_kernel(const char *path, uint64_t entry)
{
	struct eb_elf e;

	/* Program header 0 loads nothing: the segments are 1 and 2, nowhere 0 and 1. */
	eb_init(&e, entry);
	eb_add(&e, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0);
	eb_add(&e, PT_LOAD, PF_R | PF_X, HH + 0x100000, 0x100000, 0x1234, 0x1234);
	eb_add(&e, PT_LOAD, PF_R | PF_W, HH + 0x102000, 0x102000, 0x10, 0x3000);
	assert_int_equal(eb_write(&e, path), 0);
	eb_free(&e);
}

/* Every address and size a string in hex, counts and disk positions numbers; it parses. */
static void test_info_json_types(void **state)
{
	struct plan_options o = { 0 };
	struct info_image im;
	char k2[800], img[800], *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	snprintf(k2, sizeof k2, "%s/wide.elf", dir);
	snprintf(img, sizeof img, "%s/wide.img", dir);
	make_numbered_kernel(k2, WIDE_ENTRY);
	assert_int_equal(build_image(k2, img, &o, &loader, NULL), 0);
	assert_int_equal(read_image(img, &im), 0);
	f = open_memstream(&buf, &len);
	assert_int_equal(info_print_image(f, "wide.img", &im, 1), 0);
	fclose(f);
	assert_non_null(json_skip(buf));
	assert_string_equal(ws(json_skip(buf)), "");
	expect_json_string(buf, "entry", "0xffffffff80100180");
	expect_json_string(buf, "stack_top", "0xffffff0000000000");
	expect_json_string(buf, "stack_size", "0x10000");
	expect_json_string(buf, "direct_map_offset", "0xffff800000000000");
	expect_json_number(buf, "segments.0.elf_index", 1);
	expect_json_string(buf, "segments.0.vaddr", "0xffffffff80100000");
	expect_json_string(buf, "segments.0.paddr", "0x100000");
	expect_json_string(buf, "segments.0.filesz", "0x1234");
	expect_json_number(buf, "segments.1.elf_index", 2);
	expect_json_string(buf, "segments.1.memsz", "0x3000");
	expect_json_hex(buf, "checksum.stored");
	expect_json_hex(buf, "checksum.computed");
	{
		char want[32];
		snprintf(want, sizeof want, "0x%" PRIx64, im.m.payload_checksum);
		expect_json_string(buf, "checksum.stored", want);
	}
	assert_int_equal(strncmp(json_at(buf, "checksum.matches"), "true", 4), 0);
	expect_json_number(buf, "manifest_lba", im.manifest_lba);
	expect_json_number(buf, "payload_lba", im.m.payload_lba);
	expect_json_number(buf, "payload_sectors", im.m.payload_sectors);
	expect_json_number(buf, "image_sectors", im.m.image_sectors);
	expect_json_number(buf, "image_bytes", im.m.image_sectors * 512);

	/* The string survives jq, which rounds numbers above 2^53 (jq 1.6: ...117000). */
	if (system("command -v jq >/dev/null 2>&1") == 0) {
		char json[800], cmd[1800], out[128] = "";
		FILE *p;
		snprintf(json, sizeof json, "%s/wide.json", dir);
		f = fopen(json, "w");
		assert_non_null(f);
		fputs(buf, f);
		fclose(f);
		snprintf(cmd, sizeof cmd, "jq -r '.entry, .segments[0].vaddr, .image_sectors' '%s'", json);
		p = popen(cmd, "r");
		assert_non_null(p);
		assert_int_equal(fread(out, 1, sizeof out - 1, p) > 0, 1);
		assert_int_equal(pclose(p), 0);
		char want[128];
		snprintf(want, sizeof want, "0xffffffff80100180\n0xffffffff80100000\n%" PRIu64 "\n",
		         im.m.image_sectors);
		assert_string_equal(out, want);
	} else {
		print_message("jq not installed: the JSON checked by this test's reader only\n");
	}
	free(buf);
	info_image_free(&im);
}

/* Run info_main with stdout and stderr in files; returns its status. */
static int info_run(int argc, const char **args, char *out, size_t out_size, char *err,
                    size_t err_size)
{
	char o[800], e[800], *argv[8];
	int saved[2] = { dup(1), dup(2) }, fo, fe, rc;
	FILE *f;
	size_t n;

	snprintf(o, sizeof o, "%s/stdout.txt", dir);
	snprintf(e, sizeof e, "%s/stderr.txt", dir);
	fo = open(o, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fe = open(e, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fo >= 0 && fe >= 0 && saved[0] >= 0 && saved[1] >= 0);
	for (int i = 0; i < argc; i++)
		argv[i] = (char *)args[i];
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	dup2(fo, 1);
	dup2(fe, 2);
	rc = info_main(argc, argv, &loader);
	fflush(stdout);
	fflush(stderr);
	dup2(saved[0], 1);
	dup2(saved[1], 2);
	close(saved[0]);
	close(saved[1]);
	close(fo);
	close(fe);
	f = fopen(o, "r");
	n = fread(out, 1, out_size - 1, f);
	out[n] = '\0';
	fclose(f);
	f = fopen(e, "r");
	n = fread(err, 1, err_size - 1, f);
	err[n] = '\0';
	fclose(f);
	return rc;
}

/* info KERNEL --json: the kernel's values, hex strings too, and the plan's warnings. */
static void test_info_json_kernel(void **state)
{
	char k2[800], out[8192], err[1024];
	const char *args[] = { "info", "--json", "--stack-size", "2M", k2 };

	(void)state;
	snprintf(k2, sizeof k2, "%s/wide.elf", dir);
	make_numbered_kernel(k2, WIDE_ENTRY);
	assert_int_equal(info_run(5, args, out, sizeof out, err, sizeof err), 0);
	assert_string_equal(err, "");
	assert_non_null(json_skip(out));
	expect_json_string(out, "kind", "kernel");
	expect_json_string(out, "entry", "0xffffffff80100180");
	expect_json_string(out, "stack_size", "0x200000");
	expect_json_number(out, "segments.1.elf_index", 2);
	assert_true(strncmp(json_at(out, "checksum"), "null", 4) == 0);
	expect_json_string(out, "warnings.0", "a stack of 2048 KiB (above 1 MiB): the loader must "
	                   "find it in one piece of free RAM below 4 GiB, and a machine with little "
	                   "memory may have none that large");
}

/* One numbering: the program header's, in the table, the memory map and messages. */
static void test_info_numbers_segments_by_program_header(void **state)
{
	struct plan_options o = { 0 };
	struct info_image im;
	char k2[800], img[800], bad[800], *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	snprintf(k2, sizeof k2, "%s/numbered.elf", dir);
	snprintf(img, sizeof img, "%s/numbered.img", dir);
	snprintf(bad, sizeof bad, "%s/numbered-bad.img", dir);
	make_numbered_kernel(k2, HH + 0x100000);
	assert_int_equal(build_image(k2, img, &o, &loader, NULL), 0);
	assert_int_equal(read_image(img, &im), 0);
	assert_int_equal(im.segments[0].elf_index, 1);
	assert_int_equal(im.segments[1].elf_index, 2);
	f = open_memstream(&buf, &len);
	info_print_image(f, "numbered.img", &im, 0);
	fclose(f);
	assert_non_null(strstr(buf, "  segments       2 (numbered by ELF program header)\n"
	                            "    #    flags  virtual             physical     file size   memory size\n"
	                            "    1    R-X    0xffffffff80100000  0x000100000  0x1234      0x1234\n"
	                            "    2    RW-    0xffffffff80102000  0x000102000  0x10        0x3000\n"));
	assert_non_null(strstr(buf, "  0x000100000-0x000101fff  #### segment 1 R-X\n"));
	assert_non_null(strstr(buf, "  0x000102000-0x000104fff  #### segment 2 RW-\n"));
	assert_null(strstr(buf, "segment 0"));
	free(buf);
	info_image_free(&im);

	/* A damaged entry is named by its program header too (the second: segment 2). */
	{
		char cmd[2000];
		FILE *g;
		uint32_t v = 0x100000;
		snprintf(cmd, sizeof cmd, "cp '%s' '%s'", img, bad);
		assert_int_equal(system(cmd), 0);
		g = fopen(bad, "r+b");
		fseek(g, MANIFEST_OFF + (long)MKB_MANIFEST_HEADER_BASE + (long)sizeof(struct mkb_segment) +
		      (long)offsetof(struct mkb_segment, payload_offset), SEEK_SET);
		fwrite(&v, 4, 1, g);
		fclose(g);
	}
	assert_int_equal(read_image(bad, &im), -1);
	assert_string_equal(mkb_error(), "segment 2: its bytes lie outside the payload");
}

/*
 * Multiboot section copies: "s5" in the table, "section 5" in the map. They
 * share pages, which is no overlap; sharing bytes is.
 */
static void test_info_section_copies(void **state)
{
	struct mkb_segment segs[3] = {
		{ .paddr = 0x200000, .vaddr = 0x200000, .filesz = 0x10, .memsz = 0x10, .flags = 7,
		  .elf_index = 0 },
		{ .paddr = 0x201000, .vaddr = 0x201000, .filesz = 0x20, .memsz = 0x20, .flags = 4,
		  .elf_index = 1005 },
		{ .paddr = 0x201020, .vaddr = 0x201020, .filesz = 0x20, .memsz = 0x20, .flags = 4,
		  .elf_index = 1006 },
	};
	struct info_image im;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(read_image(out, &im), 0);
	free(im.segments);
	im.segments = segs;
	im.m.segment_count = 3;
	im.m.protocol = MKB_PROTOCOL_MULTIBOOT2;
	f = open_memstream(&buf, &len);
	info_print_image(f, "mb.img", &im, 0);
	fclose(f);
	assert_non_null(strstr(buf, "    0    RWX    0x0000000000200000"));
	assert_non_null(strstr(buf, "    s5   R--    0x0000000000201000"));
	assert_non_null(strstr(buf, "(sN: a copy of section N, for the kernel's symbol and string tables)"));
	assert_non_null(strstr(buf, "  0x000201000-0x000201fff  #### section 5 R--\n"
	                            "  0x000201000-0x000201fff  #### section 6 R--\n"));
	free(buf);
	segs[2].paddr = 0x201010; /* now inside section 5's bytes */
	f = open_memstream(&buf, &len);
	info_print_image(f, "mb.img", &im, 0);
	fclose(f);
	assert_non_null(strstr(buf, "#### section 6 R--  (OVERLAPS)\n"));
	free(buf);
	im.segments = NULL;
	info_image_free(&im);
}

/* ---- info_check_image_file: what run refuses before QEMU starts ---- */

/* The message info prints on stderr for path, with its exit status. */
static int info_says(const char *path, char *err, size_t n)
{
	char out[16384];
	const char *args[] = { "info", path };
	int rc = info_run(2, args, out, sizeof out, err, n);
	char *nl = strrchr(err, '\n');

	if (nl != NULL)
		*nl = '\0';
	return rc;
}

/* info_check_image_file refuses path with want, and info says the same. */
static void expect_damaged(const char *path, const char *want)
{
	char err[1200], expected[1200];

	if (info_check_image_file(path) != -1)
		fail_msg("%s: accepted", path);
	snprintf(expected, sizeof expected, "%s: %s", path, want);
	assert_string_equal(mkb_error(), expected);
	snprintf(expected, sizeof expected, "mkbootimg: %s: %s", path, want);
	assert_int_equal(info_says(path, err, sizeof err), 1);
	assert_string_equal(err, expected);
}

static void test_info_check_sound(void **state)
{
	char err[1200];

	(void)state;
	assert_int_equal(info_check_image_file(out), 0);
	assert_int_equal(info_says(out, err, sizeof err), 0);
	assert_string_equal(err, "");
}

static void test_info_check_truncated(void **state)
{
	struct info_image im;
	char path[800];
	FILE *f;
	uint8_t sig[2] = { 0x55, 0xaa };

	(void)state;
	snprintf(path, sizeof path, "%s/short.img", dir);
	assert_int_equal(read_image(out, &im), 0);
	/* Cut inside the payload, then only the zero padding after it: both refused. */
	patched(path, 0, 0);
	assert_int_equal(truncate(path, (off_t)((im.m.payload_lba + 1) * MKB_SECTOR_SIZE)), 0);
	f = fopen(path, "r+b");
	fseek(f, MKB_MBR_BOOT_SIGNATURE, SEEK_SET);
	fwrite(sig, 2, 1, f);
	fclose(f);
	expect_damaged(path, "the file is shorter than the image the manifest describes");
	patched(path, MKB_MBR_BOOT_SIGNATURE - 2, 0xaa550000u); /* 4 bytes: not into LBA 1 */
	assert_int_equal(truncate(path, (off_t)(im.m.image_sectors * MKB_SECTOR_SIZE - 1)), 0);
	expect_damaged(path, "the file is shorter than the image the manifest describes");
	/* Cut inside the manifest: unreadable, with info's message. */
	assert_int_equal(truncate(path, (off_t)(MANIFEST_OFF + 100)), 0);
	expect_damaged(path, "the file ends inside the manifest");
	info_image_free(&im);
}

static void test_info_check_corrupted(void **state)
{
	struct info_image im;
	char path[800];

	(void)state;
	snprintf(path, sizeof path, "%s/bad.img", dir);
	assert_int_equal(read_image(out, &im), 0);
	patched(path, (long)(im.m.payload_lba * MKB_SECTOR_SIZE + 8), 0xdeadbeef);
	expect_damaged(path, "the payload checksum does not match: the loader will refuse to boot it");
	patched(path, (long)(MANIFEST_OFF + offsetof(struct mkb_manifest, segment_count)), 1000);
	expect_damaged(path, "the manifest claims 1000 segments and 1 modules (at most 128 and 64)");
	patched(path, (long)(MANIFEST_OFF + offsetof(struct mkb_manifest, magic)), 0);
	expect_damaged(path, "no manifest after the loader (LBA 36)");
	patched(path, MKB_STAGE2_LBA * MKB_SECTOR_SIZE, 0);
	expect_damaged(path, "a boot sector, but not a mkbootimg image: no loader at LBA 34");
	patched(path, MKB_MBR_BOOT_SIGNATURE, 0);
	expect_damaged(path, "not a mkbootimg image, nor an ELF kernel or a Linux bzImage: no boot signature");
	info_image_free(&im);
}

/* Not an image at all: missing, a folder, a FIFO (refused without waiting for a writer). */
static void test_info_check_not_a_file(void **state)
{
	char path[800];

	(void)state;
	snprintf(path, sizeof path, "%s/missing.img", dir);
	expect_damaged(path, "No such file or directory");
	expect_damaged(dir, "not a regular file or a block device");
	snprintf(path, sizeof path, "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	expect_damaged(path, "not a regular file or a block device");
	unlink(path);
}

/* A block device (a loop device over the image, read-only): its size is the device's. */
static void test_info_check_block_device(void **state)
{
	struct info_image im;
	char cmd[2000], dev[64] = "", path[800];
	FILE *p;
	int rc;

	(void)state;
	if (geteuid() != 0 || system("command -v losetup >/dev/null 2>&1") != 0)
		skip();
	snprintf(cmd, sizeof cmd, "losetup --find --show --read-only '%s' 2>/dev/null", out);
	p = popen(cmd, "r");
	if (p == NULL || fgets(dev, sizeof dev, p) == NULL) {
		if (p != NULL)
			pclose(p);
		skip(); /* no loop devices here */
	}
	pclose(p);
	dev[strcspn(dev, "\n")] = '\0';
	rc = info_check_image_file(dev);
	{
		int fd = open(dev, O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(info_read_image(fd, &im), 0);
		close(fd);
	}
	snprintf(cmd, sizeof cmd, "losetup -d '%s'", dev);
	assert_int_equal(system(cmd), 0);
	if (rc != 0)
		fail_msg("%s", mkb_error());
	assert_false(im.truncated);
	assert_true(im.checksum_checked);

	/* The same image cut short, on a device as short. */
	snprintf(path, sizeof path, "%s/short-dev.img", dir);
	patched(path, MKB_MBR_BOOT_SIGNATURE - 2, 0xaa550000u); /* 4 bytes: not into LBA 1 */
	assert_int_equal(truncate(path, (off_t)((im.m.payload_lba + 1) * MKB_SECTOR_SIZE)), 0);
	info_image_free(&im);
	snprintf(cmd, sizeof cmd, "losetup --find --show --read-only '%s'", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(dev, sizeof dev, p));
	pclose(p);
	dev[strcspn(dev, "\n")] = '\0';
	rc = info_check_image_file(dev);
	{
		char want[200];
		snprintf(want, sizeof want, "%s: the file is shorter than the image the manifest describes",
		         dev);
		snprintf(cmd, sizeof cmd, "losetup -d '%s'", dev);
		assert_int_equal(system(cmd), 0);
		assert_int_equal(rc, -1);
		assert_string_equal(mkb_error(), want);
	}
}

/* The three layouts, told apart; the partitions and the ESP's files of the GPT ones. */
static void test_info_layouts(void **state)
{
	struct plan_options o = { 0 };
	struct info_image im;
	char img[800];

	(void)state;
	assert_int_equal(read_image(out, &im), 0);
	assert_int_equal(im.layout, IMAGE_LAYOUT_HYBRID);
	assert_int_equal(im.part_count, 2);
	assert_string_equal(im.parts[0].name, "mkbootimg loader");
	assert_string_equal(gpt_type_name(im.parts[0].type), "BIOS boot");
	assert_int_equal(im.parts[0].first, MKB_STAGE2_LBA);
	assert_string_equal(gpt_type_name(im.parts[1].type), "EFI system");
	assert_int_equal(im.file_count, 3);
	assert_string_equal(im.files[2].path, "\\EFI\\BOOT\\BOOTX64.EFI");
	assert_int_equal(im.files[2].size, EB_EFI_SIZE);
	assert_true(im.efi_loader);
	assert_int_equal(im.efi_loader_size, EB_EFI_SIZE);
	assert_int_equal(info_check_image(out, &im), 0);
	info_image_free(&im);

	snprintf(img, sizeof img, "%s/uefi.img", dir);
	o.layout = IMAGE_LAYOUT_UEFI;
	assert_int_equal(build_image(kernel, img, &o, &loader, NULL), 0);
	assert_int_equal(read_image(img, &im), 0);
	assert_int_equal(im.layout, IMAGE_LAYOUT_UEFI);
	assert_int_equal(im.manifest_lba, MKB_STAGE2_LBA);
	assert_string_equal(im.loader_version, "");
	assert_string_equal(gpt_type_name(im.parts[0].type), "mkbootimg payload");
	assert_true(im.efi_loader);
	assert_int_equal(info_check_image(img, &im), 0);
	info_image_free(&im);

	snprintf(img, sizeof img, "%s/bios.img", dir);
	o.layout = IMAGE_LAYOUT_BIOS;
	assert_int_equal(build_image(kernel, img, &o, &loader, NULL), 0);
	assert_int_equal(read_image(img, &im), 0);
	assert_int_equal(im.layout, IMAGE_LAYOUT_BIOS);
	assert_int_equal(im.part_count, 0);
	assert_false(im.efi_loader);
	assert_int_equal(info_check_image(img, &im), 0);
	info_image_free(&im);
}

/* A damaged GPT or ESP: info reports it, run refuses it (info_check_image_file). */
static void test_info_check_damaged_gpt(void **state)
{
	struct info_image im;
	char path[800], want[400];
	uint64_t last, esp;

	(void)state;
	assert_int_equal(read_image(out, &im), 0);
	last = im.m.image_sectors - 1;
	esp = im.parts[1].first;
	info_image_free(&im);
	snprintf(path, sizeof path, "%s/gpt.img", dir);
	patched(path, 512 + 24, 7); /* the header's my_lba: its CRC32 no longer matches */
	expect_damaged(path, "the GPT header at LBA 1 fails its CRC32: the partition table is "
	                     "damaged; build or write the image again");
	patched(path, 1024 + 32, 35); /* partition 1's first LBA */
	expect_damaged(path, "the GPT's partition entries (LBA 2) fail their CRC32: the partition "
	                     "table is damaged; build or write the image again");
	patched(path, (long)(last * 512 + 16), 0);
	snprintf(want, sizeof want, "backup: the GPT header at LBA %" PRIu64 " fails its CRC32: the "
	         "partition table is damaged; build or write the image again", last);
	expect_damaged(path, want);
	patched(path, (long)(esp * 512 + 11), 0); /* bytes per sector, sectors per cluster, reserved */
	expect_damaged(path, "EFI system partition: the FAT boot sector is damaged (0-byte sectors, 0 "
	                     "per cluster, 0 reserved, 2 FATs of 536 sectors); build or write the "
	                     "image again");
	patched(path, (long)((esp + 32) * 512 + 5 * 4), 5); /* BOOTX64.EFI's first cluster to itself */
	expect_damaged(path, "EFI system partition: the FAT is damaged: the chain of "
	                     "\\EFI\\BOOT\\BOOTX64.EFI loops or crosses another at cluster 5; "
	                     "build or write the image again");
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
		cmocka_unit_test(test_json_reader),
		cmocka_unit_test(test_info_json_types),
		cmocka_unit_test(test_info_json_kernel),
		cmocka_unit_test(test_info_numbers_segments_by_program_header),
		cmocka_unit_test(test_info_section_copies),
		cmocka_unit_test(test_info_check_sound),
		cmocka_unit_test(test_info_check_truncated),
		cmocka_unit_test(test_info_check_corrupted),
		cmocka_unit_test(test_info_layouts),
		cmocka_unit_test(test_info_check_damaged_gpt),
		cmocka_unit_test(test_info_check_not_a_file),
		cmocka_unit_test(test_info_check_block_device),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
