/*
 * Stage 2 internals. Built with gcc -m16: real mode, 32-bit registers,
 * unreal-mode data segments, so pointers reach everything below 4 GiB.
 */
#ifndef MKB_LOADER_H
#define MKB_LOADER_H

#include <stddef.h>
#include <stdint.h>

#define PAGE_SIZE 4096u
#define MiB (1024u * 1024u)
#define GiB (UINT64_C(1) << 30)

/* Low memory, all below 1 MiB (see bootloader/README.md). */
#define LOW_STACK_TOP 0x7000u  /* below stage 1's page: see entry.asm */
#define STAGE2_BASE 0x8000u
#define BOUNCE_BUFFER 0x20000u /* 64 KiB-aligned, so no transfer crosses 64 KiB */
#define BOUNCE_SECTORS 128u    /* 64 KiB: the most one read may transfer */
#define MANIFEST_BUFFER 0x30000u
#define SCRATCH 0x40000u       /* large tables that do not fit below 64 KiB */
#define SCRATCH_END 0x60000u
#define LOADER_END SCRATCH_END

/* gcc -m16 encodes a constant address as a 16-bit displacement, truncating
 * it: addresses above 64 KiB must reach memory through a register. */
static inline void *flat(uint32_t address)
{
	__asm__("" : "+r"(address));
	return (void *)(uintptr_t)address;
}

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

/* entry.asm */
struct bios_regs {
	uint32_t eax, ebx, ecx, edx, esi, edi, ebp, eflags;
	uint16_t ds, es;
};
#define EFLAGS_CF 1u

struct handoff {
	uint64_t cr3, entry, stack_top, info;
	uint32_t efer_bits;
};

void bios_call(uint32_t intno, struct bios_regs *regs);
__attribute__((noreturn)) void enter_kernel(const struct handoff *h);
/* 32-bit protected mode, paging off, flat segments, interrupts off:
 * EAX = magic, EBX = info, then a jump to entry. */
__attribute__((noreturn)) void enter_multiboot(uint32_t magic, uint32_t info, uint32_t entry);
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
struct mkb_checksum;
void copy_sum_words(uint32_t *dst, const uint32_t *src, uint32_t words, struct mkb_checksum *sum);

/* console.c: COM1 and the VGA text screen */
void console_init(void);
void print(const char *fmt, ...);
__attribute__((noreturn)) void fatal(const char *fmt, ...);

/* cpu.c */
struct cpu_features {
	int long_mode;  /* 64-bit mode: native kernels need it, Multiboot ones do not */
	int nx;         /* EFER.NXE and the NX page bit are available */
	int gib_pages;  /* 1 GiB pages */
};
void a20_enable(void);
void cpu_detect(struct cpu_features *f);
void cpu_require_long_mode(const struct cpu_features *f);

/* disk.c */
void disk_init(uint8_t drive);
/* Read count sectors from lba into dst (below 1 MiB, not crossing 64 KiB). */
void disk_read_low(uint64_t lba, uint32_t count, uint32_t dst);
/* The largest read the BIOS has accepted so far, in sectors. */
uint32_t disk_transfer_sectors(void);
/* The disk's size in sectors as the BIOS reports it, 0 when unknown. */
uint64_t disk_sectors(void);

/* firmware.c */
struct mkbootimg_framebuffer;
void vbe_set_mode(uint32_t width, uint32_t height, uint32_t bpp, struct mkbootimg_framebuffer *fb);
uint64_t find_rsdp(void);
/* After vbe_set_mode: the mode set | 0x10000 (0: none), its controller
 * information (512 bytes) and mode information (256 bytes). */
uint32_t vbe_blocks(const void **control, const void **mode_block);

/* multiboot.c: build the Multiboot 1 or 2 information and enter the kernel. */
struct mkb_manifest;
struct mm_range;
__attribute__((noreturn)) void multiboot_boot(const struct mkb_manifest *m,
					      const uint64_t *module_address, uint32_t drive,
					      const struct mm_range *ram, size_t ram_count);

/* paging.c */
void paging_init(const struct cpu_features *f);
void map_range(uint64_t va, uint64_t pa, uint64_t len, uint64_t flags);
void map_kernel_range(uint64_t va, uint64_t pa, uint64_t len, uint64_t flags);
uint64_t paging_root(void);

#define PTE_P (UINT64_C(1) << 0)
#define PTE_W (UINT64_C(1) << 1)
#define PTE_PS (UINT64_C(1) << 7)
#define PTE_KERNEL (UINT64_C(1) << 9) /* available bit: set by a kernel segment */
#define PTE_NX (UINT64_C(1) << 63)

#endif
