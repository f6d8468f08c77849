/*
 * The loader's voice: the firmware's console (ConOut) while boot services
 * last, COM1 after ExitBootServices, when ConOut is gone.
 *
 * Why not COM1 from the start as well: firmware that has a serial console
 * (OVMF, servers with console redirection) already sends ConOut there, so
 * every line would arrive twice, and writing the UART behind the firmware's
 * own serial driver may disturb it. A machine whose firmware console is the
 * screen alone shows the message there.
 */
#include <stdarg.h>

#include "uefi.h"

#define COM1 0x3f8

static void serial_init(void)
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

/* UCS-2 for ConOut, a line break as CR LF, in short pieces. */
static void firmware_write(const char *s)
{
	char16 buf[64];
	size_t n = 0;

	for (; *s; s++) {
		if (*s == '\n')
			buf[n++] = '\r';
		buf[n++] = (uint8_t)*s;
		if (n >= 62 || !s[1]) {
			buf[n] = 0;
			st->con_out->output_string(st->con_out, buf);
			n = 0;
		}
	}
}

static void serial_write(const char *s)
{
	static int ready;

	if (!ready) {
		serial_init();
		ready = 1;
	}
	for (; *s; s++) {
		if (*s == '\n')
			serial_putc('\r');
		serial_putc(*s);
	}
}

static void vprint(const char *fmt, va_list ap)
{
	static char buf[CORE_MESSAGE_MAX];

	core_vformat(buf, sizeof buf, fmt, ap);
	if (boot_services_exited)
		serial_write(buf);
	else if (st->con_out)
		firmware_write(buf);
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
