/* plan.c: physical placement, windows, disk layout, on kernel models built in memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kernel.h"
#include "multiboot.h"
#include "plan.h"
#include "util.h"

#include <mkbootimg/image.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HH UINT64_C(0xffffffff80000000)
#define MIB UINT64_C(0x100000)
#define GIB UINT64_C(0x40000000)

static struct kernel_segment segs[8];
static struct kernel k;
static struct plan_options opts;

static int reset(void **state)
{
	(void)state;
	memset(segs, 0, sizeof segs);
	k = (struct kernel){ .path = "k.elf", .fd = -1, .segments = segs };
	opts = (struct plan_options){ .stage2_sectors = 8 };
	return 0;
}

static void seg(uint64_t vaddr, uint64_t paddr, uint64_t filesz, uint64_t memsz, uint32_t flags)
{
	size_t i = k.segment_count++;
	segs[i] = (struct kernel_segment){
		.index = (unsigned)i, .vaddr = vaddr, .paddr = paddr, .filesz = filesz,
		.memsz = memsz, .offset = 0x1000 * (i + 1), .flags = flags,
	};
	if (i == 0)
		k.entry = vaddr;
}

static void plan_ok(struct plan *p)
{
	if (plan_make(p, &k, &opts) != 0)
		fail_msg("plan_make failed: %s", mkb_error());
}

static void plan_refused(const char *want)
{
	struct plan p;

	assert_int_equal(plan_make(&p, &k, &opts), -1);
	assert_null(p.segments);
	if (strstr(mkb_error(), want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", mkb_error(), want);
}

static void test_plan_fixed_at_paddr(void **state)
{
	struct plan p;

	(void)state;
	seg(HH + 0x100000, 0x100000, 0x1234, 0x1234, 5);
	seg(HH + 0x102000, 0x102000, 0x100, 0x3000, 6);
	plan_ok(&p);
	assert_int_equal(p.segment_count, 2);
	assert_int_equal(p.segments[0].paddr, 0x100000);
	assert_true(p.segments[0].fixed);
	assert_int_equal(p.segments[1].paddr, 0x102000);
	assert_true(p.segments[1].fixed);
	assert_int_equal(p.segments[0].flags, MKB_SEG_R | MKB_SEG_X);
	assert_int_equal(p.segments[1].flags, MKB_SEG_R | MKB_SEG_W);
	assert_int_equal(p.segments[1].file_offset, 0x2000);
	assert_int_equal(p.entry, HH + 0x100000);
	plan_free(&p);
}

static void test_plan_flat_identity(void **state)
{
	struct plan p;

	(void)state;
	seg(0x200000, 0x200000, 0x3000, 0x3000, 5);
	plan_ok(&p);
	assert_int_equal(p.segments[0].paddr, 0x200000);
	plan_free(&p);
}

/* p_paddr == p_vaddr in the higher half (no AT()): the planner places them from 1 MiB. */
static void test_plan_placed_from_1mib(void **state)
{
	struct plan p;

	(void)state;
	seg(HH + 0x200000, HH + 0x200000, 0x1800, 0x1800, 5);
	seg(HH + 0x100000, HH + 0x100000, 0x10, 0x2000, 6); /* lower vaddr: placed first */
	plan_ok(&p);
	assert_false(p.segments[0].fixed);
	assert_int_equal(p.segments[1].paddr, 0x100000);
	assert_int_equal(p.segments[0].paddr, 0x102000);
	plan_free(&p);
}

static void test_plan_low_paddr_is_placed(void **state)
{
	struct plan p;

	(void)state;
	seg(0x400000, 0x1000, 0x100, 0x100, 5); /* below 1 MiB: the loader's */
	plan_ok(&p);
	assert_false(p.segments[0].fixed);
	assert_int_equal(p.segments[0].paddr, 0x100000);
	plan_free(&p);
}

static void test_plan_high_paddr_is_placed(void **state)
{
	struct plan p;

	(void)state;
	seg(HH, 4 * GIB - 0x1000, 0x100, 0x2000, 5); /* ends above 4 GiB */
	seg(HH + 0x10000, 4 * GIB - 0x1000, 0x100, 0x1000, 6); /* ends at 4 GiB exactly */
	plan_ok(&p);
	assert_false(p.segments[0].fixed);
	assert_int_equal(p.segments[0].paddr, 0x100000);
	assert_true(p.segments[1].fixed);
	assert_int_equal(p.segments[1].paddr, 4 * GIB - 0x1000);
	plan_free(&p);
}

