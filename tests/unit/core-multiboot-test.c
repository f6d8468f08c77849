/*
 * bootloader/core/multiboot.c: the Multiboot 1 and 2 information, built
 * into a host buffer of exactly the computed budget with a 4 KiB RSDP and a
 * 128-entry memory map, then parsed back as a kernel parses it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <mkbootimg/image.h>
#include <mkbootimg/protocol.h>

#include "core-platform.h"
#include "core.h"
#include "multiboot.h"

#define ADDRESS UINT64_C(0x7000000) /* where the kernel is told the information is */
#define RAM_ENTRIES 128
#define SHDR_NUM 5
#define SHDR_SIZE 64

static union {
	uint64_t align;
	uint8_t bytes[2048];
} manifest;
static struct mkb_manifest *m = (struct mkb_manifest *)(void *)&manifest;
static struct mkb_multiboot *mb;
static struct mm_range ram[RAM_ENTRIES];
static const uint64_t module_address[] = { 0x300000, 0x400000, 0 };
static struct mkbootimg_framebuffer fb = { 0xfd000000, 1024, 768, 4096, 32, 8, 16, 8, 8, 8, 0, { 0 } };
static uint8_t rsdp[4096], vbe_control[512], vbe_mode_info[256];
static struct info_request r;
static struct mkb_efi_facts efi; /* a BIOS's: zero */
static uint64_t *area; /* 8-byte aligned, as the loader's pages are */
static uint64_t size, used;

static int setup(void **state)
{
	struct mkb_segment *seg = (void *)(manifest.bytes + sizeof *m);
	struct mkb_module *mod = (void *)(seg + 1);

	(void)state;
	memset(&manifest, 0, sizeof manifest);
	*m = (struct mkb_manifest){ .sectors = 4, .segment_count = 1, .segment_offset = sizeof *m,
		.module_count = 3, .module_offset = sizeof *m + sizeof *seg, .cmdline_offset = 300,
		.cmdline_length = 13, .multiboot_offset = 400, .entry = 0x100400,
		.protocol = MKB_PROTOCOL_MULTIBOOT2 };
	seg[0] = (struct mkb_segment){ 0x100000, 0x100000, 0x1000, 0x2000, 0, 7, 0 };
	mod[0] = (struct mkb_module){ 0x1234, 512, 320, 7 };
	mod[1] = (struct mkb_module){ 0x10000, 5120, 330, 0 };
	mod[2] = (struct mkb_module){ 0, 0, 340, 4 };
	memcpy(manifest.bytes + 300, "console=ttyS0", 14);
	memcpy(manifest.bytes + 320, "initrd1", 8);
	memcpy(manifest.bytes + 340, "last", 5);
	mb = (void *)(manifest.bytes + 400);
	*mb = (struct mkb_multiboot){ .flags = MKB_MB_VIDEO_INFO, .load_base = 0x100000,
		.shdr_offset = 512, .shdr_num = SHDR_NUM, .shdr_entsize = SHDR_SIZE, .shdr_shndx = 4 };
	for (size_t i = 0; i < SHDR_NUM * SHDR_SIZE; i++)
		manifest.bytes[512 + i] = (uint8_t)(i * 7);
	/* A sanitized map: 640 KiB minus a page, a hole, 255 MiB from 1 MiB,
	 * then 125 small regions above 4 GiB. */
	ram[0] = (struct mm_range){ 0, 0x9f000, MKBOOTIMG_MEM_USABLE };
	ram[1] = (struct mm_range){ 0x9f000, 0xa0000, MKBOOTIMG_MEM_RESERVED };
	ram[2] = (struct mm_range){ 0x100000, 0x10000000, MKBOOTIMG_MEM_USABLE };
	for (size_t i = 3; i < RAM_ENTRIES; i++)
		ram[i] = (struct mm_range){ 4 * GiB + i * MiB, 4 * GiB + i * MiB + 4096,
			i % 2 ? MKBOOTIMG_MEM_USABLE : MKBOOTIMG_MEM_ACPI_NVS };
	/* An ACPI 2.0 RSDP of the largest length the loader accepts. */
	memset(rsdp, 0xa5, sizeof rsdp);
	memcpy(rsdp, "RSD PTR ", 8);
	rsdp[15] = 2;
	uint32_t length = sizeof rsdp;
	memcpy(rsdp + 20, &length, 4);
	memset(vbe_control, 0x11, sizeof vbe_control);
	memset(vbe_mode_info, 0x22, sizeof vbe_mode_info);
	r = (struct info_request){ .m = m, .module_address = module_address, .boot_drive = 0x80,
		.loader_name = "mkbootimg 0.1", .framebuffer = &fb, .ram = ram, .ram_count = RAM_ENTRIES,
		.rsdp_bytes = rsdp, .vbe_mode = 0x4118 | 0x10000, .vbe_control = vbe_control,
		.vbe_mode_info = vbe_mode_info, .efi = &efi };
	memset(&efi, 0, sizeof efi);
	area = NULL;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(area);
	return 0;
}

