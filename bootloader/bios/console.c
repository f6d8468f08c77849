/* Messages on COM1 and the VGA text screen: the loader's only voice. */
#include <stdarg.h>

#include "loader.h"

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

static void put_number(uint64_t v, unsigned base, int min_digits)
{
	char buf[20];
	int n = 0;
	do {
		unsigned digit;
		if (base == 16) {
			digit = (unsigned)(v & 15);
			v >>= 4;
		} else {
			/* 64-bit division needs libgcc; decimal output stays 32-bit. */
			digit = (uint32_t)v % 10;
			v = (uint32_t)v / 10;
		}
		buf[n++] = (char)(digit < 10 ? '0' + digit : 'a' + digit - 10);
	} while (v || n < min_digits);
	while (n)
		putc_both(buf[--n]);
}

/* A printf subset: %s, %u (32-bit decimal), %x (32-bit hex), %lx (64-bit
 * hex), %02x (two hex digits). */
static void vprint(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			putc_both(*fmt);
			continue;
		}
		fmt++;
		int width = 0;
		if (*fmt == '0') {
			width = fmt[1] - '0';
			fmt += 2;
		}
		switch (*fmt) {
		case 's':
			for (const char *s = va_arg(ap, const char *); *s; s++)
				putc_both(*s);
			break;
		case 'u':
			put_number(va_arg(ap, uint32_t), 10, 1);
			break;
		case 'x':
			put_number(va_arg(ap, uint32_t), 16, width);
			break;
		case 'l':
			fmt++;
			put_number(va_arg(ap, uint64_t), 16, 1);
			break;
		default:
			putc_both(*fmt);
		}
	}
}

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
