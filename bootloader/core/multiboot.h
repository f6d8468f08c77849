/*
 * Multiboot 1 and Multiboot 2 boot information: the structures of both
 * specifications (Multiboot 0.6.96 section 3.3, Multiboot2 1.0 section 3.6),
 * and their builders. The tool has read the kernel's header: the manifest's
 * struct mkb_multiboot says what to describe.
 */
#ifndef MKB_CORE_MULTIBOOT_H
#define MKB_CORE_MULTIBOOT_H

#include <stddef.h>
#include <stdint.h>

#include <mkbootimg/image.h>
#include <mkbootimg/protocol.h>

#include "request.h"

#define MB1_BOOT_MAGIC 0x2badb002u /* EAX at a Multiboot 1 kernel's entry */
#define MB2_BOOT_MAGIC 0x36d76289u /* EAX at a Multiboot 2 kernel's entry */

#define MB_PACKED __attribute__((packed))

/* ---- Multiboot 1 ---- */

/* The framebuffer fields both versions share (Multiboot 1 from offset 88). */
struct mb_framebuffer {
	uint64_t addr;
	uint32_t pitch, width, height;
	uint8_t bpp, type;
} MB_PACKED;

#define MB_FB_RGB 1
#define MB_FB_EGA_TEXT 2


enum {
	MB1_MEMORY = 1u << 0, MB1_BOOT_DEVICE = 1u << 1, MB1_CMDLINE = 1u << 2, MB1_MODS = 1u << 3,
	MB1_ELF_SHDR = 1u << 5, MB1_MMAP = 1u << 6, MB1_LOADER_NAME = 1u << 9, MB1_VBE = 1u << 11,
	MB1_FRAMEBUFFER = 1u << 12,
};

struct mb1_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;  /* KiB from 0 (at most 640) and from 1 MiB */
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t shdr_num, shdr_size, shdr_addr, shdr_shndx;
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
	uint32_t apm_table;
	uint32_t vbe_control_info, vbe_mode_info;
	uint16_t vbe_mode, vbe_interface_seg, vbe_interface_off, vbe_interface_len;
	struct mb_framebuffer framebuffer;
	uint8_t color_info[6]; /* RGB: red shift, size, green shift, size, blue shift, size */
} MB_PACKED;

struct mb1_module {
	uint32_t start, end, string, reserved;
} MB_PACKED;

struct mb1_mmap_entry {
	uint32_t size; /* 20: the bytes after this field */
	uint64_t base, length;
	uint32_t type;
} MB_PACKED;

_Static_assert(sizeof(struct mb1_info) == 116, "Multiboot 1 information: 116 bytes");
_Static_assert(offsetof(struct mb1_info, cmdline) == 16, "mb1_info.cmdline at 16");
_Static_assert(offsetof(struct mb1_info, shdr_num) == 28, "mb1_info.shdr_num at 28");
_Static_assert(offsetof(struct mb1_info, mmap_length) == 44, "mb1_info.mmap_length at 44");
_Static_assert(offsetof(struct mb1_info, boot_loader_name) == 64, "mb1_info.boot_loader_name at 64");
_Static_assert(offsetof(struct mb1_info, vbe_control_info) == 72, "mb1_info.vbe_control_info at 72");
_Static_assert(offsetof(struct mb1_info, vbe_mode) == 80, "mb1_info.vbe_mode at 80");
_Static_assert(offsetof(struct mb1_info, framebuffer) == 88, "mb1_info.framebuffer at 88");
_Static_assert(sizeof(struct mb_framebuffer) == 22, "framebuffer fields: 22 bytes");
_Static_assert(offsetof(struct mb1_info, color_info) == 110, "mb1_info.color_info at 110");
_Static_assert(sizeof(struct mb1_module) == 16, "Multiboot 1 module: 16 bytes");
_Static_assert(sizeof(struct mb1_mmap_entry) == 24, "Multiboot 1 map entry: 24 bytes");
_Static_assert(offsetof(struct mb1_mmap_entry, type) == 20, "mb1_mmap_entry.type at 20");

/* ---- Multiboot 2: tags, each 8-byte aligned ---- */

enum {
	MB2_END = 0, MB2_CMDLINE = 1, MB2_LOADER_NAME = 2, MB2_MODULE = 3, MB2_MEMINFO = 4,
	MB2_BOOTDEV = 5, MB2_MMAP = 6, MB2_VBE = 7, MB2_FRAMEBUFFER = 8, MB2_ELF_SECTIONS = 9,
	MB2_EFI64 = 12, MB2_ACPI_OLD = 14, MB2_ACPI_NEW = 15, MB2_EFI_MMAP = 17, MB2_LOAD_BASE = 21,
};

struct mb2_info_header {
	uint32_t total_size, reserved;
} MB_PACKED;

struct mb2_tag {
	uint32_t type, size; /* size: of the tag, without the padding after it */
} MB_PACKED;

struct mb2_string_tag { /* command line, loader name */
	struct mb2_tag tag;
	char string[];
} MB_PACKED;