/* Build into exactly the budget; one byte less must not fit. */
static void build(void)
{
	size = multiboot_size(&r);
	area = calloc(1, (size_t)size);
	assert_non_null(area);
	assert_int_equal(multiboot_build(area, ADDRESS, size, &r, &used), 0);
	assert_true(used <= size);
	assert_int_equal(multiboot_build(area, ADDRESS, used - 1, &r, &used), -1);
	memset(area, 0, (size_t)size);
	assert_int_equal(multiboot_build(area, ADDRESS, size, &r, &used), 0);
}

static const uint8_t *at(uint64_t address, uint64_t bytes)
{
	if (address < ADDRESS || address - ADDRESS > used || bytes > used - (address - ADDRESS))
		fail_msg("0x%llx (%llu bytes) lies outside the information", (unsigned long long)address,
		         (unsigned long long)bytes);
	return (const uint8_t *)area + (address - ADDRESS);
}

static const char *string_at(uint64_t address)
{
	const char *s = (const char *)at(address, 1);
	assert_non_null(memchr(s, 0, (size_t)(used - (address - ADDRESS))));
	return s;
}

/* ---- Multiboot 2 ---- */

/* The tags in order, each 8-byte aligned and inside total_size. */
static const struct mb2_tag *tags[32];
static size_t tag_count;

static void parse_mb2(void)
{
	const struct mb2_info_header *h = (const void *)area;
	size_t off = sizeof *h;

	assert_int_equal(h->total_size, used);
	assert_int_equal(h->reserved, 0);
	tag_count = 0;
	for (;;) {
		const struct mb2_tag *t = (const void *)at(ADDRESS + off, sizeof *t);
		assert_int_equal(off % 8, 0);
		assert_true(t->size >= 8);
		at(ADDRESS + off, t->size);
		assert_true(tag_count < 32);
		tags[tag_count++] = t;
		if (t->type == MB2_END)
			break;
		off += (t->size + 7) & ~7u;
	}
	assert_int_equal(off + 8, used); /* the end tag is last */
}

static const void *find(uint32_t type, unsigned nth)
{
	for (size_t i = 0; i < tag_count; i++)
		if (tags[i]->type == type && nth-- == 0)
			return tags[i];
	return NULL;
}

