/* The fake platform of the loader core's host tests: see core-platform.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core-platform.h"

struct fake_platform fake;

void fake_reset(uint64_t base, uint64_t size)
{
	free(fake.memory);
	memset(&fake, 0, sizeof fake);
	fake.memory = calloc(1, (size_t)size);
	assert_non_null(fake.memory);
	fake.memory_base = base;
	fake.memory_size = size;
	fake.fail_lba = UINT64_MAX;
}

void fake_allocate_from(const struct mm_range *map, size_t n)
{
	physmem_init(&fake.allocator, map, n);
	assert_int_equal(physmem_reserve(&fake.allocator, 0, 0x100000), 0);
}

void fake_release(void)
{
	free(fake.memory);
	fake.memory = NULL;
}

void *fake_at(uint64_t address)
{
	void *p = platform_pointer(address, 1);

	if (p == NULL)
		fail_msg("0x%llx is outside the fake memory", (unsigned long long)address);
	return p;
}

enum core_status platform_read(uint64_t lba, void *dst, size_t bytes, struct core_error *e)
{
	uint64_t sectors = (bytes + 511) / 512;

	fake.reads++;
	if (fake.fail_lba >= lba && fake.fail_lba < lba + sectors)
		return core_fail(e, CORE_READ, "disk read failed at sector %u", (uint32_t)fake.fail_lba);
	if (lba * 512 > fake.disk_size || bytes > fake.disk_size - lba * 512)
		return core_fail(e, CORE_READ, "read past the fake disk at sector %u", (uint32_t)lba);
	memcpy(dst, fake.disk + lba * 512, bytes);
	return CORE_OK;
}

int platform_alloc_pages(uint64_t pages, uint64_t limit, uint64_t *address)
{
	return physmem_alloc(&fake.allocator, pages, limit, address);
}

int platform_alloc_pages_above(uint64_t pages, uint64_t floor, uint64_t limit, uint64_t *address)
{
	return physmem_alloc_above(&fake.allocator, pages, floor, limit, address);
}

int platform_reserve(uint64_t base, uint64_t end)
{
	int rc = physmem_reserve(&fake.allocator, base, end);

	/* As a UEFI firmware's memory: the firmware's part stays its own, the
	 * rest is kept out all the same, and the answer says some was taken. */
	if (rc == 0 && base < fake.taken_end && fake.taken_base < end)
		return PLATFORM_TAKEN;
	return rc;
}

void *platform_pointer(uint64_t address, uint64_t bytes)
{
	if (address < fake.memory_base || address - fake.memory_base > fake.memory_size ||
	    bytes > fake.memory_size - (address - fake.memory_base))
		return NULL;
	return fake.memory + (address - fake.memory_base);
}

void platform_log(const char *line)
{
	snprintf(fake.log, sizeof fake.log, "%s", line);
}
