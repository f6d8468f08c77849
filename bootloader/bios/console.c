/* Messages on COM1 and the VGA text screen: the loader's only voice. */
#include <stdarg.h>

#include "bios.h"

#define COM1 0x3f8
#define VGA_TEXT 0xb8000u
#define VGA_COLS 80
#define VGA_ROWS 25

static unsigned row, col;
static int screen_ready;

void console_init(void)
{
	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x80); /* divisor latch */
	outb(COM1 + 0, 0x01); /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1 */
	outb(COM1 + 2, 0xc7); /* FIFO on */
}

static void serial_putc(char c)
{
	/* Bounded wait: a machine without a UART must not hang here. */
	for (unsigned i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
		;
	outb(COM1, (uint8_t)c);
}

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

static void putc_both(char c)
{
	if (c == '\n')
		serial_putc('\r');
	serial_putc(c);
	screen_putc(c);
}

/* One line or message at a time, formatted by the core's printf subset. */
static void vprint(const char *fmt, va_list ap)
{
	static char buf[CORE_MESSAGE_MAX];

	core_vformat(buf, sizeof buf, fmt, ap);
	for (const char *c = buf; *c; c++)
		putc_both(*c);
}

const char firmware_unsupported[] = "This machine's firmware is not supported.";

void print(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	print("mkbootimg: ");
	vprint(fmt, ap);
	va_end(ap);
	print("\nThe machine is halted.\n");
	for (;;)
		__asm__ volatile("cli; hlt");
}
