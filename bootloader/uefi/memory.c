/*
 * Memory on UEFI: the firmware allocates (platform_alloc_pages and
 * platform_reserve are AllocatePages), its memory map is converted into
 * the core's types, and the final map is the one ExitBootServices takes.
 */
#include <mkbootimg/protocol.h>

#include "uefi.h"

/* The firmware's map converted (read by core_init, then by core_finish
 * again: the final one replaces the first). */
static struct mm_range converted[CORE_MAX_FIRMWARE_RANGES];
/* The firmware's own map, as GetMemoryMap writes it: the final one is
 * handed to the kernel (boot information, Multiboot 2). */
static uint8_t *efi_map;
static uint64_t efi_map_capacity; /* bytes */
static struct mm_range own[1];

/* Kept out of later allocations by platform_reserve: the kernel's ranges. */
#define MAX_RESERVED (2 * MKB_MAX_SEGMENTS + 64) /* + the pieces around used pages */
static struct mm_range reserved[MAX_RESERVED];
static size_t reserved_count;

#define SLACK_DESCRIPTORS 64 /* what the loader's allocations may add to the map */

uint64_t allocate_pages(uint64_t pages, uint64_t limit, uint32_t type)
{
	uint64_t address = limit == PLATFORM_ANYWHERE ? UINT64_MAX : limit - 1;

	if (bs->allocate_pages(EFI_ALLOCATE_MAX_ADDRESS, type, pages, &address))
		return 0;
	return address;
}

int platform_alloc_pages(uint64_t pages, uint64_t limit, uint64_t *address)
{
	*address = allocate_pages(pages, limit, EFI_LOADER_DATA);
	return *address ? 0 : -1;
}

/* AllocatePages with a maximum address takes the highest free run below it
 * (EDK2): one that starts below floor means no run above floor fits. */
int platform_alloc_pages_above(uint64_t pages, uint64_t floor, uint64_t limit, uint64_t *address)
{
	if (platform_alloc_pages(pages, limit, address) != 0)
		return -1;
	if (*address >= floor)
		return 0;
	bs->free_pages(*address, pages);
	return -1;
}

/* The first reserved range that holds address, or the lowest start above
 * it (in *next). */
static const struct mm_range *reserved_at(uint64_t address, uint64_t *next)
{
	*next = UINT64_MAX;
	for (size_t i = 0; i < reserved_count; i++) {
		if (reserved[i].base <= address && address < reserved[i].end)
			return &reserved[i];
		if (reserved[i].base > address && reserved[i].base < *next)
			*next = reserved[i].base;
	}
	return 0;
}

/* Record [base, end) as the loader's, joined to the last record when it
 * goes on from it. 0, or -1 when there is no room left. */
static int record_reserved(uint64_t base, uint64_t end)
{
	if (reserved_count && reserved[reserved_count - 1].end == base) {
		reserved[reserved_count - 1].end = end;
		return 0;
	}
	if (reserved_count == MAX_RESERVED)
		return -1;
	reserved[reserved_count++] = (struct mm_range){ base, end, 0 };
	return 0;
}

/* AllocatePages for every free page of [base, end) (none reserved yet):
 * the whole, else each half, down to single pages, so a few used pages
 * cost a few calls each. *taken is set when a page is in use already. */
static int reserve_free(uint64_t base, uint64_t end, int *taken)
{
	uint64_t at = base, pages = (end - base) / PAGE_SIZE;

	if (!bs->allocate_pages(EFI_ALLOCATE_ADDRESS, EFI_LOADER_DATA, pages, &at))
		return record_reserved(base, end);
	if (pages == 1) {
		*taken = 1;
		return 0;
	}
	uint64_t mid = base + pages / 2 * PAGE_SIZE;
	if (reserve_free(base, mid, taken) != 0)
		return -1;
	return reserve_free(mid, end, taken);
}

/* AllocatePages at the address, for what of [base, end) is not reserved
 * yet (segments may share a page, and a segment's virtual range may be its
 * physical one), every free page of it even when some are used already. */
int platform_reserve(uint64_t base, uint64_t end)
{
	uint64_t next;
	int taken = 0;

	while (base < end) {
		const struct mm_range *r = reserved_at(base, &next);
		if (r) {
			base = r->end;
			continue;
		}
		uint64_t stop = next < end ? next : end;
		if (reserve_free(base, stop, &taken) != 0)
			return -1;
		base = stop;
	}
	return taken ? PLATFORM_TAKEN : 0;
}

/* As Linux's setup_e820 does, but the loader's and boot services' memory
 * is the kernel's to reclaim, not usable at once: it holds the loader's
 * structures until the kernel has read them. */
