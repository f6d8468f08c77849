/* Memory maps: see memmap.h. Inputs are small (a few hundred ranges), so
 * a simple sweep over sorted boundaries is plenty. */
#include "memmap.h"
#include "core.h"

#include <mkbootimg/image.h>
#include <mkbootimg/protocol.h>


/* Higher rank wins where ranges overlap. Loader-reclaimable loses to what
 * the loader placed: on UEFI the firmware's own map already shows the
 * loader's pages (the stack, the page tables, ...) as loader memory. */
#define RANK_RESERVED 6
static int rank(uint32_t type)
{
	switch (type) {
	case MKBOOTIMG_MEM_USABLE: return 0;
	case MKBOOTIMG_MEM_LOADER_RECLAIMABLE: return 1;
	case MKBOOTIMG_MEM_ACPI_RECLAIMABLE: return 3;
	case MKBOOTIMG_MEM_ACPI_NVS: return 4;
	case MKBOOTIMG_MEM_BAD: return 5;
	case MKBOOTIMG_MEM_RESERVED: return RANK_RESERVED;
	default:
		if (type > MKBOOTIMG_MEM_LOADER_RECLAIMABLE && type <= MKBOOTIMG_MEM_MODULES)
			return 2;
		return RANK_RESERVED;
	}
}

static uint32_t normalised(uint32_t type)
{
	return rank(type) == RANK_RESERVED ? MKBOOTIMG_MEM_RESERVED : type;
}

/* Add a region, merging it with the previous one when they touch and agree. */
static size_t emit(struct mm_range *out, size_t n, size_t cap, uint64_t base, uint64_t end,
		   uint32_t type)
{
	if (base >= end)
		return n;
	if (n > 0 && out[n - 1].end == base && out[n - 1].type == type) {
		out[n - 1].end = end;
		return n;
	}
	if (n < cap) {
		out[n].base = base;
		out[n].end = end;
		out[n].type = type;
		n++;
	}
	return n;
}

size_t memmap_sanitize(struct mm_range *out, size_t cap, const struct mm_range *in, size_t n)
{
	size_t count = 0, kept = 0;
	uint64_t prev = 0, pos = 0;
	unsigned step = 0; /* boundaries seen: from 2 on, [prev, pos) is a piece */

	/* Walk the boundaries in increasing order without sorting a copy. Each
	 * pass over the input finds the next boundary above pos and, one step
	 * behind, the type of the piece [prev, pos): the highest-ranked type
	 * among the ranges covering it. */
	for (;;) {
		uint64_t next = UINT64_MAX;
		int found = 0, best = -1;
		uint32_t type = 0;
		for (size_t i = 0; i < n; i++) {
			const struct mm_range *r = &in[i];
			if (r->end <= r->base)
				continue;
			/* r's lowest boundary above pos (its lowest at all, at first) */
			uint64_t c = (!step || r->base > pos) ? r->base : r->end;
			if ((!step || c > pos) && c <= next)
				next = c, found = 1;
			if (step >= 2 && r->base <= prev && r->end >= pos && rank(r->type) > best)
				best = rank(r->type), type = r->type;
		}
		if (best >= 0)
			count = emit(out, count, cap, prev, pos, normalised(type));
		if (!found)
			break;
		prev = pos;
		pos = next;
		step++;
	}

	/* Usable regions to whole pages; a region that vanishes is dropped. */
	for (size_t i = 0; i < count; i++) {
		uint64_t base = out[i].base, end = out[i].end;
		uint32_t type = out[i].type;
		if (type == MKBOOTIMG_MEM_USABLE) {
			base = (base + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
			end &= ~(uint64_t)(PAGE_SIZE - 1);
			if (base >= end)
				continue;
		}
		out[kept].base = base;
		out[kept].end = end;
		out[kept].type = type;
		kept++;
	}
	return kept;
}

int memmap_usable(const struct mm_range *map, size_t n, uint64_t base, uint64_t end)
{
	for (size_t i = 0; i < n && base < end; i++)
		if (map[i].type == MKBOOTIMG_MEM_USABLE && map[i].base <= base && base < map[i].end)
			base = map[i].end;
	return base >= end;
}

void memmap_regions(struct mkbootimg_memory_region *out, const struct mm_range *map, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out[i].base = map[i].base;
		out[i].length = map[i].end - map[i].base;
		out[i].type = map[i].type;
	}
}

void segment_pages(const struct mkb_segment *s, uint64_t *base, uint64_t *end)
{
	*base = s->paddr & ~(uint64_t)(PAGE_SIZE - 1);
	*end = (s->paddr + s->memsz + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
}

int mm_append(struct mm_range *list, size_t *count, size_t cap, const struct mm_range *r)
{
	size_t n = *count;

	if (n && list[n - 1].type == r->type && list[n - 1].end == r->base) {
		list[n - 1].end = r->end;
		return 0;
	}
	if (n == cap)
		return -1;
	list[n] = *r;
	*count = n + 1;
	return 0;
}