static void test_multiboot2_reads_back(void **state)
{
	(void)state;
	build();
	parse_mb2();

	const struct mb2_string_tag *cmdline = find(MB2_CMDLINE, 0);
	assert_string_equal(cmdline->string, "console=ttyS0");
	assert_string_equal(((const struct mb2_string_tag *)find(MB2_LOADER_NAME, 0))->string, "mkbootimg 0.1");

	const struct mb2_module_tag *mod = find(MB2_MODULE, 0);
	assert_int_equal(mod->start, 0x300000);
	assert_int_equal(mod->end, 0x300000 + 0x1234);
	assert_string_equal(mod->string, "initrd1");
	mod = find(MB2_MODULE, 1);
	assert_int_equal(mod->end - mod->start, 0x10000);
	assert_string_equal(mod->string, "");
	mod = find(MB2_MODULE, 2);
	assert_int_equal(mod->start, 0);
	assert_int_equal(mod->end, 0);
	assert_string_equal(mod->string, "last");
	assert_null(find(MB2_MODULE, 3));

	const struct mb2_meminfo_tag *meminfo = find(MB2_MEMINFO, 0);
	assert_int_equal(meminfo->mem_lower, 0x9f000 / 1024);
	assert_int_equal(meminfo->mem_upper, (0x10000000 - 0x100000) / 1024);

	const struct mb2_bootdev_tag *bootdev = find(MB2_BOOTDEV, 0);
	assert_int_equal(bootdev->biosdev, 0x80);
	assert_int_equal(bootdev->partition, 0xffffffff);
	assert_int_equal(bootdev->sub_partition, 0xffffffff);

	const struct mb2_mmap_tag *map = find(MB2_MMAP, 0);
	assert_int_equal(map->entry_size, 24);
	assert_int_equal(map->entry_version, 0);
	assert_int_equal(map->tag.size, 16 + 24 * RAM_ENTRIES);
	for (size_t i = 0; i < RAM_ENTRIES; i++) {
		assert_int_equal(map->entries[i].base, ram[i].base);
		assert_int_equal(map->entries[i].length, ram[i].end - ram[i].base);
		assert_int_equal(map->entries[i].type, ram[i].type);
		assert_int_equal(map->entries[i].reserved, 0);
	}

	const struct mb2_vbe_tag *vbe = find(MB2_VBE, 0);
	assert_int_equal(vbe->tag.size, 784);
	assert_int_equal(vbe->mode, 0x4118);
	assert_memory_equal(vbe->control_info, vbe_control, 512);
	assert_memory_equal(vbe->mode_info, vbe_mode_info, 256);

	const struct mb2_framebuffer_tag *f = find(MB2_FRAMEBUFFER, 0);
	assert_int_equal(f->tag.size, 38);
	assert_int_equal(f->fb.addr, 0xfd000000);
	assert_int_equal(f->fb.pitch, 4096);
	assert_int_equal(f->fb.width, 1024);
	assert_int_equal(f->fb.height, 768);
	assert_int_equal(f->fb.bpp, 32);
	assert_int_equal(f->fb.type, MB_FB_RGB);
	static const uint8_t colors[6] = { 16, 8, 8, 8, 0, 8 }; /* shift then size: red, green, blue */
	assert_memory_equal(f->color_info, colors, 6);

	const struct mb2_elf_sections_tag *sections = find(MB2_ELF_SECTIONS, 0);
	assert_int_equal(sections->num, SHDR_NUM);
	assert_int_equal(sections->entsize, SHDR_SIZE);
	assert_int_equal(sections->shndx, 4);
	assert_memory_equal(sections->headers, manifest.bytes + 512, SHDR_NUM * SHDR_SIZE);

	const struct mb2_acpi_tag *acpi = find(MB2_ACPI_OLD, 0);
	assert_int_equal(acpi->tag.size, 8 + 20);
	assert_memory_equal(acpi->rsdp, rsdp, 20);
	acpi = find(MB2_ACPI_NEW, 0);
	assert_int_equal(acpi->tag.size, 8 + 4096);
	assert_memory_equal(acpi->rsdp, rsdp, 4096);

	assert_int_equal(((const struct mb2_load_base_tag *)find(MB2_LOAD_BASE, 0))->load_base_addr, 0x100000);
}

/* Text mode: the EGA text screen, a framebuffer tag without colors. */
static void test_multiboot2_text_mode(void **state)
{
	static const struct mkbootimg_framebuffer text = { 0 };

	(void)state;
	r.framebuffer = &text;
	r.vbe_mode = 0;
	build();
	parse_mb2();
	assert_null(find(MB2_VBE, 0));
	const struct mb2_framebuffer_tag *f = find(MB2_FRAMEBUFFER, 0);
	assert_int_equal(f->tag.size, 32);
	assert_int_equal(f->fb.addr, 0xb8000);
	assert_int_equal(f->fb.pitch, 160);
	assert_int_equal(f->fb.width, 80);
	assert_int_equal(f->fb.height, 25);
	assert_int_equal(f->fb.bpp, 16);
	assert_int_equal(f->fb.type, MB_FB_EGA_TEXT);
}

