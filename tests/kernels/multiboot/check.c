/*
 * Multiboot test kernel: checks from inside what the loader handed over
 * (machine state, the magic, every information structure, the command line
 * and the module) and reports on COM1 and through isa-debug-exit: QEMU exits
 * 33 when everything holds, 35 otherwise. MB_VERSION is 1 or 2; the expected
 * command line and module string come as -D settings from multiboot.mk.
 */
#include <stddef.h>
#include <stdint.h>

static int failures;

static void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static void puts(const char *s)
{
	while (*s)
		outb(0x3f8, (uint8_t)*s++);
}

static void puthex(uint32_t v)
{
	char b[11] = "0x";
	for (int i = 0; i < 8; i++)
		b[2 + i] = "0123456789abcdef"[v >> (28 - 4 * i) & 15];
	b[10] = 0;
	puts(b);
}

static void expect(int ok, const char *what, uint32_t value)
{
	if (ok)
		return;
	failures++;
	puts("mbcheck: FAIL ");
	puts(what);
	puts(" ");
	puthex(value);
	puts("\n");
}

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static int startswith(const char *a, const char *prefix)
{
	while (*prefix)
		if (*a++ != *prefix++)
			return 0;
	return 1;
}

static uint32_t limit(uint16_t sel)
{
	uint32_t l;
	__asm__("lsl %1, %0" : "=r"(l) : "r"((uint32_t)sel));
	return l;
}

static void check_machine(void)
{
	uint32_t cr0, flags;
	uint16_t cs, ds, ss;

	__asm__("mov %%cr0, %0" : "=r"(cr0));
	__asm__("pushf; pop %0" : "=r"(flags));
	__asm__("mov %%cs, %0; mov %%ds, %1; mov %%ss, %2" : "=r"(cs), "=r"(ds), "=r"(ss));
	expect((cr0 & 1) && !(cr0 & 0x80000000u), "CR0: PE on, PG off", cr0);
	expect(!(flags & (1u << 9)) && !(flags & (1u << 17)), "EFLAGS: IF and VM clear", flags);
	expect(limit(cs) == 0xffffffffu && limit(ds) == 0xffffffffu && limit(ss) == 0xffffffffu,
	       "flat 4 GiB segments", limit(cs));
	/* A20: 1 MiB and 0 are different memory. */
	volatile uint32_t *low = (uint32_t *)0x500, *high = (uint32_t *)0x100500;
	uint32_t old = *low;
	*high = 0x12345678;
	*low = 0x9abcdef0;
	expect(*high == 0x12345678, "A20 on", *high);
	*low = old;
}

/* The module (multiboot.mk): MODULE_TEXT, page-aligned, with its string. */
static void check_module(uint32_t start, uint32_t end, const char *string)
{
	const char *text = MODULE_TEXT;
	size_t n = 0;
	while (text[n])
		n++;
	expect((start & 4095) == 0, "module page-aligned", start);
	expect(end - start == n, "module size", end - start);
	for (size_t i = 0; i < n && i < end - start; i++)
		if (((const char *)start)[i] != text[i]) {
			expect(0, "module bytes", (uint32_t)i);
			break;
		}
	expect(streq(string, EXPECTED_MODULE_STRING), "module string", (uint32_t)string);
	if (!streq(string, EXPECTED_MODULE_STRING)) {
		puts(string);
		puts("\n");
	}
}

static void check_cmdline(const char *cmdline)
{
	expect(streq(cmdline, EXPECTED_CMDLINE), "command line", (uint32_t)cmdline);
	if (!streq(cmdline, EXPECTED_CMDLINE)) {
		puts(cmdline);
		puts("\n");
	}
}

