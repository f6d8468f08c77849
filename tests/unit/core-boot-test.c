/*
 * bootloader/core/boot.c: from a disk image to the hand-off, on the fake
 * platform: what is loaded where, what the kernel's memory map says, and
 * every way the core stops, each with its message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mkbootimg/image.h>
#include <mkbootimg/protocol.h>

#include "boot.h"
#include "core-platform.h"
#include "linux.h"
#include "manifest.h"
#include "multiboot.h"

#define KiB UINT64_C(0x400)
#define HH UINT64_C(0xffffffff80000000)
#define MANIFEST_LBA 40
#define MANIFEST_SECTORS 4
#define PAYLOAD_LBA (MANIFEST_LBA + MANIFEST_SECTORS)
#define DISK_SECTORS 1008
#define RAM_END (32 * MiB) /* the fake memory is [1 MiB, RAM_END) */

static uint8_t disk[DISK_SECTORS * 512];
static struct mkb_manifest *m = (struct mkb_manifest *)(void *)(disk + MANIFEST_LBA * 512);
static struct mm_range firmware[8];
static const struct mm_range own[] = {
	{ 0, 0x1000, MKBOOTIMG_MEM_RESERVED },
	{ 0x1000, 0x60000, MKBOOTIMG_MEM_LOADER_RECLAIMABLE },
};
static struct boot_facts facts;
static struct core_boot core; /* large: static */
static struct core_error error;
static struct core_handoff handoff;

static struct mkb_segment *seg(uint32_t i)
{
	return (struct mkb_segment *)(void *)((uint8_t *)m + m->segment_offset) + i;
}

static struct mkb_module *mod(uint32_t i)
{
	return (struct mkb_module *)(void *)((uint8_t *)m + m->module_offset) + i;
}

static uint8_t *payload(uint64_t offset)
{
	return disk + PAYLOAD_LBA * 512 + offset;
}

/* The checksum of the payload as the manifest describes it. */
static void seal(void)
{
	struct mkb_checksum sum;

	mkb_checksum_init(&sum);
	for (uint32_t i = 0; i < m->segment_count; i++)
		mkb_checksum_add(&sum, payload(seg(i)->payload_offset), seg(i)->filesz);
	for (uint32_t i = 0; i < m->module_count; i++)
		mkb_checksum_add(&sum, payload(mod(i)->payload_offset), mod(i)->size);
	if (m->protocol == MKB_PROTOCOL_NATIVE && m->multiboot_offset) { /* KASLR's table */
		const struct mkb_pie *pie = (const void *)((const uint8_t *)m + m->multiboot_offset);
		mkb_checksum_add(&sum, payload(pie->table_payload_offset), pie->count * 4);
	}
	if (m->protocol == MKB_PROTOCOL_LINUX) {
		const struct mkb_linux *lx = linux_block(m);
		mkb_checksum_add(&sum, payload(lx->initrd_payload_offset), lx->initrd_size);
		/* a real-mode entry's setup sectors, the payload's last ones */
		mkb_checksum_add(&sum, payload((m->payload_sectors - lx->setup_sectors) * 512),
		                 lx->setup_sectors * 512);
	}
	m->payload_checksum = mkb_checksum_value(&sum);
}

/*
 * A native higher-half kernel: text of 1000 file bytes in 12 KiB (the rest
 * .bss), data of 512 bytes, a module of 3000 bytes and an empty one.
 */
static int setup(void **state)
{
	(void)state;
	memset(disk, 0, sizeof disk);
	*m = (struct mkb_manifest){
		.magic = MKB_MANIFEST_MAGIC, .version = MKB_MANIFEST_VERSION,
		.header_size = sizeof *m, .sectors = MANIFEST_SECTORS,
		.segment_count = 2, .segment_offset = sizeof *m,
		.module_count = 2, .module_offset = sizeof *m + 2 * sizeof(struct mkb_segment),
		.cmdline_offset = 400, .cmdline_length = 9,
		.entry = HH + 0x200010, .stack_top = UINT64_C(0xffffff0000000000), .stack_size = 0x10000,
		.direct_map_offset = UINT64_C(0xffff800000000000),
		.payload_lba = PAYLOAD_LBA, .payload_sectors = 16, .image_sectors = DISK_SECTORS,
	};
	*seg(0) = (struct mkb_segment){ HH + 0x200000, 0x200000, 1000, 0x3000, 0, MKB_SEG_R | MKB_SEG_X, 0 };
	*seg(1) = (struct mkb_segment){ HH + 0x300000, 0x300000, 512, 512, 1024, MKB_SEG_R | MKB_SEG_W, 2 };
	*mod(0) = (struct mkb_module){ 3000, 1536, 420, 4 };
	*mod(1) = (struct mkb_module){ 0, 4608, 430, 0 };
	memcpy((uint8_t *)m + 400, "a=1 b=two", 10);
	memcpy((uint8_t *)m + 420, "mod0", 5);
	for (uint64_t i = 0; i < 16 * 512; i++)
		*payload(i) = (uint8_t)(i * 37 + 1);
	seal();

	firmware[0] = (struct mm_range){ 0, 0x9fc00, MKBOOTIMG_MEM_USABLE };
	firmware[1] = (struct mm_range){ 0x9fc00, 0xa0000, MKBOOTIMG_MEM_RESERVED };
	firmware[2] = (struct mm_range){ 0xf0000, 0x100000, MKBOOTIMG_MEM_RESERVED };
	firmware[3] = (struct mm_range){ 1 * MiB, RAM_END, MKBOOTIMG_MEM_USABLE };
	firmware[4] = (struct mm_range){ 0xfffc0000, 4 * GiB, MKBOOTIMG_MEM_RESERVED };
	facts = (struct boot_facts){
		.memory_map = firmware, .memory_map_count = 5, .own = own, .own_count = 2,
		.manifest_lba = MANIFEST_LBA, .disk_sectors = DISK_SECTORS, .boot_drive = 0x80,
		.loader_name = "mkbootimg 0.1", .long_mode = 1, .nx = 1, .rsdp = 0,
	};
	fake_reset(1 * MiB, RAM_END - 1 * MiB);
	fake.disk = disk;
	fake.disk_size = sizeof disk;
	memset(&error, 0, sizeof error);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_release();
	return 0;
}

/* core_init, the allocator on its map (as the BIOS front-end does), core_load. */
static enum core_status load(void)
{
	core_init(&core, &facts);
	fake_allocate_from(core.ram, core.ram_count);
	return core_load(&core, &error);
}

