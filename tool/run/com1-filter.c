#include "com1-filter.h"

#include <string.h>

#define ESC 0x1b

void com1_filter_init(struct com1_filter *f, int keep_firmware_lines)
{
	memset(f, 0, sizeof *f);
	f->keep_firmware_lines = keep_firmware_lines;
	f->line_start = 1;
}

/*
 * One byte through the escape-sequence state machine: 1 when it is text.
 * ESC [ parameters and intermediates (0x20..0x3f) then a final byte
 * (0x40..0x7e) is a CSI sequence; ESC and any other byte is a two-byte one.
 */
static int escape_step(int *state, unsigned char c)
{
	switch (*state) {
	case 1:
		*state = c == '[' ? 2 : 0;
		return 0;
	case 2:
		if (c >= 0x40 && c <= 0x7e)
			*state = 0;
		return 0;
	default:
		if (c == ESC) {
			*state = 1;
			return 0;
		}
		return 1;
	}
}

/* Is this whole line (without its end) one of an ordinary boot, said by the boot manager? */
static int routine_firmware_line(const char *line, size_t n)
{
	char text[COM1_FILTER_LINE_MAX + 1];

	memcpy(text, line, n);
	text[n] = '\0';
	return strncmp(text, FIRMWARE_LINE_PREFIX, strlen(FIRMWARE_LINE_PREFIX)) == 0 &&
	       (strstr(text, ": loading Boot") != NULL || strstr(text, ": starting Boot") != NULL ||
	        /* QEMU's machines have an empty DVD drive, which OVMF tries first */
	        (strstr(text, "DVD-ROM") != NULL && strstr(text, ": Not Found") != NULL));
}

/* The held line ends (at its newline, or at the stream's end): written, or dropped. */
static size_t release(struct com1_filter *f, char *out, int complete)
{
	size_t n = f->held, line = n;

	f->holding = 0;
	f->held = 0;
	while (line > 0 && (f->line[line - 1] == '\n' || f->line[line - 1] == '\r'))
		line--;
	if (complete && routine_firmware_line(f->line, line))
		return 0;
	memcpy(out, f->line, n);
	return n;
}

size_t com1_filter_feed(struct com1_filter *f, const char *in, size_t n, char *out, int flush)
{
	const size_t prefix = strlen(FIRMWARE_LINE_PREFIX);
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		if (!escape_step(&f->escape, (unsigned char)c))
			continue;
		if (f->line_start && !f->keep_firmware_lines)
			f->holding = 1;
		f->line_start = c == '\n';
		if (!f->holding) {
			out[o++] = c;
			continue;
		}
		f->line[f->held++] = c;
		if (c == '\n') {
			o += release(f, out + o, 1);
		} else if (f->held == COM1_FILTER_LINE_MAX ||
		           (f->held <= prefix && memcmp(f->line, FIRMWARE_LINE_PREFIX, f->held) != 0)) {
			/* not the boot manager's, or too long to be: on its way now */
			o += release(f, out + o, 0);
		}
	}
	if (flush && f->holding)
		o += release(f, out + o, 1);
	return o;
}

void com1_strip_escapes(char *text)
{
	int state = 0;
	size_t o = 0;

	for (size_t i = 0; text[i] != '\0'; i++)
		if (escape_step(&state, (unsigned char)text[i]))
			text[o++] = text[i];
	text[o] = '\0';
}