/* Section headers: ELF32 (40 bytes) or ELF64 (64); .text found by its name. */
__attribute__((unused)) static void check_sections(uint32_t num, uint32_t entsize, uint32_t shndx, const uint8_t *shdrs)
{
	expect(num > 3 && shndx < num && (entsize == 40 || entsize == 64), "ELF sections", num);
	if (num <= 3 || shndx >= num || (entsize != 40 && entsize != 64))
		return;
	const uint8_t *str = shdrs + shndx * entsize;
	uint32_t strtab = entsize == 40 ? *(const uint32_t *)(str + 12) : *(const uint32_t *)(str + 16);
	int found = 0;
	expect(strtab != 0, "section name table loaded", strtab);
	if (strtab == 0)
		return;
	for (uint32_t i = 0; i < num; i++) {
		const uint8_t *s = shdrs + i * entsize;
		if (streq((const char *)strtab + *(const uint32_t *)s, ".text"))
			found = 1;
	}
	expect(found, "section .text named", 0);
}

struct mmap_summary {
	int usable_1m;
	uint32_t upper_kib; /* KiB of available memory from 1 MiB on, as the map says */
};

static void mmap_entry(struct mmap_summary *s, uint64_t base, uint64_t length, uint32_t type)
{
	if (type == 1 && base <= 0x100000 && base + length > 0x200000)
		s->usable_1m = 1;
	if (type == 1 && base <= 0x100000 && base + length > 0x100000)
		s->upper_kib = (uint32_t)((base + length - 0x100000) >> 10);
}

/*
 * The screen: on a BIOS the EGA text screen (these kernels ask for no
 * mode); on UEFI there is no text mode, and the loader describes the GOP
 * framebuffer, 32 bits per pixel, as GRUB does. Printed for the tests
 * outside to compare with the firmware they booted.
 */
static void check_framebuffer(const uint8_t *fb, int uefi)
{
	uint64_t addr = *(const uint64_t *)fb;
	uint32_t pitch = *(const uint32_t *)(fb + 8), width = *(const uint32_t *)(fb + 12);
	uint32_t height = *(const uint32_t *)(fb + 16);
	uint8_t bpp = fb[20], type = fb[21];

	puts(type == 1 ? "mbcheck: framebuffer: RGB\n" : "mbcheck: framebuffer: EGA text\n");
	if (uefi)
		expect(type == 1 && bpp == 32 && addr && width && height && pitch >= 4 * width,
		       "framebuffer: GOP, 32-bit RGB", type);
	else
		expect(addr == 0xb8000 && type == 2 && width == 80, "framebuffer: EGA text", type);
}

#if MB_VERSION == 1
static void check_info(uint32_t magic, const uint32_t *info)
{
	uint32_t flags = info[0];
	struct mmap_summary m = { 0 };

	expect(magic == 0x2badb002, "magic", magic);
	if (magic != 0x2badb002)
		return;
	uint32_t want = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 3) | (1 << 6) | (1 << 9) | (1 << 12);
	expect((flags & want) == want, "flags", flags);
	expect(info[1] >= 500 && info[1] <= 640, "mem_lower", info[1]);
	/* From 1 MiB to the first hole: on UEFI that may be a few MiB only. */
	expect(info[2] >= 1024, "mem_upper", info[2]);
	expect(info[3] >> 24 == 0x80, "boot_device", info[3]);
	check_cmdline((const char *)info[4]);
	expect(info[5] == 1, "mods_count", info[5]);
	if (info[5] == 1) {
		const uint32_t *mod = (const uint32_t *)info[6];
		check_module(mod[0], mod[1], (const char *)mod[2]);
	}
#ifdef NO_SECTIONS
	expect(!(flags & (1 << 5)), "no ELF sections for a binary", flags);
#else
	expect(flags & (1 << 5), "ELF sections flag", flags);
	if (flags & (1 << 5))
		check_sections(info[7], info[8], info[10], (const uint8_t *)info[9]);