static void boot(void)
{
	assert_int_equal(load(), CORE_OK);
	assert_int_equal(core_finish(&core, &handoff, &error), CORE_OK);
}

static void expect_stop(enum core_status code, const char *message)
{
	assert_int_equal(load(), code);
	assert_int_equal(error.code, code);
	assert_string_equal(error.message, message);
}

/* The type the kernel's map gives [base, end), or 0 when it is not one range's. */
static uint32_t type_of(const struct mkbootimg_info *info, uint64_t base, uint64_t end)
{
	const struct mkbootimg_memory_region *r = fake_at(info->memory_map);
	for (uint32_t i = 0; i < info->memory_map_count; i++)
		if (r[i].base <= base && end <= r[i].base + r[i].length)
			return r[i].type;
	return 0;
}

static void test_boot_native(void **state)
{
	(void)state;
	boot();
	assert_int_equal(handoff.protocol, MKB_PROTOCOL_NATIVE);
	assert_int_equal(handoff.entry, HH + 0x200010);
	assert_int_equal(handoff.stack_top, UINT64_C(0xffffff0000000000));
	assert_int_equal(handoff.nx, 1);
	assert_int_equal(handoff.page_tables, core.paging.root);

	/* The segments' bytes at their places, the rest of memsz zero. */
	assert_memory_equal(fake_at(0x200000), payload(0), 1000);
	const uint8_t *bss = fake_at(0x200000 + 1000);
	for (size_t i = 0; i < 0x3000 - 1000; i++)
		assert_int_equal(bss[i], 0);
	assert_memory_equal(fake_at(0x300000), payload(1024), 512);

	const struct mkbootimg_info *info = fake_at(handoff.info);
	assert_int_equal(info->magic, MKBOOTIMG_INFO_MAGIC);
	assert_int_equal(info->boot_drive, 0x80);
	assert_string_equal((const char *)fake_at(info->cmdline), "a=1 b=two");
	assert_string_equal((const char *)fake_at(info->loader_name), "mkbootimg 0.1");

	/* The module in fresh pages, its tail zeroed; the empty one has none. */
	const struct mkbootimg_module *mods = fake_at(info->modules);
	assert_int_equal(info->module_count, 2);
	assert_int_equal(mods[0].address % PAGE_SIZE, 0);
	assert_int_equal(mods[0].size, 3000);
	assert_memory_equal(fake_at(mods[0].address), payload(1536), 3000);
	assert_int_equal(*(const uint8_t *)fake_at(mods[0].address + 4095), 0);
	assert_string_equal((const char *)fake_at(mods[0].string), "mod0");
	assert_int_equal(mods[1].address, 0);
	assert_int_equal(mods[1].size, 0);

	/* The map: the BIOS's, with everything the loader placed marked. */
	assert_int_equal(type_of(info, 0, 0x1000), MKBOOTIMG_MEM_RESERVED);
	assert_int_equal(type_of(info, 0x1000, 0x60000), MKBOOTIMG_MEM_LOADER_RECLAIMABLE);
	assert_int_equal(type_of(info, 0x60000, 0x9f000), MKBOOTIMG_MEM_USABLE);
	assert_int_equal(type_of(info, 0x200000, 0x203000), MKBOOTIMG_MEM_KERNEL);
	assert_int_equal(type_of(info, 0x300000, 0x301000), MKBOOTIMG_MEM_KERNEL);
	assert_int_equal(type_of(info, mods[0].address, mods[0].address + 4096), MKBOOTIMG_MEM_MODULES);
	assert_int_equal(type_of(info, info->stack_physical, info->stack_physical + 0x10000),
	                 MKBOOTIMG_MEM_KERNEL_STACK);
	assert_int_equal(type_of(info, handoff.info, handoff.info + sizeof *info), MKBOOTIMG_MEM_BOOT_INFO);
	assert_int_equal(type_of(info, handoff.page_tables, handoff.page_tables + 4096), MKBOOTIMG_MEM_PAGE_TABLES);
	assert_int_equal(type_of(info, 0xfffc0000, 4 * GiB), MKBOOTIMG_MEM_RESERVED);
	const struct mkbootimg_memory_region *r = fake_at(info->memory_map);
	for (uint32_t i = 1; i < info->memory_map_count; i++)
		assert_true(r[i - 1].base + r[i - 1].length <= r[i].base);

	/* Nothing the loader allocated lies under the kernel or below 1 MiB. */
	for (size_t i = 0; i < core.claims.count; i++) {
		assert_true(core.claims.range[i].base >= 1 * MiB);
		assert_true(core.claims.range[i].end <= 0x200000 || core.claims.range[i].base >= 0x203000);
		assert_true(core.claims.range[i].end <= 0x300000 || core.claims.range[i].base >= 0x301000);
	}
}

/*
 * A relocatable kernel with KASLR (struct mkb_pie at manifest offset 448):
 * built at HH + 2 MiB (linked at 0), a table of two words in the payload
 * after the modules. The slide comes from the facts' entropy.
 */
static struct mkb_pie *kaslr_image(uint32_t count)
{
	struct mkb_pie *pie = (struct mkb_pie *)(void *)((uint8_t *)m + 448);
	uint32_t table[2] = { 0x10, 0x100008 }; /* in segment 0, in segment 1 */
	uint64_t words[2] = { HH + 0x200040, HH + 0x300000 };

	m->multiboot_offset = 448;
	*pie = (struct mkb_pie){ HH + 0x200000, 0, 6144, count,
				 MKB_PIE_RELOCATABLE | MKB_PIE_KASLR_BASE | MKB_PIE_KASLR_DIRECT_MAP, 512, 0 };
	memcpy(payload(6144), table, sizeof table);
	memcpy(payload(0x10), &words[0], 8);
	memcpy(payload(1024 + 8), &words[1], 8);
	seal();
	/* Low half: slot 3 of 512 (6 MiB); high half: the direct map's last slot. */
	facts.entropy = UINT64_C(0xffffffff00000000) | (3u << 23);
	return pie;
}

