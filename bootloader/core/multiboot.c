/*
 * Multiboot 1 and Multiboot 2: the information structure, below 4 GiB in
 * fresh pages, then 32-bit protected mode (entry.asm). The tool has read the
 * kernel's header: the manifest says which version, where the segments went
 * (already loaded), the entry point, and whether to describe the screen.
 */
#include <mkbootimg/image.h>
#include <mkbootimg/protocol.h>

#include "loader.h"
#include "memmap.h"
#include "physmem.h"

#define MB1_BOOT_MAGIC 0x2badb002u
#define MB2_BOOT_MAGIC 0x36d76289u

/* Multiboot 1 information flags and offsets (specification, section 3.3). */
#define MB1_INFO_SIZE 116
enum {
	MB1_MEMORY = 1u << 0, MB1_BOOT_DEVICE = 1u << 1, MB1_CMDLINE = 1u << 2, MB1_MODS = 1u << 3,
	MB1_ELF_SHDR = 1u << 5, MB1_MMAP = 1u << 6, MB1_LOADER_NAME = 1u << 9, MB1_VBE = 1u << 11,
	MB1_FRAMEBUFFER = 1u << 12,
};

/* Multiboot 2 information tag types (specification, section 3.6). */
enum {
	MB2_END = 0, MB2_CMDLINE = 1, MB2_LOADER_NAME = 2, MB2_MODULE = 3, MB2_MEMINFO = 4,
	MB2_BOOTDEV = 5, MB2_MMAP = 6, MB2_VBE = 7, MB2_FRAMEBUFFER = 8, MB2_ELF_SECTIONS = 9,
	MB2_ACPI_OLD = 14, MB2_ACPI_NEW = 15, MB2_LOAD_BASE = 21,
};

#define FB_TYPE_RGB 1
#define FB_TYPE_EGA_TEXT 2

/* The information area: a bump allocator over the pages allocate() took. */
static uint8_t *cursor;

static void *take(uint32_t bytes, uint32_t align)
{
	cursor = (uint8_t *)(((uintptr_t)cursor + align - 1) & ~(uintptr_t)(align - 1));
	void *p = cursor;
	cursor += bytes;
	return p;
}

static uint32_t copy_out(const void *src, uint32_t bytes)
{
	void *dst = take(bytes, 1);
	memcpy(dst, src, bytes);
	return (uint32_t)(uintptr_t)dst;
}

static void put32(uint8_t *p, uint32_t v)
{
	*(uint32_t *)p = v;
}

static void put64(uint8_t *p, uint64_t v)
{
	*(uint64_t *)p = v;
}

/* KiB of usable memory from 0 (at most 640) and from 1 MiB to the first hole. */
static void memory_sizes(const struct mm_range *ram, size_t n, uint32_t *lower, uint32_t *upper)
{
	uint64_t low_end = 0, high_end = MiB;

	for (size_t i = 0; i < n; i++) {
		if (ram[i].type != MKBOOTIMG_MEM_USABLE)
			continue;
		if (ram[i].base <= low_end && ram[i].end > low_end)
			low_end = ram[i].end;
		if (ram[i].base <= high_end && ram[i].end > high_end)
			high_end = ram[i].end;
	}
	if (low_end > 640 * 1024)
		low_end = 640 * 1024;
	if (high_end > 4 * GiB)
		high_end = 4 * GiB;
	*lower = (uint32_t)(low_end / 1024);
	*upper = (uint32_t)((high_end - MiB) / 1024);
}

struct boot {
	const struct mkb_manifest *m;
	const struct mkb_multiboot *mb;
	const uint64_t *module_address;
	uint32_t drive;
	const struct mm_range *ram;
	size_t ram_count;
	struct mkbootimg_framebuffer fb;
	uint32_t vbe_mode; /* | 0x10000 when set */
	const void *vbe_control, *vbe_mode_info;
	uint32_t rsdp;
};

static const char *manifest_string(const struct mkb_manifest *m, uint32_t offset)
{
	return (const char *)m + offset;
}

/* Color and type fields shared by both versions' framebuffer information. */
static void put_framebuffer(uint8_t *p, const struct mkbootimg_framebuffer *fb)
{
	if (fb->address) {
		put64(p, fb->address);
		put32(p + 8, fb->pitch);
		put32(p + 12, fb->width);
		put32(p + 16, fb->height);
		p[20] = (uint8_t)fb->bpp;
		p[21] = FB_TYPE_RGB;
	} else { /* text mode: the EGA screen */
		put64(p, 0xb8000);
		put32(p + 8, 160);
		put32(p + 12, 80);
		put32(p + 16, 25);
		p[20] = 16;
		p[21] = FB_TYPE_EGA_TEXT;
	}
}

static void put_colors(uint8_t *p, const struct mkbootimg_framebuffer *fb)
{
	p[0] = fb->red_shift, p[1] = fb->red_size;
	p[2] = fb->green_shift, p[3] = fb->green_size;
	p[4] = fb->blue_shift, p[5] = fb->blue_size;
}

