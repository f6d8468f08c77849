/*
 * From the image to the kernel's entry, in three calls a front-end makes:
 *
 *   core_init     the firmware's memory map, sanitized (b->ram): a front-end
 *                 with no allocator of its own builds one on it now
 *   core_load     manifest read and checked, every planned range checked
 *                 against the map and reserved, segments and modules loaded
 *                 and checksummed, then the stack, page tables and the
 *                 boot information's pages: everything that can fail
 *   core_finish   the boot information (native, Multiboot or Linux), written
 *                 after the front-end's last firmware call, and the hand-off
 *
 * The front-end places struct core_boot (large: it holds the manifest and
 * the memory maps) and enters the kernel as struct core_handoff says.
 */
#ifndef MKB_CORE_BOOT_H
#define MKB_CORE_BOOT_H

#include <mkbootimg/image.h>

#include "core.h"
#include "memmap.h"
#include "multiboot.h"
#include "paging.h"
#include "platform.h"
#include "smp.h"

#define CORE_MAX_FIRMWARE_RANGES 256 /* entries of the firmware's map, at most */
#define CORE_MAX_OWN 2               /* ranges of the front-end's own, at most */
#define CORE_MAX_RAM (2 * CORE_MAX_FIRMWARE_RANGES)
#define CORE_MAP_INPUT (CORE_MAX_FIRMWARE_RANGES + CORE_MAX_OWN + MKB_MAX_SEGMENTS + MM_MAX_CLAIMS)
#define CORE_MAX_MAP (2 * CORE_MAP_INPUT) /* regions of the kernel's map */

struct core_handoff {
	uint32_t protocol;    /* MKB_PROTOCOL_*: how the kernel is entered */
	uint32_t magic;       /* Multiboot: EAX */
	uint64_t entry;       /* native: virtual; Multiboot, Linux: physical, below 4 GiB */
	uint64_t info;        /* native: RDI; Multiboot: EBX; Linux: boot_params, RSI (ESI) */
	uint64_t page_tables; /* native: CR3; Linux: CR3 for the 64-bit entry, 0 for the 32-bit one */
	uint64_t stack_top;   /* native, Linux's 64-bit entry: RSP before the null return address */
	int nx;               /* native: set EFER.NXE */
	uint32_t segment;     /* Linux's real-mode entry: the real-mode part's segment (X >> 4),
				 its header filled: DS = SS = it, SP = LINUX_REAL_STACK, CS = it +
				 0x20; 0 for every other entry */
};

/* Scalars first: the -m16 build reaches them with short displacements. */
struct core_boot {
	const struct boot_facts *facts;
	struct core_error *err;
	const struct mkb_manifest *m; /* the manifest, once checked */
	size_t ram_count;
	size_t map_count;
	uint64_t stack;               /* physical */
	uint64_t info, info_size;     /* the boot information's pages (Linux: boot_params' area) */
	uint64_t initrd;              /* Linux: where the initrd was loaded; 0: none */
	uint64_t real_mode;           /* Linux's real-mode entry: its 64 KiB segment's base; 0: none */
	uint64_t pie_table;           /* a PIE kernel's KASLR relocation table, loaded; 0: none */
	struct paging paging;
	struct smp smp;               /* a native kernel's CPUs; smp.count 0: not asked for */
	struct info_request request; /* for the boot information */
	struct mm_claims claims;      /* what the loader allocated */
	uint64_t module_address[MKB_MAX_MODULES];
	struct mm_range ram[CORE_MAX_RAM]; /* the firmware's map, sanitized */
	struct mm_range map_input[CORE_MAP_INPUT];
	struct mm_range map[CORE_MAX_MAP]; /* the kernel's */
	uint64_t manifest[MKB_MANIFEST_MAX_BYTES / 8]; /* as read from the disk */
};

void core_init(struct core_boot *b, const struct boot_facts *f);
enum core_status core_load(struct core_boot *b, struct core_error *err);
enum core_status core_finish(struct core_boot *b, struct core_handoff *h, struct core_error *err);

#endif
