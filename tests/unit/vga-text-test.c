/* vga-text.c: the text screen as lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vga-text.h"

#include <string.h>

static uint8_t cells[VGA_TEXT_BYTES];
static char out[VGA_TEXT_ROWS * (VGA_TEXT_COLUMNS + 1) + 1];

static void put(int row, int col, const char *s)
{
	for (; *s; s++, col++) {
		cells[(row * VGA_TEXT_COLUMNS + col) * 2] = (uint8_t)*s;
		cells[(row * VGA_TEXT_COLUMNS + col) * 2 + 1] = 0x1f;
	}
}

static void clear(uint8_t c)
{
	for (size_t i = 0; i < sizeof cells; i += 2) {
		cells[i] = c;
		cells[i + 1] = 0x07;
	}
}

static void test_vga_text_blank(void **state)
{
	(void)state;
	clear(' ');
	assert_int_equal(vga_text_format(cells, out), 0);
	assert_string_equal(out, "");
	clear(0);
	assert_int_equal(vga_text_format(cells, out), 0);
}

static void test_vga_text_lines(void **state)
{
	size_t n;

	(void)state;
	clear(' ');
	put(0, 0, "Hello World!   ");
	put(2, 4, "indented");
	put(3, 10, "\x01\xdb\x7f");
	n = vga_text_format(cells, out);
	assert_int_equal(n, strlen(out));
	/* trailing blanks of lines and trailing blank lines go; blank lines between stay */
	assert_string_equal(out, "Hello World!\n\n    indented\n          ???\n");
}

static void test_vga_text_full(void **state)
{
	(void)state;
	clear('x');
	assert_int_equal(vga_text_format(cells, out), VGA_TEXT_ROWS * (VGA_TEXT_COLUMNS + 1));
	assert_int_equal(out[VGA_TEXT_COLUMNS], '\n');
	put(24, 79, " ");
	vga_text_format(cells, out);
	assert_int_equal(out[strlen(out) - 2], 'x'); /* the last line loses its trailing blank */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vga_text_blank),
		cmocka_unit_test(test_vga_text_lines),
		cmocka_unit_test(test_vga_text_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
