/*
 * The few instructions smp.c needs to reach the local APIC and the PIT:
 * the machine's, not a firmware's, and the same under both front-ends
 * (which use the port ones too: common/say.c's COM1, bios/cpu.c's A20).
 * The only assembly in core/ (inline, each with its register contract);
 * nothing else in the core calls them, so the host's unit tests never run them.
 */
#ifndef MKB_CORE_X86_H
#define MKB_CORE_X86_H

#include <stdint.h>

static inline uint8_t x86_inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %w1, %b0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void x86_outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %b0, %w1" : : "a"(v), "Nd"(port));
}

/* in: ECX the MSR; out: EDX:EAX */
static inline uint64_t x86_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void x86_wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

/* in: EAX the leaf, ECX 0; out: EAX, EBX, ECX, EDX into r[0..3] */
static inline void x86_cpuid(uint32_t leaf, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

static inline void x86_pause(void)
{
	__asm__ volatile("pause" : : : "memory");
}

#endif
