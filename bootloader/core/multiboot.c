/* Multiboot 1 and 2 information: see multiboot.h. */
#include "multiboot.h"

#include "core.h"
#include "manifest.h"
#include "platform.h"

/* The information area: a bump allocator that never passes its end. It
 * is below 4 GiB and every size is bounded by the manifest's 64 KiB, the
 * map and the RSDP: 32-bit arithmetic, which the -m16 build keeps short. */
struct area {
	uint8_t *base;
	uint32_t address, size, used;
};

static void *take(struct area *a, uint32_t bytes, uint32_t align)
{
	uint32_t at = (a->used + align - 1) & ~(align - 1);

	if (at > a->size || bytes > a->size - at)
		return 0;
	a->used = at + bytes;
	return a->base + at;
}

static uint32_t address_of(const struct area *a, const void *p)
{
	return a->address + (uint32_t)((const uint8_t *)p - a->base);
}

/* Copy bytes to the area; their address, or 0 when they do not fit. */
static uint32_t copy_out(struct area *a, const void *src, uint32_t bytes)
{
	uint8_t *dst = take(a, bytes, 1);

	if (!dst)
		return 0;
	memcpy(dst, src, bytes);
	return address_of(a, dst);
}

static CORE_NOINLINE uint32_t name_length(const char *name)
{
	uint32_t n = 0;
	while (n < MKB_LOADER_NAME_MAX && name[n])
		n++;
	return n;
}

/* The RSDP's length when it has an ACPI 2.0 part (revision 2 and up, 36
 * bytes to 4 KiB, as the BIOS front-end's search accepts), else 0. */
static uint32_t rsdp_length(const uint8_t *rsdp)
{
	uint32_t length = 0;

	if (rsdp && rsdp[15] >= 2)
		memcpy(&length, rsdp + 20, 4);
	return length >= 36 && length <= 4096 ? length : 0;
}

/* KiB of usable memory from at to the first hole (or 4 GiB), in a
 * sanitized map (sorted and merged: one range holds at). */
static uint32_t kib_from(const struct mm_range *ram, size_t n, uint32_t at)
{
	for (size_t i = 0; i < n; i++)
		if (ram[i].type == MKBOOTIMG_MEM_USABLE && ram[i].base <= at && ram[i].end > at)
			return (uint32_t)(((ram[i].end < 4 * GiB ? ram[i].end : 4 * GiB) - at) >> 10);
	return 0;
}

/* KiB of usable memory from 0 (at most 640) and from 1 MiB. */
static void memory_sizes(const struct mm_range *ram, size_t n, uint32_t *lower, uint32_t *upper)
{
	uint32_t low = kib_from(ram, n, 0);

	*lower = low < 640 ? low : 640;
	*upper = kib_from(ram, n, MiB);
}

/* The fields both versions share; text mode is the EGA screen. */
static CORE_NOINLINE void put_framebuffer(struct mb_framebuffer *f, const struct mkbootimg_framebuffer *fb)
{
	if (fb->address) {
		f->addr = fb->address;
		f->pitch = fb->pitch;
		f->width = fb->width;
		f->height = fb->height;
		f->bpp = (uint8_t)fb->bpp;
		f->type = MB_FB_RGB;
	} else {
		f->addr = 0xb8000;
		f->pitch = 160;
		f->width = 80;
		f->height = 25;
		f->bpp = 16;
		f->type = MB_FB_EGA_TEXT;
	}
}

/* Multiboot's color information is each color's shift, then its size:
 * protocol.h keeps the size first. */
static CORE_NOINLINE void put_colors(uint8_t *c, const struct mkbootimg_framebuffer *fb)
{
	const uint8_t *sizes = (const uint8_t *)fb + offsetof(struct mkbootimg_framebuffer, red_size);

	for (int k = 0; k < 6; k += 2) {
		c[k] = sizes[k + 1];
		c[k + 1] = sizes[k];
	}
}

static const struct mkb_multiboot *block(const struct mkb_manifest *m)
{
	return (const struct mkb_multiboot *)(const void *)((const char *)m + m->multiboot_offset);
}

