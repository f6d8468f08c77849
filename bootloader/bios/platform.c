/* The platform interface (core/platform.h) on a BIOS: the core's own page
 * allocator, and pointers that are physical addresses (unreal mode).
 * platform_read is in disk.c. */
#include "bios.h"

static struct physmem *memory;

void bios_platform_init(struct physmem *allocator)
{
	memory = allocator;
}

/* Unreal mode reaches the first 4 GiB only. */
int platform_alloc_pages(uint64_t pages, uint64_t limit, uint64_t *address)
{
	return physmem_alloc(memory, pages, limit < 4 * GiB ? limit : 4 * GiB, address);
}

int platform_alloc_pages_above(uint64_t pages, uint64_t floor, uint64_t limit, uint64_t *address)
{
	return physmem_alloc_above(memory, pages, floor, limit < 4 * GiB ? limit : 4 * GiB, address);
}

int platform_reserve(uint64_t base, uint64_t end)
{
	return physmem_reserve(memory, base, end);
}

void *platform_pointer(uint64_t address, uint64_t bytes)
{
	if ((address >> 32) || bytes > (4 * GiB) - address)
		return 0;
	return (void *)(uintptr_t)address;
}

void platform_log(const char *line)
{
	print("%s\n", line);
}
