/*
 * bootloader/core/bootinfo.c: the native boot information, built into a
 * host buffer as the loader builds it in its pages, then read back as a
 * kernel reads it (include/mkbootimg/protocol.h).
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

#include "bootinfo.h"
#include "core.h"
#include "platform.h"

#define ADDRESS UINT64_C(0x7000000) /* where the kernel is told the block is */
#define MAP_ENTRIES 128

static union {
	uint64_t align;
	uint8_t bytes[1024];
} manifest;
static struct mkb_manifest *m = (struct mkb_manifest *)(void *)&manifest;
static struct mm_range map[MAP_ENTRIES];
static const uint64_t module_address[] = { 0x300000, 0 };
static const struct mkbootimg_framebuffer fb = { 0xfd000000, 1024, 768, 4096, 32, 8, 16, 8, 8, 8, 0, { 0 } };
static const struct mkb_efi_facts efi = { 0x7f9e018, 0x7e00000, 48 * 90, 48, 1 };
static struct info_request r;
static uint8_t *area;
static uint64_t size;

static int setup(void **state)
{
	struct mkb_segment *seg = (void *)(manifest.bytes + sizeof *m);
	struct mkb_module *mod = (void *)(seg + 2);

	(void)state;
	memset(&manifest, 0, sizeof manifest);
	*m = (struct mkb_manifest){ .segment_count = 2, .segment_offset = sizeof *m, .module_count = 2,
		.module_offset = sizeof *m + 2 * sizeof *seg, .cmdline_offset = 800, .cmdline_length = 9,
		.stack_top = UINT64_C(0xffffff0000000000), .stack_size = 0x10000,
		.direct_map_offset = UINT64_C(0xffff800000000000), .sectors = 2 };
	seg[0] = (struct mkb_segment){ UINT64_C(0xffffffff80100000), 0x100000, 0x1000, 0x3000, 0, 5, 0 };
	seg[1] = (struct mkb_segment){ UINT64_C(0xffffffff80200000), 0x200000, 0x10, 0x10, 512, 6, 2 };
	mod[0] = (struct mkb_module){ 0x2345, 1024, 820, 5 };
	mod[1] = (struct mkb_module){ 0, 0, 830, 0 };
	memcpy(manifest.bytes + 800, "a=1 b=two", 10);
	memcpy(manifest.bytes + 820, "first", 6);
	/* The firmware's map as a sanitized one looks: sorted, apart. */
	for (size_t i = 0; i < MAP_ENTRIES; i++)
		map[i] = (struct mm_range){ i * 0x200000, i * 0x200000 + 0x100000 + i * 4096,
			i % 3 ? MKBOOTIMG_MEM_USABLE : MKBOOTIMG_MEM_RESERVED };
	r = (struct info_request){ .m = m, .module_address = module_address, .boot_drive = 0x80,
		.loader_name = "mkbootimg 0.1", .framebuffer = &fb, .stack_physical = 0x600000,
		.rsdp = 0xf5a40, .map = map, .map_count = MAP_ENTRIES,
		.firmware = MKBOOTIMG_FIRMWARE_UEFI, .smbios = 0x7f6f000, .efi = &efi };
	size = bootinfo_size(m, MAP_ENTRIES);
	area = calloc(1, (size_t)size);
	assert_non_null(area);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(area);
	return 0;
}

/* A pointer the kernel follows: inside the block, as a host pointer. */
static const void *at(uint64_t address, uint64_t bytes)
{
	if (address < ADDRESS || address - ADDRESS > size || bytes > size - (address - ADDRESS))
		fail_msg("0x%llx (%llu bytes) lies outside the block", (unsigned long long)address,
		         (unsigned long long)bytes);
	return area + (address - ADDRESS);
}

static const char *string_at(uint64_t address)
{
	const char *s = at(address, 1);
	assert_non_null(memchr(s, 0, (size_t)(size - (address - ADDRESS))));
	return s;
}

