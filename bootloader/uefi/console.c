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
#include "uefi.h"

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
		com1_init();
		ready = 1;
	}
	for (; *s; s++) {
		if (*s == '\n')
			com1_putc('\r');
		com1_putc(*s);
	}
}

void say_write(const char *s)
{
	if (boot_services_exited)
		serial_write(s);
	else if (st->con_out)
		firmware_write(s);
}
