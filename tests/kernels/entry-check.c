/*
 * entry-check: a test kernel that checks, from inside, every promise the
 * mkbootimg boot protocol makes about the kernel's entry state
 * (include/mkbootimg/protocol.h, DESIGN.md).
 *
 * It prints one line per check on COM1, "ok NAME" or "FAIL NAME: why", and
 * tells QEMU the verdict through isa-debug-exit (port 0xf4): 0x10 when every
 * check passed (QEMU exits 33), 0x11 otherwise (QEMU exits 35).
 *
 * One source, several builds (tests/tests.mk): higher-half, flat, without
 * AT(), with many segments, with a big stack (by flag or by note), with
 * modules, by clang. Build-time settings:
 *   VARIANT              name printed in the log
 *   EXPECTED_CMDLINE     the string given to mkbootimg --cmdline
 *   MODULE_CRCS          instead of EXPECTED_CMDLINE: the command line is
 *                        "crc=xxxxxxxx,..." with the CRC-32 of each module,
 *                        which the kernel computes and compares
 *   EXPECTED_STACK_SIZE  the least stack size to expect (default 64 KiB)
 *   EXPECTED_SEGMENTS    PT_LOAD segments the linker script makes (default 3)
 *   STACK_NOTE           ask for this stack size with MKBOOTIMG_REQUEST_STACK_SIZE
 *
 * Page-table checks walk the tables from CR3 through the direct map, which
 * is also what shows that the direct map works.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <mkbootimg/protocol.h>

#ifndef VARIANT
#define VARIANT "unnamed"
#endif
#if !defined(EXPECTED_CMDLINE) && !defined(MODULE_CRCS)
#error "build with -DEXPECTED_CMDLINE='\"...\"', the same string as mkbootimg --cmdline"
#endif
#ifndef EXPECTED_STACK_SIZE
#define EXPECTED_STACK_SIZE 0x10000
#endif
#ifndef EXPECTED_SEGMENTS
#define EXPECTED_SEGMENTS 3
#endif

#ifdef STACK_NOTE
/* The requests a kernel makes inside itself; mkbootimg reads them at build time. */
MKBOOTIMG_REQUEST_STACK_SIZE(STACK_NOTE);
MKBOOTIMG_REQUIRE_INFO_VERSION(2);
#endif

#define PAGE_SIZE 4096ull
#define PAGE_DOWN(x) ((x) & ~(PAGE_SIZE - 1))
#define PAGE_UP(x) PAGE_DOWN((x) + PAGE_SIZE - 1)
#define GiB (1ull << 30)
#define MiB (1ull << 20)

/* Set by entry.S from the registers at the first instruction. */
extern uint64_t entry_rsp, entry_rbp, entry_rdi, entry_rflags;
extern const char isr_stubs[];
/* 0 when the byte at p can be read, 1 when reading it faults (#PF). */
extern int probe_read(const volatile void *p);
extern const char probe_insn[], probe_fault[];

/* Set by the linker script. */
extern const char __kernel_start[], __kernel_end[];
extern const char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern const char __data_start[], __data_end[], __bss_start[], __bss_end[];
extern const char __far_start[], __far_end[];

/* pattern.S */
extern const uint32_t data_pattern[];
extern const uint64_t data_pattern_words;

