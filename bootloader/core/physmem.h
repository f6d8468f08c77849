/* Physical memory bookkeeping for stage 2: see physmem.c. */
#ifndef MKB_PHYSMEM_H
#define MKB_PHYSMEM_H

#include "memmap.h"

void physmem_init(const struct mm_range *usable_map, size_t n);
/* Never allocate from [base, end). */
void physmem_avoid(uint64_t base, uint64_t end);
/* Record [base, end) as type for the kernel's memory map. */
void physmem_claim(uint64_t base, uint64_t end, uint32_t type);
const struct mm_range *physmem_claims(size_t *n);
/* Zeroed pages from usable memory below 4 GiB, claimed as type. */
uint64_t alloc_pages(uint64_t pages, uint32_t type);
/* The same without clearing, for memory about to be overwritten whole. */
uint64_t alloc_pages_uncleared(uint64_t pages, uint32_t type);

#endif
