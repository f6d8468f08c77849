/*
 * multiboot.c: the header scan (multiboot_scan), --protocol parsing, and
 * what multiboot_open (through kernel_open_protocol) accepts and refuses,
 * on raw and ELF kernel files built here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "elf-builder.h"
#include "kernel.h"
#include "multiboot.h"
#include "plan.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static char path[1024];
static uint8_t img[64 * 1024];

static int blank(void **state)
{
	(void)state;
	memset(img, 0, sizeof img);
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* A Multiboot 1 header with flags (and a right checksum) at off. */
static void mb1(uint8_t *b, size_t off, uint32_t flags)
{
	put32(b + off, MB1_MAGIC);
	put32(b + off + 4, flags);
	put32(b + off + 8, 0u - (MB1_MAGIC + flags));
}

/* A Multiboot 1 header with flag 16 and the a.out-kludge address fields. */
static void mb1_aout(uint8_t *b, size_t off, uint32_t extra_flags, uint32_t header_addr,
                     uint32_t load, uint32_t load_end, uint32_t bss_end, uint32_t entry)
{
	mb1(b, off, (1u << 16) | extra_flags);
	put32(b + off + 12, header_addr);
	put32(b + off + 16, load);
	put32(b + off + 20, load_end);
	put32(b + off + 24, bss_end);
	put32(b + off + 28, entry);
}

/* Multiboot 2 tags, each padded to 8 bytes; mb2 adds the end tag. */
struct tags {
	uint8_t b[512];
	size_t n;
};

static void tag(struct tags *t, uint16_t type, uint16_t flags, const uint32_t *words, size_t nwords)
{
	uint32_t size = (uint32_t)(8 + 4 * nwords);

	put16(t->b + t->n, type);
	put16(t->b + t->n + 2, flags);
	put32(t->b + t->n + 4, size);
	for (size_t i = 0; i < nwords; i++)
		put32(t->b + t->n + 8 + 4 * i, words[i]);
	t->n += (size + 7) & ~7u;
}

/* Address and entry address tags: load everything from 1 MiB, header at 1 MiB + off. */
static void tags_load(struct tags *t, uint32_t off)
{
	const uint32_t address[] = { 0x100000 + off, 0x100000, 0, 0x110000 };
	const uint32_t entry[] = { 0x100400 };

	tag(t, 2, 0, address, 4);
	tag(t, 3, 0, entry, 1);
}

/* A Multiboot 2 header with tags, an end tag and a right checksum at off. */
static void mb2(uint8_t *b, size_t off, uint32_t arch, const struct tags *t)
{
	uint32_t length = (uint32_t)(16 + (t ? t->n : 0) + 8);

	put32(b + off, MB2_MAGIC);
	put32(b + off + 4, arch);
	put32(b + off + 8, length);
	put32(b + off + 12, 0u - (MB2_MAGIC + arch + length));
	if (t)
		memcpy(b + off + 16, t->b, t->n);
	put16(b + off + 16 + length - 24, 0); /* end tag */
	put16(b + off + 16 + length - 22, 0);
	put32(b + off + 16 + length - 20, 8);
}

