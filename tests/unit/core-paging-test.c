/*
 * bootloader/core/paging.c: the kernel's page tables, built in host memory
 * (the fake platform) and walked back like the CPU walks them: every
 * mapping the boot protocol promises, with its rights.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <mkbootimg/image.h>

#include "core-platform.h"
#include "paging.h"

#define KiB UINT64_C(0x400)
#define TABLES_BASE (16 * MiB) /* the fake memory the tables are built in */
#define TABLES_SIZE (8 * MiB)
#define HH UINT64_C(0xffffffff80000000)
#define DIRECT UINT64_C(0xffff800000000000)
#define STACK_TOP UINT64_C(0xffffff0000000000)
#define STACK_SIZE (64 * KiB)
#define STACK_PHYSICAL (6 * MiB)
#define MEMORY_TOP (8 * GiB)

/* A higher-half kernel: text, data sharing text's last page, read-only data,
 * and a segment whose virtual range lies in the identity-mapped 4 GiB. */
static struct {
	struct mkb_manifest m;
	struct mkb_segment seg[4];
} image = {
	.m = { .segment_count = 4, .segment_offset = sizeof(struct mkb_manifest),
	       .stack_top = STACK_TOP, .stack_size = STACK_SIZE, .direct_map_offset = DIRECT },
	.seg = {
		{ HH + 0x100000, 0x100000, 0x3000, 0x3000, 0, MKB_SEG_R | MKB_SEG_X, 0 },
		{ HH + 0x102800, 0x102800, 0x800, 0x2000, 0, MKB_SEG_R | MKB_SEG_W, 1 },
		{ HH + 0x200000, 0x200000, 0x1000, 0x1000, 0, MKB_SEG_R, 2 },
		{ 0x400000, 0x500000, 0x1000, 0x1000, 0, MKB_SEG_R | MKB_SEG_W, 3 },
	},
};

static uint64_t next_table;
static unsigned tables, allowed_tables;

/* Page-table pages, zeroed, one after another in the fake memory. */
static int alloc_table(void *ctx, uint64_t *address)
{
	(void)ctx;
	if (tables == allowed_tables || next_table + PAGE_SIZE > TABLES_BASE + TABLES_SIZE)
		return -1;
	*address = next_table;
	next_table += PAGE_SIZE;
	tables++;
	return 0;
}

static struct paging pg;

static int reset(void **state)
{
	(void)state;
	fake_reset(TABLES_BASE, TABLES_SIZE);
	next_table = TABLES_BASE;
	tables = 0;
	allowed_tables = ~0u;
	pg = (struct paging){ .alloc_table = alloc_table };
	return 0;
}

static int release(void **state)
{
	(void)state;
	fake_release();
	return 0;
}

/* What the CPU makes of va: present, where, writable, executable. */
struct walk {
	int present, writable, no_execute, level;
	uint64_t pa;
};

static struct walk walk(uint64_t va)
{
	struct walk w = { 1, 1, 0, 0, 0 };
	uint64_t entry = pg.root;

	for (int level = 4; level >= 1; level--) {
		const uint64_t *t = fake_at(entry & PTE_ADDRESS);
		unsigned shift = 12 + 9 * (unsigned)(level - 1);
		entry = t[(va >> shift) & 511];
		if (!(entry & PTE_P))
			return (struct walk){ 0, 0, 0, level, 0 };
		w.writable &= !!(entry & PTE_W);
		w.no_execute |= !!(entry & PTE_NX);
		if (level == 1 || (entry & PTE_PS)) {
			uint64_t span = UINT64_C(1) << shift;
			w.level = level;
			w.pa = (entry & PTE_ADDRESS & ~(span - 1)) + (va & (span - 1));
			return w;
		}
	}
	fail_msg("a walk that did not end");
	return w;
}

static void expect(uint64_t va, uint64_t pa, int writable, int no_execute)
{
	struct walk w = walk(va);

	if (!w.present || w.pa != pa || w.writable != writable || w.no_execute != no_execute)
		fail_msg("0x%llx: present %d, pa 0x%llx, W %d, NX %d; wanted 0x%llx, W %d, NX %d",
		         (unsigned long long)va, w.present, (unsigned long long)w.pa, w.writable,
		         w.no_execute, (unsigned long long)pa, writable, no_execute);
}

static void build(int nx)
{
	assert_int_equal(paging_build(&pg, &image.m, image.seg, STACK_PHYSICAL, nx, MEMORY_TOP), 0);
}

/* The first 4 GiB as they are, writable and executable; only the page a
 * segment's virtual range takes over differs. */
