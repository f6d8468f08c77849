/*
 * bootloader/core/manifest.c: every rule a manifest must keep, one
 * malformed manifest per rule (the rule found, and its exact sentence), and
 * the payload checksum.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "manifest.h"

#define MANIFEST_LBA 74 /* 34 + a 40-sector stage 2 */
#define SECTORS 2

/* A valid manifest: two segments, two modules, a command line, Multiboot 2. */
static union {
	uint8_t bytes[SECTORS * MKB_SECTOR_SIZE];
	struct mkb_manifest m;
} buf;

static struct mkb_manifest *m = &buf.m;

static struct mkb_segment *seg(uint32_t i)
{
	return (struct mkb_segment *)(void *)(buf.bytes + m->segment_offset) + i;
}

static struct mkb_module *mod(uint32_t i)
{
	return (struct mkb_module *)(void *)(buf.bytes + m->module_offset) + i;
}

static struct mkb_multiboot *mb(void)
{
	return (struct mkb_multiboot *)(void *)(buf.bytes + m->multiboot_offset);
}

static int valid_manifest(void **state)
{
	(void)state;
	memset(&buf, 0, sizeof buf);
	*m = (struct mkb_manifest){
		.magic = MKB_MANIFEST_MAGIC, .version = MKB_MANIFEST_VERSION,
		.header_size = sizeof(struct mkb_manifest), .sectors = SECTORS,
		.segment_count = 2, .segment_offset = sizeof(struct mkb_manifest),
		.module_count = 2, .module_offset = sizeof(struct mkb_manifest) + 2 * sizeof(struct mkb_segment),
		.cmdline_offset = 400, .cmdline_length = 9, .multiboot_offset = 480,
		.entry = 0x100400, .stack_top = UINT64_C(0xffffff0000000000), .stack_size = 0x10000,
		.direct_map_offset = UINT64_C(0xffff800000000000),
		.payload_lba = MANIFEST_LBA + SECTORS, .payload_sectors = 16,
		.image_sectors = 1008, .protocol = MKB_PROTOCOL_MULTIBOOT2,
	};
	*seg(0) = (struct mkb_segment){ 0x100000, 0x100000, 4096, 8192, 0, MKB_SEG_R | MKB_SEG_X, 0 };
	*seg(1) = (struct mkb_segment){ 0x103000, 0x103000, 100, 100, 4096, MKB_SEG_R | MKB_SEG_W, 1 };
	*mod(0) = (struct mkb_module){ 3, 4608, 420, 3 };
	*mod(1) = (struct mkb_module){ 0, 5120, 424, 0 };
	memcpy(buf.bytes + 400, "a=1 b=two", 10);
	memcpy(buf.bytes + 420, "one", 4);
	*mb() = (struct mkb_multiboot){ .flags = MKB_MB_VIDEO_INFO, .load_base = 0x100000,
		.shdr_offset = 600, .shdr_num = 4, .shdr_entsize = 64, .shdr_shndx = 3 };
	return 0;
}

/* The first rule the whole manifest breaks, and the entry it names. */
static enum mkb_manifest_rule check(uint32_t *item)
{
	enum mkb_manifest_rule rule = mkb_manifest_check_header(m, MANIFEST_LBA);

	*item = 0;
	return rule != MKB_RULE_VALID ? rule : mkb_manifest_check_tables(buf.bytes, item);
}

static void expect(enum mkb_manifest_rule want, uint32_t want_item, const char *text)
{
	uint32_t item;
	enum mkb_manifest_rule got = check(&item);

	assert_int_equal(got, want);
	assert_int_equal(item, want_item);
	assert_string_equal(mkb_manifest_rule_text(got), text);
}

static void test_manifest_valid(void **state)
{
	(void)state;
	expect(MKB_RULE_VALID, 0, "the manifest is valid");
	m->protocol = MKB_PROTOCOL_NATIVE;
	m->multiboot_offset = 0;
	m->entry = UINT64_C(0xffffffff80100000); /* a native entry may be anywhere */
	expect(MKB_RULE_VALID, 0, "the manifest is valid");
}

