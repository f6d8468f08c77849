/*
 * Sample kernel for mkbootimg: says hello, reports what the loader handed
 * it, then halts. One line each, on COM1 and on the VGA text screen:
 *
 *   Hello World!
 *   cmdline: <the command line>
 *   module <i>: <size> bytes crc32 <8 hex digits> string '<string>'
 *   rsdp: 0x<address>                              (0x0: no ACPI)
 *   framebuffer: <w>x<h>x<bpp> at 0x<address>      (only with one)
 *   memory: <n> MiB usable
 *
 * With a framebuffer (mkbootimg --framebuffer 800x600x32) it draws colour
 * bars and a grey ramp instead, and the lines go to COM1 only: text on a
 * framebuffer needs a font, which a sample this small does without.
 *
 * The whole kernel is this file plus linker.ld. It needs no assembly entry
 * stub: mkbootimg enters the kernel in long mode with a stack, RSP aligned
 * as after a call, RBP = 0 and SSE on, and the boot information in RDI -
 * exactly how a C function expects to be called. So kernel_main() is the
 * ELF entry point and takes the boot information as its argument.
 * mkbootimg-protocol(7) describes all of it.
 *
 * Build:  cc $(KERNEL_CFLAGS) -T linker.ld $(KERNEL_LDFLAGS) -o kernel.elf kernel.c
 *         mkbootimg --module initrd=root --framebuffer 800x600x32 -o kernel.img kernel.elf
 */
#include <stdarg.h>
#include <stdint.h>

#include <mkbootimg/protocol.h>

/* Requests to mkbootimg, read when it builds the image (linker.ld keeps
 * them): this kernel reads version 2 fields, so an older mkbootimg must
 * refuse it rather than boot it with a shorter structure. */
MKBOOTIMG_REQUIRE_INFO_VERSION(2);
#ifdef FRAMEBUFFER_NOTE
/* Built so (tests/tests.mk), it asks for a framebuffer itself; mkbootimg
 * --framebuffer overrides the request. */
MKBOOTIMG_REQUEST_FRAMEBUFFER(1024, 768, 32);
#endif

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
 * address is usable as a pointer. The first line stays where it is: only
 * the lines below it scroll, so "Hello World!" never scrolls away.
 */

#define VGA_COLUMNS 80
#define VGA_ROWS 25
#define VGA_COLOUR 0x07 /* light grey on black */

static volatile uint16_t *const vga = (volatile uint16_t *)0xb8000;
static int vga_row, vga_column;
static int text_mode = 1; /* 0 once the loader has set a framebuffer */

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
	/* Scroll lines 2..25 up one; line 1 stays. */
	for (int i = VGA_COLUMNS; i < VGA_COLUMNS * (VGA_ROWS - 1); i++)
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
	if (text_mode)
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
 * A very small printf: %s, %u (decimal), %x (hexadecimal), each number a
 * uint64_t; a digit between % and u or x is the least number of digits
 * (%8x: 8 hex digits, zero-padded).
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
		int width = 1;
		if (p[1] >= '1' && p[1] <= '9')
			width = *++p - '0';
		switch (*++p) {
		case 's':
			write_string(va_arg(args, const char *));
			break;
		case 'u':
			put_number(va_arg(args, uint64_t), 10, width);
			break;
		case 'x':
			put_number(va_arg(args, uint64_t), 16, width);
			break;
		default: /* %% and anything unknown: print it as it is */
			write_char(*p);
			break;
		}
	}
	va_end(args);
}

/* CRC-32 as zip, zlib and Python's zlib.crc32 compute it: reflected,
 * polynomial 0xEDB88320, starting from and finishing with all ones. */
static uint32_t crc32(const uint8_t *p, uint64_t n)
{
	uint32_t crc = 0xffffffff;
	while (n--) {
		crc ^= *p++;
		for (int bit = 0; bit < 8; bit++)
			crc = crc & 1 ? crc >> 1 ^ 0xedb88320 : crc >> 1;
	}
	return ~crc;
}