/* ---- Hardware access ---- */

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t read_cr0(void) { uint64_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr2(void) { uint64_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr3(void) { uint64_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr4(void) { uint64_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void cpuid(uint32_t leaf, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_LA57 (1ull << 12)
#define MSR_EFER 0xc0000080
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)
#define RFLAGS_IF (1ull << 9)

/* ---- Output: COM1 and isa-debug-exit ---- */

#define COM1 0x3f8
#define DEBUG_EXIT_PORT 0xf4

static void serial_init(void)
{
	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x80); /* DLAB: set the divisor */
	outb(COM1 + 0, 0x01); /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1 */
	outb(COM1 + 2, 0xc7); /* FIFOs on */
	outb(COM1 + 4, 0x03);
}

static void serial_putc(char c)
{
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, (uint8_t)c);
}

static void put_number(uint64_t n, unsigned base)
{
	char digits[20];
	int count = 0;
	do {
		digits[count++] = "0123456789abcdef"[n % base];
		n /= base;
	} while (n);
	while (count)
		serial_putc(digits[--count]);
}

/* %s, %u (uint64_t decimal), %x (uint64_t, "0x" hex), %%. */
static void vprint(const char *format, va_list args)
{
	for (const char *p = format; *p; p++) {
		if (*p != '%') {
			serial_putc(*p);
			continue;
		}
		switch (*++p) {
		case 's':
			for (const char *s = va_arg(args, const char *); *s; s++)
				serial_putc(*s);
			break;
		case 'u':
			put_number(va_arg(args, uint64_t), 10);
			break;
		case 'x':
			serial_putc('0');
			serial_putc('x');
			put_number(va_arg(args, uint64_t), 16);
			break;
		default:
			serial_putc(*p);
			break;
		}
	}
}

static void print(const char *format, ...)
{
	va_list args;
	va_start(args, format);
	vprint(format, args);
	va_end(args);
}

static _Noreturn void qemu_exit(int passed)
{
	outl(DEBUG_EXIT_PORT, passed ? 0x10 : 0x11);
	for (;;) /* not under QEMU with isa-debug-exit */
		__asm__ volatile("cli; hlt");
}

/* ---- Checks ---- */

static unsigned checks_run, checks_failed;
/* volatile: an exception must see the name of the check that was running. */
static const char *volatile current_check = "start-up";

/* Report one check: "ok NAME", or "FAIL NAME: " and the formatted reason. */
static int report(int passed, const char *name, const char *why, ...)
{
	checks_run++;
	if (passed) {
		print("ok %s\n", name);
		return 1;
	}
	checks_failed++;
	print("FAIL %s: ", name);
	va_list args;
	va_start(args, why);
	vprint(why, args);
	va_end(args);
	print("\n");
	return 0;
}

/* ---- Exceptions: any fault is a failed check, not a silent triple fault ---- */

struct exception_frame {
	uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

struct idt_gate {
	uint16_t offset_low, selector;
	uint8_t ist, type;
	uint16_t offset_mid;
	uint32_t offset_high, zero;
};

static struct idt_gate idt[32];

/* Where the fault that probe_read took happened; ~0 when there was none. */
static uint64_t probe_cr2 = ~0ull;

void exception(struct exception_frame *f);

/* Reports a fault and exits QEMU, except the page fault probe_read expects:
 * then it returns, and the stub resumes at probe_fault. */
void exception(struct exception_frame *f)
{
	if (f->vector == 14 && f->rip == (uintptr_t)probe_insn) {
		probe_cr2 = read_cr2();
		f->rip = (uintptr_t)probe_fault;
		return;
	}
	static const char *const names[] = {
		"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
		"#BR bound", "#UD invalid opcode", "#NM no FPU/SSE (CR0.TS or EM)",
		"#DF double fault", "coprocessor overrun", "#TS invalid TSS",
		"#NP segment not present", "#SS stack fault", "#GP general protection",
		"#PF page fault", "reserved", "#MF x87 error", "#AC alignment check",
		"#MC machine check", "#XM SIMD exception", "#VE virtualization",
		"#CP control protection",
	};
	const char *name = f->vector < sizeof names / sizeof names[0] ? names[f->vector] : "reserved";
	report(0, current_check, "exception %u (%s), error code %x, at RIP %x, CR2 %x, RSP %x",
	       f->vector, name, f->error, f->rip, read_cr2(), f->rsp);
	print("entry-check %s: stopped by an exception after %u checks\n", VARIANT, (uint64_t)checks_run);
	qemu_exit(0);
}

static void install_idt(void)
{
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	for (int n = 0; n < 32; n++) {
		uint64_t stub = (uint64_t)(uintptr_t)isr_stubs + 16 * (uint64_t)n;
		idt[n] = (struct idt_gate){
			.offset_low = (uint16_t)stub,
			.selector = cs,
			.type = 0x8e, /* present, ring 0, 64-bit interrupt gate */
			.offset_mid = (uint16_t)(stub >> 16),
			.offset_high = (uint32_t)(stub >> 32),
		};
	}
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} idtr = { sizeof idt - 1, (uint64_t)(uintptr_t)idt };
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

/* ---- Boot information and memory map ---- */

static const struct mkbootimg_info *info;
static const struct mkbootimg_memory_region *map;
static uint32_t map_count;

/* Type of the memory-map region that holds physical address p, 0 if none. */
static uint32_t region_type(uint64_t p)
{
	for (uint32_t i = 0; i < map_count; i++)
		if (p >= map[i].base && p - map[i].base < map[i].length)
			return map[i].type;
	return 0;
}

/* Is p inside any usable region? (All of them: a bad map may have overlaps.) */
static int in_usable(uint64_t p)
{
	for (uint32_t i = 0; i < map_count; i++)
		if (map[i].type == MKBOOTIMG_MEM_USABLE && p >= map[i].base && p - map[i].base < map[i].length)
			return 1;
	return 0;
}

/* Is [p, p + n) all inside regions of this type? Checked at both ends and every page. */
static int range_has_type(uint64_t p, uint64_t n, uint32_t type)
{
	if (n == 0)
		return 1;
	for (uint64_t q = PAGE_DOWN(p); q < p + n; q += PAGE_SIZE)
		if (region_type(q < p ? p : q) != type)
			return 0;
	return region_type(p + n - 1) == type;
}

#ifndef MODULE_CRCS
static int str_equal(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}
#endif

static uint64_t str_length(const char *s)
{
	uint64_t n = 0;
	while (s[n])
		n++;
	return n;
}

/* ---- Page tables ---- */

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_PS (1ull << 7)
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

static uint64_t direct_map;   /* info->direct_map_offset */
static int nx_enabled;        /* EFER.NXE: the NX bit means something */
static uint64_t stray_table = ~0ull; /* first page table found outside PAGE_TABLES */

struct mapping {
	int present, writable, executable;
	uint64_t phys;
};

/*
 * Translate a virtual address as the MMU would: 4 levels from CR3, 1 GiB and
 * 2 MiB pages allowed, permissions combined over all levels.
 */
static struct mapping translate(uint64_t va)
{
	struct mapping m = { 0, 1, 1, 0 };
	uint64_t table = read_cr3() & PTE_ADDR;
	for (int level = 4; level >= 1; level--) {
		if (stray_table == ~0ull && region_type(table) != MKBOOTIMG_MEM_PAGE_TABLES)
			stray_table = table;
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t entry = *(volatile uint64_t *)(uintptr_t)(direct_map + table + 8 * ((va >> shift) & 511));
		if (!(entry & PTE_P))
			return m;
		if (!(entry & PTE_W))
			m.writable = 0;
		if (nx_enabled && (entry & PTE_NX))
			m.executable = 0;
		if (level == 1 || ((level == 2 || level == 3) && (entry & PTE_PS))) {
			uint64_t size = 1ull << shift;
			m.present = 1;
			m.phys = (entry & PTE_ADDR & ~(size - 1)) + (va & (size - 1));
			return m;
		}
		table = entry & PTE_ADDR;
	}
	return m; /* not reached */
}

/* The kernel's sections, with what their pages must allow. */
struct section {
	const char *name;
	uint64_t start, end;
	int writable, executable;
};

static struct section sections[5];

static void init_sections(void)
{
	const struct section s[5] = {
		{ ".text", (uintptr_t)__text_start, (uintptr_t)__text_end, 0, 1 },
		{ ".rodata", (uintptr_t)__rodata_start, (uintptr_t)__rodata_end, 0, 0 },
		{ ".data", (uintptr_t)__data_start, (uintptr_t)__data_end, 1, 0 },
		{ ".bss", (uintptr_t)__bss_start, (uintptr_t)__bss_end, 1, 0 },
		{ "far data", (uintptr_t)__far_start, (uintptr_t)__far_end, 1, 0 },
	};
	for (int i = 0; i < 5; i++)
		sections[i] = s[i];
}

/*
 * What the page at va must allow: the union over all sections in it, since a
 * page shared by two segments (segments.ld) is mapped once for both.
 */
static void page_needs(uint64_t va, int *writable, int *executable)
{
	*writable = *executable = 0;
	for (int i = 0; i < 5; i++) {
		if (sections[i].start == sections[i].end)
			continue;
		if (va < PAGE_UP(sections[i].end) && va + PAGE_SIZE > PAGE_DOWN(sections[i].start)) {
			*writable |= sections[i].writable;
			*executable |= sections[i].executable;
		}
	}
}

/* ---- The checks, grouped ---- */

static void check_cpu_state(void)
{
	uint64_t cr0 = read_cr0(), cr4 = read_cr4(), efer = rdmsr(MSR_EFER);

	current_check = "long mode";
	report((efer & EFER_LMA) && (efer & EFER_LME), current_check, "EFER is %x: LME and LMA should be set", efer);
	current_check = "paging";
	report((cr0 & CR0_PG) && (cr0 & CR0_PE) && (cr4 & CR4_PAE), current_check,
	       "CR0 %x, CR4 %x: PG, PE and PAE should be set", cr0, cr4);
	current_check = "4-level paging";
	report(!(cr4 & CR4_LA57), current_check, "CR4.LA57 is set (5-level paging)");
	current_check = "interrupts off";
	report(!(entry_rflags & RFLAGS_IF), current_check, "RFLAGS at entry %x has IF set", entry_rflags);
	current_check = "stack alignment";
	report(entry_rsp % 16 == 8, current_check, "RSP at entry %x: RSP %% 16 should be 8 (as after a call)", entry_rsp);
	current_check = "rbp zero";
	report(entry_rbp == 0, current_check, "RBP at entry is %x", entry_rbp);

	current_check = "sse control bits";
	report(!(cr0 & CR0_EM) && (cr0 & CR0_MP) && !(cr0 & CR0_TS) && (cr4 & CR4_OSFXSR) && (cr4 & CR4_OSXMMEXCPT),
	       current_check, "CR0 %x, CR4 %x: want EM and TS clear, MP, OSFXSR, OSXMMEXCPT set", cr0, cr4);
	current_check = "sse instructions";
	{
		/* A fault here (#UD, #NM) is reported by the exception handler. */
		static const float a[4] __attribute__((aligned(16))) = { 1.5f, 2.0f, -3.0f, 4.25f };
		static const float b[4] __attribute__((aligned(16))) = { 0.5f, 1.0f, 3.0f, 0.75f };
		float r[4] __attribute__((aligned(16)));
		__asm__ volatile("movaps %1, %%xmm0\n\taddps %2, %%xmm0\n\tmovaps %%xmm0, %0"
				 : "=m"(r) : "m"(a), "m"(b) : "xmm0");
		report(r[0] == 2.0f && r[1] == 3.0f && r[2] == 0.0f && r[3] == 5.0f, current_check,
		       "addps gave wrong sums");
	}

	uint32_t id[4];
	cpuid(0x80000000, id);
	int cpu_has_nx = 0;
	if (id[0] >= 0x80000001) {
		cpuid(0x80000001, id);
		cpu_has_nx = (id[3] >> 20) & 1;
	}
	nx_enabled = (efer & EFER_NXE) != 0;
	current_check = "nx enabled when the cpu has it";
	report(nx_enabled == cpu_has_nx, current_check, "CPU NX support %u, EFER.NXE %u", (uint64_t)cpu_has_nx,
	       (uint64_t)nx_enabled);
	print("info: CPU %s NX\n", cpu_has_nx ? "has" : "lacks");
	/* Without CR0.WP, ring 0 writes ignore read-only pages: "writable only if PF_W" would not hold. */
	current_check = "write protection (CR0.WP)";
	report((cr0 & CR0_WP) != 0, current_check, "CR0 %x: WP clear, so the kernel can write to read-only pages", cr0);
}

/* A GDT descriptor: present, S (code/data) and the type bits. */
static uint64_t gdt_entry(uint64_t base, uint16_t limit, uint16_t selector, int *ok)
{
	uint64_t offset = selector & ~7u;
	*ok = !(selector & 4) && offset + 7 <= limit && translate(base + offset).present;
	return *ok ? *(volatile uint64_t *)(uintptr_t)(base + offset) : 0;
}

#define DESC_PRESENT(d) (((d) >> 47) & 1)
#define DESC_S(d) (((d) >> 44) & 1)
#define DESC_CODE(d) (((d) >> 43) & 1)
#define DESC_WRITABLE(d) (((d) >> 41) & 1)
#define DESC_L(d) (((d) >> 53) & 1)
#define DESC_D(d) (((d) >> 54) & 1)
#define DESC_IS_DATA(d) (DESC_PRESENT(d) && DESC_S(d) && !DESC_CODE(d) && DESC_WRITABLE(d))

static void check_gdt(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} gdtr;
	uint16_t cs, ds, ss;
	__asm__ volatile("sgdt %0" : "=m"(gdtr));
	__asm__ volatile("mov %%cs, %0; mov %%ds, %1; mov %%ss, %2" : "=r"(cs), "=r"(ds), "=r"(ss));

	int ok;
	current_check = "gdt 64-bit code segment";
	uint64_t d = gdt_entry(gdtr.base, gdtr.limit, cs, &ok);
	report(ok && DESC_PRESENT(d) && DESC_S(d) && DESC_CODE(d) && DESC_L(d) && !DESC_D(d), current_check,
	       "CS %x: descriptor %x in GDT at %x, limit %x", (uint64_t)cs, d, gdtr.base, (uint64_t)gdtr.limit);

	current_check = "gdt data segment";
	int has_data = 0;
	for (uint64_t sel = 8; sel + 7 <= gdtr.limit; sel += 8) {
		uint64_t e = gdt_entry(gdtr.base, gdtr.limit, (uint16_t)sel, &ok);
		has_data |= ok && DESC_IS_DATA(e);
	}
	/* Null DS and SS are valid in 64-bit mode at ring 0; others must be data segments. */
	uint64_t dd = ds ? gdt_entry(gdtr.base, gdtr.limit, ds, &ok) : 0;
	int ds_ok = !ds || DESC_IS_DATA(dd);
	uint64_t sd = ss ? gdt_entry(gdtr.base, gdtr.limit, ss, &ok) : 0;
	int ss_ok = !ss || DESC_IS_DATA(sd);
	report(has_data && ds_ok && ss_ok, current_check,
	       "GDT has a writable data descriptor: %u; DS %x -> %x, SS %x -> %x", (uint64_t)has_data, (uint64_t)ds,
	       dd, (uint64_t)ss, sd);
}

static void check_boot_info_header(uint64_t rdi)
{
	current_check = "boot info magic";
	if (!report(info->magic == MKBOOTIMG_INFO_MAGIC, current_check, "magic at RDI %x is %x, want %x", rdi,
		    info->magic, MKBOOTIMG_INFO_MAGIC)) {
		print("entry-check %s: no boot information, nothing more to check\n", VARIANT);
		qemu_exit(0);
	}
	/* Later versions only append: a newer loader passes too. */
	current_check = "boot info version and size";
	if (!report(info->version >= 2 && info->size >= sizeof *info, current_check,
		    "version %u, size %u; want version >= 2, size >= %u", (uint64_t)info->version,
		    (uint64_t)info->size, (uint64_t)sizeof *info)) {
		print("entry-check %s: boot information older than version 2, nothing more to check\n", VARIANT);
		qemu_exit(0);
	}

	current_check = "loader name";
	const char *name = (const char *)(uintptr_t)info->loader_name;
	int prefix = info->loader_name != 0;
	for (const char *p = "mkbootimg"; prefix && *p; p++, name++)
		prefix = *name == *p;
	report(prefix, current_check, "loader name at %x does not start with \"mkbootimg\"", info->loader_name);

	current_check = "command line";
	const char *cmdline = (const char *)(uintptr_t)info->cmdline;
#ifdef MODULE_CRCS
	/* The CRCs themselves are compared in check_modules(). */
	report(cmdline && cmdline[0] == 'c' && cmdline[1] == 'r' && cmdline[2] == 'c' && cmdline[3] == '=' &&
		       info->cmdline_length == str_length(cmdline),
	       current_check, "got \"%s\" (length %u), want \"crc=...\"", cmdline ? cmdline : "(null)",
	       info->cmdline_length);
#else
	report(cmdline && str_equal(cmdline, EXPECTED_CMDLINE) && info->cmdline_length == str_length(EXPECTED_CMDLINE),
	       current_check, "got \"%s\" (length %u), want \"%s\"", cmdline ? cmdline : "(null)", info->cmdline_length,
	       EXPECTED_CMDLINE);
#endif

	current_check = "boot drive";
	report(info->boot_drive >= 0x80 && info->boot_drive <= 0xff, current_check, "boot drive %x, want a hard disk 0x80..0xff",
	       (uint64_t)info->boot_drive);
}

static const char *type_name(uint32_t t)
{
	switch (t) {
	case MKBOOTIMG_MEM_USABLE: return "usable";
	case MKBOOTIMG_MEM_RESERVED: return "reserved";
	case MKBOOTIMG_MEM_ACPI_RECLAIMABLE: return "acpi-reclaimable";
	case MKBOOTIMG_MEM_ACPI_NVS: return "acpi-nvs";
	case MKBOOTIMG_MEM_BAD: return "bad";
	case MKBOOTIMG_MEM_LOADER_RECLAIMABLE: return "loader-reclaimable";
	case MKBOOTIMG_MEM_KERNEL: return "kernel";
	case MKBOOTIMG_MEM_KERNEL_STACK: return "kernel-stack";
	case MKBOOTIMG_MEM_PAGE_TABLES: return "page-tables";
	case MKBOOTIMG_MEM_BOOT_INFO: return "boot-info";
	case MKBOOTIMG_MEM_MODULES: return "modules";
	default: return 0;
	}
}

static void check_memory_map(uint64_t rdi)
{
	current_check = "memory map entries";
	uint64_t usable = 0;
	int bad = -1, has_reclaimable = 0;
	for (uint32_t i = 0; i < map_count; i++) {
		const struct mkbootimg_memory_region *r = &map[i];
		print("info: memory %x-%x %s\n", r->base, r->base + r->length - 1,
		      type_name(r->type) ? type_name(r->type) : "unknown");
		if (r->type == MKBOOTIMG_MEM_USABLE)
			usable += r->length;
		has_reclaimable |= r->type == MKBOOTIMG_MEM_LOADER_RECLAIMABLE;
		if (bad < 0 && (r->length == 0 || r->reserved != 0 || !type_name(r->type)))
			bad = (int)i;
	}
	report(map_count > 0 && bad < 0, current_check, "%u entries; entry %u has length 0, an unknown type or reserved != 0",
	       (uint64_t)map_count, (uint64_t)bad);

	current_check = "memory map sorted, not overlapping";
	bad = -1;
	for (uint32_t i = 1; i < map_count && bad < 0; i++)
		if (map[i - 1].base > map[i].base || map[i].base - map[i - 1].base < map[i - 1].length)
			bad = (int)i;
	report(bad < 0, current_check, "entry %u (%x) overlaps or precedes the one before it", (uint64_t)bad,
	       bad < 0 ? 0 : map[bad].base);

	current_check = "usable regions page-aligned";
	bad = -1;
	for (uint32_t i = 0; i < map_count && bad < 0; i++)
		if (map[i].type == MKBOOTIMG_MEM_USABLE && ((map[i].base | map[i].length) & (PAGE_SIZE - 1)))
			bad = (int)i;
	report(bad < 0, current_check, "entry %u: base %x length %x", (uint64_t)bad, bad < 0 ? 0 : map[bad].base,
	       bad < 0 ? 0 : map[bad].length);

	current_check = "usable memory";
	print("info: usable memory %u MiB\n", usable / MiB);
	report(usable >= 64 * MiB, current_check, "only %u KiB usable (QEMU has -m 256M)", usable >> 10);

	current_check = "loader-reclaimable region";
	report(has_reclaimable, current_check, "no LOADER_RECLAIMABLE region in the memory map");

	current_check = "cr3 in page-tables region";
	uint64_t cr3 = read_cr3() & PTE_ADDR;
	report(range_has_type(cr3, PAGE_SIZE, MKBOOTIMG_MEM_PAGE_TABLES), current_check, "CR3 %x is in a region of type %x",
	       cr3, (uint64_t)region_type(cr3));

	current_check = "boot info in boot-info region";
	uint64_t mapsz = (uint64_t)map_count * sizeof *map;
	const char *where = !range_has_type(rdi, sizeof *info, MKBOOTIMG_MEM_BOOT_INFO) ? "the structure"
			    : !range_has_type(info->memory_map, mapsz, MKBOOTIMG_MEM_BOOT_INFO) ? "the memory map"
			    : !range_has_type(info->cmdline, info->cmdline_length + 1, MKBOOTIMG_MEM_BOOT_INFO) ? "the command line"
			    : !range_has_type(info->loader_name, str_length((const char *)(uintptr_t)info->loader_name) + 1,
					      MKBOOTIMG_MEM_BOOT_INFO) ? "the loader name"
			    : !range_has_type(info->segments, info->segment_count * sizeof(struct mkbootimg_segment),
					      MKBOOTIMG_MEM_BOOT_INFO) ? "the segment array"
			    : !range_has_type(info->modules, info->module_count * sizeof(struct mkbootimg_module),
					      MKBOOTIMG_MEM_BOOT_INFO) ? "the module array"
			    : 0;
	const struct mkbootimg_module *mods = (const struct mkbootimg_module *)(uintptr_t)info->modules;
	for (uint32_t i = 0; i < info->module_count && !where && mods; i++)
		if (!range_has_type(mods[i].string, str_length((const char *)(uintptr_t)mods[i].string) + 1,
				    MKBOOTIMG_MEM_BOOT_INFO))
			where = "a module's string";
	report(!where, current_check, "%s is outside BOOT_INFO regions (info at %x, map at %x, cmdline at %x)",
	       where ? where : "", rdi, info->memory_map, info->cmdline);
}

/* Walk every page of every section: mapped, permissions, physical pages typed KERNEL. */
static void check_kernel_mappings(void)
{
	const char *perm_fail = 0, *type_fail = 0, *text_fail = 0;
	uint64_t perm_va = 0, type_va = 0, type_pa = 0, usable_pa = ~0ull;
	struct mapping perm_m = { 0, 0, 0, 0 };
	int perm_w = 0, perm_x = 0;

	current_check = "section permissions";
	for (int i = 0; i < 5; i++) {
		const struct section *s = &sections[i];
		if (s->start == s->end)
			continue;
		for (uint64_t va = PAGE_DOWN(s->start); va < s->end; va += PAGE_SIZE) {
			struct mapping m = translate(va);
			int w, x;
			page_needs(va, &w, &x);
			if (!perm_fail && (!m.present || m.writable != w || (nx_enabled && m.executable != x))) {
				perm_fail = s->name, perm_va = va, perm_m = m, perm_w = w, perm_x = x;
			}
			if (!type_fail && m.present && region_type(m.phys) != MKBOOTIMG_MEM_KERNEL)
				type_fail = s->name, type_va = va, type_pa = m.phys;
			if (usable_pa == ~0ull && m.present && in_usable(m.phys))
				usable_pa = m.phys;
			if (!text_fail && i == 0 && !m.executable)
				text_fail = "not executable";
		}
	}
	report(!perm_fail, current_check,
	       "%s page %x: present %u writable %u executable %u; want writable %u executable %u (NX %s)",
	       perm_fail ? perm_fail : "", perm_va, (uint64_t)perm_m.present, (uint64_t)perm_m.writable,
	       (uint64_t)perm_m.executable, (uint64_t)perm_w, (uint64_t)perm_x, nx_enabled ? "on" : "off");
	current_check = "text executable";
	report(!text_fail, current_check, ".text has a page mapped non-executable");
	current_check = "kernel pages in kernel region";
	report(!type_fail, current_check, "%s page %x is at physical %x, in a region of type %x, not KERNEL",
	       type_fail ? type_fail : "", type_va, type_pa, (uint64_t)region_type(type_pa));
	current_check = "no usable region overlaps the kernel";
	report(usable_pa == ~0ull, current_check, "kernel page at physical %x is in a usable region", usable_pa);
}

static void check_direct_map(uint64_t rdi)
{
	current_check = "direct map offset";
	report(direct_map >= 0xffff800000000000ull && direct_map % PAGE_SIZE == 0, current_check,
	       "direct_map_offset %x is not a page-aligned higher-half address", direct_map);

	/* Read our own code through the direct map: same bytes as through the kernel mapping. */
	current_check = "direct map shows kernel text";
	uint64_t text = (uintptr_t)__text_start;
	struct mapping m = translate(text);
	struct mapping dm = translate(direct_map + m.phys);
	int same = m.present && dm.present && dm.phys == m.phys;
	for (uint64_t i = 0; same && i < 256 && text + i < (uintptr_t)__text_end; i++)
		same = *(volatile const uint8_t *)(uintptr_t)(direct_map + m.phys + i) == ((const uint8_t *)__text_start)[i];
	report(same, current_check, ".text at %x is physical %x; at direct map %x: present %u, physical %x", text, m.phys,
	       direct_map + m.phys, (uint64_t)dm.present, dm.phys);

	/* Every region of RAM, first and last page, at direct_map_offset + physical. */
	current_check = "direct map covers memory";
	uint64_t bad = ~0ull;
	for (uint32_t i = 0; i < map_count && bad == ~0ull; i++) {
		if (map[i].type == MKBOOTIMG_MEM_RESERVED || map[i].type == MKBOOTIMG_MEM_BAD)
			continue;
		uint64_t ends[2] = { PAGE_DOWN(map[i].base), PAGE_DOWN(map[i].base + map[i].length - 1) };
		for (int e = 0; e < 2; e++) {
			struct mapping t = translate(direct_map + ends[e]);
			if (!t.present || t.phys != ends[e] || !t.writable)
				bad = ends[e];
		}
	}
	report(bad == ~0ull, current_check, "physical %x is not mapped writable at direct_map_offset + %x", bad, bad);

	current_check = "boot info in both maps";
	struct mapping id = translate(rdi), dmi = translate(direct_map + rdi);
	report(rdi < 4 * GiB && id.present && id.phys == rdi && dmi.present && dmi.phys == rdi &&
		       ((const volatile struct mkbootimg_info *)(uintptr_t)(direct_map + rdi))->magic == MKBOOTIMG_INFO_MAGIC,
	       current_check, "RDI %x: identity map -> %x (present %u), direct map -> %x (present %u)", rdi, id.phys,
	       (uint64_t)id.present, dmi.phys, (uint64_t)dmi.present);
}

/* The first 4 GiB map to themselves, except where the kernel or its stack are mapped. */
static void check_identity_map(uint64_t rdi)
{
	uint64_t skip[2][2] = {
		{ PAGE_DOWN((uintptr_t)__kernel_start), PAGE_UP((uintptr_t)__kernel_end) },
		{ info->stack_top - info->stack_size - PAGE_SIZE, info->stack_top },
	};
	uint64_t bad = ~0ull;
	struct mapping bm = { 0, 0, 0, 0 };
	for (uint64_t v = 0; v < 4 * GiB && bad == ~0ull; v += 2 * MiB) {
		/* Both ends of every 2 MiB, and the pages the boot relies on. */
		uint64_t probes[4] = { v, v + 2 * MiB - PAGE_SIZE, 0xb8000, PAGE_DOWN(rdi) };
		for (int p = 0; p < (v == 0 ? 4 : 2); p++) {
			uint64_t a = probes[p];
			int skipped = 0;
			for (int s = 0; s < 2; s++)
				skipped |= a >= skip[s][0] && a < skip[s][1];
			if (skipped)
				continue;
			struct mapping m = translate(a);
			if (!m.present || m.phys != a)
				bad = a, bm = m;
		}
	}
	current_check = "identity map of the first 4 GiB";
	report(bad == ~0ull, current_check, "virtual %x: present %u, physical %x", bad, (uint64_t)bm.present, bm.phys);

	current_check = "vga text memory writable";
	struct mapping vga = translate(0xb8000);
	report(vga.present && vga.writable && vga.phys == 0xb8000, current_check, "0xb8000: present %u writable %u",
	       (uint64_t)vga.present, (uint64_t)vga.writable);
}

static void check_stack(void)
{
	uint64_t top = info->stack_top, size = info->stack_size, bottom = top - size;
	print("info: stack %x-%x (%u KiB), RSP at entry %x\n", bottom, top, size >> 10, entry_rsp);

	current_check = "stack size";
	report(size >= EXPECTED_STACK_SIZE && size % PAGE_SIZE == 0 && top % PAGE_SIZE == 0, current_check,
	       "stack_size %x, stack_top %x: want page-aligned, size >= %x", size, top, (uint64_t)EXPECTED_STACK_SIZE);

	current_check = "stack pointer at stack top";
	report(entry_rsp < top && entry_rsp >= top - PAGE_SIZE, current_check, "RSP at entry %x, stack_top %x", entry_rsp,
	       top);

	const char *why = 0;
	uint64_t bad = 0;
	for (uint64_t va = bottom; va < top && !why; va += PAGE_SIZE) {
		struct mapping m = translate(va);
		if (!m.present || !m.writable)
			why = "not mapped writable", bad = va;
		else if (region_type(m.phys) != MKBOOTIMG_MEM_KERNEL_STACK || in_usable(m.phys))
			why = "not in a KERNEL_STACK region, or in a usable one", bad = m.phys;
	}
	current_check = "stack mapped in kernel-stack region";
	report(!why, current_check, "stack page %x %s", bad, why ? why : "");

	current_check = "stack_physical";
	bad = ~0ull;
	for (uint64_t off = 0; off < size && bad == ~0ull; off += PAGE_SIZE) {
		struct mapping m = translate(bottom + off);
		if (!m.present || m.phys != info->stack_physical + off)
			bad = off;
	}
	report(info->stack_physical % PAGE_SIZE == 0 && bad == ~0ull, current_check,
	       "stack_physical %x, but stack byte %x maps to physical %x", info->stack_physical, bad,
	       bad == ~0ull ? 0 : translate(bottom + bad).phys);

	current_check = "stack guard page";
	struct mapping guard = translate(bottom - PAGE_SIZE);
	report(!guard.present, current_check, "page %x below the stack is mapped (physical %x)", bottom - PAGE_SIZE,
	       guard.phys);

	/* Read the guard page for real: the CPU must fault, at that address. */
	current_check = "stack guard page faults";
	probe_cr2 = ~0ull;
	int faulted = probe_read((const volatile void *)(uintptr_t)(bottom - 1));
	report(faulted && probe_cr2 == bottom - 1, current_check, "reading %x: fault %u, CR2 %x", bottom - 1,
	       (uint64_t)faulted, probe_cr2);
}

/*
 * Use the whole stack: fill it from its lowest byte up to two pages below
 * RSP (the pages above hold the frames in use, so they work already), then
 * read it back. No call in between, so nothing else writes there, and with
 * -mno-red-zone nothing lives below RSP.
 */
static void check_stack_use(void)
{
	uint64_t rsp, bottom = info->stack_top - info->stack_size;
	__asm__ volatile("mov %%rsp, %0" : "=r"(rsp));
	volatile uint64_t *low = (volatile uint64_t *)(uintptr_t)bottom;
	uint64_t words = (PAGE_DOWN(rsp) - 2 * PAGE_SIZE - bottom) / 8;

	current_check = "whole stack usable";
	for (uint64_t i = 0; i < words; i++)
		low[i] = i * 0x9E3779B97F4A7C15ull;
	uint64_t bad = ~0ull;
	for (uint64_t i = 0; i < words && bad == ~0ull; i++)
		if (low[i] != i * 0x9E3779B97F4A7C15ull)
			bad = i;
	report(bad == ~0ull, current_check, "stack word at %x did not keep what was written", bottom + 8 * bad);
	print("info: wrote and read %u KiB of stack from %x\n", words * 8 >> 10, bottom);
}

/* The segment array: this kernel's own PT_LOAD segments, as loaded and mapped. */
static void check_segments(void)
{
	const struct mkbootimg_segment *seg = (const struct mkbootimg_segment *)(uintptr_t)info->segments;
	uint32_t n = info->segment_count;

	current_check = "segment array";
	for (uint32_t i = 0; i < n && seg; i++)
		print("info: segment %u: virtual %x physical %x size %x flags %u\n", (uint64_t)i, seg[i].virtual_address,
		      seg[i].physical_address, seg[i].size, (uint64_t)seg[i].flags);
	if (!report(seg && n == EXPECTED_SEGMENTS, current_check, "segments %x, segment_count %u; want %u entries",
		    info->segments, (uint64_t)n, (uint64_t)EXPECTED_SEGMENTS))
		return;
	current_check = "segments as mapped";

	/* In program header order, which the linker scripts make ascending; the
	 * first starts at __kernel_start and the last ends at __kernel_end. */
	const char *why = 0;
	uint32_t bad = 0;
	for (uint32_t i = 0; i < n && !why; i++) {
		const struct mkbootimg_segment *s = &seg[i];
		bad = i;
		if (s->reserved != 0 || (s->flags & ~7u) || !(s->flags & 4))
			why = "flags other than R, W, X, or reserved not zero";
		else if (i > 0 && s->virtual_address < seg[i - 1].virtual_address + seg[i - 1].size)
			why = "not after the one before";
		else if (s->virtual_address % PAGE_SIZE != s->physical_address % PAGE_SIZE)
			why = "virtual and physical addresses differ within their page";
		else if (!range_has_type(s->physical_address, s->size, MKBOOTIMG_MEM_KERNEL))
			why = "physical range not typed KERNEL";
		for (uint64_t va = PAGE_DOWN(s->virtual_address); va < s->virtual_address + s->size && !why;
		     va += PAGE_SIZE) {
			struct mapping m = translate(va);
			uint64_t want = PAGE_DOWN(s->physical_address) + (va - PAGE_DOWN(s->virtual_address));
			if (!m.present || PAGE_DOWN(m.phys) != want)
				why = "a page is not mapped to its physical_address";
			else if ((s->flags & 2) && !m.writable)
				why = "flags say W but a page is read-only";
			else if (nx_enabled && (s->flags & 1) && !m.executable)
				why = "flags say X but a page is not executable";
		}
	}
	if (!why && seg[0].virtual_address != (uintptr_t)__kernel_start)
		why = "the first segment does not start at __kernel_start", bad = 0;
	if (!why && seg[n - 1].virtual_address + seg[n - 1].size != (uintptr_t)__kernel_end)
		why = "the last segment does not end at __kernel_end", bad = n - 1;
	report(!why, current_check, "segment %u: %s", (uint64_t)bad, why ? why : "");

	/* Each section lies in a segment whose flags fit it. */
	current_check = "segment flags match sections";
	why = 0;
	for (int i = 0; i < 5 && !why; i++) {
		const struct section *sec = &sections[i];
		if (sec->start == sec->end)
			continue;
		uint32_t j = 0;
		while (j < n && !(sec->start >= seg[j].virtual_address && sec->end <= seg[j].virtual_address + seg[j].size))
			j++;
		if (j == n)
			why = sec->name, bad = ~0u;
		else if (((seg[j].flags & 2) != 0) != sec->writable || ((seg[j].flags & 1) != 0) != sec->executable)
			why = sec->name, bad = j;
	}
	report(!why, current_check, "%s: in no segment, or in segment %u whose flags do not fit", why ? why : "",
	       (uint64_t)bad);
}

/* CRC-32 as zlib computes it (reflected, polynomial 0xEDB88320). */
static uint32_t crc32(const volatile uint8_t *p, uint64_t n)
{
	static uint32_t table[256];
	if (!table[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	uint32_t c = 0xffffffffu;
	while (n--)
		c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return ~c;
}

/* Modules: where they are, their memory type, and (MODULE_CRCS) their bytes. */
static void check_modules(void)
{
	const struct mkbootimg_module *mod = (const struct mkbootimg_module *)(uintptr_t)info->modules;
	uint32_t n = info->module_count;

	current_check = "module array";
	report(n == 0 || mod != 0, current_check, "module_count %u but modules is 0", (uint64_t)n);
	if (n && !mod)
		return;

	const char *why = 0;
	uint32_t bad = 0;
	for (uint32_t i = 0; i < n && !why; i++) {
		const struct mkbootimg_module *m = &mod[i];
		bad = i;
		if (m->address % PAGE_SIZE || m->address + m->size > 4 * GiB)
			why = "not page-aligned below 4 GiB";
		else if (m->size && !range_has_type(m->address, m->size, MKBOOTIMG_MEM_MODULES))
			why = "not in MODULES memory";
		else if (!m->string || in_usable(m->string))
			why = "no string, or a string in usable memory";
		for (uint32_t j = 0; j < i && !why; j++)
			if (m->size && mod[j].size && m->address < mod[j].address + mod[j].size &&
			    mod[j].address < m->address + m->size)
				why = "overlaps an earlier module";
	}
	current_check = "modules in MODULES memory";
	report(!why, current_check, "module %u at %x, %u bytes: %s", (uint64_t)bad, why ? mod[bad].address : 0,
	       why ? mod[bad].size : 0, why ? why : "");

	/* MODULES memory only when there are module bytes. */
	current_check = "MODULES type only with modules";
	uint64_t bytes = 0, typed = 0;
	for (uint32_t i = 0; i < n; i++)
		bytes += mod[i].size;
	for (uint32_t i = 0; i < map_count; i++)
		if (map[i].type == MKBOOTIMG_MEM_MODULES)
			typed += map[i].length;
	report(bytes ? typed >= bytes : typed == 0, current_check, "%u module bytes, %u bytes typed MODULES", bytes, typed);

	/* One line per module, in the sample kernel's form; the test compares sizes and strings. */
	uint32_t crcs[64];
	for (uint32_t i = 0; i < n; i++) {
		crcs[i % 64] = crc32((const volatile uint8_t *)(uintptr_t)mod[i].address, mod[i].size);
		print("module %u: %u bytes crc32 ", (uint64_t)i, mod[i].size);
		for (int shift = 28; shift >= 0; shift -= 4)
			serial_putc("0123456789abcdef"[crcs[i % 64] >> shift & 15]);
		print(" string '%s'\n", (const char *)(uintptr_t)mod[i].string);
	}

#ifdef MODULE_CRCS
	/* The command line is "crc=" and one 8-digit hex CRC per module, comma-separated. */
	current_check = "module crc32";
	const char *p = (const char *)(uintptr_t)info->cmdline + 4;
	uint32_t i = 0;
	why = 0;
	for (; *p && !why; i++) {
		uint32_t want = 0;
		for (int d = 0; d < 8 && !why; d++, p++) {
			int v = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
			if (v < 0)
				why = "the command line is not crc=xxxxxxxx,...";
			want = want << 4 | (uint32_t)v;
		}
		if (*p == ',')
			p++;
		if (!why && i >= n)
			why = "more CRCs on the command line than modules";
		else if (!why && i < 64 && crcs[i] != want)
			why = "wrong bytes", bad = i;
	}
	if (!why && i != n)
		why = "fewer CRCs on the command line than modules";
	report(!why && n > 0, current_check, "%s (module %u, %u modules, %u CRCs)", why ? why : "no modules",
	       (uint64_t)bad, (uint64_t)n, (uint64_t)i);
#endif
}

struct rsdp {
	char signature[8]; /* "RSD PTR " */
	uint8_t checksum;  /* the first 20 bytes sum to 0 */
	char oem[6];
	uint8_t revision;  /* 0: ACPI 1.0, 20 bytes; 2: the fields below too */
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t extended_checksum; /* all `length` bytes sum to 0 */
	uint8_t reserved[3];
} __attribute__((packed));

static uint8_t byte_sum(const volatile uint8_t *p, uint64_t n)
{
	uint8_t sum = 0;
	while (n--)
		sum = (uint8_t)(sum + *p++);
	return sum;
}

/* rsdp: 0, or an RSDP with good checksums where ACPI says to look for it. */
static void check_rsdp(void)
{
	uint64_t a = info->rsdp;
	current_check = "rsdp";
	if (a == 0) {
		print("info: rsdp 0x0 (none)\n");
		report(1, current_check, "");
		return;
	}
	const volatile struct rsdp *r = (const volatile struct rsdp *)(uintptr_t)a;
	/* The EBDA's segment is in the BIOS data area, at 0x40e (read through the
	 * direct map: gcc rejects a constant pointer to low memory). */
	uint64_t ebda = (uint64_t)*(const volatile uint16_t *)(uintptr_t)(direct_map + 0x40e) << 4;
	int where = a % 16 == 0 && ((a >= ebda && a < ebda + 1024) || (a >= 0xe0000 && a < 0x100000));
	int signature = 1;
	for (int i = 0; i < 8; i++)
		signature &= r->signature[i] == "RSD PTR "[i];
	int sum = byte_sum((const volatile uint8_t *)r, 20) == 0;
	int extended = r->revision < 2 ||
		       (r->length >= 36 && r->length <= 4096 && byte_sum((const volatile uint8_t *)r, r->length) == 0);
	char oem[7];
	for (int i = 0; i < 6; i++)
		oem[i] = r->oem[i] >= 32 && r->oem[i] < 127 ? r->oem[i] : '?';
	oem[6] = 0;
	print("info: rsdp %x, revision %u, OEM '%s', RSDT %x\n", a, (uint64_t)r->revision, oem, (uint64_t)r->rsdt);
	/* UEFI hands the RSDP over in its configuration table, anywhere. */
	where |= info->firmware == MKBOOTIMG_FIRMWARE_UEFI;
	report(where && signature && sum && extended && !in_usable(a), current_check,
	       "at %x (EBDA %x): where ACPI puts it %u, signature %u, checksum %u, extended checksum %u, usable %u", a,
	       ebda, (uint64_t)where, (uint64_t)signature, (uint64_t)sum, (uint64_t)extended, (uint64_t)in_usable(a));
}

/* The test kernels ask for no framebuffer. On a BIOS: text mode, the
 * structure zero. On UEFI there is no text mode: the GOP mode in use. */
static void check_framebuffer(void)
{
	const struct mkbootimg_framebuffer *fb = &info->framebuffer;
	const uint8_t *b = (const uint8_t *)fb;
	int zero = 1;
	for (uint64_t i = 0; i < sizeof *fb; i++)
		zero &= b[i] == 0;
	if (info->firmware == MKBOOTIMG_FIRMWARE_UEFI) {
		current_check = "framebuffer: the GOP mode";
		print("info: framebuffer %x, %ux%ux%u, pitch %u\n", fb->address, (uint64_t)fb->width,
		      (uint64_t)fb->height, (uint64_t)fb->bpp, (uint64_t)fb->pitch);
		report(fb->address && fb->width && fb->height && fb->bpp == 32 && fb->pitch >= 4 * fb->width &&
			       fb->red_size && fb->green_size && fb->blue_size && !in_usable(fb->address),
		       current_check, "address %x, %ux%ux%u, pitch %u: want a 32-bit framebuffer outside usable memory",
		       fb->address, (uint64_t)fb->width, (uint64_t)fb->height, (uint64_t)fb->bpp, (uint64_t)fb->pitch);
		return;
	}
	current_check = "framebuffer: text mode";
	report(zero, current_check, "address %x, %ux%ux%u: want all zero", fb->address, (uint64_t)fb->width,
	       (uint64_t)fb->height, (uint64_t)fb->bpp);
}

/* The UEFI memory map as the kernel gets it (EFI_MEMORY_DESCRIPTOR). */
struct efi_descriptor {
	uint32_t type, pad;
	uint64_t physical_start, virtual_start, pages, attribute;
};
#define EFI_RUNTIME_SERVICES_CODE 5
#define EFI_RUNTIME_SERVICES_DATA 6

/* A kernel that does not ask for its APs (MKBOOTIMG_REQUEST_SMP) gets no
 * CPU list: the loader leaves the APs alone (version 4). */
static void check_no_cpus(void)
{
	current_check = "no CPU list unasked";
	if (info->version < 4)
		return;
	report(!info->cpus && !info->cpu_count && !info->smp_flags, current_check,
	       "cpus %x, cpu_count %u, smp_flags %u: want all 0", info->cpus, (uint64_t)info->cpu_count,
	       (uint64_t)info->smp_flags);
}

/* Which firmware booted, printed for the tests outside to compare ("firmware:
 * UEFI"), and what version 3 says of it: the EFI fields on UEFI, zero on a
 * BIOS; SMBIOS when there is an entry point. */
static void check_firmware(void)
{
	uint32_t fw = info->firmware;

	current_check = "firmware";
	print("firmware: %s\n", fw == MKBOOTIMG_FIRMWARE_BIOS ? "BIOS" : fw == MKBOOTIMG_FIRMWARE_UEFI ? "UEFI" : "unknown");
	report(fw == MKBOOTIMG_FIRMWARE_BIOS || fw == MKBOOTIMG_FIRMWARE_UEFI, current_check,
	       "firmware %u, want BIOS (1) or UEFI (2)", (uint64_t)fw);

	current_check = "smbios entry point";
	if (info->smbios) {
		const volatile char *e = (const volatile char *)(uintptr_t)(direct_map + info->smbios);
		int sm3 = e[0] == '_' && e[1] == 'S' && e[2] == 'M' && e[3] == '3' && e[4] == '_';
		int sm = e[0] == '_' && e[1] == 'S' && e[2] == 'M' && e[3] == '_';
		print("info: smbios %x (%s)\n", info->smbios, sm3 ? "_SM3_" : sm ? "_SM_" : "?");
		report(sm3 || sm, current_check, "no _SM3_ or _SM_ anchor at %x", info->smbios);
	} else {
		print("info: smbios 0x0 (none)\n");
		report(1, current_check, "");
	}

	if (fw != MKBOOTIMG_FIRMWARE_UEFI) {
		current_check = "no EFI fields on a BIOS";
		report(!info->efi_system_table && !info->efi_memory_map && !info->efi_memory_map_size &&
			       !info->efi_memory_map_descriptor_size && !info->efi_memory_map_descriptor_version,
		       current_check, "system table %x, memory map %x (%u bytes)", info->efi_system_table,
		       info->efi_memory_map, info->efi_memory_map_size);
		return;
	}
	current_check = "efi system table";
	const volatile uint64_t *table = (const volatile uint64_t *)(uintptr_t)(direct_map + info->efi_system_table);
	report(info->efi_system_table && *table == 0x5453595320494249ull, current_check,
	       "at %x the signature is %x, want \"IBI SYST\"", info->efi_system_table,
	       info->efi_system_table ? *table : 0);

	current_check = "efi memory map";
	uint64_t step = info->efi_memory_map_descriptor_size, size = info->efi_memory_map_size;
	print("info: efi memory map %x, %u bytes, descriptors of %u bytes, version %u\n", info->efi_memory_map, size,
	      step, (uint64_t)info->efi_memory_map_descriptor_version);
	if (!report(info->efi_memory_map && step >= 40 && size && size % step == 0 &&
			    range_has_type(info->efi_memory_map, size, MKBOOTIMG_MEM_BOOT_INFO),
		    current_check, "map %x, %u bytes, descriptor size %u: want descriptors of 40 bytes or more, "
		    "a whole number of them, in BOOT_INFO memory", info->efi_memory_map, size, step))
		return;

	/* Runtime services keep their memory after the kernel takes over. */
	current_check = "runtime services memory not usable";
	const char *base = (const char *)(uintptr_t)(direct_map + info->efi_memory_map);
	uint64_t bad = ~0ull, runtime = 0;
	for (uint64_t off = 0; off < size && bad == ~0ull; off += step) {
		const volatile struct efi_descriptor *d = (const volatile struct efi_descriptor *)(base + off);
		if (d->type != EFI_RUNTIME_SERVICES_CODE && d->type != EFI_RUNTIME_SERVICES_DATA)
			continue;
		runtime++;
		for (uint32_t i = 0; i < map_count; i++)
			if (map[i].type == MKBOOTIMG_MEM_USABLE && map[i].base < d->physical_start + d->pages * PAGE_SIZE &&
			    d->physical_start < map[i].base + map[i].length)
				bad = d->physical_start;
	}
	print("info: %u runtime services regions\n", runtime);
	report(bad == ~0ull, current_check, "runtime services memory at %x lies in a usable region", bad);
}

/* Must match PATTERN_WORD in pattern.S. */
static uint32_t pattern_word(uint64_t i)
{
	return (uint32_t)(i * 0x9E3779B1u ^ (i >> 5));
}

/* Constants to find in .rodata and in the far segment; volatile reads keep the compiler from folding them. */
#define P(i) (0x1234567u * (i) ^ 0xa5a5a5a5u)
const uint32_t rodata_pattern[8] = { P(0), P(1), P(2), P(3), P(4), P(5), P(6), P(7) };
uint32_t far_pattern[8] __attribute__((section(".kdata_far"))) = { P(10), P(11), P(12), P(13), P(14), P(15), P(16), P(17) };

/* Not static: the compiler must not assume it is still zero. */
uint64_t big_bss[(2 * MiB + 4000) / 8];

static void check_segment_contents(void)
{
	current_check = "data pattern";
	uint64_t n = data_pattern_words, wrong = 0, first = 0, sum = 0;
	for (uint64_t i = 0; i < n; i++) {
		uint32_t w = ((const volatile uint32_t *)data_pattern)[i];
		sum += w;
		if (w != pattern_word(i) && !wrong++)
			first = i;
	}
	print("info: data pattern %u words at %x, sum %x\n", n, (uint64_t)(uintptr_t)data_pattern, sum);
	report(wrong == 0, current_check, "%u of %u words wrong, the first at %x: %x, want %x", wrong, n,
	       (uint64_t)(uintptr_t)&data_pattern[first], (uint64_t)data_pattern[first], (uint64_t)pattern_word(first));

	current_check = "bss zero";
	const volatile uint64_t *z = big_bss;
	uint64_t nonzero = ~0ull;
	for (uint64_t i = 0; i < sizeof big_bss / 8 && nonzero == ~0ull; i++)
		if (z[i])
			nonzero = i;
	report(nonzero == ~0ull, current_check, "big_bss word %u at %x is %x", nonzero, (uint64_t)(uintptr_t)&big_bss[nonzero],
	       nonzero == ~0ull ? 0 : big_bss[nonzero]);

	current_check = "rodata and far data";
	int ok = 1;
	for (int i = 0; i < 8; i++) {
		ok &= ((const volatile uint32_t *)rodata_pattern)[i] == P((uint32_t)i);
		ok &= ((volatile uint32_t *)far_pattern)[i] == P((uint32_t)i + 10);
	}
	report(ok, current_check, "the constants in .rodata (%x) or the far segment (%x) are wrong",
	       (uint64_t)(uintptr_t)rodata_pattern, (uint64_t)(uintptr_t)far_pattern);
}

_Noreturn void check_main(uint64_t rdi);

_Noreturn void check_main(uint64_t rdi)
{
	serial_init();
	print("entry-check %s: started, RDI %x, RSP %x\n", VARIANT, rdi, entry_rsp);
	install_idt();

	check_cpu_state();

	info = (const struct mkbootimg_info *)(uintptr_t)rdi;
	current_check = "boot info at RDI";
	report(rdi != 0 && rdi < 4 * GiB && rdi == entry_rdi, current_check, "RDI is %x", rdi);
	check_boot_info_header(rdi);

	map = (const struct mkbootimg_memory_region *)(uintptr_t)info->memory_map;
	map_count = info->memory_map_count;
	direct_map = info->direct_map_offset;
	init_sections();
	print("info: direct map at %x, stack_top %x, CR3 %x\n", direct_map, info->stack_top, read_cr3());

	check_gdt();
	check_memory_map(rdi);
	check_direct_map(rdi);
	check_kernel_mappings();
	check_stack();
	check_stack_use();
	check_segments();
	check_modules();
	check_firmware();
	check_no_cpus();
	check_rsdp();
	check_framebuffer();
	check_identity_map(rdi);
	check_segment_contents();

	current_check = "page tables in page-tables region";
	report(stray_table == ~0ull, current_check, "a page table at physical %x is in a region of type %x", stray_table,
	       (uint64_t)region_type(stray_table));

	print("entry-check %s: %u checks, %u failed\n", VARIANT, (uint64_t)checks_run, (uint64_t)checks_failed);
	qemu_exit(checks_failed == 0);
}
