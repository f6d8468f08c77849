/*
 * The native boot information (include/mkbootimg/protocol.h): struct
 * mkbootimg_info, then its memory map, segments, modules and strings, in
 * one block the loader allocates.
 */
#ifndef MKB_CORE_BOOTINFO_H
#define MKB_CORE_BOOTINFO_H

#include <mkbootimg/image.h>
#include <mkbootimg/protocol.h>

#include "request.h"

/* The bytes of the block, with room for map_capacity memory regions. */
uint64_t bootinfo_size(const struct mkb_manifest *m, size_t map_capacity);

/*
 * Fill the block at area (zeroed), whose physical address is address (what
 * the kernel's pointers say) and size bootinfo_size(r->m, map_capacity);
 * r->map_count is at most map_capacity (memmap_sanitize's cap).
 */
void bootinfo_build(void *area, uint64_t address, size_t map_capacity, const struct info_request *r);

#endif
