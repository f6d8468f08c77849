/*
 * What the boot-information builders describe (bootinfo.c for native
 * kernels, multiboot.c for Multiboot ones): boot.c fills it as the boot
 * goes, and each builder reads its part.
 */
#ifndef MKB_CORE_REQUEST_H
#define MKB_CORE_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <mkbootimg/image.h>
#include <mkbootimg/protocol.h>

#include "memmap.h"

struct mkb_efi_facts;

/* The firmware's final map may have this many entries more than the one
 * core_init saw (UEFI: the loader's allocations split free ranges). */
#define CORE_FINAL_EXTRA 32

struct info_request {
	const struct mkb_manifest *m;   /* the whole, validated manifest */
	const uint64_t *module_address; /* where each module was loaded */
	uint32_t boot_drive;
	const char *loader_name;        /* at most MKB_LOADER_NAME_MAX bytes, or NUL-ended */
	const struct mkbootimg_framebuffer *framebuffer; /* address 0: VGA text mode */
	uint32_t firmware;              /* MKBOOTIMG_FIRMWARE_* */
	uint64_t smbios;                /* the SMBIOS entry point's address, 0: none */
	const struct mkb_efi_facts *efi; /* UEFI: system table and final memory map */
	/* Native */
	uint64_t stack_physical;
	uint64_t kernel_slide;          /* a PIE kernel's: base minus link base (relocate.h) */
	uint64_t kernel_virtual_base;   /* a PIE kernel's base as loaded; 0: not relocatable */
	uint64_t rsdp;                  /* the RSDP's address, 0: none */
	const struct mm_range *map;     /* the kernel's memory map, sanitized */
	size_t map_count;
	const struct smp *smp;          /* the CPUs: smp->count 0 when not asked for */
	/* Multiboot */
	const struct mm_range *ram;     /* the firmware's map, sanitized; in core_finish, its
					   final one, the loader's memory in it usable */
	size_t ram_count;
	const uint8_t *rsdp_bytes;      /* the RSDP (checksums checked), or null */
	uint32_t vbe_mode;              /* | 0x10000 when set; 0: none */
	const void *vbe_control;        /* when vbe_mode: 512 bytes */
	const void *vbe_mode_info;      /* when vbe_mode: 256 bytes */
};

#endif
