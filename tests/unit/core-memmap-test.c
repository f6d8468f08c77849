/* bootloader/core/memmap.c: the E820 sanitizer, the claims list, the kernel's regions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <mkbootimg/image.h>
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

/* E820 with many entries: 200 alternating usable and reserved pages, unsorted. */
static void test_memmap_sanitize_many_entries(void **state)
{
	(void)state;
	static struct mm_range in[200];
	static struct mm_range big[256];
	for (size_t i = 0; i < 200; i++) {
		size_t j = (i * 7) % 200; /* 7 and 200 are coprime: every page once, out of order */
		in[i] = (struct mm_range){ j * 4 * KiB, (j + 1) * 4 * KiB, j % 2 ? RESERVED : USABLE };
	}
	size_t n = memmap_sanitize(big, 256, in, 200);
	assert_int_equal(n, 200);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(big[i].base, i * 4 * KiB);
		assert_int_equal(big[i].end, (i + 1) * 4 * KiB);
		assert_int_equal(big[i].type, i % 2 ? RESERVED : USABLE);
	}
}

/* Overlaps of every shape at once: nested, duplicated, chained, one covering all. */
static void test_memmap_sanitize_overlaps(void **state)
{
	(void)state;
	const struct mm_range in[] = {
		{ 0, 64 * MiB, USABLE },
		{ 0, 64 * MiB, USABLE },                  /* duplicate */
		{ 16 * MiB, 20 * MiB, ACPI },
		{ 18 * MiB, 24 * MiB, NVS },              /* overlaps the end of ACPI */
		{ 19 * MiB, 19 * MiB + 4 * KiB, USABLE }, /* usable inside NVS: NVS wins */
		{ 40 * MiB, 48 * MiB, RESERVED },
		{ 44 * MiB, 46 * MiB, ACPI },             /* nested in reserved: reserved wins */
		{ 60 * MiB, 80 * MiB, USABLE },           /* runs past the end: merged */
	};
	size_t n = memmap_sanitize(out, 64, in, sizeof in / sizeof in[0]);
	assert_int_equal(n, 6);
	expect(0, 0, 16 * MiB, USABLE);
	expect(1, 16 * MiB, 18 * MiB, ACPI);
	expect(2, 18 * MiB, 24 * MiB, NVS);
	expect(3, 24 * MiB, 40 * MiB, USABLE);
	expect(4, 40 * MiB, 48 * MiB, RESERVED);
	expect(5, 48 * MiB, 80 * MiB, USABLE);
}

/* Entries at the top of the address space: no overflow, nothing wraps to 0. */
static void test_memmap_sanitize_top_of_address_space(void **state)
{
	(void)state;
	const struct mm_range in[] = {
		{ UINT64_MAX - 8 * KiB + 1, UINT64_MAX, USABLE },
		{ 0xfd00000000, 0x10000000000, RESERVED },
		{ 4 * GiB, 6 * GiB, USABLE },
	};
	size_t n = memmap_sanitize(out, 64, in, 3);
	assert_true(n >= 2);
	expect(0, 4 * GiB, 6 * GiB, USABLE);
	expect(1, 0xfd00000000, 0x10000000000, RESERVED);
	for (size_t i = 0; i < n; i++)
		assert_true(out[i].base < out[i].end);
}

/*
 * Random maps against a model: ranges on a 1 KiB grid below 1 MiB with
 * random types. Every output is sorted, non-overlapping, merged, usable
 * ranges page-aligned, and at every grid unit the output's type is the
 * strictest input type there: usable exactly where its run covers the whole
 * page, the loader's types exactly, firmware types by rank.
 */
static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

static int model_rank(uint32_t type)
{
	switch (type) {
	case USABLE: return 0;
	case ACPI: return 2;
	case NVS: return 3;
	case MKBOOTIMG_MEM_BAD: return 4;
	case RESERVED: return 5;
	default: return type >= MKBOOTIMG_MEM_LOADER_RECLAIMABLE && type <= MKBOOTIMG_MEM_MODULES ? 1 : 5;
	}
}

