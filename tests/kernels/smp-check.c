/*
 * smp-check: a kernel that asks for its APs (MKBOOTIMG_REQUEST_SMP) and
 * checks, from inside, what the loader promised (mkbootimg-protocol(7)):
 *
 *   the BSP: the list is there, one BSP, itself (its APIC ID), marked started;
 *            the list in BOOT_INFO memory; as many CPUs and started ones as the
 *            command line's expect-cpus=N and expect-started=N say (when given);
 *   each started AP, sent to ap_entry through its goto_address: RDI = its own
 *            entry; long mode (EFER.LMA); CR3 and CR0 the BSP's, CR4's PAE,
 *            OSFXSR, OSXMMEXCPT and LA57 too; interrupts off; RBP 0;
 *            RSP + 8 16-byte aligned, inside a KERNEL_STACK region, not the
 *            BSP's stack, at least SMP_STACK bytes from every other AP's;
 *            its APIC ID (CPUID) the entry's lapic_id. It reports once.
 *
 * The BSP waits (PIT-timed, 5 s at most) for every started AP's report, prints
 * "smp-check: N CPUs, M started, M reported" on COM1 and exits QEMU through
 * isa-debug-exit: 0x10 when all is well, 0x11 otherwise (with the reason).
 */
#include <stdint.h>

#include <mkbootimg/protocol.h>

#define SMP_STACK (16 * 1024)
/* Built twice more for the timing in smp.py: -DEXIT_AT_ENTRY exits at once
 * (every AP parked by then), with or without -DNO_REQUEST. */
#ifndef NO_REQUEST
MKBOOTIMG_REQUEST_SMP(SMP_STACK);
#endif

#define COM1 0x3f8
#define MAX_CPUS 64

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void putc_(char c)
{
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, (uint8_t)c);
}

static void puts_(const char *s)
{
	while (*s)
		putc_(*s++);
}

static void putu(uint64_t v)
{
	char b[24];
	int n = 0;
	do
		b[n++] = (char)('0' + v % 10);
	while (v /= 10);
	while (n)
		putc_(b[--n]);
}

static __attribute__((noreturn)) void finish(int ok)
{
	outb(0xf4, ok ? 0x10 : 0x11);
	for (;;)
		__asm__ volatile("cli; hlt");
}

static const char *failure; /* the first one, from any CPU */

static void fail(const char *why)
{
	__atomic_compare_exchange_n(&failure, &(const char *){ 0 }, why, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static uint32_t my_apic_id(void)
{
	uint32_t a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
	if (a >= 0xb) {
		__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0xb), "c"(0));
		if (b)
			return d;
	}
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	return b >> 24;
}

