/* KASLR: see relocate.h. */
#include "relocate.h"

#include "platform.h"

uint64_t relocate_pick(uint32_t random, uint32_t slots, uint64_t step)
{
	return (((uint64_t)random * slots) >> 32) * step;
}

/* The segment whose file bytes hold the 8 bytes at va, or null. */
static struct mkb_segment *holder(struct mkb_segment *seg, uint32_t n, uint64_t va)
{
	for (uint32_t i = 0; i < n; i++)
		if (va >= seg[i].vaddr && seg[i].filesz >= 8 && va - seg[i].vaddr <= seg[i].filesz - 8)
			return &seg[i];
	return 0;
}

uint32_t relocate_apply(struct mkb_segment *seg, uint32_t n, uint64_t base, const uint32_t *table,
			uint32_t count, uint64_t slide)
{
	uint32_t i;

	/* A damaged table stops the boot: what it changed until then does not matter. */
	for (i = 0; i < count; i++) {
		uint64_t va = base + table[i];
		struct mkb_segment *s = holder(seg, n, va);
		if (!s)
			return i;
		/* 8-byte aligned or not: x86 does not mind */
		*(uint64_t *)platform_pointer(s->paddr + (va - s->vaddr), 8) += slide;
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