/* What the kernel did not ask for, or the machine does not have, is left out. */
static void test_multiboot2_without_extras(void **state)
{
	(void)state;
	mb->flags = 0;
	mb->shdr_num = 0;
	rsdp[15] = 0; /* ACPI 1.0: only the old tag */
	build();
	parse_mb2();
	assert_null(find(MB2_VBE, 0));
	assert_null(find(MB2_FRAMEBUFFER, 0));
	assert_null(find(MB2_ELF_SECTIONS, 0));
	assert_non_null(find(MB2_ACPI_OLD, 0));
	assert_null(find(MB2_ACPI_NEW, 0));
	free(area);
	r.rsdp_bytes = NULL;
	build();
	parse_mb2();
	assert_null(find(MB2_ACPI_OLD, 0));
}

/* The budget holds with everything at once, and a 4 KiB RSDP is in it (the
 * fixed 2 KiB of old could not hold it). Only the strings are counted
 * loosely (as the manifest's size): beyond that, little is left over. */
static void test_multiboot_budget(void **state)
{
	(void)state;
	build();
	assert_true(size >= used);
	/* (the entries the final map may add on UEFI are unused here) */
	assert_true(size - used < m->sectors * MKB_SECTOR_SIZE + CORE_FINAL_EXTRA * 24 + 128);
	assert_true(size > 4096 + RAM_ENTRIES * 24);
	free(area);
	m->protocol = MKB_PROTOCOL_MULTIBOOT1;
	build();
	assert_true(size >= used);
}

/* A manifest whose strings overlap needs more than its size: the build
 * stops at the end of the area instead of writing past it. */
static void test_multiboot_overlapping_strings_fail(void **state)
{
	struct mkb_module *mod = (void *)(manifest.bytes + m->module_offset);

	(void)state;
	m->cmdline_offset = 512;
	m->cmdline_length = 1500;
	mod[0].string_offset = mod[1].string_offset = mod[2].string_offset = 512;
	mod[0].string_length = mod[1].string_length = mod[2].string_length = 1500;
	size = multiboot_size(&r);
	area = malloc((size_t)size + 64);
	assert_non_null(area);
	memset(area, 0, (size_t)size);
	memset((uint8_t *)area + size, 0x5a, 64);
	assert_int_equal(multiboot_build(area, ADDRESS, size, &r, &used), -1);
	for (size_t i = 0; i < 64; i++)
		assert_int_equal(((uint8_t *)area)[size + i], 0x5a);
}

/* ---- Multiboot 1 ---- */

static void test_multiboot1_reads_back(void **state)
{
	const struct mb1_info *info;

	(void)state;
	m->protocol = MKB_PROTOCOL_MULTIBOOT1;
	build();
	info = (const void *)area;
	assert_int_equal(info->flags, MB1_MEMORY | MB1_BOOT_DEVICE | MB1_CMDLINE | MB1_MODS | MB1_ELF_SHDR |
	                 MB1_MMAP | MB1_LOADER_NAME | MB1_VBE | MB1_FRAMEBUFFER);
	assert_int_equal(info->mem_lower, 0x9f000 / 1024);
	assert_int_equal(info->mem_upper, (0x10000000 - 0x100000) / 1024);
	assert_int_equal(info->boot_device, 0x80ffffff);
	assert_string_equal(string_at(info->cmdline), "console=ttyS0");
	assert_string_equal(string_at(info->boot_loader_name), "mkbootimg 0.1");

	const struct mb1_module *mods = (const void *)at(info->mods_addr, 3 * sizeof *mods);
	assert_int_equal(info->mods_count, 3);
	assert_int_equal(mods[0].start, 0x300000);
	assert_int_equal(mods[0].end, 0x300000 + 0x1234);
	assert_string_equal(string_at(mods[0].string), "initrd1");
	assert_int_equal(mods[0].reserved, 0);
	assert_string_equal(string_at(mods[1].string), "");
	assert_string_equal(string_at(mods[2].string), "last");

	assert_int_equal(info->shdr_num, SHDR_NUM);
	assert_int_equal(info->shdr_size, SHDR_SIZE);
	assert_int_equal(info->shdr_shndx, 4);
	assert_memory_equal(at(info->shdr_addr, SHDR_NUM * SHDR_SIZE), manifest.bytes + 512, SHDR_NUM * SHDR_SIZE);

	assert_int_equal(info->mmap_length, 24 * RAM_ENTRIES);
	const struct mb1_mmap_entry *e = (const void *)at(info->mmap_addr, info->mmap_length);
	for (size_t i = 0; i < RAM_ENTRIES; i++) { /* each entry: its size, then 20 bytes */
		assert_int_equal(e[i].size, 20);
		assert_int_equal(e[i].base, ram[i].base);
		assert_int_equal(e[i].length, ram[i].end - ram[i].base);
		assert_int_equal(e[i].type, ram[i].type);
	}

	assert_memory_equal(at(info->vbe_control_info, 512), vbe_control, 512);
	assert_memory_equal(at(info->vbe_mode_info, 256), vbe_mode_info, 256);
	assert_int_equal(info->vbe_mode, 0x4118);
	assert_int_equal(info->framebuffer.addr, 0xfd000000);
	assert_int_equal(info->framebuffer.pitch, 4096);
	assert_int_equal(info->framebuffer.width, 1024);
	assert_int_equal(info->framebuffer.height, 768);
	assert_int_equal(info->framebuffer.bpp, 32);
	assert_int_equal(info->framebuffer.type, MB_FB_RGB);
	static const uint8_t colors[6] = { 16, 8, 8, 8, 0, 8 };
	assert_memory_equal(info->color_info, colors, 6);
}