/* Planned groups go around fixed segments, page-rounded, keeping the page offset. */
static void test_plan_placed_around_fixed(void **state)
{
	struct plan p;

	(void)state;
	seg(HH + 0x100000, 0x100000, 0x1800, 0x1800, 5); /* takes 0x100000-0x102000 */
	seg(HH + 0x400000, 0x104000, 0x100, 0x100, 4);   /* takes 0x104000-0x105000 */
	seg(HH + 0x300abc, 0, 0x100, 0x2000, 6);         /* 3 pages: too big for the gap */
	seg(HH + 0x500000, 0, 0x100, 0x2000, 6);         /* 2 pages: fills the gap */
	plan_ok(&p);
	assert_int_equal(p.segments[2].paddr, 0x105abc);
	assert_int_equal(p.segments[3].paddr, 0x102000);
	plan_free(&p);
}

static void test_plan_first_fit_gap(void **state)
{
	struct plan p;

	(void)state;
	seg(HH + 0x100000, 0x100000, 0x1000, 0x1000, 5);
	seg(HH + 0x400000, 0x104000, 0x100, 0x100, 4);
	seg(HH + 0x500000, 0, 0x100, 0x2000, 6); /* fits the 0x101000-0x104000 gap */
	plan_ok(&p);
	assert_int_equal(p.segments[2].paddr, 0x101000);
	plan_free(&p);
}

/* Segments sharing a virtual page move together, keeping their layout. */
static void test_plan_group_shares_page(void **state)
{
	struct plan p;

	(void)state;
	seg(HH + 0x1000, HH + 0x1000, 0x800, 0x800, 5);
	seg(HH + 0x1800, HH + 0x1800, 0x100, 0x1900, 6); /* shares page 0x1000, ends in 0x3000 */
	seg(HH + 0x3400, HH + 0x3400, 0x10, 0x10, 4);    /* shares page 0x3000 with the second */
	seg(HH + 0x5000, HH + 0x5000, 0x10, 0x10, 4);    /* a group of its own */
	plan_ok(&p);
	assert_int_equal(p.segments[0].paddr, 0x100000);
	assert_int_equal(p.segments[1].paddr, 0x100800);
	assert_int_equal(p.segments[2].paddr, 0x102400);
	assert_int_equal(p.segments[3].paddr, 0x103000); /* next free page, not 0x104000 */
	plan_free(&p);
}

static void test_plan_physical_overlap(void **state)
{
	(void)state;
	seg(HH + 0x100000, 0x100000, 0x2000, 0x2000, 5);
	seg(HH + 0x200000, 0x101000, 0x10, 0x10, 6);
	plan_refused("k.elf: segments 0 and 1 overlap in physical memory "
	             "(0x100000-0x102000 and 0x101000-0x101010)");
}

static void test_plan_shared_page_split(void **state)
{
	(void)state;
	seg(0x200000, 0x200000, 0x800, 0x800, 5);
	seg(0x200800, 0x300800, 0x100, 0x100, 6);
	plan_refused("k.elf: segments 0 and 1 share the virtual page 0x200000 but not a physical page "
	             "(p_paddr 0x200000 and 0x300800)");
}

/* One segment of a page fixed, the other planned: caught, not silently split. */
static void test_plan_shared_page_fixed_and_placed(void **state)
{
	(void)state;
	seg(0x200000, 0x200000, 0x800, 0x800, 5);
	seg(0x200800, 0, 0x100, 0x100, 6);
	plan_refused("segments 0 and 1 share the virtual page 0x200000 but not a physical page");
}

static void test_plan_incongruent(void **state)
{
	(void)state;
	seg(HH + 0x100000, 0x100010, 0x100, 0x100, 5);
	plan_refused("k.elf: segment 0: p_paddr 0x100010 and p_vaddr 0xffffffff80100000 differ modulo 4096");
}

static void test_plan_too_big(void **state)
{
	(void)state;
	seg(4 * GIB, 0, 0x1000, 4 * GIB, 7);
	plan_refused("k.elf: kernel needs 4096 MiB of physical memory below 4 GiB: segment 0");
}