static void test_boot_kaslr(void **state)
{
	uint64_t slide = 6 * MiB, word;

	(void)state;
	kaslr_image(2);
	boot();
	assert_int_equal(handoff.entry, HH + 0x200010 + slide);
	assert_int_equal(handoff.stack_top, UINT64_C(0xffffff0000000000)); /* the stack stays */
	memcpy(&word, fake_at(0x200010), 8);
	assert_int_equal(word, HH + 0x200040 + slide);
	memcpy(&word, fake_at(0x300008), 8);
	assert_int_equal(word, HH + 0x300000 + slide);
	const struct mkbootimg_info *info = fake_at(handoff.info);
	assert_int_equal(info->kernel_slide, HH + 0x200000 + slide);
	assert_int_equal(info->kernel_virtual_base, HH + 0x200000 + slide);
	const struct mkbootimg_segment *segs = fake_at(info->segments);
	assert_int_equal(segs[0].virtual_address, HH + 0x200000 + slide);
	assert_int_equal(segs[0].physical_address, 0x200000);
	assert_int_equal(segs[1].virtual_address, HH + 0x300000 + slide);
	/* The direct map: whole GiB, moved to the last place where 4 GiB still fit. */
	assert_int_equal(info->direct_map_offset % GiB, 0);
	assert_int_equal(info->direct_map_offset, MKB_PIE_DIRECT_MAP_END - 4 * GiB);
	/* The table's pages go back to the kernel after entry. */
	assert_int_equal(type_of(info, core.pie_table, core.pie_table + 4096), MKBOOTIMG_MEM_LOADER_RECLAIMABLE);
}

/* Without KASLR: the base the tool built for, reported; nothing moves. */
static void test_boot_relocatable_fixed(void **state)
{
	(void)state;
	kaslr_image(0)->flags = MKB_PIE_RELOCATABLE;
	seal();
	boot();
	assert_int_equal(handoff.entry, HH + 0x200010);
	const struct mkbootimg_info *info = fake_at(handoff.info);
	assert_int_equal(info->kernel_slide, HH + 0x200000);
	assert_int_equal(info->kernel_virtual_base, HH + 0x200000);
	assert_int_equal(info->direct_map_offset, UINT64_C(0xffff800000000000));
}

/* A table word outside the segments' file bytes stops the boot; the table is summed. */
static void test_boot_kaslr_damaged(void **state)
{
	uint32_t outside = 0x100200; /* segment 1 has 512 file bytes */

	(void)state;
	kaslr_image(2);
	memcpy(payload(6144 + 4), &outside, 4);
	assert_int_equal(load(), CORE_CHECKSUM);
	seal();
	expect_stop(CORE_DAMAGED, "the image's manifest is damaged.\nRebuild the image with mkbootimg.");
}

/* A Multiboot 2 kernel: no page tables or stack, the information at EBX. */
static void test_boot_multiboot2(void **state)
{
	struct mkb_multiboot *mb = (void *)((uint8_t *)m + 512);

	(void)state;
	m->protocol = MKB_PROTOCOL_MULTIBOOT2;
	m->multiboot_offset = 512;
	m->entry = 0x200010;
	seg(0)->vaddr = 0x200000;
	seg(1)->vaddr = 0x300000;
	*mb = (struct mkb_multiboot){ .load_base = 0x200000 };
	boot();
	assert_int_equal(handoff.protocol, MKB_PROTOCOL_MULTIBOOT2);
	assert_int_equal(handoff.magic, MB2_BOOT_MAGIC);
	assert_int_equal(handoff.entry, 0x200010);
	assert_int_equal(handoff.page_tables, 0);
	const struct mb2_info_header *h = fake_at(handoff.info);
	assert_true(h->total_size >= 8 && h->total_size <= core.info_size);
	const struct mb2_string_tag *cmdline = fake_at(handoff.info + 8);
	assert_int_equal(cmdline->tag.type, MB2_CMDLINE);
	assert_string_equal(cmdline->string, "a=1 b=two");
}

/* A Multiboot kernel needs no long mode. */
static void test_boot_multiboot1_without_long_mode(void **state)
{
	struct mkb_multiboot *mb = (void *)((uint8_t *)m + 512);

	(void)state;
	m->protocol = MKB_PROTOCOL_MULTIBOOT1;
	m->multiboot_offset = 512;
	m->entry = 0x200010;
	*mb = (struct mkb_multiboot){ 0 };
	facts.long_mode = 0;
	boot();
	assert_int_equal(handoff.magic, MB1_BOOT_MAGIC);
	assert_string_equal((const char *)fake_at(((const struct mb1_info *)fake_at(handoff.info))->cmdline),
	                    "a=1 b=two");
}

static void test_boot_no_manifest(void **state)
{
	(void)state;
	m->magic = 0;
	expect_stop(CORE_NO_MANIFEST, "the image has no valid manifest at sector 40.\n"
	                              "Rebuild the image with mkbootimg.");
	assert_int_equal(fake.reads, 1); /* the rest is not read */
}

static void test_boot_damaged_header(void **state)
{
	(void)state;
	m->stack_size = 0;
	expect_stop(CORE_DAMAGED, "the image's manifest is damaged.\nRebuild the image with mkbootimg.");
}

static void test_boot_damaged_table(void **state)
{
	(void)state;
	seg(1)->filesz = 4096; /* more than memsz */
	expect_stop(CORE_DAMAGED, "the image's manifest is damaged.\nRebuild the image with mkbootimg.");
}

static void test_boot_truncated(void **state)
{
	(void)state;
	facts.disk_sectors = PAYLOAD_LBA + 15;
	expect_stop(CORE_TRUNCATED, "the image is truncated: the disk ends at sector 59, but the kernel's\n"
	                            "payload ends at sector 60. Write the whole image again.");
}

/* The disk's size unknown (0): no truncation check. */
static void test_boot_disk_size_unknown(void **state)
{
	(void)state;
	facts.disk_sectors = 0;
	boot();
}

/* Linked where it is loaded: the loader cannot move it. */
static void identity_linked(void)
{
	m->entry = 0x200010;
	seg(0)->vaddr = seg(0)->paddr;
	seg(1)->vaddr = seg(1)->paddr;
}

static void test_boot_placement_not_ram(void **state)
{
	(void)state;
	identity_linked();
	firmware[3].end = 0x300000; /* data falls in a hole... */
	firmware[5] = (struct mm_range){ 0x304000, RAM_END, MKBOOTIMG_MEM_USABLE };
	facts.memory_map_count = 6;
	expect_stop(CORE_PLACEMENT, "the kernel needs memory at 0x300000-0x3001ff (segment 2), which is\n"
	                            "not usable RAM here: this machine\nhas 31 MiB usable. Give it more memory\n"
	                            "(mkbootimg run --memory SIZE, QEMU's -m), or link the kernel elsewhere.");
}

