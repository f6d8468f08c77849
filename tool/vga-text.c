#include "vga-text.h"

size_t vga_text_format(const uint8_t cells[VGA_TEXT_BYTES], char *out)
{
	size_t len = 0, kept = 0; /* kept: the length up to the last line with text */

	for (int row = 0; row < VGA_TEXT_ROWS; row++) {
		size_t line_start = len, line_end = len;
		for (int col = 0; col < VGA_TEXT_COLUMNS; col++) {
			uint8_t c = cells[(row * VGA_TEXT_COLUMNS + col) * 2];
			out[len++] = c == 0 ? ' ' : c >= 0x20 && c < 0x7f ? (char)c : '?';
			if (out[len - 1] != ' ')
				line_end = len;
		}
		len = line_end;
		out[len++] = '\n';
		if (line_end > line_start)
			kept = len;
	}
	out[kept] = '\0';
	return kept;
}