static void test_plan_no_room_left(void **state)
{
	(void)state;
	seg(MIB, MIB, 0x1000, 4 * GIB - 2 * MIB, 5); /* leaves 1 MiB free at the top */
	seg(4 * GIB, 0, 0x1000, MIB + 1, 6);         /* needs a bit more */
	plan_refused("kernel needs 4096 MiB of physical memory below 4 GiB: segment 1 (0x100001 bytes) "
	             "finds no room between 1 MiB and 4 GiB");
}

static void test_plan_fits_exactly(void **state)
{
	struct plan p;

	(void)state;
	seg(MIB, MIB, 0x1000, 4 * GIB - 2 * MIB, 5);
	seg(4 * GIB, 0, 0x1000, MIB, 6);
	plan_ok(&p);
	assert_int_equal(p.segments[1].paddr, 4 * GIB - MIB);
	plan_free(&p);
}

static void test_plan_noncanonical(void **state)
{
	(void)state;
	seg(UINT64_C(0x0000800000000000), 0, 0x10, 0x10, 5);
	plan_refused("k.elf: segment 0: virtual range 0x800000000000-0x800000000010 is not canonical");
}

static void test_plan_crosses_hole(void **state)
{
	(void)state;
	seg(UINT64_C(0x00007ffffffff000), 0, 0x10, 0x2000, 5);
	plan_refused("segment 0: virtual range 0x7ffffffff000-0x800000001000 is not canonical");
}

static void test_plan_below_1mib(void **state)
{
	(void)state;
	seg(0x7c00, 0x7c00, 0x200, 0x200, 5);
	plan_refused("k.elf: segment 0: virtual address 0x7c00 is below 1 MiB");
}

static void test_plan_direct_map_window(void **state)
{
	(void)state;
	seg(HH, 0x100000, 0x10, 0x10, 5);
	seg(UINT64_C(0xffffbffffffff000), 0, 0x10, 0x10, 6);
	plan_refused("k.elf: segment 1: virtual range 0xffffbffffffff000-0xffffbffffffff010 overlaps "
	             "the direct map of physical memory at 0xffff800000000000-0xffffc00000000000");
}

static void test_plan_stack_window(void **state)
{
	(void)state;
	seg(UINT64_C(0xfffffefffffff000), 0x100000, 0x10, 0x10, 5);
	plan_refused("k.elf: segment 0: virtual range 0xfffffefffffff000-0xfffffefffffff010 overlaps "
	             "the stack and its guard page at 0xfffffefffffef000-0xffffff0000000000");
}

static void test_plan_stack_guard_page(void **state)
{
	struct plan p;

	(void)state;
	/* The page below the guard page is fine; the guard page is not. */
	seg(UINT64_C(0xfffffefffffee000), 0x100000, 0x10, 0x1000, 5);
	plan_ok(&p);
	plan_free(&p);
	segs[0].memsz = 0x1001;
	plan_refused("overlaps the stack and its guard page");
}

static void test_plan_stack_size(void **state)
{
	struct plan p;

	(void)state;
	seg(HH, 0x100000, 0x10, 0x10, 5);
	plan_ok(&p);
	assert_int_equal(p.stack_size, 64 * 1024);
	assert_int_equal(p.stack_top, UINT64_C(0xffffff0000000000));
	assert_int_equal(p.direct_map_offset, UINT64_C(0xffff800000000000));
	plan_free(&p);
	opts.stack_size = 100000; /* rounded up to 4 KiB */
	plan_ok(&p);
	assert_int_equal(p.stack_size, 0x19000);
	plan_free(&p);
	opts.stack_size = 60 * 1024;
	plan_refused("stack size 61440 bytes is below the minimum of 64 KiB");
	opts.stack_size = 2 * GIB;
	plan_refused("exceeds the maximum of 1 GiB");
}

/* A bigger stack widens the window segments must stay out of. */
static void test_plan_stack_window_grows(void **state)
{
	struct plan p;

	(void)state;
	seg(UINT64_C(0xfffffefff0000000), 0x100000, 0x10, 0x1000, 5);
	plan_ok(&p);
	plan_free(&p);
	opts.stack_size = 256 * MIB;
	plan_refused("overlaps the stack and its guard page at 0xfffffeffeffff000-0xffffff0000000000");
}

