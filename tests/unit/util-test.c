/* util.c: size parsing, messages, full reads and writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "elf-builder.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static uint64_t size_of(const char *s)
{
	uint64_t v = 0;
	if (mkb_parse_size(s, &v) != 0)
		fail_msg("'%s' refused: %s", s, mkb_error());
	return v;
}

static void test_util_sizes(void **state)
{
	(void)state;
	assert_int_equal(size_of("65536"), 65536);
	assert_int_equal(size_of("0x10000"), 0x10000);
	assert_int_equal(size_of("64K"), 64 * 1024);
	assert_int_equal(size_of("64k"), 64 * 1024);
	assert_int_equal(size_of("1M"), 1024 * 1024);
	assert_int_equal(size_of("2G"), UINT64_C(2) << 30);
	assert_int_equal(size_of("0"), 0);
}

static void test_util_bad_sizes(void **state)
{
	static const char *bad[] = { "", "K", "-1", "+1", " 1", "1 K", "1KB", "1T", "0x",
	                             "12a", "18446744073709551616", "17179869184G" };
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (mkb_parse_size(bad[i], &v) == 0)
			fail_msg("'%s' accepted", bad[i]);
	mkb_parse_size("1Q", &v);
	assert_string_equal(mkb_error(),
	                    "invalid size '1Q' (use bytes, or a number followed by K, M or G)");
	mkb_parse_size("99999999999999999999", &v);
	assert_string_equal(mkb_error(), "size '99999999999999999999' is too large");
}

/* mkb_fail may quote the current message while replacing it. */
static void test_util_fail_wraps(void **state)
{
	(void)state;
	assert_int_equal(mkb_fail("inner %d", 1), -1);
	assert_int_equal(mkb_fail("outer: %s", mkb_error()), -1);
	assert_string_equal(mkb_error(), "outer: inner 1");
}

static void test_util_read_write_full(void **state)
{
	char dir[512], path[600];
	uint8_t out[3000], in[4000];
	int fd;

	(void)state;
	assert_int_equal(eb_temp_dir(dir, sizeof dir), 0);
	snprintf(path, sizeof path, "%s/f", dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	for (size_t i = 0; i < sizeof out; i++)
		out[i] = (uint8_t)i;
	assert_int_equal(mkb_pwrite_full(fd, out, sizeof out, 100), 0);
	assert_int_equal(mkb_pread_full(fd, in, 3000, 100), 3000);
	assert_memory_equal(in, out, sizeof out);
	assert_int_equal(mkb_pread_full(fd, in, sizeof in, 100), 3000); /* short only at EOF */
	assert_int_equal(mkb_pread_full(fd, in, 10, 5000), 0);
	close(fd);
	assert_int_equal(mkb_pread_full(fd, in, 10, 0), -1);
	assert_int_equal(errno, EBADF); /* no message: the caller says what it read */
	eb_remove_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_util_sizes),
		cmocka_unit_test(test_util_bad_sizes),
		cmocka_unit_test(test_util_fail_wraps),
		cmocka_unit_test(test_util_read_write_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
