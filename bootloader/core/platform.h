/*
 * What the core needs from a front-end, and what it is told.
 *
 * The functions below are all the core calls outside itself; each
 * front-end defines them (bios/platform.c; the unit tests have a fake).
 * The facts are what the front-end found out about the machine before it
 * called the core, in one struct (see boot.h for the calls and their order).
 */
#ifndef MKB_CORE_PLATFORM_H
#define MKB_CORE_PLATFORM_H

#include <mkbootimg/protocol.h>

#include "core.h"
#include "memmap.h"

/*
 * Read bytes bytes of the boot disk, from the start of sector lba on, to
 * dst (what the core reads lies below 4 GiB: size_t holds its size).
 * Only those bytes are written: not the rest of the last sector.
 * CORE_OK, or CORE_READ with e's message saying what failed.
 */
enum core_status platform_read(uint64_t lba, void *dst, size_t bytes, struct core_error *e);

/*
 * pages pages of usable RAM that nothing else uses, ending at or below
 * limit (PLATFORM_BELOW_4GIB or PLATFORM_ANYWHERE; a platform may give
 * less than it asked for). Not cleared. 0 with *address set, or -1 when
 * there is no such run.
 */
#define PLATFORM_BELOW_4GIB (UINT64_C(1) << 32)
#define PLATFORM_ANYWHERE UINT64_MAX
int platform_alloc_pages(uint64_t pages, uint64_t limit, uint64_t *address);
/* ...starting at or above floor (page-aligned). */
int platform_alloc_pages_above(uint64_t pages, uint64_t floor, uint64_t limit, uint64_t *address);

/*
 * Never hand out [base, end) (page-aligned) in a later allocation: the
 * kernel's segments go there, or a segment's virtual range takes over the
 * identity map there. 0; -1 when the platform cannot record more;
 * PLATFORM_TAKEN when some of it is in use already (a UEFI firmware's
 * memory, or an allocation since the map core_init saw): every free page of
 * it is kept out all the same. A range reserved twice, or two that
 * overlap, are fine.
 */
#define PLATFORM_TAKEN (-2)
int platform_reserve(uint64_t base, uint64_t end);

/*
 * A pointer to bytes bytes of physical memory at address, or a null
 * pointer when the loader cannot reach all of them.
 */
void *platform_pointer(uint64_t address, uint64_t bytes);

/* A line that is not an error, for a debugging console (COM1 on a BIOS). */
void platform_log(const char *line);

/* What a UEFI front-end passes on to the kernel; zero on a BIOS. */
struct mkb_efi_facts {
	uint64_t system_table;      /* physical address of the EFI system table */
	uint64_t memory_map;        /* the final map (ExitBootServices took its key) */
	uint64_t memory_map_size;   /* bytes; until core_finish, the most it may be (the
				       Multiboot 2 information makes room for it in core_load) */
	uint64_t descriptor_size;   /* the step between descriptors */
	uint32_t descriptor_version;
};

/*
 * The machine, as the front-end found it. Everything is read by core_init
 * and core_load except the fields below "Read by core_finish only": a
 * front-end may set the screen mode between the two (the BIOS does, as its
 * last firmware call: in graphics mode its messages would not show).
 * core_finish reads the memory map and the front-end's own ranges again:
 * a front-end may replace them by the firmware's final map (UEFI, after
 * ExitBootServices); that map may have a few more entries (the loader's
 * allocations split free ranges), at most CORE_FINAL_EXTRA more.
 */
struct boot_facts {
	/* The firmware's memory map as it gave it: any order, overlaps allowed;
	 * at most CORE_MAX_FIRMWARE_RANGES (boot.h) entries. */
	const struct mm_range *memory_map;
	size_t memory_map_count;
	/* The front-end's own memory, with the type the kernel's map gives it
	 * (a BIOS: the IVT reserved, its code and buffers loader-reclaimable);
	 * at most CORE_MAX_OWN entries. */
	const struct mm_range *own;
	size_t own_count;
	uint64_t manifest_lba;   /* where the manifest starts on the boot disk */
	uint64_t disk_sectors;   /* the boot disk's size in sectors; 0: unknown */
	uint32_t boot_drive;     /* what the kernel is told (a BIOS drive number) */
	const char *loader_name; /* "mkbootimg 0.1": at most MKB_LOADER_NAME_MAX bytes, or NUL-ended */
	int long_mode;           /* the CPU has 64-bit long mode */
	int nx;                  /* ... the no-execute page bit */
	int gib_pages;           /* ... 1 GiB pages */
	uint64_t rsdp;           /* the ACPI RSDP (checksums checked); 0: none */
	uint64_t screen_end;     /* the end of a framebuffer the firmware's map lacks (UEFI's
				    GOP), which the direct map must reach; 0: none */
	uint64_t smbios;         /* the SMBIOS entry point; 0: none */
	uint32_t firmware;       /* MKBOOTIMG_FIRMWARE_* */
	uint64_t conventional_end; /* a BIOS: where conventional memory ends (int 12h, the
				      EBDA), for Linux's real-mode entry; 0 on UEFI */
	uint64_t entropy;        /* 64 random bits for KASLR (bootloader/entropy.h): the low
				    half picks the kernel's slide, the high half the direct map */

	/* Read by core_finish only. */
	struct mkbootimg_framebuffer framebuffer; /* address 0: VGA text mode */
	uint32_t vbe_mode;          /* the VBE mode set | 0x10000; 0: none */
	const void *vbe_control;    /* when vbe_mode: VBE controller information, 512 bytes */
	const void *vbe_mode_info;  /* when vbe_mode: VBE mode information, 256 bytes */
	struct mkb_efi_facts efi;   /* UEFI: the system table and the final memory map */
	/* A native kernel's APs (MKBOOTIMG_REQUEST_SMP, smp.h), started by core_finish. */
	uint64_t smp_trampoline;    /* a page below 1 MiB for their start-up code; 0: none,
				       the CPUs are listed but no AP is started */
	const void *smp_code;       /* smp/trampoline.asm assembled, as the front-end embeds it */
	uint32_t smp_code_size;
};

#endif
