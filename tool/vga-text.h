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

#endif
