/*
 * KASLR for a relocatable (PIE) kernel (include/mkbootimg/image.h, struct
 * mkb_pie): the slide, the relocation table applied to the loaded
 * segments, and the random direct map. boot.c loads the table with the
 * payload and calls relocate_kernel once the checksum is verified.
 */
#ifndef MKB_CORE_RELOCATE_H
#define MKB_CORE_RELOCATE_H

#include <mkbootimg/image.h>

#include "core.h"

/* step * k, k in [0, slots) from 32 random bits: uniform up to 2^-32 (no division). */
uint64_t relocate_pick(uint32_t random, uint32_t slots, uint64_t step);

/*
 * Add slide to the 64-bit word at base + table[i] for each of the count
 * offsets, in the segments' loaded bytes (seg: the manifest's table,
 * vaddr as built), then move every segment's vaddr by slide. Returns
 * count when all were applied, or the index of the first offset whose
 * word is not inside a segment's file bytes (a damaged table: the words
 * before it were changed, the segments not moved).
 */
uint32_t relocate_apply(struct mkb_segment *seg, uint32_t n, uint64_t base, const uint32_t *table,
			uint32_t count, uint64_t slide);

/*
 * The direct map's offset: from offset (the manifest's), a random multiple
 * of 1 GiB up, the map of top bytes still ending at or below
 * MKB_PIE_DIRECT_MAP_END.
 */
uint64_t relocate_direct_map(uint64_t offset, uint64_t top, uint32_t random);

#endif