static void test_bootinfo_reads_back(void **state)
{
	const struct mkbootimg_info *info = (const void *)area;

	(void)state;
	bootinfo_build(area, ADDRESS, MAP_ENTRIES, &r);
	assert_int_equal(info->magic, MKBOOTIMG_INFO_MAGIC);
	assert_int_equal(info->version, MKBOOTIMG_INFO_VERSION);
	assert_int_equal(info->size, sizeof *info);
	assert_int_equal(info->direct_map_offset, UINT64_C(0xffff800000000000));
	assert_int_equal(info->boot_drive, 0x80);
	assert_string_equal(string_at(info->cmdline), "a=1 b=two");
	assert_int_equal(info->cmdline_length, 9);
	assert_string_equal(string_at(info->loader_name), "mkbootimg 0.1");
	assert_int_equal(info->stack_top, UINT64_C(0xffffff0000000000));
	assert_int_equal(info->stack_size, 0x10000);
	assert_int_equal(info->stack_physical, 0x600000);
	assert_int_equal(info->rsdp, 0xf5a40);
	/* Version 3: the firmware and what UEFI passes on. */
	assert_int_equal(info->size, 232);
	assert_int_equal(info->cpus, 0); /* version 4: no SMP request, no PIE */
	assert_int_equal(info->kernel_slide, 0);
	assert_int_equal(info->firmware, MKBOOTIMG_FIRMWARE_UEFI);
	assert_int_equal(info->smbios, 0x7f6f000);
	assert_int_equal(info->efi_system_table, 0x7f9e018);
	assert_int_equal(info->efi_memory_map, 0x7e00000);
	assert_int_equal(info->efi_memory_map_size, 48 * 90);
	assert_int_equal(info->efi_memory_map_descriptor_size, 48);
	assert_int_equal(info->efi_memory_map_descriptor_version, 1);
	assert_memory_equal(&info->framebuffer, &fb, sizeof fb);

	const struct mkbootimg_segment *s = at(info->segments, 2 * sizeof *s);
	assert_int_equal(info->segment_count, 2);
	assert_int_equal(s[0].virtual_address, UINT64_C(0xffffffff80100000));
	assert_int_equal(s[0].physical_address, 0x100000);
	assert_int_equal(s[0].size, 0x3000);
	assert_int_equal(s[0].flags, 5);
	assert_int_equal(s[1].size, 0x10);
	assert_int_equal(s[1].flags, 6);
	assert_int_equal(s[1].reserved, 0);

	const struct mkbootimg_module *mods = at(info->modules, 2 * sizeof *mods);
	assert_int_equal(info->module_count, 2);
	assert_int_equal(mods[0].address, 0x300000);
	assert_int_equal(mods[0].size, 0x2345);
	assert_string_equal(string_at(mods[0].string), "first");
	assert_int_equal(mods[1].address, 0);
	assert_int_equal(mods[1].size, 0);
	assert_string_equal(string_at(mods[1].string), "");

	const struct mkbootimg_memory_region *regions = at(info->memory_map, MAP_ENTRIES * sizeof *regions);
	assert_int_equal(info->memory_map_count, MAP_ENTRIES);
	for (size_t i = 0; i < MAP_ENTRIES; i++) {
		assert_int_equal(regions[i].base, map[i].base);
		assert_int_equal(regions[i].length, map[i].end - map[i].base);
		assert_int_equal(regions[i].type, map[i].type);
		assert_int_equal(regions[i].reserved, 0);
	}
}

/* The block is as large as it has to be, and every string ends inside it:
 * a name that fills its 24 bytes, without a NUL, gets one. */
static void test_bootinfo_budget_is_exact(void **state)
{
	const struct mkbootimg_info *info = (const void *)area;
	static const char full_name[MKB_LOADER_NAME_MAX] = "mkbootimg 0.1-rc1-abcdef";

	(void)state;
	r.loader_name = full_name;
	bootinfo_build(area, ADDRESS, MAP_ENTRIES, &r);
	assert_string_equal(string_at(info->loader_name), "mkbootimg 0.1-rc1-abcdef");
	/* The strings come last: cmdline, name, then the module strings. */
	const char *last = string_at(((const struct mkbootimg_module *)at(info->modules, 48))[1].string);
	assert_ptr_equal(last + 1, area + size);
	assert_int_equal(size, sizeof *info + MAP_ENTRIES * 24 + 2 * 32 + 2 * 24 +
	                 (9 + 1) + (MKB_LOADER_NAME_MAX + 1) + (5 + 1) + (0 + 1));
}

/* No modules: the array's address is 0, as the protocol says. */
static void test_bootinfo_no_modules(void **state)
{
	const struct mkbootimg_info *info = (const void *)area;

	(void)state;
	m->module_count = 0;
	bootinfo_build(area, ADDRESS, MAP_ENTRIES, &r);
	assert_int_equal(info->module_count, 0);
	assert_int_equal(info->modules, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_bootinfo_reads_back),
		T(test_bootinfo_budget_is_exact),
		T(test_bootinfo_no_modules),
	};
	return cmocka_run_group_tests_name("core-bootinfo", tests, NULL, NULL);
}