static void test_boot_placement_beyond_ram(void **state)
{
	(void)state;
	identity_linked();
	firmware[3].end = 0x280000; /* ...or past the end of it */
	expect_stop(CORE_PLACEMENT, "the kernel needs memory at 0x300000-0x3001ff (segment 2), beyond the\n"
	                            "end of RAM: this machine\nhas only 2 MiB usable. Give it more memory\n"
	                            "(mkbootimg run --memory SIZE, QEMU's -m), or link the kernel lower.");
}

/* A Multiboot kernel's section copy is named as the tool names it. */
static void test_boot_placement_names_a_section(void **state)
{
	(void)state;
	identity_linked();
	seg(1)->elf_index = MKB_SECTION_INDEX + 5;
	firmware[3].end = 0x280000;
	expect_stop(CORE_PLACEMENT, "the kernel needs memory at 0x300000-0x3001ff (section 5), beyond the\n"
	                            "end of RAM: this machine\nhas only 2 MiB usable. Give it more memory\n"
	                            "(mkbootimg run --memory SIZE, QEMU's -m), or link the kernel lower.");
}

/* The firmware uses 2-4 MiB, where the higher-half kernel was planned: its
 * physical image moves as one block (same offsets, same offset in 2 MiB),
 * its virtual addresses stay, and the boot information, the kernel's map
 * and the page tables all say where it went. */
static void test_boot_higher_half_moved(void **state)
{
	(void)state;
	firmware[3].end = 0x200000;
	firmware[5] = (struct mm_range){ 0x200000, 0x400000, MKBOOTIMG_MEM_RESERVED };
	firmware[6] = (struct mm_range){ 0x400000, RAM_END, MKBOOTIMG_MEM_USABLE };
	facts.memory_map_count = 7;
	boot();
	const struct mkbootimg_info *info = fake_at(handoff.info);
	const struct mkbootimg_segment *s = fake_at(info->segments);
	uint64_t text = s[0].physical_address, data = s[1].physical_address;
	assert_true(text >= 0x400000);
	assert_int_equal(text % (2 * MiB), 0);
	assert_int_equal(data - text, 0x100000);
	assert_int_equal(s[0].virtual_address, HH + 0x200000);
	assert_int_equal(s[1].virtual_address, HH + 0x300000);
	assert_memory_equal(fake_at(text), payload(0), 1000);
	assert_memory_equal(fake_at(data), payload(1024), 512);
	assert_int_equal(type_of(info, text, text + 0x3000), MKBOOTIMG_MEM_KERNEL);
	assert_int_equal(type_of(info, data, data + 0x1000), MKBOOTIMG_MEM_KERNEL);
	assert_int_equal(type_of(info, 0x200000, 0x400000), MKBOOTIMG_MEM_RESERVED);
	/* The page tables map the virtual addresses to the new place. */
	uint64_t va = HH + 0x300000, table = handoff.page_tables;
	for (int level = 4; level >= 1; level--) {
		uint64_t e = ((const uint64_t *)fake_at(table))[(va >> (12 + 9 * (level - 1))) & 511];
		assert_true(e & PTE_P);
		table = e & PTE_ADDRESS;
	}
	assert_int_equal(table, data);
	assert_string_equal(fake.log, "the kernel's memory at 0x200000-0x300fff is in use: moved to 0x400000");
}

/* No free block large enough to move it to: the stop names the planned
 * range, as for a kernel that cannot move... */
static void test_boot_higher_half_no_room(void **state)
{
	(void)state;
	firmware[3].end = 0x200000;
	firmware[5] = (struct mm_range){ 0x200000, RAM_END, MKBOOTIMG_MEM_RESERVED };
	facts.memory_map_count = 6;
	expect_stop(CORE_PLACEMENT, "the kernel needs memory at 0x200000-0x202fff (segment 0), beyond the\n"
	                            "end of RAM: this machine\nhas only 1 MiB usable. Give it more memory\n"
	                            "(mkbootimg run --memory SIZE, QEMU's -m), or link the kernel lower.");
}

/* ...and on UEFI, where the firmware's memory is, without advising the
 * higher half it already has. */
static void test_boot_higher_half_no_room_uefi(void **state)
{
	(void)state;
	facts.firmware = MKBOOTIMG_FIRMWARE_UEFI;
	firmware[3].end = 0x200000;
	firmware[5] = (struct mm_range){ 0x200000, 0x400000, MKBOOTIMG_MEM_RESERVED };
	firmware[6] = (struct mm_range){ 0x400000, 0x500000, MKBOOTIMG_MEM_USABLE };
	facts.memory_map_count = 7;
	expect_stop(CORE_PLACEMENT, "the kernel needs memory at 0x200000-0x202fff (segment 0), which the\n"
	                            "firmware uses on this machine. Link the kernel at another physical address.");
}

/* Reserving the planned range fails (a UEFI firmware took it since its map):
 * a higher-half kernel moves... */
static void test_boot_taken_range_moves(void **state)
{
	(void)state;
	fake.taken_base = 0x300000;
	fake.taken_end = 0x301000;
	boot();
	const struct mkbootimg_segment *s = fake_at(((const struct mkbootimg_info *)fake_at(handoff.info))->segments);
	assert_true(s[1].physical_address != 0x300000);
	assert_int_equal(s[1].physical_address - s[0].physical_address, 0x100000);
}

/* ...an identity-linked one stops, naming the range and what to do. */
static void test_boot_taken_range_identity(void **state)
{
	(void)state;
	identity_linked();
	fake.taken_base = 0x300000;
	fake.taken_end = 0x301000;
	expect_stop(CORE_PLACEMENT, "the kernel needs memory at 0x300000-0x3001ff (segment 2), which the\n"
	                            "firmware uses on this machine. Link the kernel at another physical address,\n"
	                            "or higher-half: the loader places such a kernel where memory is free.");
}

/* A Multiboot kernel is entered at physical addresses: it never moves. */
static void test_boot_taken_range_multiboot(void **state)
{
	struct mkb_multiboot *mb = (void *)((uint8_t *)m + 512);

	(void)state;
	m->protocol = MKB_PROTOCOL_MULTIBOOT1;
	m->multiboot_offset = 512;
	*mb = (struct mkb_multiboot){ 0 };
	identity_linked();
	fake.taken_base = 0x200000;
	fake.taken_end = 0x201000;
	expect_stop(CORE_PLACEMENT, "the kernel needs memory at 0x200000-0x202fff (segment 0), which the\n"
	                            "firmware uses on this machine. Link the kernel at another physical address.");
}

/*
 * A segment linked low at 1-2 MiB but loaded at 3 MiB, whose virtual range
 * the firmware uses in part (its first page): the identity map there gives
 * way to the kernel's mapping, so none of the loader's structures for the
 * kernel may lie anywhere in 1-2 MiB, the lowest free memory, where the
 * allocator would look first.
 */
