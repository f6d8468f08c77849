/*
 * bootloader/core/relocate.c: KASLR's slide picked from random bits, the
 * relocation table applied to loaded segments (in the fake platform's
 * memory), and the random direct map.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <mkbootimg/image.h>

#include "core-platform.h"
#include "relocate.h"

#define BASE UINT64_C(0xffffffff80000000)
#define MEM (16 * MiB)
#define STEP MKB_PIE_SLIDE_STEP

static uint64_t word_at(uint64_t address)
{
	uint64_t v;
	memcpy(&v, fake_at(address), 8);
	return v;
}

static void put_word(uint64_t address, uint64_t v)
{
	memcpy(fake_at(address), &v, 8);
}

/* The random bits' range covers every slot, the first and the last, and no more. */
static void test_relocate_pick(void **state)
{
	(void)state;
	assert_int_equal(relocate_pick(0, 512, STEP), 0);
	assert_int_equal(relocate_pick(UINT32_MAX, 512, STEP), 511 * STEP);
	assert_int_equal(relocate_pick(UINT32_C(1) << 31, 512, STEP), 256 * STEP);
	assert_int_equal(relocate_pick(UINT32_MAX, 1, STEP), 0);
	assert_int_equal(relocate_pick(0x12345678, 3, STEP) % STEP, 0);
	assert_true(relocate_pick(0xdeadbeef, 7, STEP) < 7 * STEP);
}

/* Two segments: every listed word gets the slide, no other byte changes, the segments move. */
static void test_relocate_apply(void **state)
{
	struct mkb_segment seg[2] = {
		{ BASE, MEM + 0x100000, 0x1000, 0x1000, 0, MKB_SEG_R | MKB_SEG_X, 0 },
		{ BASE + 0x2000, MEM + 0x300000, 0x100, 0x2000, 0, MKB_SEG_R | MKB_SEG_W, 2 },
	};
	const uint32_t table[3] = { 0x10, 0x2000, 0x20f8 };
	uint64_t slide = 37 * STEP;

	(void)state;
	fake_reset(MEM, 8 * MiB);
	put_word(MEM + 0x100010, BASE + 0x500);
	put_word(MEM + 0x300000, BASE + 0x2040);
	put_word(MEM + 0x3000f8, BASE + 0x10);
	put_word(MEM + 0x300008, 0x1122334455667788); /* not listed: stays */
	assert_int_equal(relocate_apply(seg, 2, BASE, table, 3, slide), 3);
	assert_int_equal(word_at(MEM + 0x100010), BASE + 0x500 + slide);
	assert_int_equal(word_at(MEM + 0x300000), BASE + 0x2040 + slide);
	assert_int_equal(word_at(MEM + 0x3000f8), BASE + 0x10 + slide);
	assert_int_equal(word_at(MEM + 0x300008), 0x1122334455667788);
	assert_int_equal(seg[0].vaddr, BASE + slide);
	assert_int_equal(seg[1].vaddr, BASE + 0x2000 + slide);
	assert_int_equal(seg[1].paddr, MEM + 0x300000); /* the physical place stays */
	fake_release();
}

/* A word outside every segment's file bytes (past filesz, straddling its end, between
 * segments): its index, and the segments do not move. */
static void test_relocate_apply_damaged(void **state)
{
	struct mkb_segment seg[1] = { { BASE, MEM, 0x100, 0x2000, 0, MKB_SEG_R | MKB_SEG_W, 0 } };
	const uint32_t bss[2] = { 0x0, 0x100 }, straddle[1] = { 0xfc }, last[1] = { 0xf8 };

	(void)state;
	fake_reset(MEM, 1 * MiB);
	assert_int_equal(relocate_apply(seg, 1, BASE, bss, 2, STEP), 1);
	assert_int_equal(seg[0].vaddr, BASE);
	assert_int_equal(relocate_apply(seg, 1, BASE, straddle, 1, STEP), 0);
	assert_int_equal(relocate_apply(seg, 1, BASE, last, 1, STEP), 1);
	assert_int_equal(seg[0].vaddr, BASE + STEP);
	fake_release();
}

/* The direct map moves by whole GiB and still ends below MKB_PIE_DIRECT_MAP_END. */
static void test_relocate_direct_map(void **state)
{
	uint64_t dm = UINT64_C(0xffff800000000000), top = 8 * GiB;

	(void)state;
	assert_int_equal(relocate_direct_map(dm, top, 0), dm);
	uint64_t high = relocate_direct_map(dm, top, UINT32_MAX);
	assert_int_equal(high % GiB, 0);
	assert_true(high + top <= MKB_PIE_DIRECT_MAP_END);
	assert_true(high + top > MKB_PIE_DIRECT_MAP_END - GiB);
	assert_int_not_equal(relocate_direct_map(dm, top, 0x80000000), dm);
	/* No room: it stays. */
	assert_int_equal(relocate_direct_map(dm, MKB_PIE_DIRECT_MAP_END - dm, UINT32_MAX), dm);
	assert_int_equal(relocate_direct_map(MKB_PIE_DIRECT_MAP_END, top, UINT32_MAX), MKB_PIE_DIRECT_MAP_END);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relocate_pick),
		cmocka_unit_test(test_relocate_apply),
		cmocka_unit_test(test_relocate_apply_damaged),
		cmocka_unit_test(test_relocate_direct_map),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
