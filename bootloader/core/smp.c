/* The APs: see smp.h. Timings are the Intel SDM's (vol. 3A, 9.4.4.1):
 * INIT, 10 ms, SIPI, 200 us, SIPI, measured on the PIT's channel 2. */
#include "smp.h"

#include "core.h"
#include "platform.h"
#include "x86.h"

#define MSR_APIC_BASE     0x1b
#define APIC_BASE_X2APIC  (1u << 10)
#define APIC_BASE_ENABLE  (1u << 11)
#define MSR_X2APIC_ID     0x802
#define MSR_X2APIC_ICR    0x830
#define XAPIC_ID          0x20
#define XAPIC_ICR_LOW     0x300
#define XAPIC_ICR_HIGH    0x310
#define ICR_INIT          0x4500u    /* INIT, level assert */
#define ICR_SIPI          0x4600u    /* start-up; the vector (page number) in bits 0-7 */
#define ICR_PENDING       (1u << 12) /* xAPIC: not yet sent */
#define CPUID_APIC        (1u << 9)  /* leaf 1, EDX */

#define MADT_LAPIC          0
#define MADT_X2APIC         9
#define MADT_ENABLED        1u
#define MADT_ONLINE_CAPABLE 2u
#define MADT_ENTRIES        44       /* after the header, the APIC address and flags */

/* PIT ticks (1193182 Hz) */
#define TICKS_10MS  11932
#define TICKS_1MS   1193
#define TICKS_200US 239
#define WAIT_MS     100              /* for an AP after its second SIPI */

#define TO_START 1u /* in reserved while the loader works: an AP to start; 0 at the hand-off */
#define SILENCED 2u /* ... an AP sent INIT after it stayed silent */
#define CPU_BYTES (sizeof(struct mkbootimg_cpu) + 8) /* the entry and its stack top */

static CORE_NOINLINE uint32_t rd32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A table's header, then all of it; null when unreachable or shorter than min. */
static CORE_NOINLINE const uint8_t *table(smp_address address, uint32_t min)
{
	const uint8_t *t = platform_pointer(address, 36);

	if (!t || rd32(t + 4) < min)
		return 0;
	return platform_pointer(address, rd32(t + 4));
}

/* RSDP -> XSDT (ACPI 2.0+) or RSDT -> "APIC". */
static uint64_t find_madt(uint64_t rsdp)
{
	const uint8_t *r = platform_pointer(rsdp, 36), *sdt;
	uint32_t step = 4;
	smp_address at;

	if (!r)
		return 0;
	at = rd32(r + 16);
	if (r[15] >= 2 && (rd32(r + 24) | rd32(r + 28))) {
		at = rd32(r + 24) | (smp_address)((uint64_t)rd32(r + 28) << 32);
		step = 8;
	}
	if (!(sdt = table(at, 36)))
		return 0;
	for (uint32_t i = 36; i + step <= rd32(sdt + 4); i += step) {
		smp_address a = rd32(sdt + i) | (step == 8 ? (smp_address)((uint64_t)rd32(sdt + i + 4) << 32) : 0);
		const uint8_t *t = table(a, MADT_ENTRIES);
		if (t && rd32(t) == 0x43495041u) /* "APIC" */
			return a;
	}
	return 0;
}

/* Each local APIC (type 0) and x2APIC (type 9) entry enabled or
 * online-capable, into out when not null. Returns how many; *aps: how many
 * to start (enabled, not the BSP, an ID the APIC mode reaches); *bsp_seen. */
static uint32_t scan(const struct smp *s, struct mkbootimg_cpu *out, uint32_t *aps, int *bsp_seen)
{
	const uint8_t *madt = s->madt ? table(s->madt, MADT_ENTRIES) : 0;
	uint32_t n = 0, at = MADT_ENTRIES, len = madt ? rd32(madt + 4) : 0;

	*aps = 0;
	*bsp_seen = 0;
	while (at + 2 <= len && madt[at + 1] >= 2 && at + madt[at + 1] <= len) {
		const uint8_t *e = madt + at;
		uint32_t id, uid, flags;
		at += e[1];
		if (e[0] == MADT_LAPIC && e[1] >= 8) {
			uid = e[2];
			id = e[3];
			flags = rd32(e + 4);
		} else if (e[0] == MADT_X2APIC && e[1] >= 16) {
			id = rd32(e + 4);
			flags = rd32(e + 8);
			uid = rd32(e + 12);
		} else {
			continue;
		}
		if (!(flags & (MADT_ENABLED | MADT_ONLINE_CAPABLE)))
			continue; /* absent for good */
		int bsp = id == s->bsp && !*bsp_seen;
		int start = !bsp && (flags & MADT_ENABLED) && s->lapic &&
			    ((s->flags & MKBOOTIMG_SMP_X2APIC) || id < 255);
		*bsp_seen |= bsp;
		*aps += start;
		if (out) {
			out[n].acpi_uid = uid;
			out[n].lapic_id = id;
			out[n].flags = bsp ? MKBOOTIMG_CPU_BSP | MKBOOTIMG_CPU_STARTED : 0;
			out[n].reserved = start ? TO_START : 0;
		}
		n++;
	}
	return n;
}