static uint32_t converted_type(uint32_t efi_type)
{
	switch (efi_type) {
	case EFI_CONVENTIONAL_MEMORY:
		return MKBOOTIMG_MEM_USABLE;
	case EFI_LOADER_CODE:
	case EFI_LOADER_DATA:
	case EFI_BOOT_SERVICES_CODE:
	case EFI_BOOT_SERVICES_DATA:
		return MKBOOTIMG_MEM_LOADER_RECLAIMABLE;
	case EFI_ACPI_RECLAIM_MEMORY:
		return MKBOOTIMG_MEM_ACPI_RECLAIMABLE;
	case EFI_ACPI_MEMORY_NVS:
		return MKBOOTIMG_MEM_ACPI_NVS;
	case EFI_UNUSABLE_MEMORY:
		return MKBOOTIMG_MEM_BAD;
	default: /* runtime services (kept), MMIO, PAL code, persistent memory, unknown */
		return MKBOOTIMG_MEM_RESERVED;
	}
}

/* The map's descriptors, stepped by the size the firmware gave, into
 * converted[]; neighbours of one type merge. The count, or 0 when they do
 * not fit in cap. */
static size_t convert(uint64_t size, uint64_t step, size_t cap)
{
	size_t n = 0;

	for (uint64_t off = 0; off + step <= size; off += step) {
		const struct efi_memory_descriptor *d = (const void *)(efi_map + off);
		struct mm_range r = { d->physical_start, d->physical_start + d->number_of_pages * PAGE_SIZE,
				      converted_type(d->type) };
		if (mm_append(converted, &n, cap, &r) != 0)
			return 0;
	}
	return n;
}

void memory_read_map(struct boot_facts *f)
{
	/* The spec promises the size, not the descriptor size, from the sizing
	 * call (EFI_BUFFER_TOO_SMALL): 64 bytes (more than the 48 of UEFI 2.x)
	 * sizes the slack when the firmware leaves it alone. */
	uint64_t size = 0, key, step = 64;
	uint32_t version;
	size_t n;

	bs->get_memory_map(&size, 0, &key, &step, &version);
	if (step < 64)
		step = 64;
	/* Room for what this allocation and the core's add to the map. */
	uint64_t pages = page_up(size + SLACK_DESCRIPTORS * step) / PAGE_SIZE;
	efi_map = (uint8_t *)(uintptr_t)allocate_pages(pages, PLATFORM_ANYWHERE, EFI_LOADER_DATA);
	efi_map_capacity = pages * PAGE_SIZE;
	size = efi_map_capacity;
	if (!efi_map || bs->get_memory_map(&size, (void *)efi_map, &key, &step, &version))
		fatal("the firmware gives no memory map.\nThis machine's firmware is not supported.");
	n = convert(size, step, CORE_MAX_FIRMWARE_RANGES - CORE_FINAL_EXTRA);
	if (!n)
		fatal("the firmware's memory map has more than %u regions.\n"
		      "This machine's firmware is not supported.",
		      CORE_MAX_FIRMWARE_RANGES - CORE_FINAL_EXTRA);
	f->memory_map = converted;
	f->memory_map_count = n;
	f->efi.memory_map_size = efi_map_capacity; /* the most it may be: see platform.h */
}

void memory_move_map(void)
{
	uint64_t pages = efi_map_capacity / PAGE_SIZE;
	uint8_t *moved = (uint8_t *)(uintptr_t)allocate_pages(pages, PLATFORM_ANYWHERE, EFI_LOADER_DATA);

	if (!moved)
		fatal("no memory for the firmware's memory map.\nThis machine's firmware is not supported.");
	bs->free_pages((uintptr_t)efi_map, pages);
	efi_map = moved;
}

void memory_exit(efi_handle image, struct boot_facts *f)
{
	uint64_t size = 0, key = 0, step = 0;
	uint32_t version = 0;
	efi_status s = EFI_INVALID_PARAMETER;

	/* Nothing but GetMemoryMap and ExitBootServices from here: each
	 * other call could change the map and its key again. A key that
	 * changed (an event the firmware served in between) is the one
	 * failure worth another try. */
	for (int tries = 0; tries < 8 && s == EFI_INVALID_PARAMETER; tries++) {
		size = efi_map_capacity;
		s = bs->get_memory_map(&size, (void *)efi_map, &key, &step, &version);
		if (s)
			break;
		s = bs->exit_boot_services(image, key);
		/* After a failed ExitBootServices the firmware's console may
		 * be gone already: the messages go to COM1 from now on. */
		boot_services_exited = 1;
	}
	if (s)
		fatal("the firmware did not let the loader take over the machine\n"
		      "(ExitBootServices: UEFI status 0x%lx). This machine's firmware is not supported.", s);
	size_t n = convert(size, step, CORE_MAX_FIRMWARE_RANGES);
	if (!n)
		fatal("the firmware's final memory map has more than %u regions.\n"
		      "This machine's firmware is not supported.", CORE_MAX_FIRMWARE_RANGES);
	f->memory_map_count = n;
	f->efi.memory_map = (uintptr_t)efi_map;
	f->efi.memory_map_size = size;
	f->efi.descriptor_size = step;
	f->efi.descriptor_version = version;
	/* The map the kernel is handed is boot information, not reclaimable. */
	own[0] = (struct mm_range){ (uintptr_t)efi_map, (uintptr_t)efi_map + efi_map_capacity,
				    MKBOOTIMG_MEM_BOOT_INFO };
	f->own = own;
	f->own_count = 1;
}