static void test_plan_image_whole_cylinders(void **state)
{
	struct plan p;

	(void)state;
	opts.layout = IMAGE_LAYOUT_BIOS;
	seg(0x200000, 0x200000, 1000 * 512, 1000 * 512, 5);
	plan_ok(&p);
	assert_int_equal(p.payload_lba + p.payload_sectors, MKB_STAGE2_LBA + 8 + 1 + 1000);
	assert_int_equal(p.image_sectors, 2 * MKB_CYLINDER_SECTORS);
	plan_free(&p);
}

static void test_plan_too_many_segments(void **state)
{
	static struct kernel_segment many[MKB_MAX_SEGMENTS + 1];
	struct plan p;

	(void)state;
	k.segments = many;
	k.segment_count = MKB_MAX_SEGMENTS + 1;
	assert_int_equal(plan_make(&p, &k, &opts), -1);
	assert_non_null(strstr(mkb_error(), "129 loadable segments, more than the loader's limit of 128"));
}

static void test_plan_too_many_modules(void **state)
{
	static struct plan_module_arg many[MKB_MAX_MODULES + 1];
	struct plan p;

	(void)state;
	seg(0x200000, 0x200000, 0x1000, 0x1000, 5);
	for (size_t i = 0; i < MKB_MAX_MODULES + 1; i++)
		many[i] = (struct plan_module_arg){ .path = (char *)"m", .string = "", .fd = -1 };
	opts.modules = many;
	opts.module_count = MKB_MAX_MODULES + 1;
	assert_int_equal(plan_make(&p, &k, &opts), -1);
	assert_non_null(strstr(mkb_error(), "65 modules, more than the loader's limit of 64"));
}

static void test_plan_disk_layout(void **state)
{
	struct plan p;

	(void)state;
	opts.layout = IMAGE_LAYOUT_BIOS;
	seg(0x200000, 0x200000, 1, 0x1000, 5);
	seg(0x201000, 0x201000, 513, 0x1000, 4);
	seg(0x202000, 0x202000, 0, 0x1000, 6); /* bss only: no payload bytes */
	seg(0x203000, 0x203000, 4096, 0x1000, 6);
	plan_ok(&p);
	assert_int_equal(p.stage2_sectors, 8);
	assert_int_equal(p.manifest_lba, MKB_STAGE2_LBA + 8);
	/* 120 + 4 * 48 + NUL = 313 bytes: one sector. */
	assert_int_equal(p.manifest_sectors, 1);
	assert_int_equal(p.payload_lba, MKB_STAGE2_LBA + 9);
	assert_int_equal(p.segments[0].payload_offset, 0);
	assert_int_equal(p.segments[1].payload_offset, 512);
	assert_int_equal(p.segments[2].payload_offset, 1536);
	assert_int_equal(p.segments[3].payload_offset, 1536);
	for (size_t i = 0; i < p.segment_count; i++)
		assert_int_equal(p.segments[i].payload_offset % MKB_SECTOR_SIZE, 0);
	assert_int_equal(p.payload_sectors, 1 + 2 + 0 + 8);
	/* Padded to one whole cylinder. */
	assert_int_equal(p.image_sectors, MKB_CYLINDER_SECTORS);
	assert_string_equal(p.cmdline, "");
	assert_int_equal(p.cmdline_length, 0);
	plan_free(&p);
}

/* GPT layouts: the ESP on the 1 MiB boundary after the payload, the backup GPT after it. */
static void test_plan_layout_hybrid(void **state)
{
	struct plan p;

	(void)state;
	seg(0x200000, 0x200000, 2048 * 512, 2048 * 512, 5);
	plan_ok(&p);
	assert_int_equal(p.layout, IMAGE_LAYOUT_HYBRID);
	assert_int_equal(p.manifest_lba, MKB_STAGE2_LBA + 8);
	assert_int_equal(p.payload_lba + p.payload_sectors, MKB_STAGE2_LBA + 8 + 1 + 2048);
	assert_int_equal(p.esp_lba, 2 * 2048);
	assert_int_equal(p.esp_sectors, 34 * 2048);
	assert_int_equal(p.image_sectors, p.esp_lba + p.esp_sectors + 2048);
	assert_true(p.image_sectors >= p.esp_lba + p.esp_sectors + 33);
	plan_free(&p);
}