static uint32_t build_mb1(const struct boot *b)
{
	const struct mkb_manifest *m = b->m;
	const struct mkb_module *mod = (const void *)((const char *)m + m->module_offset);
	uint8_t *info = take(MB1_INFO_SIZE, 8);
	uint32_t flags = MB1_MEMORY | MB1_BOOT_DEVICE | MB1_CMDLINE | MB1_MODS | MB1_MMAP |
			 MB1_LOADER_NAME, lower, upper;

	memory_sizes(b->ram, b->ram_count, &lower, &upper);
	put32(info + 4, lower);
	put32(info + 8, upper);
	put32(info + 12, b->drive << 24 | 0xffffff); /* the whole disk: no partition */
	put32(info + 16, copy_out(manifest_string(m, m->cmdline_offset), m->cmdline_length + 1));
	uint8_t *mods = take(16 * m->module_count, 4);
	put32(info + 20, m->module_count);
	put32(info + 24, (uint32_t)(uintptr_t)mods);
	for (uint32_t i = 0; i < m->module_count; i++) {
		put32(mods + 16 * i, (uint32_t)b->module_address[i]);
		put32(mods + 16 * i + 4, (uint32_t)(b->module_address[i] + mod[i].size));
		put32(mods + 16 * i + 8, copy_out(manifest_string(m, mod[i].string_offset),
						  mod[i].string_length + 1));
		put32(mods + 16 * i + 12, 0);
	}
	if (b->mb->shdr_num) {
		flags |= MB1_ELF_SHDR;
		put32(info + 28, b->mb->shdr_num);
		put32(info + 32, b->mb->shdr_entsize);
		put32(info + 36, copy_out(manifest_string(m, b->mb->shdr_offset),
					  b->mb->shdr_num * b->mb->shdr_entsize));
		put32(info + 40, b->mb->shdr_shndx);
	}
	/* Each entry: size (20, not counting itself), base, length, type. */
	uint8_t *map = take(24 * b->ram_count, 4);
	for (size_t i = 0; i < b->ram_count; i++) {
		put32(map + 24 * i, 20);
		put64(map + 24 * i + 4, b->ram[i].base);
		put64(map + 24 * i + 12, b->ram[i].end - b->ram[i].base);
		put32(map + 24 * i + 20, b->ram[i].type);
	}
	put32(info + 44, 24 * b->ram_count);
	put32(info + 48, (uint32_t)(uintptr_t)map);
	const struct mkb_stage2_header *stage2 = (const void *)STAGE2_BASE;
	put32(info + 64, copy_out(stage2->loader_version, MKB_LOADER_NAME_MAX));
	if (b->mb->flags & MKB_MB_VIDEO_INFO) {
		if (b->vbe_mode) {
			flags |= MB1_VBE;
			put32(info + 72, copy_out(b->vbe_control, 512));
			put32(info + 76, copy_out(b->vbe_mode_info, 256));
			*(uint16_t *)(info + 80) = (uint16_t)b->vbe_mode;
		}
		flags |= MB1_FRAMEBUFFER;
		put_framebuffer(info + 88, &b->fb);
		put_colors(info + 110, &b->fb);
	}
	put32(info, flags);
	return (uint32_t)(uintptr_t)info;
}

/* A Multiboot 2 tag: type and size written, 8-byte aligned. */
static uint8_t *tag(uint32_t type, uint32_t size)
{
	uint8_t *t = take(size, 8);
	put32(t, type);
	put32(t + 4, size);
	return t;
}

static void string_tag(uint32_t type, const char *s, uint32_t length)
{
	uint8_t *t = tag(type, 8 + length + 1);
	memcpy(t + 8, s, length);
	t[8 + length] = 0;
}

