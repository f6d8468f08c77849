/*
 * The other CPUs (APs), for a native kernel that asks (MKBOOTIMG_REQUEST_SMP):
 * found in the ACPI MADT, started with INIT-SIPI-SIPI through a trampoline
 * page below 1 MiB (smp/trampoline.asm, which each front-end embeds), each
 * brought into long mode on the kernel's page tables with its own stack,
 * and parked on its struct mkbootimg_cpu (see protocol.h).
 *
 *   smp_init    in core_load: the BSP's local APIC and the MADT; how many
 *               CPUs to list and how many APs to give a stack
 *   smp_list    in core_load, once the array and the stacks are allocated
 *   smp_start   in core_finish: after the front-end's last firmware call
 *               (BIOS) or ExitBootServices (UEFI), the page tables built
 */
#ifndef MKB_CORE_SMP_H
#define MKB_CORE_SMP_H

#include <stdint.h>

#include "core.h"

#include <mkbootimg/protocol.h>

/* The MADT's and the local APIC's addresses: stage 2 reaches only the first
 * 4 GiB, where 32-bit arithmetic costs it half the bytes. */
#if CORE_BIOS_ONLY
typedef uint32_t smp_address;
#else
typedef uint64_t smp_address;
#endif

struct smp {
	uint64_t cpus;      /* physical: count struct mkbootimg_cpu, then count uint64_t stack tops */
	uint32_t count;     /* CPUs listed, the BSP among them */
	uint32_t aps;       /* APs to start, each with a stack */
	uint32_t flags;     /* MKBOOTIMG_SMP_* */
	uint32_t bsp;       /* the BSP's local APIC ID */
	smp_address lapic; /* local APIC registers' address; 0: no usable local APIC */
	smp_address madt;  /* 0: none */
};

/* The trampoline's data, at SMP_AP_DATA in its page: smp/trampoline.asm
 * reads these offsets. */
#define SMP_AP_DATA 8
struct smp_ap_data {
	uint32_t cr3;       /* the kernel's page tables (below 4 GiB) */
	uint32_t nx;        /* 1: set EFER.NXE before paging */
	uint64_t cpus;      /* struct smp's cpus */
	uint32_t count;
	uint32_t reserved;
};

/* Fill s: 0, or -1 with no local APIC to start APs through (s->count 0). */
int smp_init(struct smp *s, uint64_t rsdp);

/* The list at s->cpus (zeroed, s->count entries and their stack tops); AP
 * stacks of stack_size bytes each from stacks (s->aps of them). */
void smp_list(struct smp *s, uint64_t stacks, uint32_t stack_size);

/* Copy the trampoline (code, size bytes) to its page (below 1 MiB; 0: none,
 * no AP is started) and start every AP listed to start. Bounded: an AP
 * silent 100 ms after its second SIPI is sent INIT again and left out. */
void smp_start(struct smp *s, uint64_t trampoline, const void *code, uint32_t size, uint64_t cr3, int nx);

#endif