static void test_boot_taken_virtual_range_kept_out(void **state)
{
	static const uint32_t loader_types[] = { MKBOOTIMG_MEM_KERNEL_STACK, MKBOOTIMG_MEM_PAGE_TABLES,
						 MKBOOTIMG_MEM_BOOT_INFO, MKBOOTIMG_MEM_MODULES };

	(void)state;
	*seg(1) = (struct mkb_segment){ 0x100000, 0x300000, 512, 0x100000, 1024, MKB_SEG_R | MKB_SEG_W, 2 };
	fake.taken_base = 0x100000;
	fake.taken_end = 0x101000;
	boot();
	const struct mkbootimg_info *info = fake_at(handoff.info);
	const struct mkbootimg_memory_region *r = fake_at(info->memory_map);
	assert_true(handoff.info >= 0x200000);
	assert_true(handoff.page_tables >= 0x200000);
	for (uint32_t i = 0; i < info->memory_map_count; i++)
		for (size_t t = 0; t < sizeof loader_types / sizeof loader_types[0]; t++)
			if (r[i].type == loader_types[t] && r[i].base < 0x200000 && r[i].base + r[i].length > 0x100000)
				fail_msg("type 0x%x at 0x%llx-0x%llx, inside the kernel's virtual 1-2 MiB", r[i].type,
					 (unsigned long long)r[i].base, (unsigned long long)(r[i].base + r[i].length));
}

/* A UEFI map: 2-4 MiB is not usable RAM (the firmware's runtime services,
 * say) though RAM goes on above it; nothing reserved at run time. */
static void uefi_uses_2_to_4_mib(void)
{
	facts.firmware = MKBOOTIMG_FIRMWARE_UEFI;
	firmware[3].end = 0x200000;
	firmware[5] = (struct mm_range){ 0x200000, 0x400000, MKBOOTIMG_MEM_RESERVED };
	firmware[6] = (struct mm_range){ 0x400000, RAM_END, MKBOOTIMG_MEM_USABLE };
	facts.memory_map_count = 7;
}

/* The firmware's map, not a refused reservation, says an identity-linked
 * kernel's range is the firmware's: the stop says so, and what to do... */
static void test_boot_uefi_map_identity(void **state)
{
	(void)state;
	identity_linked();
	uefi_uses_2_to_4_mib();
	expect_stop(CORE_PLACEMENT, "the kernel needs memory at 0x200000-0x202fff (segment 0), which the\n"
	                            "firmware uses on this machine. Link the kernel at another physical address,\n"
	                            "or higher-half: the loader places such a kernel where memory is free.");
	assert_string_equal(fake.log, ""); /* nothing moved */
}

/* ...and the same for a Multiboot kernel, which no link makes movable. */
static void test_boot_uefi_map_multiboot(void **state)
{
	struct mkb_multiboot *mb = (void *)((uint8_t *)m + 512);

	(void)state;
	m->protocol = MKB_PROTOCOL_MULTIBOOT2;
	m->multiboot_offset = 512;
	*mb = (struct mkb_multiboot){ .load_base = 0x200000 };
	identity_linked();
	uefi_uses_2_to_4_mib();
	expect_stop(CORE_PLACEMENT, "the kernel needs memory at 0x200000-0x202fff (segment 0), which the\n"
	                            "firmware uses on this machine. Link the kernel at another physical address.");
}

static void test_boot_no_long_mode(void **state)
{
	(void)state;
	facts.long_mode = 0;
	expect_stop(CORE_NO_LONG_MODE, "this CPU does not support 64-bit long mode, which the kernel needs.\n"
	                               "Boot it on an x86-64 machine (QEMU: a 64-bit -cpu).");
}

static void test_boot_checksum_mismatch(void **state)
{
	char want[200];

	(void)state;
	*payload(1536 + 2999) ^= 1; /* the module's last byte */
	struct mkb_checksum sum;
	mkb_checksum_init(&sum);
	mkb_checksum_add(&sum, payload(0), 1000);
	mkb_checksum_add(&sum, payload(1024), 512);
	mkb_checksum_add(&sum, payload(1536), 3000);
	snprintf(want, sizeof want, "the kernel in this image is damaged: payload checksum mismatch\n"
	         "(expected 0x%llx, read 0x%llx). Write the image again.",
	         (unsigned long long)m->payload_checksum, (unsigned long long)mkb_checksum_value(&sum));
	expect_stop(CORE_CHECKSUM, want);
}

/* The checksum's padding: a segment whose file bytes end mid-word sums
 * the zero padding, not the byte that follows on the disk. */
static void test_boot_checksum_pads_the_last_word(void **state)
{
	(void)state;
	*payload(1000) = 0xee; /* after text's 1000 bytes, in its last sector */
	boot();
}

static void test_boot_read_error(void **state)
{
	(void)state;
	fake.fail_lba = PAYLOAD_LBA + 3;
	expect_stop(CORE_READ, "disk read failed at sector 47");
}

static void test_boot_no_memory(void **state)
{
	(void)state;
	m->stack_size = 30 * MiB; /* more than is left of 31 MiB */
	expect_stop(CORE_NO_MEMORY, "not enough free memory below 4 GiB for the modules, page tables and boot\n"
	                            "information (30720 KiB more). Give it more memory\n"
	                            "(mkbootimg run --memory SIZE, QEMU's -m).");
}

static void test_boot_too_many_reserved(void **state)
{
	(void)state;
	core_init(&core, &facts);
	fake_allocate_from(core.ram, core.ram_count);
	for (uint64_t i = fake.allocator.used_count; i < PHYSMEM_MAX_RANGES; i++)
		physmem_reserve(&fake.allocator, 8 * GiB + 2 * i * PAGE_SIZE, 8 * GiB + (2 * i + 1) * PAGE_SIZE);
	assert_int_equal(core_load(&core, &error), CORE_TOO_MANY);
	assert_string_equal(error.message, "too many kernel segments (at most 128).");
}

/* 64 one-page modules in RAM that comes in single pages: every claim stands
 * alone, and the 65th region the loader would record is refused. */
