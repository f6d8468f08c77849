/*
 * Memory map sanitizing: pure C that the loader (gcc -m16) and the host's
 * unit tests both compile.
 */
#ifndef MKB_MEMMAP_H
#define MKB_MEMMAP_H

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
 * stricter type wins: usable < loader-assigned types < ACPI reclaimable <
 * ACPI NVS < bad < reserved and unknown types. Usable regions are shrunk
 * to whole pages. Returns the number of entries written (at most cap).
 */
size_t memmap_sanitize(struct mm_range *out, size_t cap, const struct mm_range *in, size_t n);

/* Is [base, end) entirely usable in the sanitized map? */
int memmap_usable(const struct mm_range *map, size_t n, uint64_t base, uint64_t end);

#endif
