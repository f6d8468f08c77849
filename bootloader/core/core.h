/*
 * The loader's core: what every front-end (BIOS and UEFI) shares. Plain C,
 * built four ways: gcc -m16 for the BIOS stage 2, clang for BOOTX64.EFI,
 * for the host's unit tests, and -m64 -ffreestanding as a build check
 * (make check-core64).
 *
 * CORE_BIOS_ONLY is 1 in stage 2 only (bootloader.mk defines it), 0 in
 * every other build: stage 2 never runs on UEFI, and every byte of it
 * counts. It leaves out, as `if (!CORE_BIOS_ONLY && ...)`, what only a UEFI
 * firmware's facts reach, and nothing else:
 *   - the EFI system table and memory map handed to the kernel: the boot
 *     information's efi_* fields (bootinfo.c; on a BIOS they stay 0) and
 *     the Multiboot 2 EFI tags, types 12 and 17 (multiboot.c);
 *   - the stop for a range the firmware uses (boot.c: PLATFORM_TAKEN and
 *     a UEFI memory map);
 *   - a framebuffer above 4 GiB for the direct map (boot.c: a GOP's; a
 *     VBE framebuffer's address is 32-bit).
 *
 * Rules for every file in core/: no firmware calls, no assembly, no halting
 * (but x86.h: the port, MSR and CPUID instructions smp.c needs to start the
 * APs, which are the machine's and the same under every firmware).
 * Physical addresses are uint64_t; memory is reached through platform.h.
 * A function that can fail returns an enum core_status and fills a struct
 * core_error with the sentence the front-end shows before it stops.
 * No 64-bit division or modulo by anything but a power of two: the -m16
 * build has no libgcc.
 */
#ifndef MKB_CORE_H
#define MKB_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifndef CORE_BIOS_ONLY
#define CORE_BIOS_ONLY 0
#endif

#define PAGE_SIZE 4096u
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

static inline uint64_t page_down(uint64_t x)
{
	return x & ~(uint64_t)(PAGE_SIZE - 1);
}

static inline uint64_t page_up(uint64_t x)
{
	return page_down(x + PAGE_SIZE - 1);
}

/* For a helper used in several places: the -m16 build pays for every copy
 * gcc would inline, and stage 2 must stay small. */
#define CORE_NOINLINE __attribute__((noinline))

/* The C library's on the host; each front-end provides them (BIOS: entry.asm). */
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);

enum core_status {
	CORE_OK = 0,
	CORE_NO_MANIFEST,     /* no manifest this loader reads where stage 2 ends */
	CORE_DAMAGED,         /* a manifest that breaks a rule of manifest.h */
	CORE_TRUNCATED,       /* the disk ends before the payload */
	CORE_PLACEMENT,       /* a segment's planned place is not usable RAM */
	CORE_NO_LONG_MODE,    /* a native kernel on a CPU without long mode */
	CORE_READ,            /* the platform could not read the disk */
	CORE_CHECKSUM,        /* the payload read differs from the one written */
	CORE_NO_MEMORY,       /* no free pages left for the loader's allocations */
	CORE_FRAGMENTED,      /* more allocated regions than the loader records */
	CORE_TOO_MANY,        /* more reserved ranges than the platform records */
	CORE_BUDGET,          /* a structure outgrew the space computed for it (a bug) */
	CORE_NEEDS_BIOS,      /* a Linux kernel entered in real mode, on UEFI */
	CORE_LOW_MEMORY,      /* no 64 KiB of conventional memory for Linux's real-mode part */
};

/* Room for the longest sentence the loader says (about 250 bytes). */
#define CORE_MESSAGE_MAX 320

struct core_error {
	enum core_status code;
	char message[CORE_MESSAGE_MAX]; /* what went wrong and what the user can do */
};

/*
 * Format into e->message and return code. The format is a printf subset:
 * %s, %u (uint32_t, decimal), %x (uint32_t, hex), %02x (two hex digits),
 * %lx (uint64_t, hex).
 */
enum core_status core_fail(struct core_error *e, enum core_status code, const char *fmt, ...);

/* The same format into buf (always NUL-terminated when cap > 0); returns the
 * length the whole text has, which may exceed cap - 1. */
size_t core_vformat(char *buf, size_t cap, const char *fmt, va_list ap);
size_t core_format(char *buf, size_t cap, const char *fmt, ...);

#endif