/* A native kernel's struct mkb_pie (relocatable, KASLR) at multiboot_offset. */
static void test_manifest_pie(void **state)
{
	struct mkb_pie *pie = (struct mkb_pie *)(void *)(buf.bytes + 480);
	const char *wrong = "the relocatable kernel's block (struct mkb_pie) is wrong";

	(void)state;
	m->protocol = MKB_PROTOCOL_NATIVE;
	*pie = (struct mkb_pie){ UINT64_C(0xffffffff80000000), 0, 5632, 100,
				 MKB_PIE_RELOCATABLE | MKB_PIE_KASLR_BASE | MKB_PIE_KASLR_DIRECT_MAP, 512, 0 };
	expect(MKB_RULE_VALID, 0, "the manifest is valid");
	pie->flags |= 8;
	expect(MKB_RULE_PIE, 0, wrong);
	pie->flags = MKB_PIE_RELOCATABLE;
	pie->slots = 0;
	expect(MKB_RULE_PIE, 0, wrong);
	pie->slots = MKB_PIE_MAX_SLOTS + 1;
	expect(MKB_RULE_PIE, 0, wrong);
	pie->slots = 1;
	pie->table_payload_offset = 5633; /* not a whole sector */
	expect(MKB_RULE_PIE, 0, wrong);
	pie->table_payload_offset = 15 * 512; /* 800 bytes from the payload's last sector */
	pie->count = 200;
	expect(MKB_RULE_PIE, 0, wrong);
	pie->count = 0; /* no table: fine anywhere */
	expect(MKB_RULE_VALID, 0, "the manifest is valid");
	m->multiboot_offset = SECTORS * MKB_SECTOR_SIZE - 32; /* the block is 40 bytes */
	expect(MKB_RULE_MULTIBOOT_BLOCK, 0, "the Multiboot or Linux block lies outside the manifest, or is not 8-byte aligned");
}

static void test_manifest_magic(void **state)
{
	(void)state;
	m->magic ^= 1;
	expect(MKB_RULE_MAGIC, 0, "no manifest magic (\"MKBM\")");
}

static void test_manifest_version(void **state)
{
	(void)state;
	m->version = MKB_MANIFEST_VERSION + 1;
	expect(MKB_RULE_VERSION, 0, "a manifest version this loader does not read");
}

static void test_manifest_sectors(void **state)
{
	(void)state;
	m->sectors = 0;
	expect(MKB_RULE_SECTORS, 0, "the manifest's size is not 1 to 128 sectors");
	m->sectors = MKB_MANIFEST_MAX_BYTES / MKB_SECTOR_SIZE + 1;
	expect(MKB_RULE_SECTORS, 0, "the manifest's size is not 1 to 128 sectors");
	m->sectors = 0x80000001; /* times 512 wraps to 512 in 32 bits */
	expect(MKB_RULE_SECTORS, 0, "the manifest's size is not 1 to 128 sectors");
}

static void test_manifest_header_size(void **state)
{
	(void)state;
	m->header_size = sizeof(struct mkb_manifest) + 8;
	expect(MKB_RULE_HEADER_SIZE, 0, "the manifest's header size is neither 120 nor 128 bytes");
	m->header_size = MKB_MANIFEST_HEADER_BASE + 4;
	expect(MKB_RULE_HEADER_SIZE, 0, "the manifest's header size is neither 120 nor 128 bytes");
}

/* A short header (no SMP request) is valid, and its smp fields are not read:
 * they are the segment table's first bytes. */
static void test_manifest_short_header(void **state)
{
	(void)state;
	m->smp_stack_size = 123; /* would break the rule below if it were read */
	m->header_size = MKB_MANIFEST_HEADER_BASE;
	expect(MKB_RULE_VALID, 0, "the manifest is valid");
	assert_int_equal(mkb_manifest_smp_stack(m), 0);
	m->header_size = MKB_MANIFEST_HEADER_SMP;
	assert_int_equal(mkb_manifest_smp_stack(m), 123);
}

/* The AP stack size is whole pages. */
static void test_manifest_smp_stack(void **state)
{
	(void)state;
	m->smp_stack_size = 8192;
	expect(MKB_RULE_VALID, 0, "the manifest is valid");
	m->smp_stack_size = 8192 + 16;
	expect(MKB_RULE_STACK_SIZE, 0, "the stack size is not a whole number of pages from 4 KiB to 4 GiB");
}

static void test_manifest_no_segments(void **state)
{
	(void)state;
	m->segment_count = 0;
	expect(MKB_RULE_NO_SEGMENTS, 0, "the manifest has no segments");
}

static void test_manifest_segment_count(void **state)
{
	(void)state;
	m->segment_count = MKB_MAX_SEGMENTS + 1;
	expect(MKB_RULE_SEGMENT_COUNT, 0, "the manifest has more than 128 segments");
}