/*
 * The framebuffer: height lines of pitch bytes, each pixel bpp / 8 bytes,
 * little-endian, holding its red, green and blue at the shifts and sizes the
 * loader reports. Like VGA text, it is reached through the identity map.
 */

/* A colour given as 8-bit red, green and blue, in the framebuffer's format. */
static uint32_t pixel_value(const struct mkbootimg_framebuffer *fb, uint8_t r, uint8_t g, uint8_t b)
{
	return (uint32_t)(r >> (8 - fb->red_size)) << fb->red_shift |
	       (uint32_t)(g >> (8 - fb->green_size)) << fb->green_shift |
	       (uint32_t)(b >> (8 - fb->blue_size)) << fb->blue_shift;
}

static void put_pixel(const struct mkbootimg_framebuffer *fb, uint32_t x, uint32_t y, uint32_t value)
{
	uint32_t bytes = (fb->bpp + 7u) / 8;
	volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)(fb->address + (uint64_t)y * fb->pitch + x * bytes);
	for (uint32_t i = 0; i < bytes; i++)
		p[i] = (uint8_t)(value >> 8 * i);
}

/* Eight colour bars over the top three quarters, a black-to-white ramp below. */
static void draw(const struct mkbootimg_framebuffer *fb)
{
	static const uint8_t bars[8][3] = {
		{ 255, 255, 255 }, { 255, 255, 0 }, { 0, 255, 255 }, { 0, 255, 0 },
		{ 255, 0, 255 }, { 255, 0, 0 }, { 0, 0, 255 }, { 0, 0, 0 },
	};
	if (fb->red_size == 0 || fb->red_size > 8) /* a palette mode, or deeper than 8 bits a colour */
		return;
	for (uint32_t y = 0; y < fb->height; y++)
		for (uint32_t x = 0; x < fb->width; x++) {
			uint32_t value;
			if (y < fb->height / 4 * 3) {
				const uint8_t *c = bars[x * 8 / fb->width];
				value = pixel_value(fb, c[0], c[1], c[2]);
			} else {
				uint8_t grey = (uint8_t)(x * 256 / fb->width);
				value = pixel_value(fb, grey, grey, grey);
			}
			put_pixel(fb, x, y, value);
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
	/* Version 2 added the framebuffer; later versions only append. */
	int v2 = info->magic == MKBOOTIMG_INFO_MAGIC && info->version >= 2 && info->size >= 152;
	const struct mkbootimg_framebuffer *fb = &info->framebuffer;
	text_mode = !v2 || fb->address == 0;
	if (text_mode)
		vga_clear();
	write_string("Hello World!\n");
	if (!v2) {
		write_string("The boot information is not mkbootimg's, version 2 or later.\n");
		halt();
	}

	/* Addresses in the boot information are physical, below 4 GiB, and
	 * usable as pointers as they are thanks to the identity map. */
	print("cmdline: %s\n", (const char *)(uintptr_t)info->cmdline);

	const struct mkbootimg_module *modules = (const struct mkbootimg_module *)(uintptr_t)info->modules;
	for (uint32_t i = 0; i < info->module_count; i++) {
		const struct mkbootimg_module *m = &modules[i];
		print("module %u: %u bytes crc32 %8x string '%s'\n", (uint64_t)i, m->size,
		      (uint64_t)crc32((const uint8_t *)(uintptr_t)m->address, m->size),
		      (const char *)(uintptr_t)m->string);
	}

	print("rsdp: 0x%x\n", info->rsdp);

	if (fb->address) {
		draw(fb);
		print("framebuffer: %ux%ux%u at 0x%x\n", (uint64_t)fb->width, (uint64_t)fb->height,
		      (uint64_t)fb->bpp, fb->address);
	}

	/* The memory map, summarised: the free RAM the kernel may use. */
	const struct mkbootimg_memory_region *map =
		(const struct mkbootimg_memory_region *)(uintptr_t)info->memory_map;
	uint64_t usable = 0;
	for (uint32_t i = 0; i < info->memory_map_count; i++)
		if (map[i].type == MKBOOTIMG_MEM_USABLE)
			usable += map[i].length;
	print("memory: %u MiB usable\n", usable >> 20);

	halt();
}