static void test_boot_fragmented(void **state)
{
	(void)state;
	m->module_count = 64;
	for (uint32_t i = 0; i < 64; i++)
		*mod(i) = (struct mkb_module){ 16, 1536, 420, 4 };
	m->cmdline_offset = m->module_offset + 64 * sizeof(struct mkb_module);
	memcpy((uint8_t *)m + m->cmdline_offset, "a=1 b=two", 10);
	seal();
	/* Usable single pages from 1 MiB on, each with a reserved page above it. */
	static struct mm_range map[140];
	size_t n = 0;
	map[n++] = (struct mm_range){ 0x200000, RAM_END, MKBOOTIMG_MEM_USABLE };
	for (uint64_t i = 0; i < 128; i++)
		map[n++] = (struct mm_range){ 1 * MiB + i * 2 * PAGE_SIZE, 1 * MiB + (2 * i + 1) * PAGE_SIZE,
		                              MKBOOTIMG_MEM_USABLE };
	facts.memory_map = map;
	facts.memory_map_count = n;
	expect_stop(CORE_FRAGMENTED, "the memory map is too fragmented (over 64 regions).");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)


/* ---- Linux boot protocol ---- */

static struct mkb_linux *lx(void)
{
	return (struct mkb_linux *)(void *)((uint8_t *)m + 512);
}

static uint32_t bp32(const uint8_t *bp, unsigned off)
{
	uint32_t v;
	memcpy(&v, bp + off, 4);
	return v;
}

/*
 * A relocatable Linux kernel with a 64-bit entry: 1000 bytes of code in a
 * 4 MiB window at 2 MiB (2 MiB alignment), an initrd of 3000 bytes at
 * payload offset 1536, initrd_addr_max 16 MiB, protocol 2.15.
 */
static void linux_kernel(uint16_t flags)
{
	m->protocol = MKB_PROTOCOL_LINUX;
	m->multiboot_offset = 512;
	m->module_count = 0;
	m->segment_count = 1;
	m->entry = 0x200200;
	*seg(0) = (struct mkb_segment){ 0x200000, 0x200000, 1000, 0x400000, 0, 7, 0 };
	*lx() = (struct mkb_linux){
		.initrd_payload_offset = 1536, .initrd_size = 3000, .kernel_alignment = 0x200000,
		.initrd_addr_max = 0xffffff, .cmdline_size = 2047, .version = 0x20f, .xloadflags = 0x7f,
		.flags = flags, .header_size = 0x26c - 0x1f1,
	};
	lx()->header[0x211 - 0x1f1] = 0x20 | 0x80; /* loadflags: QUIET and CAN_USE_HEAP, no LOADED_HIGH */
	memcpy(lx()->header + 0x202 - 0x1f1, "HdrS", 4);
	seal();
}

static const uint8_t *boot_params(void)
{
	return fake_at(handoff.info);
}

/* boot_params as boot.rst asks, the initrd below initrd_addr_max clear of
 * the window, the 64-bit entry with its tables and stack. */
static void test_boot_linux64(void **state)
{
	(void)state;
	linux_kernel(MKB_LINUX_RELOCATABLE | MKB_LINUX_ENTRY64);
	memset(fake_at(0x200000 + 1000), 0xcc, 16); /* the window past the file is left as it is */
	facts.rsdp = 0xe0000;
	boot();
	assert_int_equal(handoff.protocol, MKB_PROTOCOL_LINUX);
	assert_int_equal(handoff.entry, 0x200200);
	assert_true(handoff.page_tables != 0);
	assert_int_equal(handoff.stack_top, handoff.info + core.info_size);
	const uint8_t *bp = boot_params();
	assert_memory_equal(bp + 0x202, "HdrS", 4);
	assert_int_equal(bp[0x1ef], 0);                 /* the sentinel */
	assert_int_equal(bp[0x210], 0xff);              /* type_of_loader */
	assert_int_equal(bp[0x211], 0x81);              /* LOADED_HIGH set, QUIET clear */
	assert_int_equal(bp32(bp, 0x1fa) & 0xffff, 0xffff); /* vid_mode */
	assert_int_equal(bp32(bp, 0x214), 0x200000);    /* code32_start */
	assert_string_equal((const char *)fake_at(bp32(bp, 0x228)), "a=1 b=two");
	uint32_t initrd = bp32(bp, 0x218);
	assert_int_equal(bp32(bp, 0x21c), 3000);
	assert_int_equal(initrd & 0xfff, 0);
	assert_true(initrd + 3000 <= 0x1000000);
	assert_true(initrd >= 0x600000 || initrd + 4096 <= 0x200000);
	assert_memory_equal(fake_at(initrd), payload(1536), 3000);
	assert_int_equal(*(const uint8_t *)fake_at(0x200000 + 1000), 0xcc);
	assert_memory_equal(fake_at(0x200000), payload(0), 1000);
	assert_int_equal(bp32(bp, 0x070), 0xe0000);     /* acpi_rsdp_addr */
	assert_int_equal(bp[0x00f], 1);                 /* screen_info: VGA text */
	assert_int_equal(bp[0x007], 80);
	assert_int_equal(bp32(bp, 0x1c0), 0);           /* no efi_info on a BIOS */
	/* e820: the firmware's map as it is, five entries */
	assert_int_equal(bp[0x1e8], 5);
	assert_int_equal(bp32(bp, 0x2d0 + 3 * 20), 1 * MiB);
	assert_int_equal(bp32(bp, 0x2d0 + 3 * 20 + 8), RAM_END - 1 * MiB);
	assert_int_equal(bp32(bp, 0x2d0 + 3 * 20 + 16), 1);
	assert_int_equal(bp32(bp, 0x2d0 + 4 * 20 + 16), 2);
}

/* The 32-bit entry: at the load address, paging off; a 64-bit kernel's too
 * on a CPU without long mode, where the kernel says what it needs. */
static void test_boot_linux32(void **state)
{
	(void)state;
	linux_kernel(MKB_LINUX_RELOCATABLE);
	boot();
	assert_int_equal(handoff.entry, 0x200000);
	assert_int_equal(handoff.page_tables, 0);
}

static void test_boot_linux64_without_long_mode(void **state)
{
	(void)state;
	linux_kernel(MKB_LINUX_RELOCATABLE | MKB_LINUX_ENTRY64);
	facts.long_mode = 0;
	boot();
	assert_int_equal(handoff.entry, 0x200000);
	assert_int_equal(handoff.page_tables, 0);
}

/* A relocatable kernel whose window the firmware uses moves to another multiple of its alignment. */
static void test_boot_linux_moved(void **state)
{
	(void)state;
	linux_kernel(MKB_LINUX_RELOCATABLE | MKB_LINUX_ENTRY64);
	uefi_uses_2_to_4_mib();
	boot();
	uint32_t at = bp32(boot_params(), 0x214);
	assert_true(at != 0x200000);
	assert_int_equal(at & 0x1fffff, 0);
	assert_int_equal(handoff.entry, at + 0x200);
	assert_memory_equal(fake_at(at), payload(0), 1000);
}