#endif
	for (uint32_t off = 0; off < info[11];) {
		const uint8_t *e = (const uint8_t *)info[12] + off;
		mmap_entry(&m, *(const uint64_t *)(e + 4), *(const uint64_t *)(e + 12),
			   *(const uint32_t *)(e + 20));
		off += *(const uint32_t *)e + 4;
	}
	expect(m.usable_1m, "memory map: usable RAM at 1 MiB", info[11]);
	expect(info[2] == m.upper_kib, "mem_upper as the memory map says", m.upper_kib);
	expect(startswith((const char *)info[16], "mkbootimg"), "boot loader name", info[16]);
	/* Multiboot 1 cannot tell the firmware: a GOP framebuffer means UEFI. */
	const uint8_t *fb = (const uint8_t *)info + 88;
	check_framebuffer(fb, fb[21] == 1);
}
#else
static void check_info(uint32_t magic, const uint8_t *info)
{
	uint32_t total = *(const uint32_t *)info, seen = 0, mem_upper = 0;
	struct mmap_summary m = { 0 };
	const uint8_t *fb = 0;

	expect(magic == 0x36d76289, "magic", magic);
	expect(((uint32_t)info & 7) == 0, "information 8-byte aligned", (uint32_t)info);
	if (magic != 0x36d76289)
		return;
	for (uint32_t off = 8; off < total;) {
		const uint8_t *t = info + off;
		uint32_t type = *(const uint32_t *)t, size = *(const uint32_t *)(t + 4);
		const uint32_t *w = (const uint32_t *)(t + 8);
		if (type == 0)
			break;
		if (type < 32)
			seen |= 1u << type;
		switch (type) {
		case 1: check_cmdline((const char *)(t + 8)); break;
		case 2: expect(startswith((const char *)(t + 8), "mkbootimg"), "boot loader name", 0); break;
		case 3: check_module(w[0], w[1], (const char *)(t + 16)); break;
		case 4:
			expect(w[0] >= 500 && w[0] <= 640, "mem_lower", w[0]);
			expect(w[1] >= 1024, "mem_upper", w[1]);
			mem_upper = w[1];
			break;
		case 5: expect(w[0] == 0x80, "BIOS boot device", w[0]); break;
		case 6:
			expect(w[0] == 24, "memory map entry size", w[0]);
			for (uint32_t e = 16; e + 24 <= size; e += 24)
				mmap_entry(&m, *(const uint64_t *)(t + e), *(const uint64_t *)(t + e + 8),
					   *(const uint32_t *)(t + e + 16));
			break;
		case 8: fb = t + 8; break;
		case 12: /* the EFI system table: its signature, when it lies below 4 GiB */
			expect(size == 16 && (w[1] || *(const uint64_t *)(uintptr_t)w[0] == 0x5453595320494249ull),
			       "EFI system table: IBI SYST", w[0]);
			break;
		case 17: /* the EFI memory map: whole descriptors of 40 bytes or more */
			expect(w[0] >= 40 && size > 16 && (size - 16) % w[0] == 0, "EFI memory map tag", w[0]);
			break;
		case 9: check_sections(w[0], w[1], w[2], t + 20); break;
		case 14: expect(startswith((const char *)(t + 8), "RSD PTR "), "ACPI old RSDP", 0); break;
		case 21: expect(w[0] == 0x200000, "load base address", w[0]); break;
		}
		off += (size + 7) & ~7u;
	}
	uint32_t want = 1u << 1 | 1u << 2 | 1u << 3 | 1u << 4 | 1u << 5 | 1u << 6 | 1u << 8 |
			1u << 9 | 1u << 14 | 1u << 21;
	/* UEFI: the EFI system table and memory map tags come together. */
	uint32_t uefi = (seen >> 12) & 1;
	puts(uefi ? "firmware: UEFI\n" : "firmware: BIOS\n");
	if (uefi)
		want |= 1u << 17;
	expect((seen & want) == want && uefi == ((seen >> 17) & 1), "tags present (bit = type)", seen);
	expect(m.usable_1m, "memory map: usable RAM at 1 MiB", 0);
	expect(mem_upper == m.upper_kib, "mem_upper as the memory map says", m.upper_kib);
	if (fb)
		check_framebuffer(fb, uefi);
}
#endif

void check(uint32_t magic, uint32_t info)
{
	check_machine();
	check_info(magic, (const void *)info);
	puts(failures ? "mbcheck: FAILED\n" : "mbcheck: all checks passed\n");
	outl(0xf4, failures ? 0x11 : 0x10);
}