#define TAG(size) (((size) + 7) & ~7u)

/*
 * What either version takes besides the strings and section headers (which
 * come from the manifest), the map entries, the modules' own entries and
 * the RSDP's ACPI 2.0 copy: Multiboot 2's fixed tags, each with the padding
 * after it, and the loader name. Multiboot 1 needs less.
 */
#define MB_FIXED (sizeof(struct mb2_info_header) + 2 * TAG(sizeof(struct mb2_tag) + 1) + \
	MKB_LOADER_NAME_MAX + sizeof(struct mb2_meminfo_tag) + TAG(sizeof(struct mb2_bootdev_tag)) + \
	sizeof(struct mb2_mmap_tag) + TAG(sizeof(struct mb2_vbe_tag)) + \
	TAG(sizeof(struct mb2_framebuffer_tag)) + TAG(sizeof(struct mb2_elf_sections_tag)) + 7 + \
	TAG(sizeof(struct mb2_acpi_tag) + 20) + TAG(sizeof(struct mb2_acpi_tag)) + 7 + \
	TAG(sizeof(struct mb2_load_base_tag)) + sizeof(struct mb2_efi64_tag) + \
	sizeof(struct mb2_efi_mmap_tag) + 7 + sizeof(struct mb2_tag))
#define MB_PER_ENTRY 24 /* a map entry, or a module's entry with its padding */
_Static_assert(sizeof(struct mb1_info) + 8 + MKB_LOADER_NAME_MAX + 1 + 512 + 256 <= MB_FIXED,
	       "Multiboot 1 fits the fixed part of the budget");
_Static_assert(sizeof(struct mb1_mmap_entry) <= MB_PER_ENTRY && sizeof(struct mb1_module) <= MB_PER_ENTRY &&
	       sizeof(struct mb2_mmap_entry) <= MB_PER_ENTRY && TAG(sizeof(struct mb2_module_tag) + 1) - 1 <= MB_PER_ENTRY,
	       "an entry fits its part of the budget");

/* Strings and section headers are copied from inside the manifest, where a
 * valid one keeps them apart: its size bounds them all. */
uint64_t multiboot_size(const struct info_request *r)
{
	return (uint64_t)r->m->sectors * MKB_SECTOR_SIZE + MB_FIXED +
	       (r->ram_count + CORE_FINAL_EXTRA + r->m->module_count) * MB_PER_ENTRY +
	       rsdp_length(r->rsdp_bytes) + r->efi->memory_map_size;
}

/* Each step stops the build when the area is full. */
#define NEED(x)               \
	do {                  \
		if (!(x))     \
			return -1; \
	} while (0)

