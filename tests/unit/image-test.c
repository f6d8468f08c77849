/* image.c: MBR and manifest bytes, and whole images written from ELF files built here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "elf-builder.h"
#include "fat.h"
#include "gpt.h"
#include "image.h"
#include "kernel.h"
#include "plan.h"
#include "util.h"

#include <mkbootimg/image.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define HH UINT64_C(0xffffffff80000000)
#define STAGE2_SECTORS 3

static char path[1024];

/* A file in the scratch folder; path keeps its name for the assertions. */
static const char *file(const char *name)
{
	return strcpy(path, eb_scratch_file(name));
}
static uint8_t blob[(1 + STAGE2_SECTORS) * 512];
static uint8_t efi[EB_EFI_SIZE];
static enum image_layout layout = IMAGE_LAYOUT_BIOS; /* of the next build_kernel */
static struct loader_blob loader = { blob, sizeof blob, efi, sizeof efi };

/* A fake loader: jump, zero BPB area, code bytes, 0x55AA; stage 2 with its header. */
static void make_blob(void)
{
	struct mkb_stage2_header h = { MKB_STAGE2_MAGIC, STAGE2_SECTORS, MKB_MANIFEST_VERSION,
	                               "mkbootimg 0.1" };

	memset(blob, 0, sizeof blob);
	blob[0] = 0xeb;
	blob[1] = 0x58;
	blob[2] = 0x90;
	memset(blob + MKB_MBR_BPB_END, 0x90, MKB_MBR_SIGNATURE - MKB_MBR_BPB_END);
	blob[510] = 0x55;
	blob[511] = 0xaa;
	memset(blob + 512, 0xcc, STAGE2_SECTORS * 512);
	memcpy(blob + 512, &h, sizeof h);
	eb_fake_efi(efi);
}

static int setup(void **state)
{
	make_blob();
	layout = IMAGE_LAYOUT_BIOS;
	return eb_scratch_create(state);
}

static uint8_t *read_whole(const char *p, size_t *size)
{
	FILE *f = fopen(p, "rb");
	uint8_t *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*size = (size_t)n;
	return buf;
}

