/*
 * Memory maps: the firmware's sanitized, and the claims the loader makes
 * on it (what it placed where), which the kernel's map shows.
 */
#ifndef MKB_CORE_MEMMAP_H
#define MKB_CORE_MEMMAP_H

#include <stddef.h>
#include <stdint.h>

struct mm_range {
	uint64_t base;
	uint64_t end;  /* one past the last byte */
	uint32_t type; /* enum mkbootimg_memory_type */
};

/*
 * Turn ranges that may be unsorted, overlapping or unaligned into a map
 * that is sorted, non-overlapping and merged. Where ranges overlap, the
 * stricter type wins: usable < loader-reclaimable < the other loader-assigned
 * types < ACPI reclaimable < ACPI NVS < bad < reserved and unknown types. Usable regions are shrunk
 * to whole pages. Returns the number of entries written (at most cap).
 */
size_t memmap_sanitize(struct mm_range *out, size_t cap, const struct mm_range *in, size_t n);

/* Is [base, end) entirely usable in the sanitized map? */
int memmap_usable(const struct mm_range *map, size_t n, uint64_t base, uint64_t end);

struct mkbootimg_memory_region;
/* The map as the kernel sees it (protocol.h; Multiboot 2's entries are
 * the same): base, length, type. The reserved fields are left alone. */
void memmap_regions(struct mkbootimg_memory_region *out, const struct mm_range *map, size_t n);

struct mkb_segment;
/* The whole pages a segment's physical range touches: [*base, *end). */
void segment_pages(const struct mkb_segment *s, uint64_t *base, uint64_t *end);

/* What the loader allocated, by type (enum mkbootimg_memory_type). */
#define MM_MAX_CLAIMS 64

struct mm_claims {
	size_t count;
	struct mm_range range[MM_MAX_CLAIMS];
};

/* Append r to a list of *count of at most cap ranges; merged into the
 * last one when it follows it and has its type. 0, or -1 when the list is
 * full. */
int mm_append(struct mm_range *list, size_t *count, size_t cap, const struct mm_range *r);

#endif