static const char *write_file(const char *name, size_t n)
{
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", eb_scratch, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(img, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void expect_refused(size_t n, int protocol, const char *want)
{
	struct kernel k;

	assert_int_equal(kernel_open_protocol(&k, write_file("bad.bin", n), protocol), -1);
	assert_int_equal(k.fd, -1);
	assert_null(k.multiboot);
	if (strstr(mkb_error(), want) == NULL || strncmp(mkb_error(), path, strlen(path)) != 0)
		fail_msg("message \"%s\" lacks \"%s\" or the path", mkb_error(), want);
}

/* Open img's first n bytes; expect success and one segment. */
static void expect_one_segment(struct kernel *k, size_t n, int protocol, uint64_t paddr,
                               uint64_t filesz, uint64_t memsz, uint64_t offset, uint64_t entry)
{
	if (kernel_open_protocol(k, write_file("good.bin", n), protocol) != 0)
		fail_msg("kernel_open_protocol: %s", mkb_error());
	assert_non_null(k->multiboot);
	assert_int_equal(k->multiboot->address_fields, 1);
	assert_int_equal(k->segment_count, 1);
	assert_int_equal(k->segments[0].paddr, paddr);
	assert_int_equal(k->segments[0].vaddr, paddr);
	assert_int_equal(k->segments[0].filesz, filesz);
	assert_int_equal(k->segments[0].memsz, memsz);
	assert_int_equal(k->segments[0].offset, offset);
	assert_int_equal(k->segments[0].flags, 7);
	assert_int_equal(k->entry, entry);
}

/* --- multiboot_scan --------------------------------------------------------- */

static void test_multiboot_scan_none(void **state)
{
	struct multiboot_headers h;

	(void)state;
	multiboot_scan(img, sizeof img, &h);
	assert_int_equal(h.mb1, -1);
	assert_int_equal(h.mb2, -1);
	multiboot_scan(img, 0, &h);
	assert_int_equal(h.mb1, -1);
	assert_int_equal(h.mb2, -1);
}

static void test_multiboot_scan_mb1_found(void **state)
{
	struct multiboot_headers h;

	(void)state;
	mb1(img, 0x40, 3);
	multiboot_scan(img, sizeof img, &h);
	assert_int_equal(h.mb1, 0x40);
	assert_int_equal(h.mb2, -1);
}

static void test_multiboot_scan_mb1_last_slot(void **state)
{
	struct multiboot_headers h;

	(void)state;
	mb1(img, MB1_SEARCH - 12, 0); /* its 12 bytes end at 8 KiB */
	multiboot_scan(img, sizeof img, &h);
	assert_int_equal(h.mb1, MB1_SEARCH - 12);
}

static void test_multiboot_scan_mb1_straddles_8k(void **state)
{
	struct multiboot_headers h;

	(void)state;
	mb1(img, MB1_SEARCH - 4, 0); /* begins inside, ends past: not contained */
	multiboot_scan(img, sizeof img, &h);
	assert_int_equal(h.mb1, -1);
}

static void test_multiboot_scan_mb1_past_8k(void **state)
{
	struct multiboot_headers h;

	(void)state;
	mb1(img, MB1_SEARCH, 0);
	multiboot_scan(img, sizeof img, &h);
	assert_int_equal(h.mb1, -1);
}

static void test_multiboot_scan_mb1_misaligned(void **state)
{
	struct multiboot_headers h;

	(void)state;
	mb1(img, 0x42, 0);
	multiboot_scan(img, sizeof img, &h);
	assert_int_equal(h.mb1, -1);
}

static void test_multiboot_scan_mb1_bad_checksum(void **state)
{
	struct multiboot_headers h;

	(void)state;
	mb1(img, 0x40, 0);
	img[0x40 + 8] ^= 1;
	multiboot_scan(img, sizeof img, &h);
	assert_int_equal(h.mb1, -1);
}

static void test_multiboot_scan_mb1_truncated(void **state)
{
	struct multiboot_headers h;

	(void)state;
	mb1(img, 0x40, 0);
	multiboot_scan(img, 0x40 + 11, &h); /* the checksum is cut off */
	assert_int_equal(h.mb1, -1);
	multiboot_scan(img, 0x40 + 12, &h);
	assert_int_equal(h.mb1, 0x40);
}

static void test_multiboot_scan_mb1_first_wins(void **state)
{
	struct multiboot_headers h;

	(void)state;
	mb1(img, 0x100, 0);
	mb1(img, 0x80, 0);
	multiboot_scan(img, sizeof img, &h);
	assert_int_equal(h.mb1, 0x80);
}

static void test_multiboot_scan_mb2_found(void **state)
{
	struct multiboot_headers h;

	(void)state;
	mb2(img, 0x48, 0, NULL);
	multiboot_scan(img, sizeof img, &h);
	assert_int_equal(h.mb2, 0x48);
	assert_int_equal(h.mb1, -1);
}

static void test_multiboot_scan_mb2_last_slot(void **state)
{
	struct multiboot_headers h;

	(void)state;
	mb2(img, MB2_SEARCH - 16, 0, NULL); /* its fixed 16 bytes end at 32 KiB */
	multiboot_scan(img, sizeof img, &h);
	assert_int_equal(h.mb2, MB2_SEARCH - 16);
}

static void test_multiboot_scan_mb2_straddles_32k(void **state)
{
	struct multiboot_headers h;

	(void)state;
	mb2(img, MB2_SEARCH - 8, 0, NULL);
	multiboot_scan(img, sizeof img, &h);
	assert_int_equal(h.mb2, -1);
}

static void test_multiboot_scan_mb2_past_32k(void **state)
{
	struct multiboot_headers h;

	(void)state;
	mb2(img, MB2_SEARCH, 0, NULL);
	multiboot_scan(img, sizeof img, &h);
	assert_int_equal(h.mb2, -1);
}

static void test_multiboot_scan_mb2_misaligned(void **state)
{
	struct multiboot_headers h;

	(void)state;
	mb2(img, 0x44, 0, NULL); /* 4-byte aligned is not enough */
	multiboot_scan(img, sizeof img, &h);
	assert_int_equal(h.mb2, -1);
}

static void test_multiboot_scan_mb2_bad_checksum(void **state)
{
	struct multiboot_headers h;

	(void)state;
	mb2(img, 0x48, 0, NULL);
	img[0x48 + 12] ^= 0x80;
	multiboot_scan(img, sizeof img, &h);
	assert_int_equal(h.mb2, -1);
}

static void test_multiboot_scan_mb2_arch_breaks_checksum(void **state)
{
	struct multiboot_headers h;

	(void)state;
	mb2(img, 0x48, 0, NULL);
	put32(img + 0x48 + 4, 4); /* MIPS, with the checksum made for i386 */
	multiboot_scan(img, sizeof img, &h);
	assert_int_equal(h.mb2, -1);
}

static void test_multiboot_scan_both(void **state)
{
	struct multiboot_headers h;

	(void)state;
	mb1(img, 0x20, 0);
	mb2(img, 0x40, 0, NULL);
	multiboot_scan(img, sizeof img, &h);
	assert_int_equal(h.mb1, 0x20);
	assert_int_equal(h.mb2, 0x40);
}

/* --- --protocol --------------------------------------------------------------- */

static void test_multiboot_parse_protocol(void **state)
{
	int p = -5;

	(void)state;
	assert_int_equal(multiboot_parse_protocol("native", &p), 0);
	assert_int_equal(p, MKB_PROTOCOL_NATIVE);
	assert_int_equal(multiboot_parse_protocol("multiboot1", &p), 0);
	assert_int_equal(p, MKB_PROTOCOL_MULTIBOOT1);
	assert_int_equal(multiboot_parse_protocol("multiboot2", &p), 0);
	assert_int_equal(p, MKB_PROTOCOL_MULTIBOOT2);
	assert_int_equal(multiboot_parse_protocol("multiboot", &p), -1);
	assert_non_null(strstr(mkb_error(), "'multiboot' is not native, multiboot1, multiboot2 or linux"));
	assert_int_equal(p, MKB_PROTOCOL_MULTIBOOT2); /* untouched on failure */
}

static void test_multiboot_protocol_name(void **state)
{
	(void)state;
	assert_string_equal(multiboot_protocol_name(MKB_PROTOCOL_NATIVE), "native");
	assert_string_equal(multiboot_protocol_name(MKB_PROTOCOL_MULTIBOOT1), "multiboot1");
	assert_string_equal(multiboot_protocol_name(MKB_PROTOCOL_MULTIBOOT2), "multiboot2");
	assert_string_equal(multiboot_protocol_name(7), "unknown");
}

/* --- multiboot_open: choosing the protocol -------------------------------------- */

/* MB1 at 0x100 (flag 16) and MB2 at 0x200 (address + entry tags): both loadable. */
static void both_headers(void)
{
	struct tags t = { .n = 0 };

	mb1_aout(img, 0x100, 0, 0x100100, 0x100000, 0, 0x108000, 0x100300);
	tags_load(&t, 0x200);
	mb2(img, 0x200, 0, &t);
}

static void test_multiboot_open_both_chooses_mb2(void **state)
{
	struct kernel k;

	(void)state;
	both_headers();
	expect_one_segment(&k, 0x4000, KERNEL_PROTOCOL_AUTO, 0x100000, 0x4000, 0x10000, 0,
	                   0x100400);
	assert_int_equal(k.protocol, MKB_PROTOCOL_MULTIBOOT2);
	assert_int_equal(k.multiboot->version, 2);
	assert_int_equal(k.multiboot->header_offset, 0x200);
	kernel_close(&k);
}

static void test_multiboot_open_protocol_forces_mb1(void **state)
{
	struct kernel k;

	(void)state;
	both_headers();
	expect_one_segment(&k, 0x4000, MKB_PROTOCOL_MULTIBOOT1, 0x100000, 0x4000, 0x8000, 0,
	                   0x100300);
	assert_int_equal(k.protocol, MKB_PROTOCOL_MULTIBOOT1);
	assert_int_equal(k.multiboot->version, 1);
	assert_int_equal(k.multiboot->header_offset, 0x100);
	assert_int_equal(k.multiboot->mb1_flags, 1u << 16);
	kernel_close(&k);
}

static void test_multiboot_open_protocol_native(void **state)
{
	(void)state;
	both_headers();
	/* Native: the headers are ignored and the raw file is no ELF kernel. */
	expect_refused(0x4000, MKB_PROTOCOL_NATIVE, "not an ELF file");
}

static void test_multiboot_open_protocol_mb2_missing(void **state)
{
	(void)state;
	mb1_aout(img, 0x100, 0, 0x100100, 0x100000, 0, 0, 0x100300);
	expect_refused(0x4000, MKB_PROTOCOL_MULTIBOOT2,
	               "--protocol multiboot2: no Multiboot 2 header (magic, alignment and "
	               "checksum) in the first 32 KiB");
}

static void test_multiboot_open_protocol_mb1_missing(void **state)
{
	struct tags t = { .n = 0 };

	(void)state;
	tags_load(&t, 0x200);
	mb2(img, 0x200, 0, &t);
	expect_refused(0x4000, MKB_PROTOCOL_MULTIBOOT1,
	               "--protocol multiboot1: no Multiboot 1 header (magic, alignment and "
	               "checksum) in the first 8 KiB");
}

static void test_multiboot_open_mb1_past_8k_is_native(void **state)
{
	struct kernel k;

	(void)state;
	mb1_aout(img, MB1_SEARCH, 0, 0x100000 + MB1_SEARCH, 0x100000, 0, 0, 0x100300);
	expect_refused(0x4000, KERNEL_PROTOCOL_AUTO, "not an ELF file");
	/* Not even when asked for. */
	assert_int_equal(kernel_open_protocol(&k, path, MKB_PROTOCOL_MULTIBOOT1), -1);
	assert_non_null(strstr(mkb_error(), "no Multiboot 1 header"));
}

/* --- multiboot_open: Multiboot 1 -------------------------------------------------- */

static void test_multiboot_open_mb1_aout(void **state)
{
	struct kernel k;

	(void)state;
	/* Header at file offset 0x1000 = 0x201000; loading starts at file offset 0x800. */
	mb1_aout(img, 0x1000, 0, 0x201000, 0x200800, 0x203000, 0x208000, 0x201040);
	expect_one_segment(&k, 0x6000, KERNEL_PROTOCOL_AUTO, 0x200800, 0x2800, 0x7800, 0x800,
	                   0x201040);
	assert_int_equal(k.protocol, MKB_PROTOCOL_MULTIBOOT1);
	assert_int_equal(k.multiboot->header_offset, 0x1000);
	kernel_close(&k);
}

static void test_multiboot_open_mb1_aout_to_file_end(void **state)
{
	struct kernel k;

	(void)state;
	/* load_end_addr 0: the rest of the file; bss_end_addr 0: no bss. */
	mb1_aout(img, 0x10, 0, 0x100010, 0x100000, 0, 0, 0x100020);
	expect_one_segment(&k, 0x3456, KERNEL_PROTOCOL_AUTO, 0x100000, 0x3456, 0x3456, 0,
	                   0x100020);
	kernel_close(&k);
}

static void test_multiboot_open_mb1_aout_before_file(void **state)
{
	(void)state;
	/* The header is 0x10 bytes into the file but 0x100 above load_addr. */
	mb1_aout(img, 0x10, 0, 0x100100, 0x100000, 0, 0, 0x100200);
	expect_refused(0x2000, KERNEL_PROTOCOL_AUTO, "put the load before the file's start");
}

static void test_multiboot_open_mb1_aout_past_end(void **state)
{
	(void)state;
	mb1_aout(img, 0x10, 0, 0x100010, 0x100000, 0x103000, 0, 0x100020);
	expect_refused(0x2000, KERNEL_PROTOCOL_AUTO, "load_end_addr 0x103000 lies past the file's end");
}

static void test_multiboot_open_mb1_aout_bss_below(void **state)
{
	(void)state;
	mb1_aout(img, 0x10, 0, 0x100010, 0x100000, 0x101000, 0x100800, 0x100020);
	expect_refused(0x2000, KERNEL_PROTOCOL_AUTO, "bss_end_addr 0x100800 is below load_end_addr");
}

static void test_multiboot_open_mb1_address_truncated(void **state)
{
	(void)state;
	mb1(img, 0x10, 1u << 16);
	expect_refused(0x10 + 20, KERNEL_PROTOCOL_AUTO,
	               "the address fields (flag 16) lie past the end of the file");
}

static void test_multiboot_open_mb1_not_elf_no_address(void **state)
{
	(void)state;
	mb1(img, 0x10, 3);
	expect_refused(0x2000, KERNEL_PROTOCOL_AUTO,
	               "a Multiboot kernel that is not ELF needs the header's address fields "
	               "(flag 16)");
}

static void test_multiboot_open_mb1_unknown_required_flag(void **state)
{
	(void)state;
	mb1_aout(img, 0x10, 1u << 3, 0x100010, 0x100000, 0, 0, 0x100020);
	expect_refused(0x2000, KERNEL_PROTOCOL_AUTO,
	               "flag bit 3 is required by the kernel and not supported by mkbootimg");
}

static void test_multiboot_open_mb1_highest_required_flag(void **state)
{
	(void)state;
	mb1_aout(img, 0x10, (1u << 15) | 3, 0x100010, 0x100000, 0, 0, 0x100020);
	expect_refused(0x2000, KERNEL_PROTOCOL_AUTO, "flag bit 15 is required");
}

static void test_multiboot_open_mb1_unknown_optional_flag(void **state)
{
	struct kernel k;

	(void)state;
	/* Bits 17-31 are optional features: ignored. */
	mb1_aout(img, 0x10, (1u << 20) | 3, 0x100010, 0x100000, 0, 0, 0x100020);
	expect_one_segment(&k, 0x2000, KERNEL_PROTOCOL_AUTO, 0x100000, 0x2000, 0x2000, 0,
	                   0x100020);
	assert_int_equal(k.multiboot->mb1_flags, (1u << 16) | (1u << 20) | 3);
	kernel_close(&k);
}

static void test_multiboot_open_mb1_video_mode(void **state)
{
	struct kernel k;

	(void)state;
	mb1_aout(img, 0x10, 1u << 2, 0x100010, 0x100000, 0, 0, 0x100040);
	put32(img + 0x10 + 32, 0); /* linear graphics */
	put32(img + 0x10 + 36, 800);
	put32(img + 0x10 + 40, 600);
	put32(img + 0x10 + 44, 0); /* depth left open */
	expect_one_segment(&k, 0x2000, KERNEL_PROTOCOL_AUTO, 0x100000, 0x2000, 0x2000, 0,
	                   0x100040);
	assert_int_equal(k.requests.framebuffer_given, 1);
	assert_int_equal(k.requests.framebuffer.width, 800);
	assert_int_equal(k.requests.framebuffer.height, 600);
	assert_int_equal(k.requests.framebuffer.bpp, 32);
	assert_true(k.multiboot->info.flags & MKB_MB_VIDEO_INFO);
	kernel_close(&k);
}

static void test_multiboot_open_mb1_ega_text(void **state)
{
	struct kernel k;

	(void)state;
	mb1_aout(img, 0x10, 1u << 2, 0x100010, 0x100000, 0, 0, 0x100040);
	put32(img + 0x10 + 32, 1); /* EGA text: what the loader leaves */
	expect_one_segment(&k, 0x2000, KERNEL_PROTOCOL_AUTO, 0x100000, 0x2000, 0x2000, 0,
	                   0x100040);
	assert_int_equal(k.requests.framebuffer_given, 0);
	assert_true(k.multiboot->info.flags & MKB_MB_VIDEO_INFO);
	kernel_close(&k);
}

static void test_multiboot_open_mb1_elf(void **state)
{
	struct eb_elf e;
	struct kernel k;
	const uint64_t hh = UINT64_C(0xffffffff80000000);
	const char *p;

	(void)state;
	eb_init(&e, hh + 0x100040);
	eb_add(&e, PT_LOAD, PF_R | PF_X, hh + 0x100000, 0x100000, 0x1000, 0x1000);
	eb_add(&e, PT_LOAD, PF_R | PF_W, hh + 0x101000, 0x101000, 0x100, 0x2000);
	mb1(e.data, e.ph[0].p_offset, 3); /* at the start of the text, file offset 4096 */
	snprintf(path, sizeof path, "%s/mb1.elf", eb_scratch);
	p = path;
	assert_int_equal(eb_write(&e, p), 0);
	eb_free(&e);
	if (kernel_open(&k, p) != 0)
		fail_msg("kernel_open: %s", mkb_error());
	assert_int_equal(k.protocol, MKB_PROTOCOL_MULTIBOOT1);
	assert_int_equal(k.multiboot->address_fields, 0);
	assert_int_equal(k.multiboot->header_offset, 4096);
	assert_int_equal(k.entry, 0x100040); /* made physical */
	assert_int_equal(k.segment_count, 2);
	assert_int_equal(k.segments[0].paddr, 0x100000);
	assert_int_equal(k.segments[0].vaddr, 0x100000);
	assert_int_equal(k.segments[1].memsz, 0x2000);
	kernel_close(&k);
}

/* A Multiboot 1 ELF kernel as test_multiboot_open_mb1_elf has it, to break. */
static void mb1_elf(struct eb_elf *e, uint64_t entry)
{
	const uint64_t hh = UINT64_C(0xffffffff80000000);

	eb_init(e, entry);
	eb_add(e, PT_LOAD, PF_R | PF_X, hh + 0x100000, 0x100000, 0x1000, 0x1000);
	eb_add(e, PT_LOAD, PF_R | PF_W, hh + 0x101000, 0x101000, 0x100, 0x2000);
	mb1(e->data, e->ph[0].p_offset, 3);
}

static void expect_elf_refused(struct eb_elf *e, const char *want)
{
	struct kernel k;

	snprintf(path, sizeof path, "%s/bad.elf", eb_scratch);
	assert_int_equal(eb_write(e, path), 0);
	eb_free(e);
	assert_int_equal(kernel_open(&k, path), -1);
	assert_null(k.multiboot);
	if (strstr(mkb_error(), want) == NULL || strncmp(mkb_error(), path, strlen(path)) != 0)
		fail_msg("message \"%s\" lacks \"%s\" or the path", mkb_error(), want);
}

/* The same hint as for a native kernel (kernel.c): a kernel has no dynamic loader. */
static void test_multiboot_open_mb1_elf_dynamic(void **state)
{
	struct eb_elf e;

	(void)state;
	mb1_elf(&e, UINT64_C(0xffffffff80100040));
	eb_add(&e, PT_INTERP, PF_R, 0x102000, 0x102000, 28, 28);
	expect_elf_refused(&e, "bad.elf: dynamically linked (PT_INTERP): link with -static -no-pie");
	mb1_elf(&e, UINT64_C(0xffffffff80100040));
	e.ehdr.e_type = ET_DYN;
	expect_elf_refused(&e, "bad.elf: dynamically linked (position-independent ET_DYN): a "
	                       "Multiboot kernel runs at its physical addresses: link with -static -no-pie");
}

/* e_entry virtual or physical is loaded; 0 or garbage is a linker mistake, as for native kernels. */
static void test_multiboot_open_mb1_elf_entry(void **state)
{
	struct eb_elf e;
	struct kernel k;

	(void)state;
	mb1_elf(&e, 0x100040); /* physical: ENTRY(start - KERNEL_BASE) */
	snprintf(path, sizeof path, "%s/good.elf", eb_scratch);
	assert_int_equal(eb_write(&e, path), 0);
	eb_free(&e);
	if (kernel_open(&k, path) != 0)
		fail_msg("kernel_open: %s", mkb_error());
	assert_int_equal(k.entry, 0x100040);
	kernel_close(&k);
	mb1_elf(&e, 0);
	expect_elf_refused(&e, "bad.elf: entry point is 0, in no PT_LOAD segment: the linker found no "
	                       "entry symbol; name the entry function with ENTRY()");
	mb1_elf(&e, 0x900000);
	expect_elf_refused(&e, "bad.elf: entry point 0x900000 is outside every PT_LOAD segment");
}

/* Section copies are numbered from PLAN_SECTION_INDEX: no program header may reach it. */
static void test_multiboot_open_mb1_elf_many_program_headers(void **state)
{
	struct eb_elf e;
	size_t off, n = PLAN_SECTION_INDEX + 1;

	(void)state;
	mb1_elf(&e, UINT64_C(0xffffffff80100040));
	off = eb_append(&e, n * sizeof(Elf64_Phdr), 0); /* PT_NULL after the two segments */
	memcpy(e.data + off, e.ph, 2 * sizeof(Elf64_Phdr));
	e.ehdr.e_phoff = off;
	e.ehdr.e_phnum = (Elf64_Half)n;
	expect_elf_refused(&e, "bad.elf: 1001 program headers, more than the 1000 a Multiboot "
	                       "kernel may have");
}

/* --- multiboot_open: Multiboot 2 -------------------------------------------------- */

static void test_multiboot_open_mb2_aout(void **state)
{
	struct kernel k;
	struct tags t = { .n = 0 };

	(void)state;
	tags_load(&t, 0x40);
	mb2(img, 0x40, 0, &t);
	expect_one_segment(&k, 0x3000, KERNEL_PROTOCOL_AUTO, 0x100000, 0x3000, 0x10000, 0,
	                   0x100400);
	assert_int_equal(k.protocol, MKB_PROTOCOL_MULTIBOOT2);
	assert_int_equal(k.multiboot->header_offset, 0x40);
	kernel_close(&k);
}

static void test_multiboot_open_mb2_whole_file(void **state)
{
	struct kernel k;
	struct tags t = { .n = 0 };
	const uint32_t address[] = { 0x300040, 0xffffffffu, 0, 0 };
	const uint32_t entry[] = { 0x300100 };

	(void)state;
	/* load_addr -1: the file from its start, header_addr minus the header's offset. */
	tag(&t, 2, 0, address, 4);
	tag(&t, 3, 0, entry, 1);
	mb2(img, 0x40, 0, &t);
	expect_one_segment(&k, 0x2100, KERNEL_PROTOCOL_AUTO, 0x300000, 0x2100, 0x2100, 0,
	                   0x300100);
	kernel_close(&k);
}

static void test_multiboot_open_mb2_address_without_entry(void **state)
{
	struct tags t = { .n = 0 };
	const uint32_t address[] = { 0x100040, 0x100000, 0, 0 };

	(void)state;
	tag(&t, 2, 0, address, 4);
	mb2(img, 0x40, 0, &t);
	expect_refused(0x2000, KERNEL_PROTOCOL_AUTO, "an address tag without an entry address tag");
}

static void test_multiboot_open_mb2_bad_architecture(void **state)
{
	struct tags t = { .n = 0 };

	(void)state;
	/* A consistent checksum over architecture 4 (MIPS): found, then refused. */
	tags_load(&t, 0x40);
	mb2(img, 0x40, 4, &t);
	expect_refused(0x2000, KERNEL_PROTOCOL_AUTO, "architecture 4 is not i386 (0)");
}

static void test_multiboot_open_mb2_bad_checksum(void **state)
{
	struct tags t = { .n = 0 };

	(void)state;
	tags_load(&t, 0x40);
	mb2(img, 0x40, 0, &t);
	img[0x40 + 12] ^= 1;
	expect_refused(0x2000, KERNEL_PROTOCOL_AUTO, "not an ELF file"); /* no header: native */
	expect_refused(0x2000, MKB_PROTOCOL_MULTIBOOT2, "no Multiboot 2 header");
}

static void test_multiboot_open_mb2_unknown_required_tag(void **state)
{
	struct tags t = { .n = 0 };
	const uint32_t w[] = { 0x1234 };

	(void)state;
	tag(&t, 42, 0, w, 1);
	tags_load(&t, 0x40);
	mb2(img, 0x40, 0, &t);
	expect_refused(0x2000, KERNEL_PROTOCOL_AUTO,
	               "tag type 42 (unknown) is required by the kernel and not supported");
}

static void test_multiboot_open_mb2_unknown_optional_tag(void **state)
{
	struct kernel k;
	struct tags t = { .n = 0 };
	const uint32_t w[] = { 0x1234 };

	(void)state;
	tag(&t, 42, 1, w, 1);
	tags_load(&t, 0x40);
	mb2(img, 0x40, 0, &t);
	expect_one_segment(&k, 0x2000, KERNEL_PROTOCOL_AUTO, 0x100000, 0x2000, 0x10000, 0,
	                   0x100400);
	kernel_close(&k);
}

/* Tag 7 is accepted, and remembered: the plan warns that UEFI boot services end before entry. */
static void test_multiboot_open_mb2_efi_boot_services(void **state)
{
	struct kernel k;
	struct tags t = { .n = 0 };

	(void)state;
	tag(&t, 7, 1, NULL, 0);
	tags_load(&t, 0x40);
	mb2(img, 0x40, 0, &t);
	expect_one_segment(&k, 0x2000, KERNEL_PROTOCOL_AUTO, 0x100000, 0x2000, 0x10000, 0,
	                   0x100400);
	assert_non_null(k.multiboot);
	assert_int_equal(k.multiboot->keeps_boot_services, 1);
	kernel_close(&k);
}

static void test_multiboot_open_mb2_info_request_unsupported(void **state)
{
	struct tags t = { .n = 0 };
	const uint32_t want[] = { 1, 6, 10 }; /* command line, memory map, APM */

	(void)state;
	tag(&t, 1, 0, want, 3);
	tags_load(&t, 0x40);
	mb2(img, 0x40, 0, &t);
	expect_refused(0x2000, KERNEL_PROTOCOL_AUTO,
	               "the information request tag requires type 10 (APM table), which "
	               "mkbootimg's BIOS loader cannot give");
}

static void test_multiboot_open_mb2_info_request_optional(void **state)
{
	struct kernel k;
	struct tags t = { .n = 0 };
	const uint32_t want[] = { 1, 10, 17 };

	(void)state;
	tag(&t, 1, 1, want, 3);
	tags_load(&t, 0x40);
	mb2(img, 0x40, 0, &t);
	expect_one_segment(&k, 0x2000, KERNEL_PROTOCOL_AUTO, 0x100000, 0x2000, 0x10000, 0,
	                   0x100400);
	kernel_close(&k);
}

static void test_multiboot_open_mb2_info_request_supported(void **state)
{
	struct kernel k;
	struct tags t = { .n = 0 };
	const uint32_t want[] = { 1, 3, 6, 8, 9, 14, 15, 21 };

	(void)state;
	tag(&t, 1, 0, want, 8);
	tags_load(&t, 0x40);
	mb2(img, 0x40, 0, &t);
	expect_one_segment(&k, 0x2000, KERNEL_PROTOCOL_AUTO, 0x100000, 0x2000, 0x10000, 0,
	                   0x100400);
	kernel_close(&k);
}

static void test_multiboot_open_mb2_framebuffer(void **state)
{
	struct kernel k;
	struct tags t = { .n = 0 };
	const uint32_t fb[] = { 1280, 1024, 32 };

	(void)state;
	tag(&t, 5, 0, fb, 3);
	tags_load(&t, 0x40);
	mb2(img, 0x40, 0, &t);
	expect_one_segment(&k, 0x2000, KERNEL_PROTOCOL_AUTO, 0x100000, 0x2000, 0x10000, 0,
	                   0x100400);
	assert_int_equal(k.requests.framebuffer_given, 1);
	assert_int_equal(k.requests.framebuffer.width, 1280);
	assert_int_equal(k.requests.framebuffer.height, 1024);
	assert_int_equal(k.requests.framebuffer.bpp, 32);
	assert_true(k.multiboot->info.flags & MKB_MB_VIDEO_INFO);
	kernel_close(&k);
}

static void test_multiboot_open_mb2_tag_too_big(void **state)
{
	struct tags t = { .n = 0 };
	const uint32_t w[] = { 0 };

	(void)state;
	tag(&t, 6, 0, w, 1);
	put32(t.b + 4, 0x1000); /* module alignment tag claiming 4 KiB */
	mb2(img, 0x40, 0, &t);
	expect_refused(0x2000, KERNEL_PROTOCOL_AUTO,
	               "module alignment tag (type 6) at offset 16 has size 4096, beyond the header");
}

static void test_multiboot_open_mb2_no_end_tag(void **state)
{
	struct tags t = { .n = 0 };

	(void)state;
	tags_load(&t, 0x40);
	mb2(img, 0x40, 0, &t);
	/* Turn the end tag into an optional unknown one: the header runs out. */
	put16(img + 0x40 + 16 + t.n, 99);
	put16(img + 0x40 + 16 + t.n + 2, 1);
	expect_refused(0x2000, KERNEL_PROTOCOL_AUTO, "no end tag within header_length");
}

static void test_multiboot_open_mb2_length_outside(void **state)
{
	(void)state;
	mb2(img, 0x40, 0, NULL);
	/* header_length 16 with a checksum to match: below the 24 an end tag needs. */
	put32(img + 0x40 + 8, 16);
	put32(img + 0x40 + 12, 0u - (MB2_MAGIC + 16));
	expect_refused(0x2000, KERNEL_PROTOCOL_AUTO, "header_length 16 is outside 24..");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup(name, blank)
	const struct CMUnitTest tests[] = {
		T(test_multiboot_scan_none),
		T(test_multiboot_scan_mb1_found),
		T(test_multiboot_scan_mb1_last_slot),
		T(test_multiboot_scan_mb1_straddles_8k),
		T(test_multiboot_scan_mb1_past_8k),
		T(test_multiboot_scan_mb1_misaligned),
		T(test_multiboot_scan_mb1_bad_checksum),
		T(test_multiboot_scan_mb1_truncated),
		T(test_multiboot_scan_mb1_first_wins),
		T(test_multiboot_scan_mb2_found),
		T(test_multiboot_scan_mb2_last_slot),
		T(test_multiboot_scan_mb2_straddles_32k),
		T(test_multiboot_scan_mb2_past_32k),
		T(test_multiboot_scan_mb2_misaligned),
		T(test_multiboot_scan_mb2_bad_checksum),
		T(test_multiboot_scan_mb2_arch_breaks_checksum),
		T(test_multiboot_scan_both),
		T(test_multiboot_parse_protocol),
		T(test_multiboot_protocol_name),
		T(test_multiboot_open_both_chooses_mb2),
		T(test_multiboot_open_protocol_forces_mb1),
		T(test_multiboot_open_protocol_native),
		T(test_multiboot_open_protocol_mb2_missing),
		T(test_multiboot_open_protocol_mb1_missing),
		T(test_multiboot_open_mb1_past_8k_is_native),
		T(test_multiboot_open_mb1_aout),
		T(test_multiboot_open_mb1_aout_to_file_end),
		T(test_multiboot_open_mb1_aout_before_file),
		T(test_multiboot_open_mb1_aout_past_end),
		T(test_multiboot_open_mb1_aout_bss_below),
		T(test_multiboot_open_mb1_address_truncated),
		T(test_multiboot_open_mb1_not_elf_no_address),
		T(test_multiboot_open_mb1_unknown_required_flag),
		T(test_multiboot_open_mb1_highest_required_flag),
		T(test_multiboot_open_mb1_unknown_optional_flag),
		T(test_multiboot_open_mb1_video_mode),
		T(test_multiboot_open_mb1_ega_text),
		T(test_multiboot_open_mb1_elf),
		T(test_multiboot_open_mb1_elf_dynamic),
		T(test_multiboot_open_mb1_elf_entry),
		T(test_multiboot_open_mb1_elf_many_program_headers),
		T(test_multiboot_open_mb2_aout),
		T(test_multiboot_open_mb2_whole_file),
		T(test_multiboot_open_mb2_address_without_entry),
		T(test_multiboot_open_mb2_bad_architecture),
		T(test_multiboot_open_mb2_bad_checksum),
		T(test_multiboot_open_mb2_unknown_required_tag),
		T(test_multiboot_open_mb2_unknown_optional_tag),
		T(test_multiboot_open_mb2_efi_boot_services),
		T(test_multiboot_open_mb2_info_request_unsupported),
		T(test_multiboot_open_mb2_info_request_optional),
		T(test_multiboot_open_mb2_info_request_supported),
		T(test_multiboot_open_mb2_framebuffer),
		T(test_multiboot_open_mb2_tag_too_big),
		T(test_multiboot_open_mb2_no_end_tag),
		T(test_multiboot_open_mb2_length_outside),
	};
#undef T
	return cmocka_run_group_tests(tests, eb_scratch_create, eb_scratch_remove);
}