static void test_manifest_module_count(void **state)
{
	(void)state;
	m->module_count = MKB_MAX_MODULES + 1;
	expect(MKB_RULE_MODULE_COUNT, 0, "the manifest has more than 64 modules");
}

static void test_manifest_segment_table(void **state)
{
	(void)state;
	m->segment_offset = SECTORS * MKB_SECTOR_SIZE - 48 - 8; /* the second entry runs out */
	expect(MKB_RULE_SEGMENT_TABLE, 0, "the segment table lies outside the manifest, or is not 8-byte aligned");
	m->segment_offset = sizeof(struct mkb_manifest) + 4;
	expect(MKB_RULE_SEGMENT_TABLE, 0, "the segment table lies outside the manifest, or is not 8-byte aligned");
	m->segment_offset = 0xfffffff8;
	expect(MKB_RULE_SEGMENT_TABLE, 0, "the segment table lies outside the manifest, or is not 8-byte aligned");
}

static void test_manifest_module_table(void **state)
{
	(void)state;
	m->module_offset = SECTORS * MKB_SECTOR_SIZE - 24;
	expect(MKB_RULE_MODULE_TABLE, 0, "the module table lies outside the manifest, or is not 8-byte aligned");
	m->module_offset = 0x7ffffff0;
	expect(MKB_RULE_MODULE_TABLE, 0, "the module table lies outside the manifest, or is not 8-byte aligned");
}

static void test_manifest_cmdline(void **state)
{
	(void)state;
	m->cmdline_offset = SECTORS * MKB_SECTOR_SIZE - 9; /* 9 bytes fit, their NUL does not */
	expect(MKB_RULE_CMDLINE, 0, "the command line lies outside the manifest");
	m->cmdline_offset = 400;
	m->cmdline_length = 0xffffffff; /* + 1 wraps to 0 in 32 bits */
	expect(MKB_RULE_CMDLINE, 0, "the command line lies outside the manifest");
}

static void test_manifest_multiboot_block(void **state)
{
	(void)state;
	m->multiboot_offset = SECTORS * MKB_SECTOR_SIZE - 16;
	expect(MKB_RULE_MULTIBOOT_BLOCK, 0, "the Multiboot or Linux block lies outside the manifest, or is not 8-byte aligned");
	m->multiboot_offset = 484;
	expect(MKB_RULE_MULTIBOOT_BLOCK, 0, "the Multiboot or Linux block lies outside the manifest, or is not 8-byte aligned");
}

static void test_manifest_protocol(void **state)
{
	(void)state;
	m->protocol = MKB_PROTOCOL_LINUX + 1;
	expect(MKB_RULE_PROTOCOL, 0, "the manifest names a protocol this loader does not know");
}

static void test_manifest_multiboot_missing(void **state)
{
	(void)state;
	m->multiboot_offset = 0;
	expect(MKB_RULE_MULTIBOOT_MISSING, 0, "a Multiboot or Linux protocol without its block");
	m->protocol = MKB_PROTOCOL_MULTIBOOT1;
	expect(MKB_RULE_MULTIBOOT_MISSING, 0, "a Multiboot or Linux protocol without its block");
}

static void test_manifest_image_sectors(void **state)
{
	(void)state;
	m->image_sectors = UINT64_C(1) << 32;
	expect(MKB_RULE_IMAGE_SECTORS, 0, "an image of more than 2^32 sectors");
}

static void test_manifest_payload_overlap(void **state)
{
	(void)state;
	m->payload_lba = MANIFEST_LBA + SECTORS - 1;
	expect(MKB_RULE_PAYLOAD_OVERLAP, 0, "the payload overlaps the manifest");
}

static void test_manifest_payload_end(void **state)
{
	(void)state;
	m->payload_sectors = m->image_sectors - m->payload_lba + 1;
	expect(MKB_RULE_PAYLOAD_END, 0, "the payload ends after the image");
	m->payload_sectors = UINT64_MAX;
	expect(MKB_RULE_PAYLOAD_END, 0, "the payload ends after the image");
}

static void test_manifest_stack_size(void **state)
{
	(void)state;
	m->stack_size = 0;
	expect(MKB_RULE_STACK_SIZE, 0, "the stack size is not a whole number of pages from 4 KiB to 4 GiB");
	m->stack_size = 0x10800;
	expect(MKB_RULE_STACK_SIZE, 0, "the stack size is not a whole number of pages from 4 KiB to 4 GiB");
	m->stack_size = UINT64_C(1) << 32;
	expect(MKB_RULE_STACK_SIZE, 0, "the stack size is not a whole number of pages from 4 KiB to 4 GiB");
}

