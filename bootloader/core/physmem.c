/* The page allocator: see physmem.h. First fit, lowest address first. */
#include "physmem.h"

#include <mkbootimg/protocol.h>

#include "core.h"

void physmem_init(struct physmem *p, const struct mm_range *map, size_t n)
{
	p->map = map;
	p->map_count = n;
	p->used_count = 0;
}

/* Allocations come one after another: they merge. */
int physmem_reserve(struct physmem *p, uint64_t base, uint64_t end)
{
	struct mm_range r = { base, end, 0 };

	return mm_append(p->used, &p->used_count, PHYSMEM_MAX_RANGES, &r);
}

static const struct mm_range *overlap(const struct physmem *p, uint64_t base, uint64_t end)
{
	for (size_t i = 0; i < p->used_count; i++)
		if (p->used[i].base < end && base < p->used[i].end)
			return &p->used[i];
	return 0;
}

int physmem_alloc(struct physmem *p, uint64_t pages, uint64_t limit, uint64_t *address)
{
	return physmem_alloc_above(p, pages, 0, limit, address);
}

int physmem_alloc_above(struct physmem *p, uint64_t pages, uint64_t floor, uint64_t limit, uint64_t *address)
{
	uint64_t size = pages * PAGE_SIZE;

	for (size_t i = 0; i < p->map_count; i++) {
		if (p->map[i].type != MKBOOTIMG_MEM_USABLE)
			continue;
		uint64_t base = p->map[i].base > floor ? p->map[i].base : page_up(floor);
		/* A start inside a used range cannot work: skip to that range's end. */
		for (;;) {
			uint64_t end = base + size;
			if (end < base || end > p->map[i].end || end > limit)
				break;
			const struct mm_range *hit = overlap(p, base, end);
			if (!hit) {
				if (physmem_reserve(p, base, end) != 0)
					return -1;
				*address = base;
				return 0;
			}
			uint64_t next = page_up(hit->end);
			if (next <= base) /* a range up to the top of the address space */
				break;
			base = next;
		}
	}
	return -1;
}
