/*
 * The BIOS front-end's internals. Built with gcc -m16: real mode, 32-bit
 * registers, unreal-mode data segments, so pointers reach everything below
 * 4 GiB (see bootloader/README.md for the rules that follow).
 */
#ifndef MKB_BIOS_H
#define MKB_BIOS_H

#include <stddef.h>
#include <stdint.h>

#include "boot.h"
#include "core.h"
#include "physmem.h"
#include "platform.h"
#include "say.h"
#include "x86.h"

/* Low memory, all below 1 MiB (see bootloader/README.md). */
/* Nothing of stage 2's below 0x2000: code that chain-loads it (a boot
 * manager, the hostile-BIOS harness of the tests) may still live there. */
#define LOW_STACK_TOP 0x6000u  /* below stage 1's page: see entry.asm */
#define BSS_BASE 0x6000u       /* stage 2's .bss: a page of its own, above the stack */
#define SMP_PAGE 0x7000u       /* the APs' start-up code, below stage 1 (unused once core_finish runs) */
#define STAGE2_BASE 0x8000u
#define BOUNCE_BUFFER 0x20000u /* 64 KiB-aligned, so no transfer crosses 64 KiB */
#define BOUNCE_SECTORS 128u    /* 64 KiB: the most one read may transfer */
#define WORKSPACE 0x30000u     /* struct bios_memory: the core's state and the BIOS's tables */
#define LOADER_END 0x60000u

/* What does not fit below 64 KiB, at WORKSPACE. */
struct bios_memory {
	struct core_boot core;
	struct mm_range firmware_map[CORE_MAX_FIRMWARE_RANGES]; /* E820 as the BIOS gave it */
	struct physmem allocator;
};
_Static_assert(sizeof(struct bios_memory) <= LOADER_END - WORKSPACE,
	       "the loader's workspace must end below LOADER_END");

/* gcc -m16 encodes a constant address as a 16-bit displacement, truncating
 * it: addresses above 64 KiB must reach memory through a register. */
static inline void *flat(uint32_t address)
{
	__asm__("" : "+r"(address));
	return (void *)(uintptr_t)address;
}

/* entry.asm */
struct bios_regs {
	uint32_t eax, ebx, ecx, edx, esi, edi, ebp, eflags;
	uint16_t ds, es;
};
#define EFLAGS_CF 1u

void bios_call(uint32_t intno, struct bios_regs *regs);
/* The hand-off core_finish describes (below 64 KiB; entry.asm takes the
 * offsets of struct core_handoff from layout.c). Long mode, or 32-bit
 * protected mode for a Multiboot kernel. */
__attribute__((noreturn)) void enter_kernel(const struct core_handoff *h);
__attribute__((noreturn)) void enter_multiboot(const struct core_handoff *h);
__attribute__((noreturn)) void enter_linux(const struct core_handoff *h);
/* Linux's real-mode entry: the real-mode part at segment:0000, its header filled. */
__attribute__((noreturn)) void enter_linux16(uint32_t segment);

/* console.c: say_write (common/say.h) on COM1 and the VGA text screen */
/* entry.asm: the APs' start-up code (smp/trampoline.asm) */
extern const char smp_trampoline[], smp_trampoline_end[];
extern const char firmware_unsupported[]; /* "This machine's firmware is not supported." */

/* cpu.c */
void a20_enable(void);
/* Long mode, NX and 1 GiB pages, into the facts. */
void cpu_detect(struct boot_facts *f);

/* disk.c (and platform_read) */
void disk_init(uint8_t drive);
/* The disk's size in sectors as the BIOS reports it, 0 when unknown. */
uint64_t disk_sectors(void);

/* firmware.c */
void vbe_set_mode(uint32_t width, uint32_t height, uint32_t bpp, struct mkbootimg_framebuffer *fb);
uint64_t find_rsdp(void);
/* After vbe_set_mode: the mode set | 0x10000 (0: none), its controller
 * information (512 bytes) and mode information (256 bytes). */
uint32_t vbe_blocks(const void **control, const void **mode_block);

/* memory.c: E820, or E801 and 88h; n entries, at least two. */
size_t read_memory_map(struct mm_range *out, size_t cap);
/* Where conventional memory ends: int 12h's size, or the EBDA when it starts lower. */
uint32_t conventional_end(void);

/* platform.c: the allocator platform_alloc_pages and platform_reserve use. */
void bios_platform_init(struct physmem *allocator);

#endif