static uint32_t build_mb2(const struct boot *b)
{
	const struct mkb_manifest *m = b->m;
	const struct mkb_module *mod = (const void *)((const char *)m + m->module_offset);
	const struct mkb_stage2_header *stage2 = (const void *)STAGE2_BASE;
	uint8_t *start = take(8, 8), *t;
	uint32_t lower, upper, name = 0;

	string_tag(MB2_CMDLINE, manifest_string(m, m->cmdline_offset), m->cmdline_length);
	while (name < MKB_LOADER_NAME_MAX && stage2->loader_version[name])
		name++;
	string_tag(MB2_LOADER_NAME, stage2->loader_version, name);
	for (uint32_t i = 0; i < m->module_count; i++) {
		t = tag(MB2_MODULE, 16 + mod[i].string_length + 1);
		put32(t + 8, (uint32_t)b->module_address[i]);
		put32(t + 12, (uint32_t)(b->module_address[i] + mod[i].size));
		memcpy(t + 16, manifest_string(m, mod[i].string_offset), mod[i].string_length + 1);
	}
	memory_sizes(b->ram, b->ram_count, &lower, &upper);
	t = tag(MB2_MEMINFO, 16);
	put32(t + 8, lower);
	put32(t + 12, upper);
	t = tag(MB2_BOOTDEV, 20);
	put32(t + 8, b->drive);
	put32(t + 12, 0xffffffff); /* the whole disk: no partition */
	put32(t + 16, 0xffffffff);
	t = tag(MB2_MMAP, 16 + 24 * b->ram_count);
	put32(t + 8, 24);
	put32(t + 12, 0);
	for (size_t i = 0; i < b->ram_count; i++) {
		uint8_t *e = t + 16 + 24 * i;
		put64(e, b->ram[i].base);
		put64(e + 8, b->ram[i].end - b->ram[i].base);
		put32(e + 16, b->ram[i].type);
		put32(e + 20, 0);
	}
	if (b->mb->flags & MKB_MB_VIDEO_INFO) {
		if (b->vbe_mode) {
			t = tag(MB2_VBE, 16 + 512 + 256);
			*(uint16_t *)(t + 8) = (uint16_t)b->vbe_mode;
			memcpy(t + 16, b->vbe_control, 512);
			memcpy(t + 16 + 512, b->vbe_mode_info, 256);
		}
		t = tag(MB2_FRAMEBUFFER, b->fb.address ? 38 : 32);
		put_framebuffer(t + 8, &b->fb);
		if (b->fb.address)
			put_colors(t + 32, &b->fb);
	}
	if (b->mb->shdr_num) {
		uint32_t bytes = b->mb->shdr_num * b->mb->shdr_entsize;
		t = tag(MB2_ELF_SECTIONS, 20 + bytes);
		put32(t + 8, b->mb->shdr_num);
		put32(t + 12, b->mb->shdr_entsize);
		put32(t + 16, b->mb->shdr_shndx);
		memcpy(t + 20, manifest_string(m, b->mb->shdr_offset), bytes);
	}
	if (b->rsdp) {
		const uint8_t *r = (const uint8_t *)(uintptr_t)b->rsdp;
		t = tag(MB2_ACPI_OLD, 8 + 20);
		memcpy(t + 8, r, 20);
		if (r[15] >= 2) { /* find_rsdp checked the length */
			uint32_t length = *(const uint32_t *)(r + 20);
			t = tag(MB2_ACPI_NEW, 8 + length);
			memcpy(t + 8, r, length);
		}
	}
	t = tag(MB2_LOAD_BASE, 12);
	put32(t + 8, b->mb->load_base);
	tag(MB2_END, 8);
	put32(start, (uint32_t)(cursor - start));
	put32(start + 4, 0);
	return (uint32_t)(uintptr_t)start;
}

void multiboot_boot(const struct mkb_manifest *m, const uint64_t *module_address, uint32_t drive,
		    const struct mm_range *ram, size_t ram_count)
{
	struct boot b = { m, (const void *)((const char *)m + m->multiboot_offset), module_address,
			  drive, ram, ram_count, { 0 }, 0, 0, 0, 0 };
	uint32_t bytes = m->sectors * MKB_SECTOR_SIZE;

	if ((m->protocol != MKB_PROTOCOL_MULTIBOOT1 && m->protocol != MKB_PROTOCOL_MULTIBOOT2) ||
	    m->multiboot_offset == 0 || m->multiboot_offset > bytes - sizeof(struct mkb_multiboot) ||
	    (b.mb->shdr_num && (b.mb->shdr_offset > bytes ||
				b.mb->shdr_num * b.mb->shdr_entsize > bytes - b.mb->shdr_offset)) ||
	    m->entry >= 4 * GiB)
		fatal("the image's manifest is damaged.\nRebuild the image with mkbootimg.");

	/* Room for everything: the manifest bounds the strings and section
	 * headers; then the map, the module table and the VBE blocks. */
	uint32_t size = bytes + 24 * (uint32_t)ram_count + 24 * m->module_count + 2048;
	cursor = (uint8_t *)(uintptr_t)alloc_pages((size + PAGE_SIZE - 1) / PAGE_SIZE,
						   MKBOOTIMG_MEM_BOOT_INFO);
	b.rsdp = (uint32_t)find_rsdp();
	/* The last BIOS call, as for native kernels. */
	if (m->fb_width)
		vbe_set_mode(m->fb_width, m->fb_height, m->fb_bpp, &b.fb);
	b.vbe_mode = vbe_blocks(&b.vbe_control, &b.vbe_mode_info);

	if (m->protocol == MKB_PROTOCOL_MULTIBOOT1)
		enter_multiboot(MB1_BOOT_MAGIC, build_mb1(&b), (uint32_t)m->entry);
	enter_multiboot(MB2_BOOT_MAGIC, build_mb2(&b), (uint32_t)m->entry);
}
