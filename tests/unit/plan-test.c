/* plan.c: physical placement, windows, disk layout, on kernel models built in memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kernel.h"
#include "plan.h"
#include "util.h"

#include <mkbootimg/image.h>

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

static void test_plan_disk_layout(void **state)
{
	struct plan p;

	(void)state;
	seg(0x200000, 0x200000, 1, 0x1000, 5);
	seg(0x201000, 0x201000, 513, 0x1000, 4);
	seg(0x202000, 0x202000, 0, 0x1000, 6); /* bss only: no payload bytes */
	seg(0x203000, 0x203000, 4096, 0x1000, 6);
	plan_ok(&p);
	assert_int_equal(p.stage2_sectors, 8);
	assert_int_equal(p.manifest_lba, MKB_STAGE2_LBA + 8);
	/* 96 + 4 * 48 + NUL = 289 bytes: one sector. */
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

static void test_plan_cmdline_sectors(void **state)
{
	static char line[1000];
	struct plan p;

	(void)state;
	seg(0x200000, 0x200000, 1, 1, 5);
	memset(line, 'a', sizeof line - 1);
	opts.cmdline = line; /* 96 + 48 + 999 + 1 = 1144 bytes: three sectors */
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
	plan_refused("k.elf: manifest needs 70144 bytes (1 segments, a command line of 69999 bytes), "
	             "more than the loader's limit of 65536");
	free(line);
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
		T(test_plan_image_whole_cylinders),
		T(test_plan_too_many_segments),
		T(test_plan_cmdline_sectors),
		T(test_plan_manifest_too_big),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