static void test_manifest_entry(void **state)
{
	(void)state;
	m->entry = UINT64_C(1) << 32;
	expect(MKB_RULE_ENTRY, 0, "a Multiboot entry point above 4 GiB");
}

static void test_manifest_segment_filesz(void **state)
{
	(void)state;
	seg(1)->filesz = seg(1)->memsz + 1;
	expect(MKB_RULE_SEGMENT_FILESZ, 1, "more bytes in the file than in memory");
}

static void test_manifest_segment_payload(void **state)
{
	(void)state;
	seg(1)->payload_offset = 4096 + 4;
	expect(MKB_RULE_SEGMENT_PAYLOAD, 1, "its bytes lie outside the payload");
	seg(1)->payload_offset = 16 * MKB_SECTOR_SIZE; /* starts where the payload ends */
	expect(MKB_RULE_SEGMENT_PAYLOAD, 1, "its bytes lie outside the payload");
	seg(1)->payload_offset = UINT64_MAX - 511;
	expect(MKB_RULE_SEGMENT_PAYLOAD, 1, "its bytes lie outside the payload");
}

static void test_manifest_segment_place(void **state)
{
	(void)state;
	seg(0)->paddr = 0xff000; /* below 1 MiB: the BIOS and the loader */
	expect(MKB_RULE_SEGMENT_PLACE, 0, "placed outside 1 MiB to 4 GiB, or wrapping around");
	seg(0)->paddr = (UINT64_C(1) << 32) - 4096; /* runs past 4 GiB */
	expect(MKB_RULE_SEGMENT_PLACE, 0, "placed outside 1 MiB to 4 GiB, or wrapping around");
	seg(0)->paddr = 0x100000;
	seg(0)->vaddr = UINT64_MAX - 4095; /* the last page and one more */
	expect(MKB_RULE_SEGMENT_PLACE, 0, "placed outside 1 MiB to 4 GiB, or wrapping around");
	seg(0)->vaddr = UINT64_MAX - 8191; /* ends exactly at the top: allowed */
	expect(MKB_RULE_VALID, 0, "the manifest is valid");
}

static void test_manifest_module_payload(void **state)
{
	(void)state;
	mod(1)->payload_offset = 5121;
	expect(MKB_RULE_MODULE_PAYLOAD, 1, "its bytes lie outside the payload");
	mod(1)->payload_offset = 5120;
	mod(1)->size = 16 * MKB_SECTOR_SIZE;
	expect(MKB_RULE_MODULE_PAYLOAD, 1, "its bytes lie outside the payload");
}

static void test_manifest_module_string(void **state)
{
	(void)state;
	mod(0)->string_length = 0x7fffffff;
	expect(MKB_RULE_MODULE_STRING, 0, "its string lies outside the manifest");
	mod(0)->string_length = 3;
	mod(0)->string_offset = SECTORS * MKB_SECTOR_SIZE - 3; /* no room for the NUL */
	expect(MKB_RULE_MODULE_STRING, 0, "its string lies outside the manifest");
}

static void test_manifest_section_headers(void **state)
{
	(void)state;
	mb()->shdr_num = 7; /* 448 bytes from 600 run past 1024 */
	expect(MKB_RULE_SECTION_HEADERS, 0, "the section headers lie outside the manifest");
	mb()->shdr_num = 0x10000;
	mb()->shdr_entsize = 0x10000; /* the product wraps to 0 in 32 bits */
	expect(MKB_RULE_SECTION_HEADERS, 0, "the section headers lie outside the manifest");
	mb()->shdr_num = 0; /* none: the offset does not matter */
	expect(MKB_RULE_VALID, 0, "the manifest is valid");
}

/* The rules come in order: the first one broken is the one named. */
static void test_manifest_first_rule_wins(void **state)
{
	(void)state;
	m->stack_size = 0;
	m->version = 9;
	expect(MKB_RULE_VERSION, 0, "a manifest version this loader does not read");
}

static void test_manifest_every_rule_has_a_sentence(void **state)
{
	(void)state;
	for (int r = MKB_RULE_VALID; r < MKB_RULE_RULES; r++)
		assert_string_not_equal(mkb_manifest_rule_text((enum mkb_manifest_rule)r), "an unknown rule");
	assert_string_equal(mkb_manifest_rule_text(MKB_RULE_RULES), "an unknown rule");
}