static void test_multiboot1_without_extras(void **state)
{
	const struct mb1_info *info;

	(void)state;
	m->protocol = MKB_PROTOCOL_MULTIBOOT1;
	mb->flags = 0;
	mb->shdr_num = 0;
	build();
	info = (const void *)area;
	assert_int_equal(info->flags, MB1_MEMORY | MB1_BOOT_DEVICE | MB1_CMDLINE | MB1_MODS | MB1_MMAP |
	                 MB1_LOADER_NAME);
	assert_int_equal(info->vbe_control_info, 0);
	assert_int_equal(info->framebuffer.addr, 0);
	assert_int_equal(info->shdr_addr, 0);
}

/* On UEFI: the EFI 64-bit system table tag (12) and the firmware's final
 * memory map, descriptors as it gave them (17); a BIOS boot has neither. */
#define EFI_MAP UINT64_C(0x1000000)
static void test_multiboot2_efi_tags(void **state)
{
	(void)state;
	build();
	parse_mb2();
	assert_null(find(MB2_EFI64, 0));
	assert_null(find(MB2_EFI_MMAP, 0));
	free(area);

	fake_reset(EFI_MAP, 4096);
	uint8_t *map = fake_at(EFI_MAP);
	for (size_t i = 0; i < 3 * 48; i++)
		map[i] = (uint8_t)(i * 13 + 5);
	efi = (struct mkb_efi_facts){ .system_table = 0x7f9ee018, .memory_map = EFI_MAP,
		.memory_map_size = 3 * 48, .descriptor_size = 48, .descriptor_version = 1 };
	build();
	parse_mb2();
	const struct mb2_efi64_tag *table = find(MB2_EFI64, 0);
	assert_non_null(table);
	assert_int_equal(table->tag.size, 16);
	assert_int_equal(table->pointer, 0x7f9ee018);
	const struct mb2_efi_mmap_tag *efi_map = find(MB2_EFI_MMAP, 0);
	assert_non_null(efi_map);
	assert_int_equal(efi_map->tag.size, 16 + 3 * 48);
	assert_int_equal(efi_map->descriptor_size, 48);
	assert_int_equal(efi_map->descriptor_version, 1);
	assert_memory_equal(efi_map->map, map, 3 * 48);
	fake_release();
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_multiboot2_reads_back),
		T(test_multiboot2_text_mode),
		T(test_multiboot2_without_extras),
		T(test_multiboot2_efi_tags),
		T(test_multiboot_budget),
		T(test_multiboot_overlapping_strings_fail),
		T(test_multiboot1_reads_back),
		T(test_multiboot1_without_extras),
	};
	return cmocka_run_group_tests_name("core-multiboot", tests, NULL, NULL);
}
