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

#endif
