/* Physical memory below 4 GiB: what is claimed (for the final memory map)
 * and where the loader may allocate its page tables, stack and boot info. */
#include <mkbootimg/image.h>
#include <mkbootimg/protocol.h>

#include "loader.h"
#include "memmap.h"
#include "physmem.h"

#define MAX_CLAIMS 64
#define MAX_AVOID (MKB_MAX_SEGMENTS * 2 + 4)

static const struct mm_range *map;
static size_t map_count;
static struct mm_range claims[MAX_CLAIMS];
static size_t claim_count;
static struct mm_range avoid[MAX_AVOID];
static size_t avoid_count;

void physmem_init(const struct mm_range *usable_map, size_t n)
{
	map = usable_map;
	map_count = n;
	physmem_avoid(0, MiB); /* the BIOS and the loader */
}

void physmem_avoid(uint64_t base, uint64_t end)
{
	if (avoid_count == MAX_AVOID)
		fatal("too many kernel segments for the loader (at most %u).", MKB_MAX_SEGMENTS);
	avoid[avoid_count++] = (struct mm_range){ base, end, 0 };
}

void physmem_claim(uint64_t base, uint64_t end, uint32_t type)
{
	struct mm_range *last = claim_count ? &claims[claim_count - 1] : 0;

	if (last && last->type == type && last->end == base) {
		last->end = end;
		return;
	}
	if (claim_count == MAX_CLAIMS)
		fatal("the loader's memory is too fragmented (more than %u regions).", MAX_CLAIMS);
	claims[claim_count++] = (struct mm_range){ base, end, type };
}

const struct mm_range *physmem_claims(size_t *n)
{
	*n = claim_count;
	return claims;
}

static const struct mm_range *overlap(const struct mm_range *r, size_t n, uint64_t base,
				      uint64_t end)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].base < end && base < r[i].end)
			return &r[i];
	return 0;
}

static uint64_t allocate(uint64_t pages, uint32_t type, int zero)
{
	uint64_t size = pages * PAGE_SIZE;

	for (size_t i = 0; i < map_count; i++) {
		if (map[i].type != MKBOOTIMG_MEM_USABLE)
			continue;
		uint64_t base = map[i].base;
		for (;;) {
			uint64_t end = base + size;
			if (end > map[i].end || end > 4 * GiB)
				break;
			const struct mm_range *hit = overlap(avoid, avoid_count, base, end);
			if (!hit)
				hit = overlap(claims, claim_count, base, end);
			if (!hit) {
				if (zero)
					memset((void *)(uintptr_t)base, 0, (size_t)size);
				physmem_claim(base, end, type);
				return base;
			}
			base = (hit->end + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
		}
	}
	fatal("not enough free memory below 4 GiB for the modules, page tables and boot\n"
	      "information (%u KiB more). Give the machine more memory\n"
	      "(mkbootimg run --memory SIZE, QEMU's -m).",
	      (uint32_t)(size / 1024));
}

uint64_t alloc_pages(uint64_t pages, uint32_t type)
{
	return allocate(pages, type, 1);
}

uint64_t alloc_pages_uncleared(uint64_t pages, uint32_t type)
{
	return allocate(pages, type, 0);
}