static void check_identity(void)
{
	for (uint64_t va = 0; va < 4 * GiB; va += 2 * MiB) {
		for (uint64_t off = 0; off < 2 * MiB; off += 2 * MiB - 4 * KiB) {
			if (va + off == 0x400000)
				continue;
			expect(va + off + 0x123, va + off + 0x123, 1, 0);
		}
	}
	/* The 2 MiB page the flat segment sits in was split, the rest kept. */
	expect(0x401000, 0x401000, 1, 0);
	expect(0x5ff000, 0x5ff000, 1, 0);
	expect(0x3ff000, 0x3ff000, 1, 0);
}

/* All memory at the direct-map offset, writable, never executable (with NX). */
static void check_direct_map(int nx)
{
	for (uint64_t pa = 0; pa < MEMORY_TOP; pa += 2 * MiB)
		expect(DIRECT + pa + 0xabc, pa + 0xabc, 1, nx);
	expect(DIRECT + MEMORY_TOP - 1, MEMORY_TOP - 1, 1, nx);
	assert_false(walk(DIRECT + MEMORY_TOP).present);
}

/* Every page of every segment at its vaddr, with its rights; the page text
 * and data share is both writable and executable. */
static void check_segments(int nx)
{
	expect(HH + 0x100000, 0x100000, 0, 0);
	expect(HH + 0x101fff, 0x101fff, 0, 0);
	expect(HH + 0x102000, 0x102000, 1, 0); /* shared: W from data, X from text */
	expect(HH + 0x102fff, 0x102fff, 1, 0);
	expect(HH + 0x103000, 0x103000, 1, nx); /* data only */
	expect(HH + 0x104fff, 0x104fff, 1, nx);
	assert_false(walk(HH + 0x105000).present);
	expect(HH + 0x200000, 0x200000, 0, nx); /* read-only data */
	assert_false(walk(HH + 0x201000).present);
	assert_false(walk(HH + 0xff000).present);
	expect(0x400000, 0x500000, 1, nx); /* the flat segment, over the identity map */
	expect(0x400fff, 0x500fff, 1, nx);
}

/* The stack below its top, and the page below it left unmapped. */
static void check_stack(int nx)
{
	expect(STACK_TOP - 8, STACK_PHYSICAL + STACK_SIZE - 8, 1, nx);
	expect(STACK_TOP - STACK_SIZE, STACK_PHYSICAL, 1, nx);
	assert_false(walk(STACK_TOP - STACK_SIZE - 1).present);
	assert_false(walk(STACK_TOP - STACK_SIZE - PAGE_SIZE).present);
	assert_false(walk(STACK_TOP).present);
}

static void test_paging_every_promise_with_nx(void **state)
{
	(void)state;
	build(1);
	check_identity();
	check_direct_map(1);
	check_segments(1);
	check_stack(1);
}

/* A CPU without NX: no entry may set the bit (it would fault as reserved). */
static void test_paging_without_nx(void **state)
{
	(void)state;
	build(0);
	check_identity();
	check_direct_map(0);
	check_segments(0);
	check_stack(0);
	for (uint64_t a = TABLES_BASE; a < next_table; a += 8)
		assert_false(*(const uint64_t *)fake_at(a) & PTE_NX);
}

/* With 1 GiB pages the maps use them where they can, and still every
 * promise holds (the first GiB is split down to the flat segment's page). */
static void test_paging_gib_pages(void **state)
{
	(void)state;
	pg.gib_pages = 1;
	build(1);
	assert_int_equal(walk(1 * GiB + 5).level, 3);
	assert_int_equal(walk(DIRECT + 7 * GiB).level, 3);
	assert_int_equal(walk(0x600000).level, 2);
	assert_int_equal(walk(0x400000).level, 1);
	check_identity();
	check_direct_map(1);
	check_segments(1);
	check_stack(1);
}

/* Large pages keep the tables few: what 2 MiB pages need, and no more. */
static void test_paging_table_count(void **state)
{
	(void)state;
	build(1);
	/* PML4; identity: PDPT + 4 PD + the split PT; direct: PDPT + 8 PD;
	 * kernel: PDPT + PD + a PT for each of its two 2 MiB; stack: PDPT + PD + PT. */
	assert_int_equal(tables, 1 + 6 + 9 + 4 + 3);
}

/* An allocation that fails fails the build, at any point, cleanly. */
static void test_paging_allocation_fails(void **state)
{
	(void)state;
	build(1);
	unsigned needed = tables;
	for (unsigned allowed = 0; allowed < needed; allowed++) {
		reset(state);
		allowed_tables = allowed;
		assert_int_equal(paging_build(&pg, &image.m, image.seg, STACK_PHYSICAL, 1, MEMORY_TOP), -1);
	}
}

#define T(f) cmocka_unit_test_setup_teardown(f, reset, release)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_paging_every_promise_with_nx),
		T(test_paging_without_nx),
		T(test_paging_gib_pages),
		T(test_paging_table_count),
		T(test_paging_allocation_fails),
	};
	return cmocka_run_group_tests_name("core-paging", tests, NULL, NULL);
}
