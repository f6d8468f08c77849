/*
 * The Linux boot protocol's hand-off: boot_params (the "zero page", Linux's
 * Documentation/arch/x86/zero-page.rst) with the setup header the tool
 * copied from the kernel (struct mkb_linux, image.h), the command line
 * after it, and a page of stack for the trampolines, in one area.
 */
#ifndef MKB_CORE_LINUX_H
#define MKB_CORE_LINUX_H

#include <stdint.h>

#include <mkbootimg/image.h>

#include "request.h"

#define LINUX_ZERO_PAGE 4096u
#define LINUX_ENTRY64_OFFSET 0x200u /* the 64-bit entry: load address + 0x200 */
#define LINUX_E820_MAX 128u         /* entries the zero page holds */

/* The real-mode entry's segment X (boot.rst, "Loading the rest of the
 * kernel"): the real-mode part at X, heap up to LINUX_REAL_HEAP_END, the
 * stack below LINUX_REAL_STACK, the command line from LINUX_REAL_CMDLINE. */
#define LINUX_REAL_BYTES   0x10000u /* X to X+0x10000 */
#define LINUX_REAL_HIGHEST 0x90000u /* the traditional X, when the EBDA leaves room */
#define LINUX_REAL_STACK   0xe000u
#define LINUX_REAL_HEAP_END (LINUX_REAL_STACK - 0x200u)
#define LINUX_REAL_CMDLINE 0xe000u

/* The Linux block of a manifest whose protocol is MKB_PROTOCOL_LINUX (checked by manifest.c). */
static inline const struct mkb_linux *linux_block(const struct mkb_manifest *m)
{
	return (const struct mkb_linux *)(const void *)((const char *)m + m->multiboot_offset);
}

/* Bytes of the area: boot_params, the command line and its NUL in whole pages, a page of stack. */
uint64_t linux_size(const struct mkb_manifest *m);

/*
 * Build boot_params into area (zeroed, linux_size bytes at physical
 * address address, below 4 GiB) for a kernel loaded at kernel, with the
 * initrd at initrd (0: none): the header copied and completed, the e820
 * table from r->ram, the screen, the RSDP and, on UEFI, efi_info.
 */
void linux_build(void *area, uint64_t address, const struct info_request *r, uint64_t kernel,
		 uint64_t initrd);

/*
 * Fill the header of a real-mode part loaded at x (LINUX_REAL_BYTES at
 * physical address address, below 1 MiB) for its setup code: loader type,
 * loadflags with the heap, heap_end_ptr, code32_start = kernel, the initrd
 * at initrd (0: none), vid_mode, and the command line copied to
 * LINUX_REAL_CMDLINE. The setup code builds boot_params itself.
 */
void linux_build_real_mode(uint8_t *x, uint64_t address, const struct info_request *r, uint64_t kernel,
			   uint64_t initrd);

#endif
