/*
 * A fake platform (bootloader/core/platform.h) for the loader core's host
 * tests: physical memory is a host buffer placed at a chosen physical
 * address, the boot disk is a buffer of sectors, and pages come from the
 * core's own allocator (physmem.c), as on a BIOS.
 */
#ifndef MKB_TEST_CORE_PLATFORM_H
#define MKB_TEST_CORE_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "physmem.h"
#include "platform.h"

struct fake_platform {
	uint8_t *memory;          /* host bytes of physical [memory_base, memory_base + memory_size) */
	uint64_t memory_base, memory_size;
	const uint8_t *disk;      /* the boot disk */
	uint64_t disk_size;       /* bytes */
	uint64_t fail_lba;        /* a read that covers this sector fails; UINT64_MAX: none */
	unsigned reads;           /* platform_read calls */
	uint64_t taken_base, taken_end; /* platform_reserve says PLATFORM_TAKEN over these */
	struct physmem allocator; /* what platform_alloc_pages and platform_reserve use */
	char log[256];            /* the last platform_log line */
};

extern struct fake_platform fake;

/* Fresh zeroed memory at [base, base + size), no disk, no allocator map. */
void fake_reset(uint64_t base, uint64_t size);
/* Allocations from this sanitized map, [0, 1 MiB) kept out as on a BIOS. */
void fake_allocate_from(const struct mm_range *map, size_t n);
/* The host pointer of a physical address inside the fake memory (a test failure otherwise). */
void *fake_at(uint64_t address);
void fake_release(void);

#endif