struct mb2_module_tag {
	struct mb2_tag tag;
	uint32_t start, end;
	char string[];
} MB_PACKED;

struct mb2_meminfo_tag {
	struct mb2_tag tag;
	uint32_t mem_lower, mem_upper;
} MB_PACKED;

struct mb2_bootdev_tag {
	struct mb2_tag tag;
	uint32_t biosdev, partition, sub_partition;
} MB_PACKED;

struct mb2_mmap_entry {
	uint64_t base, length;
	uint32_t type, reserved;
} MB_PACKED;

struct mb2_mmap_tag {
	struct mb2_tag tag;
	uint32_t entry_size, entry_version;
	struct mb2_mmap_entry entries[];
} MB_PACKED;

struct mb2_vbe_tag {
	struct mb2_tag tag;
	uint16_t mode, interface_seg, interface_off, interface_len;
	uint8_t control_info[512];
	uint8_t mode_info[256];
} MB_PACKED;

struct mb2_framebuffer_tag {
	struct mb2_tag tag;
	struct mb_framebuffer fb;
	uint16_t reserved;
	uint8_t color_info[6]; /* RGB only: red position, size, green ..., blue ... */
} MB_PACKED;

struct mb2_elf_sections_tag {
	struct mb2_tag tag;
	uint32_t num, entsize, shndx;
	uint8_t headers[];
} MB_PACKED;

struct mb2_acpi_tag { /* old: the RSDP's 20 bytes; new: its whole length */
	struct mb2_tag tag;
	uint8_t rsdp[];
} MB_PACKED;

struct mb2_efi64_tag { /* the EFI system table, 64-bit */
	struct mb2_tag tag;
	uint64_t pointer;
} MB_PACKED;

struct mb2_efi_mmap_tag { /* the firmware's final memory map, as GetMemoryMap gave it */
	struct mb2_tag tag;
	uint32_t descriptor_size, descriptor_version;
	uint8_t map[];
} MB_PACKED;

struct mb2_load_base_tag {
	struct mb2_tag tag;
	uint32_t load_base_addr;
} MB_PACKED;

_Static_assert(sizeof(struct mb2_tag) == 8, "Multiboot 2 tag header: 8 bytes");
_Static_assert(sizeof(struct mb2_module_tag) == 16, "Multiboot 2 module tag: 16 bytes and the string");
_Static_assert(sizeof(struct mb2_meminfo_tag) == 16, "Multiboot 2 basic memory tag: 16 bytes");
_Static_assert(sizeof(struct mb2_bootdev_tag) == 20, "Multiboot 2 boot device tag: 20 bytes");
_Static_assert(sizeof(struct mb2_mmap_tag) == 16, "Multiboot 2 memory map tag: 16 bytes and the entries");
_Static_assert(sizeof(struct mb2_mmap_entry) == 24, "Multiboot 2 map entry: 24 bytes");
_Static_assert(offsetof(struct mb2_mmap_entry, length) == offsetof(struct mkbootimg_memory_region, length) &&
	       offsetof(struct mb2_mmap_entry, type) == offsetof(struct mkbootimg_memory_region, type),
	       "a Multiboot 2 map entry is laid out as a struct mkbootimg_memory_region");
_Static_assert(sizeof(struct mb2_vbe_tag) == 784, "Multiboot 2 VBE tag: 784 bytes");
_Static_assert(offsetof(struct mb2_vbe_tag, control_info) == 16, "mb2_vbe_tag.control_info at 16");
_Static_assert(sizeof(struct mb2_framebuffer_tag) == 38, "Multiboot 2 framebuffer tag: 38 bytes (RGB)");
_Static_assert(offsetof(struct mb2_framebuffer_tag, color_info) == 32, "framebuffer color info at 32");
_Static_assert(sizeof(struct mb2_elf_sections_tag) == 20, "Multiboot 2 ELF sections tag: 20 bytes and headers");
_Static_assert(sizeof(struct mb2_load_base_tag) == 12, "Multiboot 2 load base tag: 12 bytes");
_Static_assert(sizeof(struct mb2_efi64_tag) == 16, "Multiboot 2 EFI 64-bit system table tag: 16 bytes");
_Static_assert(sizeof(struct mb2_efi_mmap_tag) == 16, "Multiboot 2 EFI memory map tag: 16 bytes and the map");

/* ---- The builders ---- */

/* The bytes the information needs at most, for either version: the budget.
 * A manifest whose strings overlap may need more: the build then fails. */
uint64_t multiboot_size(const struct info_request *r);

/*
 * Build the version the manifest's protocol says into area (zeroed, 8-byte
 * aligned, size bytes, at physical address; all of it below 4 GiB, not
 * at 0: Multiboot pointers are 32-bit, and 0 means "did not fit"): the information
 * starts at address, what EBX holds at the kernel's entry. *used is how
 * many bytes it took. 0, or -1 when it would not fit in size.
 */
int multiboot_build(void *area, uint64_t address, uint64_t size, const struct info_request *r,
		    uint64_t *used);

#endif
