/* bootloader/memmap.c, compiled for the host: the loader's E820 sanitizer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <mkbootimg/protocol.h>

#include "memmap.h"

#define KiB UINT64_C(0x400)
#define MiB UINT64_C(0x100000)
#define GiB UINT64_C(0x40000000)

enum { USABLE = MKBOOTIMG_MEM_USABLE, RESERVED = MKBOOTIMG_MEM_RESERVED,
       ACPI = MKBOOTIMG_MEM_ACPI_RECLAIMABLE, NVS = MKBOOTIMG_MEM_ACPI_NVS,
       KERNEL = MKBOOTIMG_MEM_KERNEL };

static struct mm_range out[64];

static void expect(size_t i, uint64_t base, uint64_t end, uint32_t type)
{
	assert_int_equal(out[i].base, base);
	assert_int_equal(out[i].end, end);
	assert_int_equal(out[i].type, type);
}

static void test_memmap_sanitize_sorts_and_merges(void **state)
{
	(void)state;
	const struct mm_range in[] = {
		{ 1 * MiB, 16 * MiB, USABLE },
		{ 0, 639 * KiB, USABLE },
		{ 16 * MiB, 256 * MiB, USABLE }, /* touches the first: merged */
		{ 0xf0000, 1 * MiB, RESERVED },
	};
	size_t n = memmap_sanitize(out, 64, in, 4);
	assert_int_equal(n, 3);
	expect(0, 0, 636 * KiB, USABLE); /* 639 KiB shrunk to a whole page */
	expect(1, 0xf0000, 1 * MiB, RESERVED);
	expect(2, 1 * MiB, 256 * MiB, USABLE);
}

static void test_memmap_sanitize_stricter_type_wins(void **state)
{
	(void)state;
	const struct mm_range in[] = {
		{ 0, 64 * MiB, USABLE },
		{ 8 * MiB, 9 * MiB, RESERVED },
		{ 32 * MiB, 33 * MiB, ACPI },
		{ 32 * MiB + 4 * KiB, 32 * MiB + 8 * KiB, NVS },
	};
	size_t n = memmap_sanitize(out, 64, in, 4);
	assert_int_equal(n, 7);
	expect(0, 0, 8 * MiB, USABLE);
	expect(1, 8 * MiB, 9 * MiB, RESERVED);
	expect(2, 9 * MiB, 32 * MiB, USABLE);
	expect(3, 32 * MiB, 32 * MiB + 4 * KiB, ACPI);
	expect(4, 32 * MiB + 4 * KiB, 32 * MiB + 8 * KiB, NVS);
	expect(5, 32 * MiB + 8 * KiB, 33 * MiB, ACPI);
	expect(6, 33 * MiB, 64 * MiB, USABLE);
}

static void test_memmap_sanitize_loader_types_override_only_usable(void **state)
{
	(void)state;
	const struct mm_range in[] = {
		{ 1 * MiB, 8 * MiB, USABLE },
		{ 2 * MiB, 3 * MiB, KERNEL },
		{ 7 * MiB, 9 * MiB, KERNEL }, /* runs into reserved memory */
		{ 8 * MiB, 10 * MiB, RESERVED },
	};
	size_t n = memmap_sanitize(out, 64, in, 4);
	assert_int_equal(n, 5);
	expect(0, 1 * MiB, 2 * MiB, USABLE);
	expect(1, 2 * MiB, 3 * MiB, KERNEL);
	expect(2, 3 * MiB, 7 * MiB, USABLE);
	expect(3, 7 * MiB, 8 * MiB, KERNEL);
	expect(4, 8 * MiB, 10 * MiB, RESERVED);
}

static void test_memmap_sanitize_unknown_types_are_reserved(void **state)
{
	(void)state;
	const struct mm_range in[] = { { 0, 4 * KiB, 12 }, { 4 * KiB, 8 * KiB, RESERVED } };
	size_t n = memmap_sanitize(out, 64, in, 2);
	assert_int_equal(n, 1);
	expect(0, 0, 8 * KiB, RESERVED);
}

static void test_memmap_sanitize_drops_empty_and_subpage(void **state)
{
	(void)state;
	const struct mm_range in[] = {
		{ 5 * MiB, 5 * MiB, USABLE },           /* empty */
		{ 1 * MiB + 1, 1 * MiB + 4000, USABLE }, /* no whole page */
		{ 4 * GiB, 6 * GiB, USABLE },
	};
	size_t n = memmap_sanitize(out, 64, in, 3);
	assert_int_equal(n, 1);
	expect(0, 4 * GiB, 6 * GiB, USABLE);
}

static void test_memmap_sanitize_respects_capacity(void **state)
{
	(void)state;
	const struct mm_range in[] = {
		{ 0, 4 * KiB, USABLE }, { 8 * KiB, 12 * KiB, USABLE }, { 16 * KiB, 20 * KiB, USABLE },
	};
	assert_int_equal(memmap_sanitize(out, 2, in, 3), 2);
}

static void test_memmap_usable_across_merged_regions(void **state)
{
	(void)state;
	const struct mm_range in[] = {
		{ 0, 636 * KiB, USABLE }, { 1 * MiB, 128 * MiB, USABLE }, { 128 * MiB, 129 * MiB, RESERVED },
	};
	size_t n = memmap_sanitize(out, 64, in, 3);
	assert_true(memmap_usable(out, n, 1 * MiB, 64 * MiB));
	assert_true(memmap_usable(out, n, 127 * MiB, 128 * MiB));
	assert_false(memmap_usable(out, n, 127 * MiB, 128 * MiB + 1));
	assert_false(memmap_usable(out, n, 636 * KiB, 1 * MiB));
	assert_false(memmap_usable(out, n, 512 * MiB, 513 * MiB));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memmap_sanitize_sorts_and_merges),
		cmocka_unit_test(test_memmap_sanitize_stricter_type_wins),
		cmocka_unit_test(test_memmap_sanitize_loader_types_override_only_usable),
		cmocka_unit_test(test_memmap_sanitize_unknown_types_are_reserved),
		cmocka_unit_test(test_memmap_sanitize_drops_empty_and_subpage),
		cmocka_unit_test(test_memmap_sanitize_respects_capacity),
		cmocka_unit_test(test_memmap_usable_across_merged_regions),
	};
	return cmocka_run_group_tests_name("memmap", tests, NULL, NULL);
}
