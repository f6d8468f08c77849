/* Messages on COM1 and the VGA text screen: the loader's only voice
 * (print and fatal: common/say.c). */
#include "bios.h"

#define VGA_TEXT 0xb8000u
#define VGA_COLS 80
#define VGA_ROWS 25

static unsigned row, col;
static int screen_ready;

static void screen_putc(char c)
{
	if (!screen_ready) {
		/* Text mode 3 clears the screen; our message starts at the top. */
		struct bios_regs r = { .eax = 0x0003 };
		bios_call(0x10, &r);
		screen_ready = 1;
	}
	if (c == '\n' || col == VGA_COLS) {
		col = 0;
		if (++row == VGA_ROWS)
			row = VGA_ROWS - 1;
		if (c == '\n')
			return;
	}
	volatile uint16_t *screen = flat(VGA_TEXT);
	screen[row * VGA_COLS + col++] = (uint16_t)(0x1f00 | (uint8_t)c);
}

/* COM1 and the screen alike (say.h); COM1 gets CR LF. */
void say_write(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			com1_putc('\r');
		com1_putc(*s);
		screen_putc(*s);
	}
}

const char firmware_unsupported[] = "This machine's firmware is not supported.";
