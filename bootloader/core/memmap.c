/* Memory map sanitizing: see memmap.h. Inputs are small (a few hundred
 * ranges), so a simple sweep over sorted boundaries is plenty. */
#include "memmap.h"

#include <mkbootimg/protocol.h>

#define PAGE 4096u

/* Higher rank wins where ranges overlap. */
static int rank(uint32_t type)
{
	switch (type) {
	case MKBOOTIMG_MEM_USABLE: return 0;
	case MKBOOTIMG_MEM_ACPI_RECLAIMABLE: return 2;
	case MKBOOTIMG_MEM_ACPI_NVS: return 3;
	case MKBOOTIMG_MEM_BAD: return 4;
	case MKBOOTIMG_MEM_RESERVED: return 5;
	default:
		if (type >= MKBOOTIMG_MEM_LOADER_RECLAIMABLE && type <= MKBOOTIMG_MEM_MODULES)
			return 1;
		return 5;
	}
}

static uint32_t normalised(uint32_t type)
{
	return rank(type) == 5 ? MKBOOTIMG_MEM_RESERVED : type;
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
	size_t count = 0;
	uint64_t pos = 0;
	int started = 0;

	/* Walk the boundaries in increasing order without sorting a copy: each
	 * step finds the next boundary above pos. */
	for (;;) {
		uint64_t next = UINT64_MAX;
		int found = 0;
		for (size_t i = 0; i < n; i++) {
			if (in[i].end <= in[i].base)
				continue;
			if ((!started || in[i].base > pos) && in[i].base < next)
				next = in[i].base, found = 1;
			if ((!started || in[i].end > pos) && in[i].end < next)
				next = in[i].end, found = 1;
		}
		if (!found)
			break;
		if (started) {
			/* [pos, next) has one type: the highest-ranked one covering it. */
			int best = -1;
			uint32_t type = 0;
			for (size_t i = 0; i < n; i++) {
				if (in[i].base <= pos && in[i].end >= next && in[i].end > in[i].base &&
				    rank(in[i].type) > best) {
					best = rank(in[i].type);
					type = normalised(in[i].type);
				}
			}
			if (best >= 0)
				count = emit(out, count, cap, pos, next, type);
		}
		pos = next;
		started = 1;
	}

	/* Usable regions to whole pages; a region that vanishes is dropped. */
	size_t kept = 0;
	for (size_t i = 0; i < count; i++) {
		struct mm_range r = out[i];
		if (r.type == MKBOOTIMG_MEM_USABLE) {
			r.base = (r.base + PAGE - 1) & ~(uint64_t)(PAGE - 1);
			r.end &= ~(uint64_t)(PAGE - 1);
			if (r.base >= r.end)
				continue;
		}
		out[kept++] = r;
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