static int build_mb1(struct area *a, const struct info_request *r)
{
	const struct mkb_manifest *m = r->m;
	const struct mkb_multiboot *mb = block(m);
	const struct mkb_module *mod = mkb_manifest_modules(m);
	struct mb1_info *info = take(a, sizeof *info, 8);
	struct mb1_module *mods;
	struct mb1_mmap_entry *map;
	uint32_t flags = MB1_MEMORY | MB1_BOOT_DEVICE | MB1_CMDLINE | MB1_MODS | MB1_MMAP |
			 MB1_LOADER_NAME, lower, upper, name = name_length(r->loader_name);

	NEED(info);
	memory_sizes(r->ram, r->ram_count, &lower, &upper);
	info->mem_lower = lower;
	info->mem_upper = upper;
	info->boot_device = r->boot_drive << 24 | 0xffffff; /* the whole disk: no partition */
	NEED(info->cmdline = copy_out(a, mkb_manifest_string(m, m->cmdline_offset), m->cmdline_length + 1));
	NEED(mods = take(a, m->module_count * sizeof *mods, 4));
	info->mods_count = m->module_count;
	info->mods_addr = address_of(a, mods);
	for (uint32_t i = 0; i < m->module_count; i++) {
		mods[i].start = (uint32_t)r->module_address[i];
		mods[i].end = (uint32_t)(r->module_address[i] + mod[i].size);
		NEED(mods[i].string = copy_out(a, mkb_manifest_string(m, mod[i].string_offset),
					       mod[i].string_length + 1));
	}
	if (mb->shdr_num) {
		flags |= MB1_ELF_SHDR;
		info->shdr_num = mb->shdr_num;
		info->shdr_size = mb->shdr_entsize;
		NEED(info->shdr_addr = copy_out(a, mkb_manifest_string(m, mb->shdr_offset),
						mb->shdr_num * mb->shdr_entsize));
		info->shdr_shndx = mb->shdr_shndx;
	}
	NEED(map = take(a, (uint32_t)r->ram_count * sizeof *map, 4));
	for (size_t i = 0; i < r->ram_count; i++) {
		map[i].size = sizeof *map - 4;
		map[i].base = r->ram[i].base;
		map[i].length = r->ram[i].end - r->ram[i].base;
		map[i].type = r->ram[i].type;
	}
	info->mmap_length = (uint32_t)r->ram_count * sizeof *map;
	info->mmap_addr = address_of(a, map);
	NEED(info->boot_loader_name = copy_out(a, r->loader_name, name));
	NEED(take(a, 1, 1)); /* its NUL: the area is zeroed */
	if (mb->flags & MKB_MB_VIDEO_INFO) {
		if (r->vbe_mode) {
			flags |= MB1_VBE;
			NEED(info->vbe_control_info = copy_out(a, r->vbe_control, 512));
			NEED(info->vbe_mode_info = copy_out(a, r->vbe_mode_info, 256));
			info->vbe_mode = (uint16_t)r->vbe_mode;
		}
		flags |= MB1_FRAMEBUFFER;
		put_framebuffer(&info->framebuffer, r->framebuffer);
		put_colors(info->color_info, r->framebuffer);
	}
	info->flags = flags;
	return 0;
}

/* A Multiboot 2 tag of size bytes (8-byte aligned), its header written. */
static void *tag(struct area *a, uint32_t type, uint32_t size)
{
	struct mb2_tag *t = take(a, size, 8);

	if (t) {
		t->type = type;
		t->size = size;
	}
	return t;
}

/* A string tag; the area is zeroed, so its NUL is there. */
static int string_tag(struct area *a, uint32_t type, const char *s, uint32_t length)
{
	struct mb2_string_tag *t = tag(a, type, sizeof *t + length + 1);

	NEED(t);
	memcpy(t->string, s, length);
	return 0;
}

/* The EFI system table (type 12) and the final EFI memory map (17), when
 * the firmware is UEFI. */
static int efi_tags(struct area *a, const struct mkb_efi_facts *e)
{
	if (e->system_table) {
		struct mb2_efi64_tag *efi;
		NEED(efi = tag(a, MB2_EFI64, sizeof *efi));
		efi->pointer = e->system_table;
	}
	if (e->memory_map) {
		struct mb2_efi_mmap_tag *map;
		uint32_t bytes = (uint32_t)e->memory_map_size;
		const void *src = platform_pointer(e->memory_map, bytes);
		NEED(src && (map = tag(a, MB2_EFI_MMAP, sizeof *map + bytes)));
		map->descriptor_size = (uint32_t)e->descriptor_size;
		map->descriptor_version = e->descriptor_version;
		memcpy(map->map, src, bytes);
	}
	return 0;
}

