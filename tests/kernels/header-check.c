/*
 * header-check: include/mkbootimg/protocol.h compiles cleanly as strict C99
 * and as C++, every macro used. The integration tests compile this file with
 *   gcc -std=c99 -ffreestanding -Wall -Wextra -Werror -pedantic
 *   g++ -x c++ -ffreestanding -Wall -Wextra -Werror
 * Nothing here runs; the three notes land in .note.mkbootimg.
 */
#include <mkbootimg/protocol.h>

MKBOOTIMG_REQUEST_STACK_SIZE(1024 * 1024);
MKBOOTIMG_REQUEST_FRAMEBUFFER(1024, 768, 32);
MKBOOTIMG_REQUIRE_INFO_VERSION(MKBOOTIMG_INFO_VERSION);

/* Every type and constant, so that a mistake in any of them shows. */
uint64_t header_check(const struct mkbootimg_info *info);

uint64_t header_check(const struct mkbootimg_info *info)
{
	const struct mkbootimg_memory_region *map =
		(const struct mkbootimg_memory_region *)(uintptr_t)info->memory_map;
	const struct mkbootimg_module *modules = (const struct mkbootimg_module *)(uintptr_t)info->modules;
	const struct mkbootimg_segment *segments = (const struct mkbootimg_segment *)(uintptr_t)info->segments;
	const struct mkbootimg_framebuffer *fb = &info->framebuffer;
	const struct mkbootimg_note_header *note = &mkbootimg_note_stack_size.header;
	static const char owner[] = MKBOOTIMG_NOTE_OWNER;
	uint64_t sum = 0;

	if (info->magic != MKBOOTIMG_INFO_MAGIC || info->version < MKBOOTIMG_INFO_VERSION)
		return 0;
	for (uint32_t i = 0; i < info->memory_map_count; i++)
		switch (map[i].type) {
		case MKBOOTIMG_MEM_USABLE:
		case MKBOOTIMG_MEM_ACPI_RECLAIMABLE:
		case MKBOOTIMG_MEM_LOADER_RECLAIMABLE:
			sum += map[i].length;
			break;
		case MKBOOTIMG_MEM_RESERVED:
		case MKBOOTIMG_MEM_ACPI_NVS:
		case MKBOOTIMG_MEM_BAD:
		case MKBOOTIMG_MEM_KERNEL:
		case MKBOOTIMG_MEM_KERNEL_STACK:
		case MKBOOTIMG_MEM_PAGE_TABLES:
		case MKBOOTIMG_MEM_BOOT_INFO:
		case MKBOOTIMG_MEM_MODULES:
		default:
			break;
		}
	for (uint32_t i = 0; i < info->module_count; i++)
		sum += modules[i].size;
	for (uint32_t i = 0; i < info->segment_count; i++)
		sum += segments[i].size;
	sum += fb->address + fb->pitch + fb->red_shift + note->type + (uint64_t)sizeof owner;
	sum += MKBOOTIMG_NOTE_STACK_SIZE + MKBOOTIMG_NOTE_FRAMEBUFFER + MKBOOTIMG_NOTE_INFO_VERSION;
	sum += mkbootimg_note_framebuffer.desc[0] + mkbootimg_note_info_version.desc[0];
	return sum;
}
