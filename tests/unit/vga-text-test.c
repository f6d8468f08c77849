/* vga-text.c: the text screen as lines; a screendump's size and mode. */
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

static void test_vga_ppm_size(void **state)
{
	static const char qemu[] = "P6\n800 600\n255\n\xff\xff\xff";
	static const char commented[] = "P6 # made by hand\n720\t400 # size\n255 ";
	unsigned w = 0, h = 0;

	(void)state;
	assert_int_equal(vga_ppm_size(qemu, sizeof qemu - 1, &w, &h), 0);
	assert_int_equal(w, 800);
	assert_int_equal(h, 600);
	assert_int_equal(vga_ppm_size(commented, sizeof commented - 1, &w, &h), 0);
	assert_int_equal(w, 720);
	assert_int_equal(h, 400);
	/* not P6, no blank after the magic, cut short, a zero size, too many digits, no maxval */
	w = h = 7;
	assert_int_equal(vga_ppm_size("P5\n800 600\n255\n", 15, &w, &h), -1);
	assert_int_equal(vga_ppm_size("P6800 600\n255\n", 14, &w, &h), -1);
	assert_int_equal(vga_ppm_size("P6\n800 6", 9, &w, &h), -1);
	assert_int_equal(vga_ppm_size("P6\n800 600\n255", 14, &w, &h), -1); /* 255 may go on */
	assert_int_equal(vga_ppm_size("P6\n0 600\n255\n", 13, &w, &h), -1);
	assert_int_equal(vga_ppm_size("P6\n123456 600\n255\n", 18, &w, &h), -1);
	assert_int_equal(vga_ppm_size("P6\n800 600\nx", 12, &w, &h), -1);
	assert_int_equal(vga_ppm_size("", 0, &w, &h), -1);
	assert_int_equal(w, 7); /* untouched on failure */
	assert_int_equal(h, 7);
}

static void test_vga_dump_is_text(void **state)
{
	(void)state;
	assert_true(vga_dump_is_text(720, 400));  /* 9-dot cells: QEMU's usual text mode */
	assert_true(vga_dump_is_text(640, 400));  /* 8-dot cells */
	assert_false(vga_dump_is_text(800, 600));
	assert_false(vga_dump_is_text(1024, 768));
	assert_false(vga_dump_is_text(640, 480));
	assert_false(vga_dump_is_text(320, 200));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vga_text_blank),
		cmocka_unit_test(test_vga_text_lines),
		cmocka_unit_test(test_vga_text_full),
		cmocka_unit_test(test_vga_ppm_size),
		cmocka_unit_test(test_vga_dump_is_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