/* ...never below pref_address (nor 16 MiB): Linux's decompressor would
 * move up there, over what the loader placed. */
static void linux_pref_address(uint64_t pref)
{
	memcpy(lx()->header + 0x258 - 0x1f1, &pref, 8);
	seal();
}

static void test_boot_linux_moved_above_pref_address(void **state)
{
	(void)state;
	linux_kernel(MKB_LINUX_RELOCATABLE | MKB_LINUX_ENTRY64);
	linux_pref_address(0x1400000);
	uefi_uses_2_to_4_mib();
	boot();
	uint32_t at = bp32(boot_params(), 0x214);
	assert_true(at >= 0x1400000);
	assert_int_equal(at & 0x1fffff, 0);
	assert_int_equal(handoff.entry, at + 0x200);
	assert_memory_equal(fake_at(at), payload(0), 1000);
}

/* ...and stops when no free block is there above it. */
static void test_boot_linux_moved_no_room_above_pref_address(void **state)
{
	(void)state;
	linux_kernel(MKB_LINUX_RELOCATABLE | MKB_LINUX_ENTRY64);
	linux_pref_address(RAM_END - 2 * MiB);
	uefi_uses_2_to_4_mib();
	assert_int_equal(load(), CORE_PLACEMENT);
}

/* ...one that is not relocatable stops, naming its range. */
static void test_boot_linux_not_relocatable(void **state)
{
	(void)state;
	linux_kernel(MKB_LINUX_ENTRY64);
	fake.taken_base = 0x300000;
	fake.taken_end = 0x301000;
	expect_stop(CORE_PLACEMENT, "the kernel needs memory at 0x200000-0x5fffff (segment 0), which the\n"
	                            "firmware uses on this machine. Link the kernel at another physical address.");
}

/* No room for the initrd below initrd_addr_max: the stop says which limit. */
static void test_boot_linux_initrd_no_room(void **state)
{
	(void)state;
	linux_kernel(MKB_LINUX_RELOCATABLE | MKB_LINUX_ENTRY64);
	lx()->initrd_addr_max = 0xfffff; /* below 1 MiB: the BIOS's and the loader's, kept out */
	expect_stop(CORE_NO_MEMORY, "not enough free memory below initrd_addr_max for the initrd (4 KiB more). "
	                            "Give it more memory\n(mkbootimg run --memory SIZE, QEMU's -m).");
}

/* The checksum covers the initrd. */
static void test_boot_linux_initrd_checksummed(void **state)
{
	(void)state;
	linux_kernel(MKB_LINUX_RELOCATABLE | MKB_LINUX_ENTRY64);
	payload(1536)[2999] ^= 1;
	assert_int_equal(load(), CORE_CHECKSUM);
}

/* On UEFI: efi_info (signature "EL64", the system table and final map) and the GOP screen. */
static void test_boot_linux_uefi(void **state)
{
	(void)state;
	linux_kernel(MKB_LINUX_RELOCATABLE | MKB_LINUX_ENTRY64);
	facts.firmware = MKBOOTIMG_FIRMWARE_UEFI;
	facts.efi = (struct mkb_efi_facts){ UINT64_C(0x1234567000), 0x7f000000, 0x600, 48, 1 };
	facts.framebuffer = (struct mkbootimg_framebuffer){ .address = 0x80000000, .width = 800,
		.height = 600, .pitch = 3200, .bpp = 32, .red_size = 8, .red_shift = 16,
		.green_size = 8, .green_shift = 8, .blue_size = 8, .blue_shift = 0 };
	boot();
	const uint8_t *bp = boot_params();
	assert_memory_equal(bp + 0x1c0, "EL64", 4);
	assert_int_equal(bp32(bp, 0x1c4), 0x34567000);
	assert_int_equal(bp32(bp, 0x1d8), 0x12);
	assert_int_equal(bp32(bp, 0x1c8), 48);
	assert_int_equal(bp32(bp, 0x1cc), 1);
	assert_int_equal(bp32(bp, 0x1d0), 0x7f000000);
	assert_int_equal(bp32(bp, 0x1d4), 0x600);
	assert_int_equal(bp[0x00f], 0x70);              /* VIDEO_TYPE_EFI */
	assert_int_equal(bp32(bp, 0x018), 0x80000000);  /* lfb_base */
	assert_int_equal(bp32(bp, 0x012) & 0xffff, 800);
	assert_int_equal(bp32(bp, 0x024) & 0xffff, 3200);
	assert_int_equal(bp[0x026], 8);                 /* red_size */
	assert_int_equal(bp[0x027], 16);                /* red_pos */
	assert_int_equal(bp32(bp, 0x01c), 3200 * 600);  /* lfb_size: bytes for EFI */
}

/* On UEFI without a framebuffer: screen_info zeroed, not VGA text. */
static void test_boot_linux_uefi_no_screen(void **state)
{
	(void)state;
	linux_kernel(MKB_LINUX_RELOCATABLE | MKB_LINUX_ENTRY64);
	facts.firmware = MKBOOTIMG_FIRMWARE_UEFI;
	facts.efi = (struct mkb_efi_facts){ UINT64_C(0x1234567000), 0x7f000000, 0x600, 48, 1 };
	boot();
	const uint8_t *bp = boot_params();
	for (int i = 0; i < 0x40; i++)
		assert_int_equal(bp[i], 0);
}

/* A VESA framebuffer on a BIOS: VIDEO_TYPE_VLFB, lfb_size in 64 KiB units (rounded up). */
static void test_boot_linux_vlfb(void **state)
{
	(void)state;
	linux_kernel(MKB_LINUX_RELOCATABLE | MKB_LINUX_ENTRY64);
	facts.framebuffer = (struct mkbootimg_framebuffer){ .address = 0xfd000000, .width = 800,
		.height = 600, .pitch = 3200, .bpp = 32, .red_size = 8, .red_shift = 16,
		.green_size = 8, .green_shift = 8, .blue_size = 8, .blue_shift = 0 };
	boot();
	const uint8_t *bp = boot_params();
	assert_int_equal(bp[0x00f], 0x23);              /* VIDEO_TYPE_VLFB */
	assert_int_equal(bp32(bp, 0x018), 0xfd000000);  /* lfb_base */
	assert_int_equal(bp32(bp, 0x01c), 30);          /* lfb_size: 1920000 bytes, 30 units */
}

