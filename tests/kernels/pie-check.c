/*
 * pie-check: a relocatable (PIE) test kernel (pie.ld, linked at 0). From
 * inside it checks that it runs where it was told and that its relocated
 * pointers were relocated for that place:
 *   - the address of _start (lea, RIP-relative: where the code runs) is
 *     the base the command line names ("base=0x..."), or, with "base=kaslr",
 *     the boot information's kernel_virtual_base, inside the KASLR window
 *     from "built=0x..." (2 MiB steps, under 1 GiB above it);
 *   - kernel_slide == kernel_virtual_base (it is linked at 0);
 *   - a table of function pointers and a pointer to a string in .data
 *     (relocations the tool, then the loader, applied) point where lea
 *     finds the functions and the string, and calling them works;
 *   - "dmap=random": direct_map_offset is a multiple of 1 GiB in
 *     [0xffff800000000000, 0xffffc00000000000), and the boot information
 *     reads the same through it.
 * It prints "pie-check: base B slide S dmap D" on COM1 (the suite compares
 * boots), "FAIL name: why" for each failed check, and exits QEMU through
 * isa-debug-exit: 0x10 pass, 0x11 fail.
 */
#include <stddef.h>
#include <stdint.h>

#include <mkbootimg/protocol.h>

#ifdef KASLR_NOTE
MKBOOTIMG_REQUEST_KASLR(MKBOOTIMG_KASLR_BASE | MKBOOTIMG_KASLR_DIRECT_MAP);
#endif

#define COM1 0x3f8

void _start(void);
void pie_main(struct mkbootimg_info *info);

/* Entry: the stack as the ABI wants it, then C. */
__asm__(".section .text.entry, \"ax\"\n"
	".globl _start, _start_here\n"
	".hidden _start_here\n"
	"_start:\n"
	"_start_here:\n"
	"	and $-16, %rsp\n"
	"	call pie_main\n"
	"1:	cli\n"
	"	hlt\n"
	"	jmp 1b\n"
	".text\n");

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

static void put_char(char c)
{
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, (uint8_t)c);
}

static void put_string(const char *s)
{
	while (*s)
		put_char(*s++);
}

static void put_hex(uint64_t v)
{
	put_string("0x");
	for (int shift = 60; shift >= 0; shift -= 4)
		put_char("0123456789abcdef"[(v >> shift) & 15]);
}

/* Functions the table in .data points to; noinline: each has its own address. */
__attribute__((noinline)) int one(void) { return 1; }
__attribute__((noinline)) int two(void) { return 2; }
__attribute__((noinline)) int three(void) { return 3; }

int counter = 42;
int (*handlers[3])(void) = { one, two, three };
int *counter_pointer = &counter;
static const char message[] = "relocated string";
const char *greeting = message;

/* Hidden names for lea: in the shared-object build the global ones may be
 * preempted, and a RIP-relative reference to them does not link. */
#define HERE(name) extern __typeof__(name) name##_here __attribute__((alias(#name), visibility("hidden")))
HERE(one);
HERE(two);
HERE(three);
HERE(counter);
HERE(message);

static int failures;

static void fail(const char *name, const char *why, uint64_t got, uint64_t want)
{
	put_string("FAIL ");
	put_string(name);
	put_string(": ");
	put_string(why);
	put_string(" (got ");
	put_hex(got);
	put_string(", want ");
	put_hex(want);
	put_string(")\n");
	failures++;
}

static void check(const char *name, uint64_t got, uint64_t want)
{
	if (got != want)
		fail(name, "differs", got, want);
}

/* Where each thing runs, as the CPU sees it: no relocation involved. */
#define LEA(symbol) ({ uint64_t a_; __asm__("lea " #symbol "_here(%%rip), %0" : "=r"(a_)); a_; })

/* "key=" in the command line: its value as a number (0x... or "kaslr" -> 1), or 0. */
static uint64_t option(const char *cmdline, const char *key)
{
	for (const char *p = cmdline; *p; p++) {
		const char *k = key, *q = p;
		if (p != cmdline && p[-1] != ' ')
			continue;
		while (*k && *q == *k)
			k++, q++;
		if (*k || *q != '=')
			continue;
		q++;
		if (q[0] == 'k' || q[0] == 'r') /* kaslr, random */
			return 1;
		uint64_t v = 0;
		if (q[0] == '0' && q[1] == 'x')
			q += 2;
		for (; *q && *q != ' '; q++)
			v = v * 16 + (uint64_t)(*q <= '9' ? *q - '0' : (*q | 0x20) - 'a' + 10);
		return v;
	}
	return 0;
}

static void check_pointers(void)
{
	uint64_t functions[3] = { LEA(one), LEA(two), LEA(three) };

	for (int i = 0; i < 3; i++) {
		check("handlers", (uint64_t)handlers[i], functions[i]);
		if ((uint64_t)handlers[i] == functions[i] && handlers[i]() != i + 1)
			fail("handlers", "a call returned the wrong value", (uint64_t)handlers[i](), (uint64_t)i + 1);
	}
	check("counter_pointer", (uint64_t)counter_pointer, LEA(counter));
	check("greeting", (uint64_t)greeting, LEA(message));
	if ((uint64_t)greeting == LEA(message) && greeting[0] != 'r')
		fail("greeting", "the string's first byte", (uint64_t)(uint8_t)greeting[0], 'r');
	if ((uint64_t)counter_pointer == LEA(counter) && *counter_pointer != 42)
		fail("counter", "its value", (uint64_t)*counter_pointer, 42);
}

static void check_base(const struct mkbootimg_info *info, const char *cmdline)
{
	uint64_t here = LEA(_start), base = option(cmdline, "base");
	uint64_t built = option(cmdline, "built");

	check("kernel_virtual_base", info->kernel_virtual_base, here);
	check("kernel_slide", info->kernel_slide, info->kernel_virtual_base); /* linked at 0 */
	if (base != 1) {
		check("base", here, base);
		return;
	}
	if (here < built || here - built >= (UINT64_C(1) << 30) || (here - built) % (UINT64_C(2) << 20))
		fail("kaslr-window", "not a 2 MiB step under 1 GiB above the built base", here, built);
}

static void check_direct_map(const struct mkbootimg_info *info)
{
	uint64_t d = info->direct_map_offset;

	if (d % (UINT64_C(1) << 30) || d < UINT64_C(0xffff800000000000) || d >= UINT64_C(0xffffc00000000000))
		fail("dmap-window", "not a 1 GiB step in the direct map window", d, UINT64_C(0xffff800000000000));
	else
		check("dmap-reads", ((const struct mkbootimg_info *)(uintptr_t)(d + (uint64_t)(uintptr_t)info))->magic,
		      MKBOOTIMG_INFO_MAGIC);
}

void pie_main(struct mkbootimg_info *info)
{
	const char *cmdline = (const char *)(uintptr_t)info->cmdline;

	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x80);
	outb(COM1 + 0, 0x01);
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);
	outb(COM1 + 2, 0xc7);
	put_string("pie-check: base ");
	put_hex(LEA(_start));
	put_string(" slide ");
	put_hex(info->kernel_slide);
	put_string(" dmap ");
	put_hex(info->direct_map_offset);
	put_string("\n");
	if (info->version < 4)
		fail("version", "boot information older than 4", info->version, 4);
	check_pointers();
	check_base(info, cmdline);
	if (option(cmdline, "dmap") == 1)
		check_direct_map(info);
	put_string(failures ? "pie-check: FAIL\n" : "pie-check: PASS\n");
	outb(0xf4, failures ? 0x11 : 0x10);
	for (;;)
		__asm__ volatile("cli; hlt");
}
