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

static int ppm_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Skip blanks and '#' comments (to the end of the line) from *i; 0 at the end of buf. */
static int ppm_skip(const char *buf, size_t len, size_t *i)
{
	while (*i < len) {
		if (buf[*i] == '#') {
			while (*i < len && buf[*i] != '\n')
				(*i)++;
		} else if (ppm_blank(buf[*i])) {
			(*i)++;
		} else {
			return 1;
		}
	}
	return 0;
}

/* A decimal number of at most 5 digits (a picture up to 99999 dots wide) from *i. */
static int ppm_number(const char *buf, size_t len, size_t *i, unsigned *out)
{
	size_t start;

	if (!ppm_skip(buf, len, i))
		return -1;
	*out = 0;
	for (start = *i; *i < len && buf[*i] >= '0' && buf[*i] <= '9'; (*i)++) {
		if (*i - start == 5)
			return -1;
		*out = *out * 10 + (unsigned)(buf[*i] - '0');
	}
	/* a number ends at a blank: one cut off by len is not trusted */
	if (*i == start || *i == len || !(ppm_blank(buf[*i]) || buf[*i] == '#'))
		return -1;
	return 0;
}

int vga_ppm_size(const char *buf, size_t len, unsigned *width, unsigned *height)
{
	size_t i = 2;
	unsigned w, h, maxval;

	if (len < 3 || buf[0] != 'P' || buf[1] != '6' || !ppm_blank(buf[2]) ||
	    ppm_number(buf, len, &i, &w) != 0 || ppm_number(buf, len, &i, &h) != 0 || ppm_number(buf, len, &i, &maxval) != 0 ||
	    w == 0 || h == 0 || maxval == 0 || maxval > 65535)
		return -1;
	*width = w;
	*height = h;
	return 0;
}

int vga_dump_is_text(unsigned width, unsigned height)
{
	return height == 400 && (width == 720 || width == 640);
}