static void test_plan_layout_uefi(void **state)
{
	struct plan p;

	(void)state;
	opts.layout = IMAGE_LAYOUT_UEFI;
	seg(0x200000, 0x200000, 512, 512, 5);
	plan_ok(&p);
	/* No stage 2: the manifest starts at LBA 34. */
	assert_int_equal(p.stage2_sectors, 0);
	assert_int_equal(p.manifest_lba, MKB_STAGE2_LBA);
	assert_int_equal(p.payload_lba, MKB_STAGE2_LBA + 1);
	assert_int_equal(p.esp_lba, 2048);
	assert_int_equal(p.image_sectors, 36 * 2048);
	plan_free(&p);
}

static void test_plan_parse_layout(void **state)
{
	enum image_layout l = IMAGE_LAYOUT_HYBRID;

	(void)state;
	assert_int_equal(plan_parse_layout("bios", &l), 0);
	assert_int_equal(l, IMAGE_LAYOUT_BIOS);
	assert_string_equal(plan_layout_name(l), "bios");
	assert_int_equal(plan_parse_layout("uefi", &l), 0);
	assert_int_equal(l, IMAGE_LAYOUT_UEFI);
	assert_int_equal(plan_parse_layout("hybrid", &l), 0);
	assert_int_equal(l, IMAGE_LAYOUT_HYBRID);
	assert_int_equal(plan_parse_layout("efi", &l), -1);
	assert_string_equal(mkb_error(), "--firmware efi: not bios, hybrid or uefi");
}

static void test_plan_cmdline_sectors(void **state)
{
	static char line[1000];
	struct plan p;

	(void)state;
	seg(0x200000, 0x200000, 1, 1, 5);
	memset(line, 'a', sizeof line - 1);
	opts.cmdline = line; /* 120 + 48 + 999 + 1 = 1168 bytes: three sectors */
	plan_ok(&p);
	assert_int_equal(p.cmdline_length, 999);
	assert_int_equal(p.manifest_sectors, 3);
	assert_int_equal(p.payload_lba, p.manifest_lba + 3);
	plan_free(&p);
}

static void test_plan_manifest_too_big(void **state)
{
	char *line = malloc(70000);

	(void)state;
	seg(0x200000, 0x200000, 1, 1, 5);
	memset(line, 'a', 69999);
	line[69999] = '\0';
	opts.cmdline = line;
	plan_refused("k.elf: manifest needs 70656 bytes (1 segments, 0 modules, a command line of "
	             "69999 bytes, module strings of 0 bytes), more than the loader's limit of 65536");
	free(line);
}

/* --- Modules, framebuffer, the kernel's requests --- */

static struct plan_module_arg mods[4];

static void module(const char *path, const char *string, uint64_t size)
{
	mods[opts.module_count++] = (struct plan_module_arg){ (char *)path, string, -1, size };
	opts.modules = mods;
}

static void test_plan_modules(void **state)
{
	struct plan p;

	(void)state;
	seg(0x200000, 0x200000, 513, 0x1000, 5);
	opts.cmdline = "root=ram";
	module("initrd", "initrd.img", 1000);
	module("empty", "", 0);
	module("one", "x=1", 1);
	module("page", "", 4096);
	plan_ok(&p);
	assert_int_equal(p.module_count, 4);
	assert_int_equal(p.module_table_offset, 120 + 48);
	assert_int_equal(p.cmdline_offset, 120 + 48 + 4 * 24);
	/* Strings after the command line and its NUL, each with its own NUL. */
	assert_int_equal(p.modules[0].string_offset, 264 + 9);
	assert_int_equal(p.modules[0].string_length, 10);
	assert_int_equal(p.modules[1].string_offset, 273 + 11);
	assert_int_equal(p.modules[1].string_length, 0);
	assert_int_equal(p.modules[2].string_offset, 284 + 1);
	assert_int_equal(p.modules[3].string_offset, 285 + 4);
	assert_int_equal(p.manifest_sectors, 1); /* 290 bytes */
	/* Payload: the segment's two sectors, then each module from a sector boundary. */
	assert_int_equal(p.modules[0].payload_offset, 1024);
	assert_int_equal(p.modules[1].payload_offset, 2048); /* nothing: no sector */
	assert_int_equal(p.modules[2].payload_offset, 2048);
	assert_int_equal(p.modules[3].payload_offset, 2560);
	assert_int_equal(p.payload_sectors, 2 + 2 + 0 + 1 + 8);
	assert_string_equal(p.modules[0].path, "initrd");
	assert_int_equal(p.modules[0].size, 1000);
	assert_int_equal(p.modules[0].fd, -1);
	plan_free(&p);
	assert_null(p.modules);
}

