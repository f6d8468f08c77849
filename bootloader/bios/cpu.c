/* The A20 line and the CPU features the kernel's entry state needs. */
#include "bios.h"
#include "../entropy.h"

/* With A20 off, 0x100500 aliases 0x500. */
static int a20_is_on(void)
{
	volatile uint32_t *low = flat(0x500);
	volatile uint32_t *high = flat(0x100500);
	uint32_t saved_low = *low, saved_high = *high;
	int on;

	*low = 0x12345678;
	*high = 0xedcba987;
	on = *low != *high;
	*high = saved_high;
	*low = saved_low;
	return on;
}

/* Some methods take effect only after a while. */
static int a20_wait_on(void)
{
	for (unsigned i = 0; i < 1000; i++)
		if (a20_is_on())
			return 1;
	return 0;
}

static void kbc_wait_input_empty(void)
{
	for (unsigned i = 0; i < 100000 && (x86_inb(0x64) & 2); i++)
		;
}

void a20_enable(void)
{
	if (a20_is_on())
		return;

	struct bios_regs r = { .eax = 0x2401 };
	bios_call(0x15, &r);
	if (a20_wait_on())
		return;

	/* Fast A20. Bit 0 of port 0x92 resets the machine on some chipsets:
	 * write it as 0. */
	uint8_t v = x86_inb(0x92);
	if (!(v & 2))
		x86_outb(0x92, (uint8_t)((v | 2) & ~1));
	if (a20_wait_on())
		return;

	/* The keyboard controller's output port, bit 1. */
	kbc_wait_input_empty();
	x86_outb(0x64, 0xd1);
	kbc_wait_input_empty();
	x86_outb(0x60, 0xdf);
	kbc_wait_input_empty();
	if (a20_wait_on())
		return;

	fatal("the A20 line cannot be enabled, so memory above 1 MiB is unreachable.\n%s",
	      firmware_unsupported);
}

static void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static int has_cpuid(void)
{
	uint32_t before, after;
	__asm__ volatile("pushfl\n\t"
			 "pushfl\n\t"
			 "popl %0\n\t"
			 "movl %0, %1\n\t"
			 "xorl $0x200000, %1\n\t"
			 "pushl %1\n\t"
			 "popfl\n\t"
			 "pushfl\n\t"
			 "popl %1\n\t"
			 "popfl"
			 : "=&r"(before), "=&r"(after));
	return ((before ^ after) & 0x200000) != 0;
}

void cpu_detect(struct boot_facts *f)
{
	uint32_t a, b, c, d;

	if (!has_cpuid())
		return;
	cpuid(0x80000000, &a, &b, &c, &d);
	if (a < 0x80000001)
		return;
	cpuid(0x80000001, &a, &b, &c, &d);
	f->long_mode = (d >> 29) & 1;
	f->nx = (d >> 20) & 1;
	f->gib_pages = (d >> 26) & 1;
	f->entropy = entropy_gather();
}
