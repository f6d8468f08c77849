/*
 * mkbootimg boot protocol: what a 64-bit kernel is handed at entry.
 *
 * The one header a kernel needs. Freestanding C99 or C++, no includes but
 * <stdint.h>. Layouts are fixed: every field has a fixed size and offset,
 * checked below, so kernels in other languages can mirror them.
 *
 * Entry state (see mkbootimg-protocol(7) for the full list):
 *   long mode, 4-level paging, interrupts off, SSE on;
 *   RDI = physical address of struct mkbootimg_info (identity-mapped, below 4 GiB);
 *   RSP + 8 16-byte aligned, RBP = 0, the stack has an unmapped guard page below it.
 * The GDT, like the rest of the loader, lives in memory the map marks
 * LOADER_RECLAIMABLE: load your own before reusing that memory.
 *
 * Addresses in the boot information are physical and below 4 GiB unless a
 * field says otherwise; the first 4 GiB are identity-mapped, so they are
 * usable as pointers as they are, or after adding direct_map_offset.
 */
#ifndef MKBOOTIMG_PROTOCOL_H
#define MKBOOTIMG_PROTOCOL_H

#include <stdint.h>

#define MKBOOTIMG_INFO_MAGIC   UINT64_C(0x4f464e49424b4d21) /* "!MKBINFO" */
#define MKBOOTIMG_INFO_VERSION 1

/* Memory map entry types. Values 1-5 are those of the BIOS E820 call. */
enum mkbootimg_memory_type {
	MKBOOTIMG_MEM_USABLE = 1,             /* free RAM, page-aligned */
	MKBOOTIMG_MEM_RESERVED = 2,           /* firmware, MMIO, or unknown */
	MKBOOTIMG_MEM_ACPI_RECLAIMABLE = 3,   /* ACPI tables; free once read */
	MKBOOTIMG_MEM_ACPI_NVS = 4,           /* ACPI non-volatile storage */
	MKBOOTIMG_MEM_BAD = 5,                /* defective RAM */
	MKBOOTIMG_MEM_LOADER_RECLAIMABLE = 0x1000, /* loader code and buffers; free after entry */
	MKBOOTIMG_MEM_KERNEL = 0x1001,        /* the kernel's segments */
	MKBOOTIMG_MEM_KERNEL_STACK = 0x1002,  /* the initial stack */
	MKBOOTIMG_MEM_PAGE_TABLES = 0x1003,   /* the page tables CR3 points to */
	MKBOOTIMG_MEM_BOOT_INFO = 0x1004      /* this structure, its map and strings */
};

struct mkbootimg_memory_region {
	uint64_t base;   /* physical start */
	uint64_t length; /* bytes */
	uint32_t type;   /* enum mkbootimg_memory_type */
	uint32_t reserved; /* zero */
};

struct mkbootimg_info {
	uint64_t magic;             /* MKBOOTIMG_INFO_MAGIC */
	uint32_t version;           /* MKBOOTIMG_INFO_VERSION; later versions only append fields */
	uint32_t size;              /* bytes of this structure as the loader filled it */
	uint64_t direct_map_offset; /* virtual = physical + this, for all physical memory */
	uint64_t memory_map;        /* address of the struct mkbootimg_memory_region array */
	uint32_t memory_map_count;  /* entries: sorted by base, not overlapping */
	uint32_t boot_drive;        /* BIOS drive number the image was read from */
	uint64_t cmdline;           /* address of the NUL-terminated command line ("" if none) */
	uint64_t cmdline_length;    /* bytes, without the NUL */
	uint64_t loader_name;       /* address of "mkbootimg <version>", NUL-terminated */
	uint64_t stack_top;         /* virtual address one past the stack's highest byte */
	uint64_t stack_size;        /* bytes mapped below stack_top; one unmapped page below that */
};

/* Layout checks that work in C99 and C++ alike. */
#define MKBOOTIMG_CHECK_(name, cond) typedef char mkbootimg_check_##name[(cond) ? 1 : -1]
MKBOOTIMG_CHECK_(region_size, sizeof(struct mkbootimg_memory_region) == 24);
MKBOOTIMG_CHECK_(info_size, sizeof(struct mkbootimg_info) == 80);
#undef MKBOOTIMG_CHECK_

#endif