/*
 * iPXE's .lkrn as the tool writes it: protocol 2.07, not relocatable, no
 * protected-mode entry; its real-mode part (2 sectors, loadflags QUIET)
 * the payload's last sectors. Memory from 0 on, as a BIOS has it.
 */
static uint8_t *real_mode_kernel(void)
{
	uint8_t *setup = payload(14 * 512);

	linux_kernel(MKB_LINUX_REAL_MODE);
	lx()->version = 0x207;
	lx()->xloadflags = 0;
	lx()->setup_sectors = 2;
	setup[0x1f1] = 1;
	setup[0x211] = 0x21; /* LOADED_HIGH, QUIET */
	memcpy(setup + 0x202, "HdrS", 4);
	seal();
	facts.conventional_end = 0x9fc00; /* the EBDA at 0x9fc00, as SeaBIOS has it */
	fake_reset(0, RAM_END);
	fake.disk = disk;
	fake.disk_size = sizeof disk;
	return setup;
}

/* The real-mode part at the highest X below the EBDA, its header as boot.rst
 * asks for a real-mode boot; no boot_params and no page tables of the loader's. */
static void test_boot_linux_real_mode(void **state)
{
	(void)state;
	uint8_t *setup = real_mode_kernel();
	boot();
	assert_int_equal(handoff.protocol, MKB_PROTOCOL_LINUX);
	assert_int_equal(handoff.segment, 0x8f00);       /* 0x9fc00 - 64 KiB, page-aligned down */
	assert_int_equal(handoff.page_tables, 0);
	const uint8_t *x = fake_at(0x8f000);
	assert_memory_equal(x, setup, 0x1f1);            /* the boot sector as in the file */
	assert_memory_equal(x + 0x202, "HdrS", 4);
	assert_int_equal(x[0x210], 0xff);                /* type_of_loader */
	assert_int_equal(x[0x211], 0x81);                /* LOADED_HIGH | CAN_USE_HEAP, QUIET clear */
	assert_int_equal(bp32(x, 0x224) & 0xffff, 0xde00); /* heap_end_ptr: 0xe000 - 0x200 */
	assert_int_equal(bp32(x, 0x228), 0x9d000);       /* cmd_line_ptr: X + 0xe000 */
	assert_string_equal((const char *)fake_at(0x9d000), "a=1 b=two");
	assert_int_equal(bp32(x, 0x214), 0x200000);      /* code32_start: where the rest is */
	assert_int_equal(bp32(x, 0x1fa) & 0xffff, 0xffff); /* vid_mode */
	assert_int_equal(bp32(x, 0x21c), 3000);
	assert_memory_equal(fake_at(bp32(x, 0x218)), payload(1536), 3000);
	assert_memory_equal(x + 0x400, setup + 0x400, 0x400); /* the setup code */
	assert_memory_equal(fake_at(0x200000), payload(0), 1000);
}

/* Without an EBDA, the traditional 0x90000; too little conventional memory stops. */
static void test_boot_linux_real_mode_segment(void **state)
{
	(void)state;
	real_mode_kernel();
	firmware[0].end = 0xa0000;
	firmware[1] = (struct mm_range){ 0xe0000, 0xf0000, MKBOOTIMG_MEM_RESERVED };
	facts.conventional_end = 0xa0000;
	boot();
	assert_int_equal(handoff.segment, 0x9000);
	facts.conventional_end = 0x68000;
	expect_stop(CORE_LOW_MEMORY, "conventional memory ends at 0x68000: the kernel's real-mode setup code\n"
	                             "needs 64 KiB of it free above the loader's (0x60000), below the EBDA.");
}

/* The checksum covers the real-mode part; UEFI stops, saying the kernel needs a BIOS. */
static void test_boot_linux_real_mode_refused(void **state)
{
	(void)state;
	uint8_t *setup = real_mode_kernel();
	setup[0x300] ^= 1;
	assert_int_equal(load(), CORE_CHECKSUM);
	setup[0x300] ^= 1;
	facts.firmware = MKBOOTIMG_FIRMWARE_UEFI;
	expect_stop(CORE_NEEDS_BIOS, "this Linux kernel starts only through its real-mode setup code\n"
	                             "(code32_start 0, as iPXE's .lkrn), which needs a BIOS: UEFI has no real mode.\n"
	                             "Boot this image on a BIOS (QEMU without OVMF), or iPXE's ipxe.efi on UEFI.");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_boot_native),
		T(test_boot_multiboot2),
		T(test_boot_multiboot1_without_long_mode),
		T(test_boot_no_manifest),
		T(test_boot_damaged_header),
		T(test_boot_damaged_table),
		T(test_boot_truncated),
		T(test_boot_disk_size_unknown),
		T(test_boot_placement_not_ram),
		T(test_boot_placement_beyond_ram),
		T(test_boot_placement_names_a_section),
		T(test_boot_higher_half_moved),
		T(test_boot_higher_half_no_room),
		T(test_boot_higher_half_no_room_uefi),
		T(test_boot_taken_range_moves),
		T(test_boot_taken_range_identity),
		T(test_boot_taken_range_multiboot),
		T(test_boot_taken_virtual_range_kept_out),
		T(test_boot_uefi_map_identity),
		T(test_boot_uefi_map_multiboot),
		T(test_boot_no_long_mode),
		T(test_boot_checksum_mismatch),
		T(test_boot_checksum_pads_the_last_word),
		T(test_boot_read_error),
		T(test_boot_no_memory),
		T(test_boot_too_many_reserved),
		T(test_boot_fragmented),
		T(test_boot_linux64),
		T(test_boot_linux32),
		T(test_boot_linux64_without_long_mode),
		T(test_boot_linux_moved),
		T(test_boot_linux_moved_above_pref_address),
		T(test_boot_linux_moved_no_room_above_pref_address),
		T(test_boot_linux_not_relocatable),
		T(test_boot_linux_initrd_no_room),
		T(test_boot_linux_initrd_checksummed),
		T(test_boot_linux_uefi),
		T(test_boot_linux_uefi_no_screen),
		T(test_boot_linux_vlfb),
		T(test_boot_linux_real_mode),
		T(test_boot_linux_real_mode_segment),
		T(test_boot_linux_real_mode_refused),
		T(test_boot_kaslr),
		T(test_boot_relocatable_fixed),
		T(test_boot_kaslr_damaged),
	};
	return cmocka_run_group_tests_name("core-boot", tests, NULL, NULL);
}