static uint64_t read_cr3(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static uint64_t read_cr0(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static uint64_t read_cr4(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

/* CR4's bits the loader sets for the kernel: PAE, OSFXSR, OSXMMEXCPT, and
 * LA57 (clear); on UEFI the rest of the BSP's CR4 is the firmware's. */
#define CR4_PROMISED ((1u << 5) | (1u << 9) | (1u << 10) | (1u << 12))

static const struct mkbootimg_info *info;
static struct mkbootimg_cpu *cpus;
static uint64_t bsp_cr3, bsp_cr0, bsp_cr4;
static uint64_t ap_rsp[MAX_CPUS];
static uint32_t reported;

/* The region of the map that holds [a, a + n), or 0. */
static uint32_t region_type(uint64_t a, uint64_t n)
{
	const struct mkbootimg_memory_region *r = (const void *)info->memory_map;
	for (uint32_t i = 0; i < info->memory_map_count; i++)
		if (r[i].base <= a && a + n <= r[i].base + r[i].length)
			return r[i].type;
	return 0;
}

void ap_main(struct mkbootimg_cpu *cpu, uint64_t rsp, uint64_t rbp, uint64_t rflags);

/* Each AP comes here, RSP as after a call: keep RSP, RBP and RFLAGS as they were. */
__asm__(".text\n"
	"ap_entry:\n"
	"	mov %rsp, %rsi\n"
	"	mov %rbp, %rdx\n"
	"	pushfq\n"
	"	pop %rcx\n"
	"	jmp ap_main\n");
void ap_entry(void);

void ap_main(struct mkbootimg_cpu *cpu, uint64_t rsp, uint64_t rbp, uint64_t rflags)
{
	uint64_t i = cpu->extra_argument;
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xc0000080));
	if (i >= info->cpu_count || cpu != &cpus[i])
		fail("an AP's RDI is not its own struct mkbootimg_cpu");
	else if (!(lo & (1u << 10)))
		fail("an AP is not in long mode (EFER.LMA clear)");
	else if (read_cr3() != bsp_cr3)
		fail("an AP's CR3 is not the BSP's");
	else if (read_cr0() != bsp_cr0)
		fail("an AP's CR0 is not the BSP's (CD, NW, WP, NE, MP, EM, TS)");
	else if ((read_cr4() ^ bsp_cr4) & CR4_PROMISED)
		fail("an AP's CR4 PAE, OSFXSR, OSXMMEXCPT or LA57 is not the BSP's");
	else if (rflags & (1u << 9))
		fail("an AP runs with interrupts on");
	else if (rbp != 0)
		fail("an AP's RBP is not 0");
	else if ((rsp + 8) & 15)
		fail("an AP's RSP + 8 is not 16-byte aligned");
	else if (region_type(rsp - 64, 64) != MKBOOTIMG_MEM_KERNEL_STACK)
		fail("an AP's RSP is not in KERNEL_STACK memory");
	else if (rsp > info->stack_physical && rsp <= info->stack_physical + info->stack_size)
		fail("an AP runs on the BSP's stack");
	else if (my_apic_id() != cpu->lapic_id)
		fail("an AP's APIC ID is not its entry's lapic_id");
	ap_rsp[i] = rsp;
	__atomic_fetch_add(&reported, 1, __ATOMIC_SEQ_CST);
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* The value of key=N on the command line, or -1. */
static long cmdline_number(const char *key)
{
	const char *s = (const char *)info->cmdline;
	for (; *s; s++) {
		const char *k = key, *p = s;
		while (*k && *p == *k)
			k++, p++;
		if (*k == 0 && *p == '=' && (s == (const char *)info->cmdline || s[-1] == ' ')) {
			long v = 0;
			for (p++; *p >= '0' && *p <= '9'; p++)
				v = v * 10 + (*p - '0');
			return v;
		}
	}
	return -1;
}

/* About ms milliseconds of the PIT's channel 2 (polled, 50 ms at a time). */
static void pit_ms(uint32_t ms)
{
	for (; ms; ms -= ms > 50 ? 50 : ms) {
		uint16_t t = (uint16_t)(1193 * (ms > 50 ? 50 : ms));
		outb(0x61, (uint8_t)((inb(0x61) & ~2) | 1));
		outb(0x43, 0xb0);
		outb(0x42, (uint8_t)t);
		outb(0x42, (uint8_t)(t >> 8));
		while (!(inb(0x61) & 0x20))
			__asm__ volatile("pause");
	}
}

static void check_bsp(uint32_t *started)
{
	uint32_t bsps = 0;

	*started = 0;
	if (info->cpus == 0 || info->cpu_count == 0)
		return fail("no CPU list (cpus 0) though the kernel asked for it");
	if (info->cpu_count > MAX_CPUS)
		return fail("more CPUs than this test keeps");
	if (region_type(info->cpus, info->cpu_count * sizeof *cpus) != MKBOOTIMG_MEM_BOOT_INFO)
		fail("the CPU list is not in BOOT_INFO memory");
	for (uint32_t i = 0; i < info->cpu_count; i++) {
		if (cpus[i].reserved != 0 || cpus[i].goto_address != 0)
			fail("a CPU entry's reserved or goto_address is not 0");
		if (cpus[i].flags & ~(MKBOOTIMG_CPU_BSP | MKBOOTIMG_CPU_STARTED))
			fail("a CPU entry has unknown flags");
		if (cpus[i].flags & MKBOOTIMG_CPU_BSP) {
			bsps++;
			if (cpus[i].lapic_id != my_apic_id())
				fail("the BSP entry's lapic_id is not the BSP's APIC ID");
			if (!(cpus[i].flags & MKBOOTIMG_CPU_STARTED))
				fail("the BSP is not marked started");
		}
		*started += (cpus[i].flags & MKBOOTIMG_CPU_STARTED) != 0;
	}
	if (bsps != 1)
		fail("not exactly one CPU is marked BSP");
}

void smp_main(const struct mkbootimg_info *boot_info)
{
	uint32_t started, waited = 0, aps = 0;
	long want_cpus, want_started;

	info = boot_info;
#ifdef EXIT_AT_ENTRY
	finish(1);
#endif
	if (info->magic != MKBOOTIMG_INFO_MAGIC || info->version < 4) {
		puts_("smp-check: FAIL: no version 4 boot information\n");
		finish(0);
	}
	cpus = (struct mkbootimg_cpu *)info->cpus;
	bsp_cr3 = read_cr3();
	bsp_cr0 = read_cr0();
	bsp_cr4 = read_cr4();
	want_cpus = cmdline_number("expect-cpus");
	want_started = cmdline_number("expect-started");
	check_bsp(&started);
	for (uint32_t i = 0; i < info->cpu_count && !failure; i++) {
		if ((cpus[i].flags & MKBOOTIMG_CPU_BSP) || !(cpus[i].flags & MKBOOTIMG_CPU_STARTED))
			continue;
		cpus[i].extra_argument = i;
		aps++;
		__atomic_store_n(&cpus[i].goto_address, (uint64_t)(uintptr_t)ap_entry, __ATOMIC_SEQ_CST);
	}
	while (__atomic_load_n(&reported, __ATOMIC_SEQ_CST) < aps && waited < 5000)
		pit_ms(10), waited += 10;
	for (uint32_t i = 0; i < info->cpu_count; i++)
		for (uint32_t j = 0; j < i; j++)
			if (ap_rsp[i] && ap_rsp[j] &&
			    (ap_rsp[i] > ap_rsp[j] ? ap_rsp[i] - ap_rsp[j] : ap_rsp[j] - ap_rsp[i]) < SMP_STACK)
				fail("two APs' stacks overlap");
	puts_("smp-check: ");
	putu(info->cpu_count);
	puts_(" CPUs, ");
	putu(started);
	puts_(" started, ");
	putu(reported + 1);
	puts_(" reported (BSP included)\n");
	if (reported != aps)
		fail("a started AP did not report within 5 s");
	if (want_cpus >= 0 && info->cpu_count != (uint64_t)want_cpus)
		fail("the CPU count is not expect-cpus");
	if (want_started >= 0 && started != (uint64_t)want_started)
		fail("the started count is not expect-started");
	if (failure) {
		puts_("smp-check: FAIL: ");
		puts_(failure);
		puts_("\n");
		finish(0);
	}
	puts_("smp-check: PASS\n");
	finish(1);
}

__asm__(".section .text.entry, \"ax\"\n"
	".globl _start\n"
	"_start:\n"
	"	and $-16, %rsp\n"
	"	call smp_main\n"
	"1:	cli\n"
	"	hlt\n"
	"	jmp 1b\n");
