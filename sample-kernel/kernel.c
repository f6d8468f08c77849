/*
 * Sample kernel for mkbootimg: prints "Hello World!" and what the loader
 * handed it, on the VGA text screen and on COM1, then halts.
 *
 * The whole kernel is this file plus linker.ld. It needs no assembly entry
 * stub: mkbootimg enters the kernel in long mode with a stack, RSP aligned
 * as after a call, RBP = 0 and SSE on, and the boot information in RDI -
 * exactly how a C function expects to be called. So kernel_main() is the
 * ELF entry point and takes the boot information as its argument.
 *
 * Build:  cc $(KERNEL_CFLAGS) -T linker.ld $(KERNEL_LDFLAGS) -o kernel.elf kernel.c
 *         mkbootimg -o kernel.img kernel.elf
 */
#include <stdarg.h>
#include <stdint.h>

#include <mkbootimg/protocol.h>

/* Port I/O. */

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

/* COM1: a 16550 UART at port 0x3F8, 115200 baud, 8 data bits, no parity, 1 stop bit. */

#define COM1 0x3f8

static void serial_init(void)
{
	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x80); /* DLAB on: the next two ports set the divisor */
	outb(COM1 + 0, 0x01); /* divisor 1 = 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* DLAB off, 8N1 */
	outb(COM1 + 2, 0xc7); /* FIFOs on and cleared */
	outb(COM1 + 4, 0x03); /* DTR, RTS */
}

static void serial_putc(char c)
{
	if (c == '\n')
		serial_putc('\r');
	while (!(inb(COM1 + 5) & 0x20)) /* wait until the transmitter is free */
		;
	outb(COM1, (uint8_t)c);
}

/*
 * VGA text mode: 80x25 cells at physical 0xB8000, each a character byte and
 * a colour byte. The first 4 GiB are identity-mapped, so the physical
 * address is usable as a pointer.
 */

#define VGA_COLUMNS 80
#define VGA_ROWS 25
#define VGA_COLOUR 0x07 /* light grey on black */

static volatile uint16_t *const vga = (volatile uint16_t *)0xb8000;
static int vga_row, vga_column;

static void vga_clear(void)
{
	for (int i = 0; i < VGA_COLUMNS * VGA_ROWS; i++)
		vga[i] = VGA_COLOUR << 8 | ' ';
	vga_row = vga_column = 0;
}

static void vga_newline(void)
{
	vga_column = 0;
	if (++vga_row < VGA_ROWS)
		return;
	/* Scroll up one line. */
	for (int i = 0; i < VGA_COLUMNS * (VGA_ROWS - 1); i++)
		vga[i] = vga[i + VGA_COLUMNS];
	for (int i = 0; i < VGA_COLUMNS; i++)
		vga[VGA_COLUMNS * (VGA_ROWS - 1) + i] = VGA_COLOUR << 8 | ' ';
	vga_row = VGA_ROWS - 1;
}

static void vga_putc(char c)
{
	if (c == '\n') {
		vga_newline();
		return;
	}
	vga[vga_row * VGA_COLUMNS + vga_column] = VGA_COLOUR << 8 | (uint8_t)c;
	if (++vga_column == VGA_COLUMNS)
		vga_newline();
}

/* Output to both. */

static void write_char(char c)
{
	vga_putc(c);
	serial_putc(c);
}

static void write_string(const char *s)
{
	while (*s)
		write_char(*s++);
}

/* Print an unsigned number in base 10 or 16, at least `width` digits. */
static void put_number(uint64_t n, unsigned base, int width)
{
	char digits[20];
	int count = 0;
	do {
		digits[count++] = "0123456789abcdef"[n % base];
		n /= base;
	} while (n);
	while (width-- > count)
		write_char('0');
	while (count)
		write_char(digits[--count]);
}

/*
 * A very small printf: %s, %u (uint64_t, decimal), %x (uint64_t, hex, "0x"
 * and 16 digits) and %%. Every number argument is a uint64_t.
 */
static void print(const char *format, ...)
{
	va_list args;
	va_start(args, format);
	for (const char *p = format; *p; p++) {
		if (*p != '%') {
			write_char(*p);
			continue;
		}
		switch (*++p) {
		case 's':
			write_string(va_arg(args, const char *));
			break;
		case 'u':
			put_number(va_arg(args, uint64_t), 10, 1);
			break;
		case 'x':
			write_string("0x");
			put_number(va_arg(args, uint64_t), 16, 16);
			break;
		case '%':
			write_char('%');
			break;
		default: /* unknown: print it as it is */
			write_char('%');
			write_char(*p);
			break;
		}
	}
	va_end(args);
}

static const char *memory_type_name(uint32_t type)
{
	switch (type) {
	case MKBOOTIMG_MEM_USABLE: return "usable";
	case MKBOOTIMG_MEM_RESERVED: return "reserved";
	case MKBOOTIMG_MEM_ACPI_RECLAIMABLE: return "ACPI reclaimable";
	case MKBOOTIMG_MEM_ACPI_NVS: return "ACPI NVS";
	case MKBOOTIMG_MEM_BAD: return "bad";
	case MKBOOTIMG_MEM_LOADER_RECLAIMABLE: return "loader reclaimable";
	case MKBOOTIMG_MEM_KERNEL: return "kernel";
	case MKBOOTIMG_MEM_KERNEL_STACK: return "kernel stack";
	case MKBOOTIMG_MEM_PAGE_TABLES: return "page tables";
	case MKBOOTIMG_MEM_BOOT_INFO: return "boot information";
	default: return "unknown";
	}
}

static _Noreturn void halt(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* The ELF entry point (see linker.ld): called by the loader with RDI = info. */
_Noreturn void kernel_main(const struct mkbootimg_info *info);

_Noreturn void kernel_main(const struct mkbootimg_info *info)
{
	serial_init();
	vga_clear();
	write_string("Hello World!\n");

	if (info->magic != MKBOOTIMG_INFO_MAGIC) {
		write_string("The boot information has a wrong magic number: not booted by mkbootimg?\n");
		halt();
	}

	/* Pointers in the boot information are physical addresses below 4 GiB,
	 * which the identity map makes usable as they are. */
	const struct mkbootimg_memory_region *map =
		(const struct mkbootimg_memory_region *)(uintptr_t)info->memory_map;
	uint64_t usable = 0;
	for (uint32_t i = 0; i < info->memory_map_count; i++)
		if (map[i].type == MKBOOTIMG_MEM_USABLE)
			usable += map[i].length;

	print("Loader:        %s\n", (const char *)(uintptr_t)info->loader_name);
	print("Command line:  \"%s\"\n", (const char *)(uintptr_t)info->cmdline);
	print("Usable memory: %u MiB\n", usable >> 20);
	print("Stack:         %u KiB below %x\n", info->stack_size >> 10, info->stack_top);
	print("Direct map:    %x\n", info->direct_map_offset);
	print("Memory map (%u entries):\n", (uint64_t)info->memory_map_count);
	for (uint32_t i = 0; i < info->memory_map_count; i++)
		print("  %x-%x %s\n", map[i].base, map[i].base + map[i].length - 1,
		      memory_type_name(map[i].type));

	write_string("Nothing left to do: halting.\n");
	halt();
}
