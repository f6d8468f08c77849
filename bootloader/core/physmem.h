/*
 * A page allocator over a sanitized memory map, for a front-end whose
 * firmware has none to offer (the BIOS): what platform_alloc_pages and
 * platform_reserve are made of there.
 */
#ifndef MKB_CORE_PHYSMEM_H
#define MKB_CORE_PHYSMEM_H

#include <mkbootimg/image.h>

#include "memmap.h"

/* The kernel's segments (physical and identity-mapped virtual ranges),
 * the front-end's own memory, and the allocations. */
#define PHYSMEM_MAX_RANGES (2 * MKB_MAX_SEGMENTS + 4 + 65)

struct physmem {
	const struct mm_range *map; /* sanitized (memmap_sanitize): sorted, usable ranges page-aligned */
	size_t map_count;
	struct mm_range used[PHYSMEM_MAX_RANGES]; /* reserved or allocated: never handed out */
	size_t used_count;
};

void physmem_init(struct physmem *p, const struct mm_range *map, size_t n);

/* Never hand out [base, end). 0, or -1 when the table is full. */
int physmem_reserve(struct physmem *p, uint64_t base, uint64_t end);

/*
 * The lowest run of pages pages of usable memory that nothing uses, ending
 * at or below limit; it is used from then on. 0 with *address set, or -1
 * when there is none (or the table is full). The memory is not cleared.
 */
int physmem_alloc(struct physmem *p, uint64_t pages, uint64_t limit, uint64_t *address);
/* ...starting at or above floor. */
int physmem_alloc_above(struct physmem *p, uint64_t pages, uint64_t floor, uint64_t limit, uint64_t *address);

#endif
