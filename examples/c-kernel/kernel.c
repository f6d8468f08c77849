/*
 * A minimal kernel for mkbootimg: prints to the screen (VGA text at 0xB8000)
 * and to the serial port COM1, then halts. With "exit" on its command line
 * (make test) it ends QEMU through the isa-debug-exit device instead, which
 * `mkbootimg run --test` counts as a pass.
 */
#include <stdint.h>
#include <mkbootimg/protocol.h>

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static int row;

static void print(const char *s)
{
	volatile uint16_t *vga = (volatile uint16_t *)0xB8000 + row++ * 80; /* identity-mapped */

	for (int i = 0; s[i] != '\0'; i++) {
		if (i < 80)
			vga[i] = (uint16_t)(0x0F00 | (uint8_t)s[i]); /* white on black */
		while ((inb(0x3f8 + 5) & 0x20) == 0) /* COM1: wait until it can take a byte */
			;
		outb(0x3f8, (uint8_t)s[i]);
	}
	outb(0x3f8, '\n');
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

void kmain(struct mkbootimg_info *info)
{
	const char *cmdline = (const char *)(uintptr_t)info->cmdline;

	for (int i = 0; i < 80 * 25; i++) /* clear what the BIOS left on the screen */
		((volatile uint16_t *)0xB8000)[i] = 0x0F20;
	if (info->magic != MKBOOTIMG_INFO_MAGIC) {
		print("not started by mkbootimg");
	} else {
		print("Hello from a C kernel!");
		print("Booted by:");
		print((const char *)(uintptr_t)info->loader_name);
		print("Command line:");
		print(cmdline);
		if (contains(cmdline, "exit"))
			outb(0xf4, 0x10); /* isa-debug-exit: QEMU exits with status 33, a pass */
	}
	for (;;)
		__asm__ volatile("cli; hlt");
}