/* ---- The payload checksum ---- */

/* The definition (image.h), a byte at a time. */
static uint64_t reference(const uint8_t *p, size_t n)
{
	uint32_t a = 1, b = 0;

	for (size_t i = 0; i < n; i += 4) {
		uint32_t w = 0;
		for (size_t k = 0; k < 4 && i + k < n; k++)
			w |= (uint32_t)p[i + k] << (8 * k);
		a += w;
		b += a;
	}
	return (uint64_t)b << 32 | a;
}

static void test_checksum_known_value(void **state)
{
	static const uint8_t bytes[] = { 1, 0, 0, 0, 2, 0, 0, 0 };
	struct mkb_checksum c;

	(void)state;
	mkb_checksum_init(&c);
	mkb_checksum_add(&c, bytes, sizeof bytes);
	/* a: 1 + 1 = 2, + 2 = 4; b: 2 + 4 = 6 */
	assert_int_equal(mkb_checksum_value(&c), (UINT64_C(6) << 32) | 4);
}

static void test_checksum_zeros_still_count(void **state)
{
	static const uint8_t zeros[64];
	struct mkb_checksum c;

	(void)state;
	mkb_checksum_init(&c);
	mkb_checksum_add(&c, zeros, sizeof zeros);
	assert_int_equal(mkb_checksum_value(&c), (UINT64_C(16) << 32) | 1);
}

/* Every length and alignment up to a few rounds, against the definition:
 * the last partial word is padded with zeros, no byte after it is read. */
static void test_checksum_lengths_and_alignments(void **state)
{
	static uint8_t bytes[200];

	(void)state;
	for (size_t i = 0; i < sizeof bytes; i++)
		bytes[i] = (uint8_t)(i * 131 + 7);
	for (size_t start = 0; start < 4; start++)
		for (size_t n = 0; n + start <= sizeof bytes; n++) {
			struct mkb_checksum c;
			mkb_checksum_init(&c);
			mkb_checksum_add(&c, bytes + start, n);
			assert_int_equal(mkb_checksum_value(&c), reference(bytes + start, n));
		}
}

/* Runs in pieces (multiples of 4, as the tool's chunks are) sum as one. */
static void test_checksum_in_pieces(void **state)
{
	static uint8_t bytes[4099];
	struct mkb_checksum whole, pieces;

	(void)state;
	for (size_t i = 0; i < sizeof bytes; i++)
		bytes[i] = (uint8_t)(i ^ (i >> 8));
	mkb_checksum_init(&whole);
	mkb_checksum_add(&whole, bytes, sizeof bytes);
	mkb_checksum_init(&pieces);
	mkb_checksum_add(&pieces, bytes, 1024);
	mkb_checksum_add(&pieces, bytes + 1024, 20);
	mkb_checksum_add(&pieces, bytes + 1044, sizeof bytes - 1044);
	assert_int_equal(mkb_checksum_value(&pieces), mkb_checksum_value(&whole));
	assert_int_equal(mkb_checksum_value(&whole), reference(bytes, sizeof bytes));
}

#define T(f) cmocka_unit_test_setup(f, valid_manifest)


/* A Linux kernel: one segment, its block at 480 (200 bytes), an initrd of 100 bytes after the segment. */
static struct mkb_linux *linux_manifest(void)
{
	struct mkb_linux *lx = (struct mkb_linux *)(void *)(buf.bytes + m->multiboot_offset);

	m->protocol = MKB_PROTOCOL_LINUX;
	m->segment_count = 1;
	m->module_count = 0;
	*lx = (struct mkb_linux){ .initrd_payload_offset = 4096, .initrd_size = 100,
		.kernel_alignment = 0x200000, .initrd_addr_max = 0x7fffffff, .cmdline_size = 2047,
		.version = 0x20f, .flags = MKB_LINUX_RELOCATABLE, .header_size = 0x26c - 0x1f1 };
	return lx;
}