static void write_text(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The checksum the header describes, byte by byte, independent of mkb_checksum_words. */
struct ref_sum {
	uint32_t a, b;
};

static void ref_add(struct ref_sum *s, const uint8_t *p, uint64_t n)
{
	for (uint64_t i = 0; i < n; i += 4) {
		uint32_t w = 0;
		for (unsigned j = 0; j < 4 && i + j < n; j++)
			w |= (uint32_t)p[i + j] << 8 * j;
		s->a += w;
		s->b += s->a;
	}
}

/* --- image_check_loader --- */

static void test_image_loader_ok(void **state)
{
	uint64_t n = 0;

	(void)state;
	assert_int_equal(image_check_loader(&loader, &n), 0);
	assert_int_equal(n, STAGE2_SECTORS);
}

static void test_image_loader_bad(void **state)
{
	struct loader_blob l = loader;
	uint64_t n;

	(void)state;
	l.size = 512;
	assert_int_equal(image_check_loader(&l, &n), -1);
	assert_non_null(strstr(mkb_error(), "not stage 1 and stage 2 in whole sectors"));
	l.size = sizeof blob - 1;
	assert_int_equal(image_check_loader(&l, &n), -1);
	assert_non_null(strstr(mkb_error(), "not stage 1 and stage 2 in whole sectors"));
	l.size = sizeof blob - 512;
	assert_int_equal(image_check_loader(&l, &n), -1);
	assert_non_null(strstr(mkb_error(), "stage 2 header says 3 sectors, the blob holds 2"));
	blob[512] ^= 1;
	assert_int_equal(image_check_loader(&loader, &n), -1);
	assert_non_null(strstr(mkb_error(), "stage 2 magic is 0x32424b4c, not 0x32424b4d"));
	blob[512] ^= 1;
	blob[511] = 0;
	assert_int_equal(image_check_loader(&loader, &n), -1);
	assert_non_null(strstr(mkb_error(), "no 0x55AA boot signature"));
	make_blob();
}

/* --- image_build_mbr --- */

static void test_image_mbr_fields(void **state)
{
	uint8_t mbr[512];
	static const uint8_t zero[64];

	(void)state;
	memset(mbr, 0xee, sizeof mbr);
	image_build_mbr(mbr, blob, 0x12345678, 34, 1000);
	assert_memory_equal(mbr, blob, MKB_MBR_SIGNATURE); /* stage 1 as it is */
	for (int i = MKB_MBR_BPB_START; i < MKB_MBR_BPB_END; i++)
		assert_int_equal(mbr[i], 0);
	assert_int_equal(get32(mbr + MKB_MBR_SIGNATURE), 0x12345678);
	assert_int_equal(mbr[0x1bc], 0);
	assert_int_equal(mbr[0x1bd], 0);
	const uint8_t *e = mbr + MKB_MBR_PARTITIONS;
	assert_int_equal(e[0], 0x80);
	/* LBA 34 = C0 H0 S35; LBA 1033 = C0 H16 S26 (1033 = 16 * 63 + 25). */
	assert_int_equal(e[1], 0);
	assert_int_equal(e[2], 35);
	assert_int_equal(e[3], 0);
	assert_int_equal(e[4], MKB_PARTITION_TYPE);
	assert_int_equal(e[5], 16);
	assert_int_equal(e[6], 26);
	assert_int_equal(e[7], 0);
	assert_int_equal(get32(e + 8), 34);
	assert_int_equal(get32(e + 12), 1000);
	assert_memory_equal(e + 16, zero, 48);
	assert_int_equal(mbr[510], 0x55);
	assert_int_equal(mbr[511], 0xaa);
}

static void test_image_mbr_chs(void **state)
{
	uint8_t mbr[512];
	const uint8_t *e = mbr + MKB_MBR_PARTITIONS;

	(void)state;
	/* Last LBA 300 * 16065 + 5 * 63 + 7: C300 (0x12c) H5 S8; bits 8-9 of C in S's top bits. */
	image_build_mbr(mbr, blob, 1, 16065, 300 * 16065 + 5 * 63 + 7 - 16065 + 1);
	assert_int_equal(e[1], 0); /* LBA 16065 = C1 H0 S1 */
	assert_int_equal(e[2], 1);
	assert_int_equal(e[3], 1);
	assert_int_equal(e[5], 5);
	assert_int_equal(e[6], 8 | 0x40);
	assert_int_equal(e[7], 0x2c);
	/* Beyond cylinder 1023: FE FF FF. */
	image_build_mbr(mbr, blob, 1, 34, 20000000);
	assert_int_equal(e[5], 0xfe);
	assert_int_equal(e[6], 0xff);
	assert_int_equal(e[7], 0xff);
	assert_int_equal(get32(e + 12), 20000000);
}

/* --- image_build_manifest --- */

static void test_image_manifest_fields(void **state)
{
	struct plan_segment segs[2] = {
		{ .vaddr = HH + 0x100000, .paddr = 0x100000, .filesz = 0x1234, .memsz = 0x2000,
		  .payload_offset = 0, .flags = MKB_SEG_R | MKB_SEG_X },
		{ .index = 3, .vaddr = HH + 0x200000, .paddr = 0x200000, .filesz = 0, .memsz = 0x1000,
		  .payload_offset = 0x1400, .flags = MKB_SEG_R | MKB_SEG_W },
	};
	/* Layout: header 120, segments 2 * 48, modules 2 * 24, command line 13 + 1, strings. */
	struct plan_module mods[2] = {
		{ .path = "a", .string = "x=1", .string_length = 3, .string_offset = 278, .size = 5,
		  .payload_offset = 0x1400 },
		{ .path = "b", .string = "", .string_length = 0, .string_offset = 282, .size = 0,
		  .payload_offset = 0x1600 },
	};
	struct plan p = {
		.segments = segs, .segment_count = 2, .entry = HH + 0x100010,
		.stack_top = UINT64_C(0xffffff0000000000), .stack_size = 0x10000,
		.direct_map_offset = UINT64_C(0xffff800000000000), .cmdline = "console=ttyS0",
		.cmdline_length = 13, .modules = mods, .module_count = 2,
		.framebuffer = { 1024, 768, 32 }, .module_table_offset = 216, .cmdline_offset = 264,
		.stage2_sectors = 3, .manifest_lba = 37, .manifest_sectors = 1,
		.payload_lba = 38, .payload_sectors = 11, .image_sectors = 49,
	};
	uint8_t buf[1024];
	struct mkb_manifest m;
	struct mkb_segment s;
	struct mkb_module mod;

	(void)state;
	memset(buf, 0xee, sizeof buf);
	assert_int_equal(image_build_manifest(buf, sizeof buf, &p, UINT64_C(0x1122334455667788)), 512);
	memcpy(&m, buf, sizeof m);
	assert_int_equal(m.magic, MKB_MANIFEST_MAGIC);
	assert_int_equal(m.version, 2);
	assert_int_equal(m.header_size, 120);
	assert_int_equal(m.sectors, 1);
	assert_int_equal(m.segment_count, 2);
	assert_int_equal(m.segment_offset, 120);
	assert_int_equal(m.cmdline_offset, 264);
	assert_int_equal(m.cmdline_length, 13);
	assert_int_equal(m.multiboot_offset, 0);
	assert_int_equal(m.entry, HH + 0x100010);
	assert_int_equal(m.stack_top, UINT64_C(0xffffff0000000000));
	assert_int_equal(m.stack_size, 0x10000);
	assert_int_equal(m.direct_map_offset, UINT64_C(0xffff800000000000));
	assert_int_equal(m.payload_lba, 38);
	assert_int_equal(m.payload_sectors, 11);
	assert_int_equal(m.payload_checksum, UINT64_C(0x1122334455667788));
	assert_int_equal(m.image_sectors, 49);
	assert_int_equal(m.module_count, 2);
	assert_int_equal(m.module_offset, 216);
	assert_int_equal(m.fb_width, 1024);
	assert_int_equal(m.fb_height, 768);
	assert_int_equal(m.fb_bpp, 32);
	assert_int_equal(m.protocol, MKB_PROTOCOL_NATIVE);
	memcpy(&s, buf + 120 + 48, sizeof s);
	assert_int_equal(s.vaddr, HH + 0x200000);
	assert_int_equal(s.paddr, 0x200000);
	assert_int_equal(s.filesz, 0);
	assert_int_equal(s.memsz, 0x1000);
	assert_int_equal(s.payload_offset, 0x1400);
	assert_int_equal(s.flags, MKB_SEG_R | MKB_SEG_W);
	assert_int_equal(s.elf_index, 3); /* the loader's messages number segments as the tool does */
	memcpy(&mod, buf + 216, sizeof mod);
	assert_int_equal(mod.size, 5);
	assert_int_equal(mod.payload_offset, 0x1400);
	assert_int_equal(mod.string_offset, 278);
	assert_int_equal(mod.string_length, 3);
	memcpy(&mod, buf + 216 + 24, sizeof mod);
	assert_int_equal(mod.size, 0);
	assert_int_equal(mod.payload_offset, 0x1600);
	assert_int_equal(mod.string_offset, 282);
	assert_int_equal(mod.string_length, 0);
	assert_memory_equal(buf + 264, "console=ttyS0\0x=1\0\0", 13 + 1 + 4 + 1);
	for (size_t i = 283; i < 512; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(buf[512], 0xee); /* nothing past the manifest */
	assert_int_equal(image_build_manifest(buf, 511, &p, 0), 0);
	mods[1].string_offset = 512; /* a string past the planned sectors */
	assert_int_equal(image_build_manifest(buf, sizeof buf, &p, 0), 0);
}

/* Text mode: no framebuffer fields, no modules, the command line right after the segments. */
static void test_image_manifest_plain(void **state)
{
	struct plan_segment seg = { .vaddr = HH + 0x100000, .paddr = 0x100000, .filesz = 1,
	                            .memsz = 1, .flags = MKB_SEG_R | MKB_SEG_X };
	struct plan p = { .segments = &seg, .segment_count = 1, .cmdline = "", .manifest_sectors = 1,
	                  .module_table_offset = 168, .cmdline_offset = 168 };
	uint8_t buf[512];
	struct mkb_manifest m;

	(void)state;
	assert_int_equal(image_build_manifest(buf, sizeof buf, &p, 0), 512);
	memcpy(&m, buf, sizeof m);
	assert_int_equal(m.module_count, 0);
	assert_int_equal(m.module_offset, 168);
	assert_int_equal(m.cmdline_offset, 168);
	assert_int_equal(m.fb_width + m.fb_height + m.fb_bpp, 0);
	assert_int_equal(buf[168], 0);
}

/* --- image_write --- */

struct built {
	struct eb_elf elf;
	struct kernel k;
	struct plan p;
	size_t debug_offset;
};

/*
 * Text of 1.5 MiB + 3 bytes at AT(1 MiB) (several read chunks, an odd
 * tail), planned data, bss only, and 256 KiB of debug info after them.
 */
static void build_kernel(struct built *b, const char *name)
{
	struct plan_options o = { .cmdline = "hello", .stage2_sectors = STAGE2_SECTORS,
	                          .layout = layout };
	const char *p = file(name);

	eb_init(&b->elf, HH + 0x100000);
	eb_add(&b->elf, PT_LOAD, PF_R | PF_X, HH + 0x100000, 0x100000, 0x180003, 0x180003);
	eb_add(&b->elf, PT_LOAD, PF_R | PF_W, HH + 0x400000, HH + 0x400000, 0x1001, 0x5000);
	eb_add(&b->elf, PT_LOAD, PF_R | PF_W, HH + 0x500000, HH + 0x500000, 0, 0x1000);
	b->debug_offset = eb_append(&b->elf, 256 * 1024, 0xdb);
	assert_int_equal(eb_write(&b->elf, p), 0);
	if (kernel_open(&b->k, p) != 0 || plan_make(&b->p, &b->k, &o) != 0)
		fail_msg("%s", mkb_error());
}

static void free_kernel(struct built *b)
{
	plan_free(&b->p);
	kernel_close(&b->k);
	eb_free(&b->elf);
}

static void test_image_write_end_to_end(void **state)
{
	struct built b;
	struct ref_sum ref = { 1, 0 };
	struct mkb_manifest m;
	struct stat st;
	uint8_t *img, *img2;
	size_t size, size2;
	static const uint8_t zero[512];
	mode_t old = umask(027);

	(void)state;
	build_kernel(&b, "e2e.elf");
	assert_int_equal(image_write(file("e2e.img"), &b.k, &b.p, &loader), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	img = read_whole(path, &size);

	assert_int_equal(size % 512, 0);
	assert_int_equal(size, b.p.image_sectors * 512);
	for (int lba = 1; lba < MKB_STAGE2_LBA; lba++)
		assert_memory_equal(img + lba * 512, zero, 512);
	assert_memory_equal(img + MKB_STAGE2_LBA * 512, blob + 512, STAGE2_SECTORS * 512);

	/* Payload: each segment's file bytes at its planned offset, then zeros to the sector. */
	const uint8_t *payload = img + b.p.payload_lba * 512;
	for (size_t i = 0; i < b.p.segment_count; i++) {
		const struct plan_segment *s = &b.p.segments[i];
		const uint8_t *at = payload + s->payload_offset;
		assert_memory_equal(at, b.elf.data + b.elf.ph[s->index].p_offset, s->filesz);
		for (uint64_t j = s->filesz; j % 512; j++)
			assert_int_equal(at[j], 0);
		ref_add(&ref, b.elf.data + b.elf.ph[s->index].p_offset, s->filesz);
	}
	assert_int_equal(b.p.segments[1].payload_offset, 0x180200);
	assert_int_equal(b.p.payload_sectors, (0x180200 + 0x1200) / 512);

	/* Manifest, with a checksum that matches the byte-wise computation. */
	memcpy(&m, img + b.p.manifest_lba * 512, sizeof m);
	assert_int_equal(b.p.manifest_lba, MKB_STAGE2_LBA + STAGE2_SECTORS);
	assert_int_equal(m.magic, MKB_MANIFEST_MAGIC);
	assert_int_equal(m.segment_count, 3);
	assert_int_equal(m.payload_lba, b.p.payload_lba);
	assert_int_equal(m.image_sectors, b.p.image_sectors);
	assert_int_equal(m.payload_checksum, (uint64_t)ref.b << 32 | ref.a);
	assert_string_equal((char *)img + b.p.manifest_lba * 512 + m.cmdline_offset, "hello");

	/* MBR: stage 1, a signature derived from the payload, the partition over LBA 34.. */
	assert_memory_equal(img, blob, MKB_MBR_SIGNATURE);
	assert_int_not_equal(get32(img + MKB_MBR_SIGNATURE), 0);
	assert_int_equal(img[MKB_MBR_PARTITIONS], 0x80);
	assert_int_equal(get32(img + MKB_MBR_PARTITIONS + 8), MKB_STAGE2_LBA);
	assert_int_equal(get32(img + MKB_MBR_PARTITIONS + 12), b.p.image_sectors - MKB_STAGE2_LBA);
	assert_int_equal(img[510], 0x55);
	assert_int_equal(img[511], 0xaa);

	/* Debug info never enters the image. */
	for (size_t i = 0, run = 0; i < size; i++) {
		run = img[i] == 0xdb ? run + 1 : 0;
		if (run >= 64)
			fail_msg("debug-info bytes at image offset 0x%zx", i);
	}

	/* Same kernel, same image. */
	assert_int_equal(image_write(file("e2e-2.img"), &b.k, &b.p, &loader), 0);
	img2 = read_whole(path, &size2);
	assert_int_equal(size2, size);
	assert_memory_equal(img, img2, size);
	free(img);
	free(img2);
	free_kernel(&b);
	layout = IMAGE_LAYOUT_BIOS; /* for the tests after this one */
}

/* --- image_write with modules --- */

static uint8_t module_byte(size_t module, uint64_t i)
{
	return (uint8_t)(i * 7 + (i >> 9) + module * 0x55 + 1);
}

static const uint64_t module_sizes[3] = { 0x180005, 0, 3 }; /* several chunks, empty, tiny */
static const char *const module_strings[3] = { "initrd", "", "a=b" };

/* build_kernel, with the three modules above opened as build_image opens them. */
static void build_with_modules(struct built *b, struct plan_module_arg m[3], const char *prefix)
{
	struct plan_options o = { .cmdline = "hello", .stage2_sectors = STAGE2_SECTORS,
	                          .modules = m, .module_count = 3 };
	const char *p;

	for (size_t i = 0; i < 3; i++) {
		char name[64];
		uint8_t *bytes = malloc(module_sizes[i] + 1);
		FILE *f;
		for (uint64_t j = 0; j < module_sizes[i]; j++)
			bytes[j] = module_byte(i, j);
		snprintf(name, sizeof name, "%s-mod%zu", prefix, i);
		m[i] = (struct plan_module_arg){ strdup(file(name)), module_strings[i], -1,
		                                 module_sizes[i] };
		assert_non_null(f = fopen(m[i].path, "wb"));
		assert_int_equal(fwrite(bytes, 1, module_sizes[i], f), module_sizes[i]);
		fclose(f);
		free(bytes);
		m[i].fd = open(m[i].path, O_RDONLY);
		assert_true(m[i].fd >= 0);
	}
	p = file("modules.elf");
	eb_init(&b->elf, HH + 0x100000);
	eb_add(&b->elf, PT_LOAD, PF_R | PF_X, HH + 0x100000, 0x100000, 0x1003, 0x1003);
	eb_add(&b->elf, PT_LOAD, PF_R | PF_W, HH + 0x400000, HH + 0x400000, 0x101, 0x5000);
	assert_int_equal(eb_write(&b->elf, p), 0);
	if (kernel_open(&b->k, p) != 0 || plan_make(&b->p, &b->k, &o) != 0)
		fail_msg("%s", mkb_error());
}

static void free_modules(struct plan_module_arg m[3])
{
	for (size_t i = 0; i < 3; i++) {
		close(m[i].fd);
		free(m[i].path);
	}
}

static void test_image_write_modules(void **state)
{
	struct plan_module_arg m[3];
	struct built b;
	struct ref_sum ref = { 1, 0 };
	struct mkb_manifest man;
	uint8_t *img;
	size_t size;

	(void)state;
	build_with_modules(&b, m, "e2e");
	assert_int_equal(image_write(file("modules.img"), &b.k, &b.p, &loader), 0);
	img = read_whole(path, &size);
	assert_int_equal(size, b.p.image_sectors * 512);
	const uint8_t *manifest = img + b.p.manifest_lba * 512;
	const uint8_t *payload = img + b.p.payload_lba * 512;

	/* Segments first, then the modules, each at its offset, zero-padded to its sector. */
	for (size_t i = 0; i < b.p.segment_count; i++) {
		const struct plan_segment *s = &b.p.segments[i];
		ref_add(&ref, b.elf.data + b.elf.ph[s->index].p_offset, s->filesz);
	}
	assert_int_equal(b.p.modules[0].payload_offset, 0x1200 + 0x200);
	memcpy(&man, manifest, sizeof man);
	assert_int_equal(man.module_count, 3);
	for (size_t i = 0; i < 3; i++) {
		struct mkb_module e;
		const uint8_t *at;
		memcpy(&e, manifest + man.module_offset + i * sizeof e, sizeof e);
		assert_int_equal(e.size, module_sizes[i]);
		assert_int_equal(e.payload_offset, b.p.modules[i].payload_offset);
		assert_int_equal(e.payload_offset % 512, 0);
		assert_int_equal(e.string_length, strlen(module_strings[i]));
		assert_string_equal((const char *)manifest + e.string_offset, module_strings[i]);
		at = payload + e.payload_offset;
		for (uint64_t j = 0; j < e.size; j++)
			if (at[j] != module_byte(i, j))
				fail_msg("module %zu: byte 0x%llx is 0x%02x", i, (unsigned long long)j, at[j]);
		for (uint64_t j = e.size; j % 512; j++)
			assert_int_equal(at[j], 0);
		uint8_t *bytes = malloc(e.size + 1);
		for (uint64_t j = 0; j < e.size; j++)
			bytes[j] = module_byte(i, j);
		ref_add(&ref, bytes, e.size);
		free(bytes);
	}
	/* The empty module takes no sector: the next one starts where it does. */
	assert_int_equal(b.p.modules[1].payload_offset, b.p.modules[2].payload_offset);
	assert_int_equal(b.p.payload_sectors * 512, b.p.modules[2].payload_offset + 512);
	assert_string_equal((const char *)manifest + man.cmdline_offset, "hello");
	assert_int_equal(man.payload_checksum, (uint64_t)ref.b << 32 | ref.a);
	free(img);
	free_kernel(&b);
	free_modules(m);
}

/* A module that shrinks between planning and writing: fail, naming it. */
static void test_image_write_module_shrinks(void **state)
{
	struct plan_module_arg m[3];
	struct built b;

	(void)state;
	build_with_modules(&b, m, "shrink");
	assert_int_equal(truncate(m[0].path, 4096), 0);
	assert_int_equal(image_write(file("shrink.img"), &b.k, &b.p, &loader), -1);
	if (strstr(mkb_error(), "shrink-mod0: module: the file ends early") == NULL)
		fail_msg("unexpected message \"%s\"", mkb_error());
	assert_int_equal(access(file("shrink.img"), F_OK), -1);
	free_kernel(&b);
	free_modules(m);
}

/* Replacing an existing image works; no temporary file stays behind. */
static void test_image_write_replaces(void **state)
{
	struct built b;
	uint8_t *img;
	size_t size;

	(void)state;
	build_kernel(&b, "replace.elf");
	write_text(file("replace.img"), "old image");
	assert_int_equal(image_write(path, &b.k, &b.p, &loader), 0);
	img = read_whole(path, &size);
	assert_int_equal(size, b.p.image_sectors * 512);
	assert_int_equal(eb_count_entries(eb_scratch, "replace.img."), 0);
	free(img);
	free_kernel(&b);
}

static void test_image_write_no_directory(void **state)
{
	struct built b;

	(void)state;
	build_kernel(&b, "nodir.elf");
	assert_int_equal(image_write(file("nodir/out.img"), &b.k, &b.p, &loader), -1);
	assert_non_null(strstr(mkb_error(), "nodir/out.img: cannot create a temporary file beside it: "
	                                    "No such file or directory"));
	write_text(file("plainfile"), "x");
	assert_int_equal(image_write(file("plainfile/out.img"), &b.k, &b.p, &loader), -1);
	assert_non_null(strstr(mkb_error(), "Not a directory"));
	free_kernel(&b);
}

static void test_image_write_not_regular(void **state)
{
	struct built b;

	(void)state;
	build_kernel(&b, "dirout.elf");
	assert_int_equal(mkdir(file("dirout.img"), 0755), 0);
	assert_int_equal(image_write(path, &b.k, &b.p, &loader), -1);
	assert_non_null(strstr(mkb_error(), "dirout.img: exists and is not a regular file"));
	free_kernel(&b);
}

static void test_image_write_unwritable_directory(void **state)
{
	struct built b;
	char sub[1100];
	uint8_t *img;
	size_t size;

	(void)state;
	if (geteuid() == 0)
		skip(); /* root writes anyway */
	build_kernel(&b, "ro.elf");
	snprintf(sub, sizeof sub, "%s/ro", eb_scratch);
	assert_int_equal(mkdir(sub, 0755), 0);
	write_text(file("ro/out.img"), "old image");
	assert_int_equal(chmod(sub, 0555), 0);
	assert_int_equal(image_write(file("ro/out.img"), &b.k, &b.p, &loader), -1);
	chmod(sub, 0755);
	assert_non_null(strstr(mkb_error(), "Permission denied"));
	img = read_whole(file("ro/out.img"), &size);
	assert_int_equal(size, 9);
	assert_memory_equal(img, "old image", 9);
	assert_int_equal(eb_count_entries(sub, "out.img."), 0);
	unlink(path);
	rmdir(sub);
	free(img);
	free_kernel(&b);
}

/* The kernel shrinks between kernel_open and image_write: fail, keep the old image. */
static void test_image_write_truncated_kernel(void **state)
{
	struct built b;
	uint8_t *img;
	size_t size;

	(void)state;
	build_kernel(&b, "trunc.elf");
	assert_int_equal(truncate(path, 0x2000), 0);
	write_text(file("trunc.img"), "old image");
	assert_int_equal(image_write(path, &b.k, &b.p, &loader), -1);
	/* Caught before a byte is copied: the size differs from the one kernel_open saw. */
	if (strstr(mkb_error(), "trunc.elf: the kernel changed while mkbootimg read it") == NULL)
		fail_msg("unexpected message \"%s\"", mkb_error());
	img = read_whole(file("trunc.img"), &size);
	assert_int_equal(size, 9);
	assert_memory_equal(img, "old image", 9);
	assert_int_equal(eb_count_entries(eb_scratch, "trunc.img."), 0);
	free(img);
	free_kernel(&b);
}

/* A write fails after the temporary file exists (file size limit, works as root too). */
static void test_image_write_fails_midway(void **state)
{
	struct built b;
	struct rlimit old, small;
	uint8_t *img;
	size_t size;

	(void)state;
	build_kernel(&b, "efbig.elf");
	write_text(file("efbig.img"), "old image");
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 64 * 1024;
	signal(SIGXFSZ, SIG_IGN); /* get EFBIG instead of the signal */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	assert_int_equal(image_write(path, &b.k, &b.p, &loader), -1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	if (strstr(mkb_error(), "efbig.img: write: File too large") == NULL)
		fail_msg("unexpected message \"%s\"", mkb_error());
	img = read_whole(file("efbig.img"), &size);
	assert_int_equal(size, 9);
	assert_memory_equal(img, "old image", 9);
	assert_int_equal(eb_count_entries(eb_scratch, "efbig.img."), 0);
	free(img);
	free_kernel(&b);
}

static void test_image_write_loader_mismatch(void **state)
{
	struct built b;

	(void)state;
	build_kernel(&b, "mismatch.elf");
	b.p.stage2_sectors = 2;
	assert_int_equal(image_write(file("mismatch.img"), &b.k, &b.p, &loader), -1);
	assert_non_null(strstr(mkb_error(), "stage 2 has 3 sectors, the plan says 2"));
	assert_int_equal(access(path, F_OK), -1);
	free_kernel(&b);
}

/* fat.c reads the ESP of an image in memory through this. */
struct memdisk {
	const uint8_t *data;
	size_t size;
};

static int mem_read(void *ctx, uint64_t offset, void *buf, size_t n)
{
	const struct memdisk *d = ctx;
	if (offset + n > d->size)
		return mkb_fail("read past the image");
	memcpy(buf, d->data + offset, n);
	return 0;
}

/*
 * An image of the GPT layouts: the protective MBR, both GPTs with the two
 * partitions, what starts at LBA 34, the ESP's BOOTX64.EFI read back
 * through the FAT, holes where nothing is, the same bytes twice.
 */
static void check_gpt_image(enum image_layout which, const char *type_guid)
{
	struct built b;
	struct gpt_header h, backup;
	struct gpt_part parts[4];
	struct fat_volume v;
	struct fat_entry e;
	struct stat st;
	struct memdisk d;
	uint8_t type[16], back[EB_EFI_SIZE], *img, *img2;
	size_t size, size2;
	uint32_t magic;
	uint64_t last;

	layout = which;
	build_kernel(&b, "gpt.elf");
	assert_int_equal(image_write(file("gpt.img"), &b.k, &b.p, &loader), 0);
	assert_int_equal(stat(path, &st), 0);
	img = read_whole(path, &size);
	assert_int_equal(size, b.p.image_sectors * 512);
	assert_int_equal(size % (1024 * 1024), 0);
	last = b.p.image_sectors - 1;
	/* Sparse: the 34 MiB ESP costs next to nothing beyond the 1.5 MiB payload. */
	assert_true((uint64_t)st.st_blocks * 512 < b.p.payload_sectors * 512 + 512 * 1024);

	/* LBA 0: stage 1's code; the 0xEE entry over the image; the active one-sector entry. */
	assert_memory_equal(img, blob, MKB_MBR_SIGNATURE);
	assert_int_equal(img[MKB_MBR_PARTITIONS + 4], 0xee);
	assert_int_equal(img[MKB_MBR_PARTITIONS], 0);
	assert_int_equal(get32(img + MKB_MBR_PARTITIONS + 8), 1);
	assert_int_equal(get32(img + MKB_MBR_PARTITIONS + 12), last);
	assert_int_equal(img[MKB_MBR_PARTITIONS + 16], 0x80);
	assert_int_equal(get32(img + MKB_MBR_PARTITIONS + 16 + 12), 1);

	/* LBA 34: stage 2 (hybrid), or the manifest itself (uefi). */
	memcpy(&magic, img + MKB_STAGE2_LBA * 512, 4);
	assert_int_equal(magic, which == IMAGE_LAYOUT_UEFI ? MKB_MANIFEST_MAGIC : MKB_STAGE2_MAGIC);
	memcpy(&magic, img + b.p.manifest_lba * 512, 4);
	assert_int_equal(magic, MKB_MANIFEST_MAGIC);

	/* Both GPTs sound, the backup at the last LBA with the same entries. */
	assert_int_equal(gpt_parse_header(img + 512, 1, &h), 0);
	assert_int_equal(h.alternate_lba, last);
	assert_int_equal(h.last_usable, last - 33);
	assert_int_equal(gpt_parse_entries(&h, img + 1024, parts, 4), 2);
	assert_int_equal(gpt_parse_header(img + last * 512, last, &backup), 0);
	assert_int_equal(backup.entries_lba, last - 32);
	assert_memory_equal(img + backup.entries_lba * 512, img + 1024, 16384);
	gpt_guid_parse(type_guid, type);
	assert_memory_equal(parts[0].type, type, 16);
	assert_int_equal(parts[0].first, MKB_STAGE2_LBA);
	assert_int_equal(parts[0].last, b.p.payload_lba + b.p.payload_sectors - 1);
	assert_string_equal(parts[0].name, "mkbootimg loader");
	gpt_guid_parse(MKB_GPT_TYPE_ESP, type);
	assert_memory_equal(parts[1].type, type, 16);
	assert_int_equal(parts[1].first, b.p.esp_lba);
	assert_int_equal(parts[1].first % 2048, 0);
	assert_true(parts[1].first > parts[0].last);
	assert_int_equal(parts[1].last - parts[1].first + 1, FAT_ESP_SECTORS);
	assert_string_equal(parts[1].name, "EFI system partition");

	/* The ESP: BOOTX64.EFI, byte for byte. */
	d = (struct memdisk){ img, size };
	assert_int_equal(fat_open(&v, mem_read, &d, parts[1].first * 512, FAT_ESP_SECTORS * 512ull), 0);
	assert_int_equal(fat_find(&v, "\\EFI\\BOOT\\BOOTX64.EFI", &e), 1);
	assert_int_equal(e.size, sizeof efi);
	assert_int_equal(fat_read_file(&v, &e, back), 0);
	assert_memory_equal(back, efi, sizeof efi);

	/* Same kernel, same image: GUIDs and volume ID come from the payload. */
	assert_int_equal(image_write(file("gpt2.img"), &b.k, &b.p, &loader), 0);
	img2 = read_whole(path, &size2);
	assert_int_equal(size2, size);
	assert_memory_equal(img, img2, size);
	free(img);
	free(img2);
	free_kernel(&b);
	layout = IMAGE_LAYOUT_BIOS; /* for the tests after this one */
}

static void test_image_write_hybrid(void **state)
{
	(void)state;
	check_gpt_image(IMAGE_LAYOUT_HYBRID, MKB_GPT_TYPE_BIOS_BOOT);
}

static void test_image_write_uefi(void **state)
{
	(void)state;
	check_gpt_image(IMAGE_LAYOUT_UEFI, MKB_GPT_TYPE_PAYLOAD);
}

static void test_image_refuses_iso(void **state)
{
	struct built b;
	struct stat st;

	(void)state;
	layout = IMAGE_LAYOUT_HYBRID;
	build_kernel(&b, "iso.elf");
	assert_int_equal(image_write(file("disk.ISO"), &b.k, &b.p, &loader), -1);
	assert_non_null(strstr(mkb_error(), "disk.ISO: mkbootimg does not write ISO images (yet); "
	                                    "write a disk image (-o NAME.img)"));
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(eb_count_entries(eb_scratch_file(""), "disk.ISO"), 0);
	free_kernel(&b);
	layout = IMAGE_LAYOUT_BIOS;
}

static void test_image_efi_loader_checked(void **state)
{
	struct loader_blob l = loader;
	uint8_t bad[EB_EFI_SIZE];
	struct built b;

	(void)state;
	assert_int_equal(image_check_efi_loader(&loader), 0);
	memcpy(bad, efi, sizeof bad);
	l.efi = bad;
	bad[0x84] = 0x4c; /* machine i386 */
	bad[0x85] = 0x01;
	assert_int_equal(image_check_efi_loader(&l), -1);
	assert_string_equal(mkb_error(), "embedded UEFI loader: not a PE32+ file for x86-64 (machine 0x014c)");
	memcpy(bad, efi, sizeof bad);
	bad[0x98 + 68] = 3; /* a console program */
	assert_int_equal(image_check_efi_loader(&l), -1);
	assert_string_equal(mkb_error(), "embedded UEFI loader: subsystem 3, not an EFI application (10)");
	/* 80 bytes whose PE header would run past the end: the bytes after it,
	 * which are not the loader's, must not be read as its machine and subsystem. */
	memset(bad, 0, sizeof bad);
	memcpy(bad, "MZ", 2);
	bad[0x3c] = 0x40;
	memcpy(bad + 0x40, "PE\0\0\x64\x86", 6);
	bad[0x58] = 0x0b;
	bad[0x59] = 0x02;
	bad[0x58 + 68] = 10;
	l.efi = bad;
	l.efi_size = 80;
	assert_int_equal(image_check_efi_loader(&l), -1);
	assert_string_equal(mkb_error(), "embedded UEFI loader: no PE header");
	l.efi_size = 0x58 + 70;
	assert_int_equal(image_check_efi_loader(&l), 0);
	l.efi = NULL;
	l.efi_size = 0;
	assert_int_equal(image_check_efi_loader(&l), -1);
	/* Without a UEFI loader, only the BIOS layout can be written. */
	layout = IMAGE_LAYOUT_HYBRID;
	build_kernel(&b, "noefi.elf");
	assert_int_equal(image_write(file("noefi.img"), &b.k, &b.p, &l), -1);
	assert_non_null(strstr(mkb_error(), "embedded UEFI loader"));
	free_kernel(&b);
	layout = IMAGE_LAYOUT_BIOS;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_image_loader_ok),
		cmocka_unit_test(test_image_loader_bad),
		cmocka_unit_test(test_image_mbr_fields),
		cmocka_unit_test(test_image_mbr_chs),
		cmocka_unit_test(test_image_manifest_fields),
		cmocka_unit_test(test_image_manifest_plain),
		cmocka_unit_test(test_image_write_end_to_end),
		cmocka_unit_test(test_image_write_hybrid),
		cmocka_unit_test(test_image_write_uefi),
		cmocka_unit_test(test_image_refuses_iso),
		cmocka_unit_test(test_image_efi_loader_checked),
		cmocka_unit_test(test_image_write_modules),
		cmocka_unit_test(test_image_write_module_shrinks),
		cmocka_unit_test(test_image_write_replaces),
		cmocka_unit_test(test_image_write_no_directory),
		cmocka_unit_test(test_image_write_not_regular),
		cmocka_unit_test(test_image_write_unwritable_directory),
		cmocka_unit_test(test_image_write_truncated_kernel),
		cmocka_unit_test(test_image_write_fails_midway),
		cmocka_unit_test(test_image_write_loader_mismatch),
	};
	return cmocka_run_group_tests(tests, setup, eb_scratch_remove);
}
