/*
 * A first kernel for mkbootimg. It clears the screen (VGA text mode, 80x25
 * characters at 0xB8000), prints a few lines there and on the serial port
 * COM1, and halts. With "exit" on its command line it ends QEMU through the
 * isa-debug-exit device instead, which `mkbootimg run --test` counts as a pass.
 */
#include <stdint.h>
#include <mkbootimg/protocol.h>

#define VGA_TEXT ((volatile uint16_t *)0xB8000) /* identity-mapped at entry */
#define COLUMNS 80
#define ROWS 25
#define WHITE_ON_BLACK 0x0F00                   /* attribute byte, then the character */
#define COM1 0x3F8

static inline void outb(uint16_t port, uint8_t value)
{
	__asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t value;
	__asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
	return value;
}

static void serial_putc(char c)
{
	while ((inb(COM1 + 5) & 0x20) == 0) /* wait until COM1 can take a byte */
		;
	outb(COM1, (uint8_t)c);
}

static int row;

static void clear_screen(void)
{
	for (int i = 0; i < COLUMNS * ROWS; i++)
		VGA_TEXT[i] = WHITE_ON_BLACK | ' '; /* what the BIOS printed goes */
	row = 0;
}

/* One line, on the screen and on COM1. */
static void print(const char *s)
{
	for (int i = 0; s[i] != '\0'; i++) {
		if (i < COLUMNS && row < ROWS)
			VGA_TEXT[row * COLUMNS + i] = (uint16_t)(WHITE_ON_BLACK | (uint8_t)s[i]);
		serial_putc(s[i]);
	}
	serial_putc('\n');
	row++;
}

static int contains(const char *s, const char *word)
{
	for (; *s != '\0'; s++) {
		int i = 0;
		while (word[i] != '\0' && s[i] == word[i])
			i++;
		if (word[i] == '\0')
			return 1;
	}
	return 0;
}

/* The entry point: an ordinary C function that gets the boot information. */
void kmain(struct mkbootimg_info *info)
{
	clear_screen();
	if (info->magic != MKBOOTIMG_INFO_MAGIC) {
		print("not started by mkbootimg");
	} else {
		const char *cmdline = (const char *)(uintptr_t)info->cmdline;

		print("Hello from a C kernel!");
		print("Booted by:");
		print((const char *)(uintptr_t)info->loader_name);
		print("Command line:");
		print(cmdline);
		if (contains(cmdline, "exit"))
			outb(0xF4, 0x10); /* isa-debug-exit: QEMU exits with status 33, a pass */
	}
	for (;;)
		__asm__ volatile("cli; hlt"); /* interrupts off, halted: mkbootimg run sees the end */
}
