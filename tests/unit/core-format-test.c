/* bootloader/core/format.c: the error sentences' printf subset, and core_fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core.h"

static char buf[64];

static size_t format(size_t cap, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = core_vformat(buf, cap, fmt, ap);
	va_end(ap);
	return n;
}

static void test_format_conversions(void **state)
{
	(void)state;
	assert_int_equal(format(sizeof buf, "%s %u %x %02x %lx %%", "disk", (uint32_t)4294967295u,
	                        (uint32_t)0xbeef, (uint32_t)7, UINT64_C(0xffffffff80100000)), 42);
	assert_string_equal(buf, "disk 4294967295 beef 07 ffffffff80100000 %");
	format(sizeof buf, "%u|%x|%lx", (uint32_t)0, (uint32_t)0, UINT64_C(0));
	assert_string_equal(buf, "0|0|0");
}

/* A short buffer: cut, NUL-terminated, and the whole length told. */
static void test_format_truncates(void **state)
{
	(void)state;
	memset(buf, 'x', sizeof buf);
	assert_int_equal(format(6, "sector %u", (uint32_t)1234), 11);
	assert_string_equal(buf, "secto");
	assert_int_equal(buf[6], 'x');
	assert_int_equal(format(0, "anything"), 8);
	assert_int_equal(buf[0], 's');
}

static void test_format_fail(void **state)
{
	struct core_error e;

	(void)state;
	assert_int_equal(core_fail(&e, CORE_TRUNCATED, "ends at sector %u of %u", (uint32_t)5, (uint32_t)9),
	                 CORE_TRUNCATED);
	assert_int_equal(e.code, CORE_TRUNCATED);
	assert_string_equal(e.message, "ends at sector 5 of 9");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_conversions),
		cmocka_unit_test(test_format_truncates),
		cmocka_unit_test(test_format_fail),
	};
	return cmocka_run_group_tests_name("core-format", tests, NULL, NULL);
}
