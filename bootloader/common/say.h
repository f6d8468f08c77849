/*
 * What both loaders say when they stop, and how: COM1, and print/fatal in
 * the shape `mkbootimg run` reads (tool/run/verdict.c): "mkbootimg: ..."
 * up to "The machine is halted.".
 *
 * Each front-end defines say_write: where a formatted message goes (BIOS:
 * COM1 and the VGA text screen; UEFI: ConOut, then COM1 once boot services
 * are gone).
 */
#ifndef MKB_COMMON_SAY_H
#define MKB_COMMON_SAY_H

void say_write(const char *s);

/* COM1, a 16550 at 0x3F8, 115200 baud 8N1; a missing UART never hangs it. */
void com1_init(void);
void com1_putc(char c);

/* The core's printf subset (core.h), at most CORE_MESSAGE_MAX bytes. */
void print(const char *fmt, ...);
__attribute__((noreturn)) void fatal(const char *fmt, ...);

#endif