static int build_mb2(struct area *a, const struct info_request *r)
{
	const struct mkb_manifest *m = r->m;
	const struct mkb_multiboot *mb = block(m);
	const struct mkb_module *mod = mkb_manifest_modules(m);
	struct mb2_info_header *start = take(a, sizeof *start, 8);
	struct mb2_module_tag *module;
	struct mb2_meminfo_tag *meminfo;
	struct mb2_bootdev_tag *bootdev;
	struct mb2_mmap_tag *map;
	struct mb2_framebuffer_tag *fb;
	struct mb2_elf_sections_tag *sections;
	struct mb2_acpi_tag *acpi;
	struct mb2_load_base_tag *base;
	uint32_t lower, upper;

	NEED(start);
	NEED(!string_tag(a, MB2_CMDLINE, mkb_manifest_string(m, m->cmdline_offset), m->cmdline_length));
	NEED(!string_tag(a, MB2_LOADER_NAME, r->loader_name, name_length(r->loader_name)));
	for (uint32_t i = 0; i < m->module_count; i++) {
		NEED(module = tag(a, MB2_MODULE, sizeof *module + mod[i].string_length + 1));
		module->start = (uint32_t)r->module_address[i];
		module->end = (uint32_t)(r->module_address[i] + mod[i].size);
		memcpy(module->string, mkb_manifest_string(m, mod[i].string_offset), mod[i].string_length);
	}
	NEED(meminfo = tag(a, MB2_MEMINFO, sizeof *meminfo));
	memory_sizes(r->ram, r->ram_count, &lower, &upper);
	meminfo->mem_lower = lower;
	meminfo->mem_upper = upper;
	NEED(bootdev = tag(a, MB2_BOOTDEV, sizeof *bootdev));
	bootdev->biosdev = r->boot_drive;
	bootdev->partition = 0xffffffff; /* the whole disk: no partition */
	bootdev->sub_partition = 0xffffffff;
	NEED(map = tag(a, MB2_MMAP, sizeof *map + (uint32_t)r->ram_count * sizeof *map->entries));
	map->entry_size = sizeof *map->entries;
	memmap_regions((struct mkbootimg_memory_region *)(void *)map->entries, r->ram, r->ram_count);
	if (mb->flags & MKB_MB_VIDEO_INFO) {
		if (r->vbe_mode) {
			struct mb2_vbe_tag *vbe;
			NEED(vbe = tag(a, MB2_VBE, sizeof *vbe));
			vbe->mode = (uint16_t)r->vbe_mode;
			memcpy(vbe->control_info, r->vbe_control, sizeof vbe->control_info);
			memcpy(vbe->mode_info, r->vbe_mode_info, sizeof vbe->mode_info);
		}
		/* Text mode has no color information: the tag ends before it. */
		NEED(fb = tag(a, MB2_FRAMEBUFFER, r->framebuffer->address ? sizeof *fb
						  : offsetof(struct mb2_framebuffer_tag, color_info)));
		put_framebuffer(&fb->fb, r->framebuffer);
		if (r->framebuffer->address)
			put_colors(fb->color_info, r->framebuffer);
	}
	if (mb->shdr_num) {
		uint32_t bytes = mb->shdr_num * mb->shdr_entsize;
		NEED(sections = tag(a, MB2_ELF_SECTIONS, sizeof *sections + bytes));
		sections->num = mb->shdr_num;
		sections->entsize = mb->shdr_entsize;
		sections->shndx = mb->shdr_shndx;
		memcpy(sections->headers, mkb_manifest_string(m, mb->shdr_offset), bytes);
	}
	if (r->rsdp_bytes) {
		uint32_t length = rsdp_length(r->rsdp_bytes);
		NEED(acpi = tag(a, MB2_ACPI_OLD, sizeof *acpi + 20));
		memcpy(acpi->rsdp, r->rsdp_bytes, 20);
		if (length) {
			NEED(acpi = tag(a, MB2_ACPI_NEW, sizeof *acpi + length));
			memcpy(acpi->rsdp, r->rsdp_bytes, length);
		}
	}
	if (!CORE_BIOS_ONLY)
		NEED(!efi_tags(a, r->efi));
	NEED(base = tag(a, MB2_LOAD_BASE, sizeof *base));
	base->load_base_addr = mb->load_base;
	NEED(tag(a, MB2_END, sizeof(struct mb2_tag)));
	start->total_size = a->used;
	return 0;
}

int multiboot_build(void *area, uint64_t address, uint64_t size, const struct info_request *r,
		    uint64_t *used)
{
	struct area a = { area, (uint32_t)address, (uint32_t)size, 0 };
	int rc;

	rc = r->m->protocol == MKB_PROTOCOL_MULTIBOOT1 ? build_mb1(&a, r) : build_mb2(&a, r);
	*used = a.used;
	return rc;
}