static void test_manifest_linux(void **state)
{
	struct mkb_linux *lx;

	(void)state;
	lx = linux_manifest();
	expect(MKB_RULE_VALID, 0, "the manifest is valid");
	m->segment_count = 2;
	expect(MKB_RULE_LINUX_SEGMENTS, 0, "a Linux kernel of more or fewer than one segment");
	m->segment_count = 1;
	m->multiboot_offset = 484;
	expect(MKB_RULE_MULTIBOOT_BLOCK, 0, "the Multiboot or Linux block lies outside the manifest, or is not 8-byte aligned");
	m->multiboot_offset = SECTORS * MKB_SECTOR_SIZE - 192; /* room for a Multiboot block, not a Linux one */
	expect(MKB_RULE_MULTIBOOT_BLOCK, 0, "the Multiboot or Linux block lies outside the manifest, or is not 8-byte aligned");
	m->multiboot_offset = 480;
	lx->header_size = MKB_LINUX_HEADER_MAX + 1;
	expect(MKB_RULE_LINUX_HEADER, 0, "the Linux setup header's size or kernel_alignment is wrong");
	lx->header_size = 0x1c; /* short of kernel_version, at 0x20e */
	expect(MKB_RULE_LINUX_HEADER, 0, "the Linux setup header's size or kernel_alignment is wrong");
	lx->header_size = 0x7b;
	lx->kernel_alignment = 0x300000;
	expect(MKB_RULE_LINUX_HEADER, 0, "the Linux setup header's size or kernel_alignment is wrong");
	lx->kernel_alignment = 0x200000;
	lx->initrd_payload_offset = 4097;
	expect(MKB_RULE_INITRD_PAYLOAD, 0, "the initrd lies outside the payload");
	lx->initrd_payload_offset = 16 * 512 - 99;
	expect(MKB_RULE_INITRD_PAYLOAD, 0, "the initrd lies outside the payload");
	lx->initrd_payload_offset = 15 * 512;
	lx->initrd_size = 512;
	expect(MKB_RULE_VALID, 0, "the manifest is valid");
}

/* A real-mode entry: 2 to 64 setup sectors inside the payload (a manifest of 4 sectors
 * cannot hold the 8 KiB command line the rule refuses too). */
static void test_manifest_linux_real_mode(void **state)
{
	static const char real_mode[] = "the Linux real-mode part's size or place, or its command line's length, is wrong";
	struct mkb_linux *lx;

	(void)state;
	lx = linux_manifest();
	lx->setup_sectors = 5;
	expect(MKB_RULE_LINUX_REAL_MODE, 0, real_mode); /* sectors without the flag */
	lx->flags = MKB_LINUX_REAL_MODE;
	expect(MKB_RULE_VALID, 0, "the manifest is valid");
	lx->setup_sectors = 0;
	expect(MKB_RULE_LINUX_REAL_MODE, 0, real_mode);
	lx->setup_sectors = MKB_LINUX_SETUP_MAX + 1;
	expect(MKB_RULE_LINUX_REAL_MODE, 0, real_mode);
	lx->setup_sectors = MKB_LINUX_SETUP_MAX;
	m->payload_sectors = MKB_LINUX_SETUP_MAX - 1;
	expect(MKB_RULE_LINUX_REAL_MODE, 0, real_mode);
	m->payload_sectors = MKB_LINUX_SETUP_MAX + 16;
	expect(MKB_RULE_VALID, 0, "the manifest is valid");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_manifest_valid),
		T(test_manifest_pie),
		T(test_manifest_magic),
		T(test_manifest_version),
		T(test_manifest_sectors),
		T(test_manifest_header_size),
		T(test_manifest_short_header),
		T(test_manifest_smp_stack),
		T(test_manifest_no_segments),
		T(test_manifest_segment_count),
		T(test_manifest_module_count),
		T(test_manifest_segment_table),
		T(test_manifest_module_table),
		T(test_manifest_cmdline),
		T(test_manifest_multiboot_block),
		T(test_manifest_protocol),
		T(test_manifest_multiboot_missing),
		T(test_manifest_image_sectors),
		T(test_manifest_payload_overlap),
		T(test_manifest_payload_end),
		T(test_manifest_stack_size),
		T(test_manifest_entry),
		T(test_manifest_segment_filesz),
		T(test_manifest_segment_payload),
		T(test_manifest_segment_place),
		T(test_manifest_module_payload),
		T(test_manifest_module_string),
		T(test_manifest_section_headers),
		T(test_manifest_linux),
		T(test_manifest_linux_real_mode),
		T(test_manifest_first_rule_wins),
		T(test_manifest_every_rule_has_a_sentence),
		cmocka_unit_test(test_checksum_known_value),
		cmocka_unit_test(test_checksum_zeros_still_count),
		cmocka_unit_test(test_checksum_lengths_and_alignments),
		cmocka_unit_test(test_checksum_in_pieces),
	};
	return cmocka_run_group_tests_name("core-manifest", tests, NULL, NULL);
}
