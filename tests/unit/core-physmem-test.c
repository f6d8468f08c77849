/* bootloader/core/physmem.c: the page allocator against crafted memory maps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <mkbootimg/protocol.h>

#include "physmem.h"

#define KiB UINT64_C(0x400)
#define MiB_ UINT64_C(0x100000)
#define GiB_ UINT64_C(0x40000000)
#define USABLE MKBOOTIMG_MEM_USABLE
#define RESERVED MKBOOTIMG_MEM_RESERVED

static struct physmem pm;

static uint64_t alloc(uint64_t pages, uint64_t limit)
{
	uint64_t at = 0xdead;
	assert_int_equal(physmem_alloc(&pm, pages, limit, &at), 0);
	return at;
}

static void refuse(uint64_t pages, uint64_t limit)
{
	uint64_t at = 0xdead;
	assert_int_equal(physmem_alloc(&pm, pages, limit, &at), -1);
	assert_int_equal(at, 0xdead);
}

/* Lowest first, one after another, never twice. */
static void test_physmem_first_fit_in_order(void **state)
{
	static const struct mm_range map[] = { { 0, 636 * KiB, USABLE }, { 1 * MiB_, 64 * MiB_, USABLE } };

	(void)state;
	physmem_init(&pm, map, 2);
	assert_int_equal(physmem_reserve(&pm, 0, 1 * MiB_), 0);
	assert_int_equal(alloc(1, UINT64_MAX), 1 * MiB_);
	assert_int_equal(alloc(2, UINT64_MAX), 1 * MiB_ + 4 * KiB);
	assert_int_equal(alloc(1, UINT64_MAX), 1 * MiB_ + 12 * KiB);
	/* Consecutive allocations merge into the range that the first began. */
	assert_int_equal(pm.used_count, 1);
	assert_int_equal(pm.used[0].end, 1 * MiB_ + 16 * KiB);
}

/* A run does not fit in a hole: the next region that has room takes it. */
static void test_physmem_skips_holes_and_reserved_types(void **state)
{
	static const struct mm_range map[] = {
		{ 1 * MiB_, 1 * MiB_ + 8 * KiB, USABLE },
		{ 1 * MiB_ + 8 * KiB, 2 * MiB_, RESERVED },
		{ 2 * MiB_, 2 * MiB_ + 12 * KiB, MKBOOTIMG_MEM_ACPI_RECLAIMABLE },
		{ 3 * MiB_, 4 * MiB_, USABLE },
	};

	(void)state;
	physmem_init(&pm, map, 4);
	assert_int_equal(alloc(3, UINT64_MAX), 3 * MiB_);
	assert_int_equal(alloc(2, UINT64_MAX), 1 * MiB_); /* the small region still serves */
	assert_int_equal(alloc(1, UINT64_MAX), 3 * MiB_ + 12 * KiB);
}

/* Reserved ranges (the kernel's) are stepped over, even in the middle. */
static void test_physmem_avoids_reserved_ranges(void **state)
{
	static const struct mm_range map[] = { { 1 * MiB_, 16 * MiB_, USABLE } };

	(void)state;
	physmem_init(&pm, map, 1);
	assert_int_equal(physmem_reserve(&pm, 1 * MiB_, 2 * MiB_), 0);
	assert_int_equal(physmem_reserve(&pm, 2 * MiB_ + 8 * KiB, 3 * MiB_), 0);
	assert_int_equal(alloc(2, UINT64_MAX), 2 * MiB_);         /* the gap of two pages */
	assert_int_equal(alloc(1, UINT64_MAX), 3 * MiB_);         /* the gap is full */
	assert_int_equal(alloc(256, UINT64_MAX), 3 * MiB_ + 4 * KiB);
}

/* "Below 4 GiB": a run may end at the limit, not past it. */
static void test_physmem_limit(void **state)
{
	static const struct mm_range map[] = {
		{ 4 * GiB_ - 8 * KiB, 4 * GiB_ + 1 * MiB_, USABLE },
	};

	(void)state;
	physmem_init(&pm, map, 1);
	refuse(3, 4 * GiB_);
	assert_int_equal(alloc(2, 4 * GiB_), 4 * GiB_ - 8 * KiB);
	refuse(1, 4 * GiB_);
	assert_int_equal(alloc(1, UINT64_MAX), 4 * GiB_); /* anywhere: above it */
}

static void test_physmem_exhausted(void **state)
{
	static const struct mm_range map[] = { { 1 * MiB_, 1 * MiB_ + 16 * KiB, USABLE } };

	(void)state;
	physmem_init(&pm, map, 1);
	refuse(5, UINT64_MAX);
	assert_int_equal(alloc(4, UINT64_MAX), 1 * MiB_);
	refuse(1, UINT64_MAX);
	physmem_init(&pm, map, 0); /* no map at all */
	refuse(1, UINT64_MAX);
}

/* A reserved range up to the top of the address space ends the search. */
static void test_physmem_reserved_to_the_top(void **state)
{
	static const struct mm_range map[] = { { 8 * GiB_, UINT64_MAX - 4095, USABLE } };

	(void)state;
	physmem_init(&pm, map, 1);
	assert_int_equal(physmem_reserve(&pm, 8 * GiB_, UINT64_MAX), 0);
	refuse(1, UINT64_MAX);
}

static void test_physmem_table_full(void **state)
{
	static const struct mm_range map[] = { { 1 * MiB_, 4 * GiB_, USABLE } };

	(void)state;
	physmem_init(&pm, map, 1);
	for (uint64_t i = 0; i < PHYSMEM_MAX_RANGES; i++) /* apart: none merges */
		assert_int_equal(physmem_reserve(&pm, 16 * MiB_ + 2 * i * 4 * KiB, 16 * MiB_ + (2 * i + 1) * 4 * KiB), 0);
	assert_int_equal(physmem_reserve(&pm, 1 * GiB_, 1 * GiB_ + 4 * KiB), -1);
	/* A range that follows the last one still merges. */
	uint64_t end = pm.used[PHYSMEM_MAX_RANGES - 1].end;
	assert_int_equal(physmem_reserve(&pm, end, end + 4 * KiB), 0);
	/* An allocation that needs a new entry is refused rather than forgotten. */
	refuse(1, UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_physmem_first_fit_in_order),
		cmocka_unit_test(test_physmem_skips_holes_and_reserved_types),
		cmocka_unit_test(test_physmem_avoids_reserved_ranges),
		cmocka_unit_test(test_physmem_limit),
		cmocka_unit_test(test_physmem_exhausted),
		cmocka_unit_test(test_physmem_reserved_to_the_top),
		cmocka_unit_test(test_physmem_table_full),
	};
	return cmocka_run_group_tests_name("core-physmem", tests, NULL, NULL);
}
