/* The VGA text screen (80x25 cells at 0xB8000) as lines of text. */
#ifndef MKB_VGA_TEXT_H
#define MKB_VGA_TEXT_H

#include <stddef.h>
#include <stdint.h>

#define VGA_TEXT_ADDRESS 0xb8000
#define VGA_TEXT_COLUMNS 80
#define VGA_TEXT_ROWS 25
#define VGA_TEXT_BYTES (VGA_TEXT_COLUMNS * VGA_TEXT_ROWS * 2)

/*
 * Each cell is a character byte and a colour byte; the characters become
 * lines, trailing blanks of each line and trailing blank lines dropped.
 * Characters outside printable ASCII show as '?' (NUL as a space).
 * out needs VGA_TEXT_ROWS * (VGA_TEXT_COLUMNS + 1) + 1 bytes; returns the
 * length ("" for a blank screen).
 */
size_t vga_text_format(const uint8_t cells[VGA_TEXT_BYTES], char *out);

/*
 * The picture's size from the start of a binary PPM ("P6", as QMP's
 * screendump writes it: "P6\n<width> <height>\n255\n", '#' comments
 * allowed). Returns 0 and sets *width and *height, or -1 when buf does not
 * start with such a header.
 */
int vga_ppm_size(const char *buf, size_t len, unsigned *width, unsigned *height);

/*
 * Does a screendump of width x height show an 80-column text mode? QEMU draws
 * text cells 9 or 8 dots wide and 16 high: 720x400 or 640x400 (80x50 with an
 * 8-line font is 720x400 too). Anything else is a graphics mode (or a text
 * mode that 0xB8000 as 80x25 cells does not describe). A 640x400 graphics
 * mode cannot be told apart from text this way.
 */
int vga_dump_is_text(unsigned width, unsigned height);

#endif