static void test_plan_module_strings_too_big(void **state)
{
	static char s[40000];

	(void)state;
	seg(0x200000, 0x200000, 1, 1, 5);
	memset(s, 's', sizeof s - 1);
	module("a", s, 1);
	module("b", s, 1);
	plan_refused("k.elf: manifest needs 80384 bytes (1 segments, 2 modules, a command line of 0 "
	             "bytes, module strings of 80000 bytes), more than the loader's limit of 65536");
}

static void test_plan_modules_beyond_4gib(void **state)
{
	(void)state;
	seg(0x200000, 0x200000, 1, 1, 5);
	module("big", "", 3 * GIB);
	module("bigger", "", GIB);
	plan_refused("k.elf: modules take 4096 MiB up to bigger, more than fits between 1 MiB and 4 GiB");
}

static void test_plan_stack_from_note(void **state)
{
	struct plan p;

	(void)state;
	seg(HH, 0x100000, 0x10, 0x10, 5);
	k.requests.stack_size = MIB;
	plan_ok(&p);
	assert_int_equal(p.stack_size, MIB);
	plan_free(&p);
	opts.stack_size = 128 * 1024; /* the flag wins */
	plan_ok(&p);
	assert_int_equal(p.stack_size, 128 * 1024);
	plan_free(&p);
}

static void test_plan_framebuffer(void **state)
{
	struct plan p;

	(void)state;
	seg(HH, 0x100000, 0x10, 0x10, 5);
	plan_ok(&p);
	assert_int_equal(p.framebuffer.width + p.framebuffer.height + p.framebuffer.bpp, 0);
	plan_free(&p);
	k.requests.framebuffer = (struct fb_mode){ 1024, 768, 32 };
	k.requests.framebuffer_given = 1;
	plan_ok(&p);
	assert_int_equal(p.framebuffer.width, 1024);
	assert_int_equal(p.framebuffer.height, 768);
	assert_int_equal(p.framebuffer.bpp, 32);
	plan_free(&p);
	opts.framebuffer = (struct fb_mode){ 800, 600, 16 };
	opts.framebuffer_given = 1;
	plan_ok(&p);
	assert_int_equal(p.framebuffer.width, 800);
	assert_int_equal(p.framebuffer.bpp, 16);
	plan_free(&p);
	opts.framebuffer = (struct fb_mode){ 0, 0, 0 }; /* --framebuffer 0: text mode */
	plan_ok(&p);
	assert_int_equal(p.framebuffer.width + p.framebuffer.height + p.framebuffer.bpp, 0);
	plan_free(&p);
}

static void test_plan_parse_framebuffer(void **state)
{
	struct fb_mode fb;
	static const char *const bad[][2] = {
		{ "1024x768", "--framebuffer: '1024x768' is not WIDTHxHEIGHTxBPP (for example "
		              "1024x768x32) or 0 (text mode)" },
		{ "1024x768x32x1", "is not WIDTHxHEIGHTxBPP" },
		{ "1024X768X32", "is not WIDTHxHEIGHTxBPP" },
		{ "-1x768x32", "is not WIDTHxHEIGHTxBPP" },
		{ "1024x+768x32", "is not WIDTHxHEIGHTxBPP" },
		{ "x768x32", "is not WIDTHxHEIGHTxBPP" },
		{ "", "is not WIDTHxHEIGHTxBPP" },
		{ "99999999999x768x32", "is not WIDTHxHEIGHTxBPP" },
		{ "1024x768x12", "--framebuffer: 12 bits per pixel is not 8, 15, 16, 24 or 32" },
		{ "0x768x32", "--framebuffer: width 0 is outside 1..16384" },
		{ "1024x16385x32", "--framebuffer: height 16385 is outside 1..16384" },
	};

	(void)state;
	assert_int_equal(plan_parse_framebuffer("1024x768x32", &fb), 0);
	assert_int_equal(fb.width, 1024);
	assert_int_equal(fb.height, 768);
	assert_int_equal(fb.bpp, 32);
	assert_int_equal(plan_parse_framebuffer("16384x1x8", &fb), 0);
	assert_int_equal(fb.width, 16384);
	assert_int_equal(fb.bpp, 8);
	for (unsigned b = 8; b <= 32; b++) {
		char arg[32];
		int ok = b == 8 || b == 15 || b == 16 || b == 24 || b == 32;
		snprintf(arg, sizeof arg, "640x480x%u", b);
		assert_int_equal(plan_parse_framebuffer(arg, &fb), ok ? 0 : -1);
	}
	assert_int_equal(plan_parse_framebuffer("0", &fb), 0);
	assert_int_equal(fb.width + fb.height + fb.bpp, 0);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(plan_parse_framebuffer(bad[i][0], &fb), -1);
		if (strstr(mkb_error(), bad[i][1]) == NULL)
			fail_msg("'%s': message \"%s\" lacks \"%s\"", bad[i][0], mkb_error(), bad[i][1]);
	}
}