static void test_memmap_sanitize_random_against_model(void **state)
{
	(void)state;
	static const uint32_t types[] = { USABLE, USABLE, USABLE, RESERVED, ACPI, NVS, MKBOOTIMG_MEM_BAD,
	                                  KERNEL, 77 /* unknown */ };
	enum { UNITS = 1024, ROUNDS = 3000 };
	static struct mm_range in[40], map[128];
	static int strictest[UNITS];
	static uint32_t type_at[UNITS];

	for (int round = 0; round < ROUNDS; round++) {
		size_t n = 1 + rng() % 40;
		for (int u = 0; u < UNITS; u++)
			strictest[u] = -1;
		for (size_t i = 0; i < n; i++) {
			uint64_t a = rng() % UNITS, b = rng() % (UNITS + 1);
			uint32_t t = types[rng() % (sizeof types / sizeof types[0])];
			in[i] = (struct mm_range){ a * KiB, b * KiB, t }; /* b < a: an empty (bad) entry */
			for (uint64_t u = a; u < b; u++)
				if (model_rank(t) > strictest[u]) {
					strictest[u] = model_rank(t);
					type_at[u] = t;
				}
		}
		size_t m = memmap_sanitize(map, 128, in, n);
		for (size_t i = 0; i < m; i++) {
			assert_true(map[i].base < map[i].end);
			if (i)
				assert_true(map[i - 1].end <= map[i].base);
			if (i && map[i - 1].end == map[i].base)
				assert_int_not_equal(map[i - 1].type, map[i].type);
			if (map[i].type == USABLE)
				assert_true(((map[i].base | map[i].end) & (4 * KiB - 1)) == 0);
		}
		for (int u = 0; u < UNITS; u++) {
			uint64_t at = (uint64_t)u * KiB;
			uint32_t got = 0;
			for (size_t i = 0; i < m; i++)
				if (map[i].base <= at && at < map[i].end)
					got = map[i].type;
			if (strictest[u] < 0) {
				assert_int_equal(got, 0); /* nothing where the BIOS said nothing */
			} else if (type_at[u] == USABLE) {
				/* Usable exactly where the usable run around u covers u's whole page. */
				int a = u, b = u + 1;
				while (a > 0 && strictest[a - 1] == 0)
					a--;
				while (b < UNITS && strictest[b] == 0)
					b++;
				int first = (a + 3) / 4 * 4, end = b / 4 * 4; /* 4 units a page */
				assert_int_equal(got, u >= first && u < end ? USABLE : 0);
			} else if (model_rank(type_at[u]) == 1) {
				assert_int_equal(got, type_at[u]); /* the loader's types are never trimmed */
			} else {
				assert_int_equal(model_rank(got), strictest[u]);
			}
		}
	}
}

/* Claims: touching ranges of one type merge, others append, a full list refuses. */
static void test_memmap_append_merges_and_fills(void **state)
{
	struct mm_range list[3];
	size_t n = 0;
	const struct mm_range a = { 1 * MiB, 2 * MiB, KERNEL }, b = { 2 * MiB, 3 * MiB, KERNEL },
			      c = { 3 * MiB, 4 * MiB, RESERVED }, d = { 5 * MiB, 6 * MiB, RESERVED },
			      e = { 7 * MiB, 8 * MiB, KERNEL }, f = { 6 * MiB, 7 * MiB, RESERVED };

	(void)state;
	assert_int_equal(mm_append(list, &n, 3, &a), 0);
	assert_int_equal(mm_append(list, &n, 3, &b), 0); /* follows, same type: merged */
	assert_int_equal(n, 1);
	assert_int_equal(list[0].end, 3 * MiB);
	assert_int_equal(mm_append(list, &n, 3, &c), 0); /* follows, another type */
	assert_int_equal(mm_append(list, &n, 3, &d), 0); /* a gap */
	assert_int_equal(n, 3);
	assert_int_equal(mm_append(list, &n, 3, &e), -1); /* full */
	assert_int_equal(mm_append(list, &n, 3, &f), 0);  /* but a merge still fits */
	assert_int_equal(n, 3);
	assert_int_equal(list[2].end, 7 * MiB);
}

/* The kernel's view: base, length, type; the reserved field left as it was. */
static void test_memmap_regions(void **state)
{
	const struct mm_range map[] = { { 0, 636 * KiB, USABLE }, { 1 * MiB, 6 * GiB, KERNEL } };
	struct mkbootimg_memory_region r[2] = { { 9, 9, 9, 7 }, { 9, 9, 9, 7 } };

	(void)state;
	memmap_regions(r, map, 2);
	assert_int_equal(r[0].base, 0);
	assert_int_equal(r[0].length, 636 * KiB);
	assert_int_equal(r[0].type, USABLE);
	assert_int_equal(r[1].base, 1 * MiB);
	assert_int_equal(r[1].length, 6 * GiB - 1 * MiB);
	assert_int_equal(r[1].type, KERNEL);
	assert_int_equal(r[1].reserved, 7);
}

/* A segment's pages: from the page its first byte is in to the end of its last. */
static void test_memmap_segment_pages(void **state)
{
	const struct mkb_segment s = { .paddr = 1 * MiB + 100, .memsz = 4096 };
	const struct mkb_segment empty = { .paddr = 2 * MiB, .memsz = 0 };
	uint64_t base, end;

	(void)state;
	segment_pages(&s, &base, &end);
	assert_int_equal(base, 1 * MiB);
	assert_int_equal(end, 1 * MiB + 8 * KiB);
	segment_pages(&empty, &base, &end);
	assert_int_equal(base, 2 * MiB);
	assert_int_equal(end, 2 * MiB);
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
		cmocka_unit_test(test_memmap_sanitize_many_entries),
		cmocka_unit_test(test_memmap_sanitize_overlaps),
		cmocka_unit_test(test_memmap_sanitize_top_of_address_space),
		cmocka_unit_test(test_memmap_sanitize_random_against_model),
		cmocka_unit_test(test_memmap_append_merges_and_fills),
		cmocka_unit_test(test_memmap_regions),
		cmocka_unit_test(test_memmap_segment_pages),
	};
	return cmocka_run_group_tests_name("core-memmap", tests, NULL, NULL);
}
