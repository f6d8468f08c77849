/* The native boot information: see bootinfo.h. */
#include "bootinfo.h"

#include "core.h"
#include "platform.h"
#include "manifest.h"
#include "smp.h"

/* The block: the structure, the regions (room for the capacity), the
 * segments, the modules, then the strings. A few dozen KiB: 32-bit offsets. */
struct layout {
	uint8_t *area;
	uint64_t address;
	uint32_t regions, segments, modules, strings; /* byte offsets in the block */
};

static void lay_out(struct layout *l, const struct mkb_manifest *m, size_t map_capacity)
{
	l->regions = sizeof(struct mkbootimg_info);
	l->segments = l->regions + (uint32_t)map_capacity * sizeof(struct mkbootimg_memory_region);
	l->modules = l->segments + m->segment_count * sizeof(struct mkbootimg_segment);
	l->strings = l->modules + m->module_count * sizeof(struct mkbootimg_module);
}

uint64_t bootinfo_size(const struct mkb_manifest *m, size_t map_capacity)
{
	const struct mkb_module *mod = mkb_manifest_modules(m);
	struct layout l;
	uint32_t strings = m->cmdline_length + 1 + MKB_LOADER_NAME_MAX + 1;

	for (uint32_t i = 0; i < m->module_count; i++)
		strings += mod[i].string_length + 1;
	lay_out(&l, m, map_capacity);
	return l.strings + strings;
}

/* Append a NUL-terminated copy of n bytes to the strings; its address. */
static uint64_t add_string(struct layout *l, const char *src, uint32_t n)
{
	uint32_t at = l->strings;

	memcpy(l->area + at, src, n);
	l->area[at + n] = 0;
	l->strings += n + 1;
	return l->address + at;
}

void bootinfo_build(void *area, uint64_t address, size_t map_capacity, const struct info_request *r)
{
	const struct mkb_manifest *m = r->m;
	const struct mkb_segment *seg = mkb_manifest_segments(m);
	const struct mkb_module *mod = mkb_manifest_modules(m);
	struct mkbootimg_info *info = area;
	struct layout l = { area, address, 0, 0, 0, 0 };
	uint32_t name = 0;

	lay_out(&l, m, map_capacity);
	while (name < MKB_LOADER_NAME_MAX && r->loader_name[name])
		name++;

	/* The block is zeroed: only what is not zero is written. */
	info->magic = MKBOOTIMG_INFO_MAGIC;
	info->version = MKBOOTIMG_INFO_VERSION;
	info->size = sizeof(*info);
	info->direct_map_offset = m->direct_map_offset;
	info->boot_drive = r->boot_drive;
	info->cmdline = add_string(&l, mkb_manifest_string(m, m->cmdline_offset), m->cmdline_length);
	info->cmdline_length = m->cmdline_length;
	info->loader_name = add_string(&l, r->loader_name, name);
	info->stack_top = m->stack_top;
	info->stack_size = m->stack_size;
	info->stack_physical = r->stack_physical;
	info->kernel_slide = r->kernel_slide;
	info->kernel_virtual_base = r->kernel_virtual_base;

	struct mkbootimg_segment *segments = (void *)(l.area + l.segments);
	info->segments = address + l.segments;
	info->segment_count = m->segment_count;
	for (uint32_t i = 0; i < m->segment_count; i++) {
		segments[i].virtual_address = seg[i].vaddr;
		segments[i].physical_address = seg[i].paddr;
		segments[i].size = seg[i].memsz;
		segments[i].flags = seg[i].flags;
	}

	struct mkbootimg_module *modules = (void *)(l.area + l.modules);
	if (m->module_count)
		info->modules = address + l.modules;
	info->module_count = m->module_count;
	for (uint32_t i = 0; i < m->module_count; i++) {
		modules[i].address = r->module_address[i];
		modules[i].size = mod[i].size;
		modules[i].string = add_string(&l, mkb_manifest_string(m, mod[i].string_offset),
					       mod[i].string_length);
	}
	info->rsdp = r->rsdp;
	info->framebuffer = *r->framebuffer;
	info->firmware = r->firmware;
	info->smbios = r->smbios;
	if (r->smp && r->smp->count) {
		info->cpus = r->smp->cpus;
		info->cpu_count = r->smp->count;
		info->smp_flags = r->smp->flags;
	}
	if (!CORE_BIOS_ONLY) { /* UEFI only (core.h): on a BIOS they stay 0 */
		info->efi_system_table = r->efi->system_table;
		info->efi_memory_map = r->efi->memory_map;
		info->efi_memory_map_size = r->efi->memory_map_size;
		info->efi_memory_map_descriptor_size = r->efi->descriptor_size;
		info->efi_memory_map_descriptor_version = r->efi->descriptor_version;
	}

	struct mkbootimg_memory_region *regions = (void *)(l.area + l.regions);
	info->memory_map = address + l.regions;
	info->memory_map_count = (uint32_t)r->map_count;
	memmap_regions(regions, r->map, r->map_count);
}