static void test_plan_options_add_module(void **state)
{
	struct plan_options o = { 0 };

	(void)state;
	assert_int_equal(plan_options_add_module(&o, "initrd.img"), 0);
	assert_int_equal(plan_options_add_module(&o, "fs.tar=root=/dev/ram0 quiet"), 0);
	assert_int_equal(plan_options_add_module(&o, "font.psf="), 0);
	assert_int_equal(plan_options_add_module(&o, "dir/a b.bin==x"), 0);
	assert_int_equal(o.module_count, 4);
	assert_string_equal(o.modules[0].path, "initrd.img");
	assert_string_equal(o.modules[0].string, "");
	/* The string is everything after the first '=', more '=' included. */
	assert_string_equal(o.modules[1].path, "fs.tar");
	assert_string_equal(o.modules[1].string, "root=/dev/ram0 quiet");
	assert_string_equal(o.modules[2].path, "font.psf");
	assert_string_equal(o.modules[2].string, "");
	assert_string_equal(o.modules[3].path, "dir/a b.bin");
	assert_string_equal(o.modules[3].string, "=x");
	for (size_t i = 0; i < o.module_count; i++)
		assert_int_equal(o.modules[i].fd, -1);
	assert_int_equal(plan_options_add_module(&o, "=x"), -1);
	assert_string_equal(mkb_error(), "--module: '=x' names no file (FILE or FILE=STRING)");
	assert_int_equal(plan_options_add_module(&o, ""), -1);
	assert_string_equal(mkb_error(), "--module: '' names no file (FILE or FILE=STRING)");
	assert_int_equal(o.module_count, 4);
	plan_options_free(&o);
	assert_null(o.modules);
	assert_int_equal(o.module_count, 0);
}

/* Segment i (of seg()) renumbered as program header n, as kernel.c numbers them. */
static void renumber(size_t i, unsigned n)
{
	segs[i].index = n;
}

/* A sound kernel: no warnings. */
static void test_plan_warnings_none(void **state)
{
	struct plan p;

	(void)state;
	seg(HH + 0x100000, 0x100000, 0x1234, 0x1234, 5);
	seg(HH + 0x102000, 0x102000, 0x100, 0x3000, 6);
	opts.stack_size = MIB; /* 1 MiB: not above */
	plan_ok(&p);
	assert_int_equal(p.warning_count, 0);
	assert_null(p.warnings);
	plan_free(&p);
}

/* Each warning, naming segments by program header: the list info and a build both print. */
static void test_plan_warnings(void **state)
{
	struct plan p;

	(void)state;
	seg(HH + 0x100000, 0x100000, 0x1234, 0x1234, 5);
	seg(HH + 0x102010, 0x102010, 0x100, 0x3000, 7); /* RWX, not page-aligned */
	renumber(0, 2);
	renumber(1, 4);
	k.entry_not_function = 1;
	opts.stack_size = 2 * MIB;
	plan_ok(&p);
	assert_int_equal(p.warning_count, 4);
	assert_string_equal(p.warnings[0], "segment 4: virtual address 0xffffffff80102010 is not "
	                    "page-aligned: its first page is mapped with the permissions of the page "
	                    "it shares");
	assert_string_equal(p.warnings[1], "segment 4 is writable and executable: give code and "
	                    "data segments of their own (PHDRS in the linker script)");
	assert_string_equal(p.warnings[2], "the entry point 0xffffffff80100000 is not where a "
	                    "function of the symbol table starts: check ENTRY() in the linker script");
	assert_string_equal(p.warnings[3], "a stack of 2048 KiB (above 1 MiB): the loader must find "
	                    "it in one piece of free RAM below 4 GiB, and a machine with little memory "
	                    "may have none that large");
	plan_free(&p);
	assert_null(p.warnings);
	assert_int_equal(p.warning_count, 0);
}