int smp_init(struct smp *s, uint64_t rsdp)
{
	uint32_t r[4], aps;
	int bsp_seen;

	memset(s, 0, sizeof *s);
	x86_cpuid(1, r);
	if (r[3] & CPUID_APIC) {
		uint64_t base = x86_rdmsr(MSR_APIC_BASE);
		if (base & APIC_BASE_ENABLE) {
			s->lapic = (smp_address)(base & ~(uint64_t)0xfff & ((UINT64_C(1) << 52) - 1));
			if (base & APIC_BASE_X2APIC) {
				s->flags = MKBOOTIMG_SMP_X2APIC;
				s->bsp = (uint32_t)x86_rdmsr(MSR_X2APIC_ID);
			} else {
				volatile uint32_t *id = platform_pointer(s->lapic + XAPIC_ID, 4);
				s->bsp = id ? *id >> 24 : 0;
				if (!id)
					s->lapic = 0;
			}
		}
	}
	if (!s->lapic)
		s->bsp = r[1] >> 24; /* the initial APIC ID */
	s->madt = rsdp ? find_madt(rsdp) : 0;
	s->count = scan(s, 0, &aps, &bsp_seen);
	s->count += !bsp_seen; /* a MADT without the BSP (or none): listed all the same */
	s->aps = aps;
	return s->lapic ? 0 : -1;
}

void smp_list(struct smp *s, uint64_t stacks, uint32_t stack_size)
{
	struct mkbootimg_cpu *cpu = platform_pointer(s->cpus, s->count * CPU_BYTES);
	uint64_t *top = (uint64_t *)(void *)(cpu + s->count);
	uint32_t aps, n;
	int bsp_seen;

	n = scan(s, cpu, &aps, &bsp_seen);
	if (!bsp_seen) {
		cpu[n].lapic_id = s->bsp;
		cpu[n].flags = MKBOOTIMG_CPU_BSP | MKBOOTIMG_CPU_STARTED;
	}
	for (uint32_t i = 0; i < n; i++)
		if (cpu[i].reserved == TO_START) {
			stacks += stack_size;
			top[i] = stacks;
		}
}

/* Wait ticks of the PIT's 1193182 Hz (at most 65535): channel 2, mode 0,
 * its gate on and the speaker off; OUT2 (port 0x61 bit 5) rises at zero.
 * A tick is 838 ns and a port read takes a few hundred: PIT_POLLS reads a
 * tick is many times what a working PIT needs, and ends the wait (about a
 * second at most for 10 ms) where the PIT is gated off or absent, instead
 * of hanging with boot services gone; APs then count as not started. */
#define PIT_POLLS 128u
static CORE_NOINLINE void pit_wait(uint16_t ticks)
{
	x86_outb(0x61, (uint8_t)((x86_inb(0x61) & ~0x02) | 0x01));
	x86_outb(0x43, 0xb0);
	x86_outb(0x42, (uint8_t)ticks);
	x86_outb(0x42, (uint8_t)(ticks >> 8));
	for (uint32_t n = (uint32_t)ticks * PIT_POLLS; n && !(x86_inb(0x61) & 0x20); n--)
		x86_pause();
}

/* One IPI (icr: the low word) to the local APIC ID id. */
static CORE_NOINLINE void ipi(const struct smp *s, uint32_t id, uint32_t icr)
{
	volatile uint32_t *r = platform_pointer(s->lapic, 0x400);

	if (s->flags & MKBOOTIMG_SMP_X2APIC) {
		x86_wrmsr(MSR_X2APIC_ICR, (uint64_t)id << 32 | icr);
		return;
	}
	r[XAPIC_ICR_HIGH / 4] = id << 24;
	r[XAPIC_ICR_LOW / 4] = icr;
	for (uint32_t i = 0; i < 100000 && (r[XAPIC_ICR_LOW / 4] & ICR_PENDING); i++)
		x86_pause();
}

/* Send icr to each AP to start, or (unparked) to each not parked yet.
 * Returns how many it sent to. */
static CORE_NOINLINE uint32_t send(const struct smp *s, struct mkbootimg_cpu *cpu, uint32_t icr, int unparked)
{
	uint32_t sent = 0;

	for (uint32_t i = 0; i < s->count; i++) {
		volatile uint32_t *flags = &cpu[i].flags;
		if (cpu[i].reserved != TO_START || (unparked && (*flags & MKBOOTIMG_CPU_STARTED)))
			continue;
		if (icr)
			ipi(s, cpu[i].lapic_id, icr);
		if (icr == ICR_INIT && unparked)
			cpu[i].reserved = SILENCED;
		sent++;
	}
	return sent;
}

void smp_start(struct smp *s, uint64_t trampoline, const void *code, uint32_t size, uint64_t cr3, int nx)
{
	struct mkbootimg_cpu *cpu = platform_pointer(s->cpus, s->count * CPU_BYTES);
	uint8_t *page = trampoline ? platform_pointer(trampoline, PAGE_SIZE) : 0;
	uint32_t vector = (uint32_t)(trampoline >> 12);

	if (s->aps && page && size <= PAGE_SIZE && !(trampoline & 0xfff) && trampoline < MiB) {
		struct smp_ap_data *d = (void *)(page + SMP_AP_DATA);
		memcpy(page, code, size);
		d->cr3 = (uint32_t)cr3;
		d->nx = (uint32_t)nx;
		d->cpus = s->cpus;
		d->count = s->count;
		send(s, cpu, ICR_INIT, 0);
		pit_wait(TICKS_10MS);
		send(s, cpu, ICR_SIPI | vector, 0);
		pit_wait(TICKS_200US);
		send(s, cpu, ICR_SIPI | vector, 1);
		for (uint32_t ms = 0; ms < WAIT_MS && send(s, cpu, 0, 1); ms++)
			pit_wait(TICKS_1MS);
		/* The silent ones back to waiting for a SIPI: none runs in the page later. */
		if (send(s, cpu, ICR_INIT, 1))
			pit_wait(TICKS_1MS);
	}
	for (uint32_t i = 0; i < s->count; i++) {
		if (cpu[i].reserved == SILENCED) /* it may have parked just before its INIT */
			cpu[i].flags = 0;
		cpu[i].reserved = 0;
	}
}
