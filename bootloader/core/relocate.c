/* KASLR: see relocate.h. */
#include "relocate.h"

#include "platform.h"

uint64_t relocate_pick(uint32_t random, uint32_t slots, uint64_t step)
{
	return (((uint64_t)random * slots) >> 32) * step;
}

uint32_t relocate_apply(struct mkb_segment *seg, uint32_t n, uint64_t base, const uint32_t *table,
			uint32_t count, uint64_t slide)
{
	uint32_t i, j;

	/* A damaged table stops the boot: what it changed until then does not
	 * matter. Offsets from base in 32 bits: a relocatable kernel spans at
	 * most 2 GiB (the tool's rule), and 64-bit compares cost stage 2 dearly. */
	for (i = 0; i < count; i++) {
		uint32_t off = table[i];
		for (j = 0; j < n; j++) {
			uint32_t start = (uint32_t)(seg[j].vaddr - base), size = (uint32_t)seg[j].filesz;
			if (seg[j].vaddr >= base && off >= start && size >= 8 && off - start <= size - 8)
				break;
		}
		if (j == n)
			return i;
		/* 8-byte aligned or not: x86 does not mind */
		*(uint64_t *)platform_pointer(seg[j].paddr + (off - (uint32_t)(seg[j].vaddr - base)), 8) += slide;
	}
	for (i = 0; i < n; i++)
		seg[i].vaddr += slide;
	return count;
}

uint64_t relocate_direct_map(uint64_t offset, uint64_t top, uint32_t random)
{
	uint64_t room = MKB_PIE_DIRECT_MAP_END - offset;

	if (offset >= MKB_PIE_DIRECT_MAP_END || top >= room)
		return offset;
	/* Slots of 1 GiB: at most 2^16 in the 64 TiB window, so 32 bits hold them. */
	return offset + relocate_pick(random, (uint32_t)((room - top) / MKB_PIE_DIRECT_MAP_STEP) + 1,
				      MKB_PIE_DIRECT_MAP_STEP);
}
