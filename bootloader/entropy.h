/*
 * 64 random bits for KASLR (boot_facts.entropy), for both front-ends: the
 * same code in stage 2 (gcc -m16, 32-bit registers) and in BOOTX64.EFI.
 * Only the front-ends include it: the core has no assembly.
 *
 * Each 32-bit half: RDRAND when CPUID.1:ECX[30] says the CPU has it, tried
 * up to 10 times (Intel's advice: it fails only when the DRNG is drained);
 * else RDSEED when CPUID.(7,0):EBX[18] says so, also 10 times; else the
 * time-stamp counter, mixed. The TSC counts cycles since reset: how long
 * the firmware and the disk reads took. An attacker who can time a boot of
 * the same machine guesses it to within the jitter of those (on QEMU, of
 * the host's clock): it hides a slide from a remote guess, not from anyone
 * who watches the machine start.
 */
#ifndef MKB_ENTROPY_H
#define MKB_ENTROPY_H

#include <stdint.h>

static inline uint32_t entropy_cpuid(uint32_t leaf, int reg)
{
	uint32_t r[4];
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
	return r[reg];
}

/* One 32-bit half; kind: 0 RDRAND, 1 RDSEED, 2 the TSC. */
static inline uint32_t entropy_word(int kind)
{
	uint32_t v = 0, hi;
	uint8_t ok = 0;

	for (int i = 0; kind < 2 && i < 10 && !ok; i++) {
		if (kind == 0)
			__asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
		else
			__asm__ volatile("rdseed %0; setc %1" : "=r"(v), "=qm"(ok));
	}
	if (ok)
		return v;
	__asm__ volatile("rdtsc" : "=a"(v), "=d"(hi));
	v = (v ^ hi) * 0x9e3779b1u; /* the low bits change fastest: spread them */
	return v ^ (v >> 15);
}

/* CPUID exists (every x86-64 CPU has it; stage 2 checked). */
static inline uint64_t entropy_gather(void)
{
	int kind = 2;

	if (entropy_cpuid(0, 0) >= 7 && (entropy_cpuid(7, 1) >> 18 & 1))
		kind = 1;
	if (entropy_cpuid(1, 2) >> 30 & 1)
		kind = 0;
	return (uint64_t)entropy_word(kind) << 32 | entropy_word(kind);
}

#endif
