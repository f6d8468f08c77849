/* The loaders' messages: see say.h. */
#include <stdarg.h>

#include "core.h"
#include "say.h"
#include "x86.h"

#define COM1 0x3f8

void com1_init(void)
{
	x86_outb(COM1 + 1, 0x00); /* no interrupts */
	x86_outb(COM1 + 3, 0x80); /* divisor latch */
	x86_outb(COM1 + 0, 0x01); /* 115200 baud */
	x86_outb(COM1 + 1, 0x00);
	x86_outb(COM1 + 3, 0x03); /* 8N1 */
	x86_outb(COM1 + 2, 0xc7); /* FIFO on */
}

void com1_putc(char c)
{
	/* Bounded wait: a machine without a UART must not hang here. */
	for (unsigned i = 0; i < 100000 && !(x86_inb(COM1 + 5) & 0x20); i++)
		;
	x86_outb(COM1, (uint8_t)c);
}

/* One line or message at a time, formatted by the core's printf subset. */
static void vprint(const char *fmt, va_list ap)
{
	static char buf[CORE_MESSAGE_MAX];

	core_vformat(buf, sizeof buf, fmt, ap);
	say_write(buf);
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