/* An entry in no executable segment, for a kernel model kernel.c would have refused. */
static void test_plan_warning_entry_not_executable(void **state)
{
	struct plan p;

	(void)state;
	seg(HH + 0x100000, 0x100000, 0x1234, 0x1234, 4);
	plan_ok(&p);
	assert_int_equal(p.warning_count, 1);
	assert_string_equal(p.warnings[0], "the entry point 0xffffffff80100000 is in no executable "
	                    "segment");
	plan_free(&p);
}

/* A Multiboot kernel starts without paging: permissions and alignment do not matter. */
static void test_plan_warnings_multiboot(void **state)
{
	struct plan p;

	(void)state;
	k.physical = 1; /* as the Multiboot reader says */
	k.protocol = MKB_PROTOCOL_MULTIBOOT1;
	seg(0x100010, 0x100010, 0x1234, 0x1234, 7);
	plan_ok(&p);
	assert_int_equal(p.warning_count, 0);
	plan_free(&p);
	k.entry = 0x900000; /* an entry address tag pointing past the kernel */
	plan_ok(&p);
	assert_int_equal(p.warning_count, 1);
	assert_string_equal(p.warnings[0], "the entry point 0x900000 is in no loaded segment");
	plan_free(&p);
	k.physical = 0;
}

static void test_plan_segment_name(void **state)
{
	char name[PLAN_SEGMENT_NAME_MAX];

	(void)state;
	assert_string_equal(plan_segment_name(name, 3, MKB_PROTOCOL_NATIVE), "segment 3");
	assert_string_equal(plan_segment_name(name, PLAN_SECTION_INDEX + 5, MKB_PROTOCOL_NATIVE),
	                    "segment 1005"); /* a native kernel has no section copies */
	assert_string_equal(plan_segment_name(name, 0, MKB_PROTOCOL_MULTIBOOT2), "segment 0");
	assert_string_equal(plan_segment_name(name, PLAN_SECTION_INDEX + 5, MKB_PROTOCOL_MULTIBOOT1),
	                    "section 5");
	assert_true(plan_is_section_copy(PLAN_SECTION_INDEX, MKB_PROTOCOL_MULTIBOOT2));
	assert_false(plan_is_section_copy(PLAN_SECTION_INDEX - 1, MKB_PROTOCOL_MULTIBOOT2));
	assert_false(plan_is_section_copy(UINT32_MAX, MKB_PROTOCOL_NATIVE));
}

#define T(f) cmocka_unit_test_setup(f, reset)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_plan_fixed_at_paddr),
		T(test_plan_flat_identity),
		T(test_plan_placed_from_1mib),
		T(test_plan_low_paddr_is_placed),
		T(test_plan_high_paddr_is_placed),
		T(test_plan_placed_around_fixed),
		T(test_plan_first_fit_gap),
		T(test_plan_group_shares_page),
		T(test_plan_physical_overlap),
		T(test_plan_shared_page_split),
		T(test_plan_shared_page_fixed_and_placed),
		T(test_plan_incongruent),
		T(test_plan_too_big),
		T(test_plan_no_room_left),
		T(test_plan_fits_exactly),
		T(test_plan_noncanonical),
		T(test_plan_crosses_hole),
		T(test_plan_below_1mib),
		T(test_plan_direct_map_window),
		T(test_plan_stack_window),
		T(test_plan_stack_guard_page),
		T(test_plan_stack_size),
		T(test_plan_stack_window_grows),
		T(test_plan_disk_layout),
		T(test_plan_layout_hybrid),
		T(test_plan_layout_uefi),
		T(test_plan_parse_layout),
		T(test_plan_image_whole_cylinders),
		T(test_plan_too_many_segments),
		T(test_plan_too_many_modules),
		T(test_plan_cmdline_sectors),
		T(test_plan_manifest_too_big),
		T(test_plan_modules),
		T(test_plan_module_strings_too_big),
		T(test_plan_modules_beyond_4gib),
		T(test_plan_stack_from_note),
		T(test_plan_framebuffer),
		T(test_plan_parse_framebuffer),
		T(test_plan_options_add_module),
		T(test_plan_warnings_none),
		T(test_plan_warnings),
		T(test_plan_warning_entry_not_executable),
		T(test_plan_warnings_multiboot),
		T(test_plan_segment_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
