/* boot_params for a Linux boot protocol kernel: see linux.h. */
#include "linux.h"

#include <mkbootimg/protocol.h>

#include "core.h"
#include "manifest.h"
#include "platform.h"

/* boot_params offsets (zero-page.rst) and setup header fields (boot.rst). */
#define BP_SCREEN_INFO      0x000
#define BP_ACPI_RSDP        0x070 /* protocol 2.14+ */
#define BP_EFI_INFO         0x1c0
#define BP_E820_ENTRIES     0x1e8
#define BP_VID_MODE         0x1fa
#define BP_TYPE_OF_LOADER   0x210
#define BP_LOADFLAGS        0x211
#define BP_CODE32_START     0x214
#define BP_RAMDISK_IMAGE    0x218
#define BP_RAMDISK_SIZE     0x21c
#define BP_CMD_LINE_PTR     0x228
#define BP_SETUP_DATA       0x250 /* protocol 2.09+ */
#define BP_E820_TABLE       0x2d0

#define BP_HEAP_END_PTR     0x224

#define LOADED_HIGH 0x01
#define QUIET_FLAG  0x20
#define CAN_USE_HEAP 0x80
#define LOADER_UNDEFINED 0xff  /* type_of_loader: a loader without an assigned id */
#define VID_MODE_NORMAL 0xffff /* vid_mode: leave the screen as it is */

/* screen_info (include/uapi/linux/screen_info.h). */
#define SI_ORIG_VIDEO_MODE  0x06
#define SI_ORIG_VIDEO_COLS  0x07
#define SI_ORIG_VIDEO_EGA_BX 0x0a
#define SI_ORIG_VIDEO_LINES 0x0e
#define SI_ORIG_VIDEO_ISVGA 0x0f
#define SI_ORIG_VIDEO_POINTS 0x10
#define SI_LFB_WIDTH        0x12
#define SI_LFB_HEIGHT       0x14
#define SI_LFB_DEPTH        0x16
#define SI_LFB_BASE         0x18
#define SI_LFB_SIZE         0x1c
#define SI_LFB_LINELENGTH   0x24
#define SI_RED_SIZE         0x26  /* then red_pos, green_size, green_pos, blue_size, blue_pos */
#define SI_CAPABILITIES     0x36
#define SI_EXT_LFB_BASE     0x3a
#define VIDEO_TYPE_VGAC     0x01  /* orig_video_isVGA: VGA text */
#define VIDEO_TYPE_VLFB     0x23  /* a VESA linear framebuffer */
#define VIDEO_TYPE_EFI      0x70  /* a UEFI GOP framebuffer */
#define VIDEO_CAPABILITY_64BIT_BASE 2u

#define EFI64_LOADER_SIGNATURE 0x34364c45u /* "EL64" */

/* Little-endian stores at any offset (boot_params is packed). */
static CORE_NOINLINE void put(uint8_t *bp, uint32_t offset, uint64_t value, uint32_t size)
{
	memcpy(bp + offset, &value, size);
}

uint64_t linux_size(const struct mkb_manifest *m)
{
	return LINUX_ZERO_PAGE + page_up((uint64_t)m->cmdline_length + 1) + PAGE_SIZE;
}

/* The e820 table: the firmware's map, the loader's memory usable (Linux keeps
 * what boot_params names); mkbootimg's types 1-5 are e820's. */
static void e820(uint8_t *bp, const struct info_request *r)
{
	uint32_t n = 0;

	for (size_t i = 0; i < r->ram_count && n < LINUX_E820_MAX; i++, n++) {
		const struct mm_range *e = &r->ram[i];
		uint8_t *entry = bp + BP_E820_TABLE + n * 20;
		put(entry, 0, e->base, 8);
		put(entry, 8, e->end - e->base, 8);
		put(entry, 16, e->type <= MKBOOTIMG_MEM_BAD ? e->type : MKBOOTIMG_MEM_USABLE, 4);
	}
	bp[BP_E820_ENTRIES] = (uint8_t)n;
}

/* VGA text on a BIOS without a mode set, nothing on UEFI without a
 * framebuffer; else the linear framebuffer (GOP on UEFI). */
static void screen(uint8_t *bp, const struct info_request *r)
{
	const struct mkbootimg_framebuffer *fb = r->framebuffer;
	uint8_t *si = bp + BP_SCREEN_INFO;

	if (!fb->address) {
		if (r->firmware == MKBOOTIMG_FIRMWARE_UEFI)
			return; /* no screen: zeroed, not VGA text no UEFI machine promises */
		si[SI_ORIG_VIDEO_MODE] = 3;
		si[SI_ORIG_VIDEO_COLS] = 80;
		si[SI_ORIG_VIDEO_LINES] = 25;
		si[SI_ORIG_VIDEO_ISVGA] = VIDEO_TYPE_VGAC;
		put(si, SI_ORIG_VIDEO_EGA_BX, 3, 2); /* low byte not 0x10: EGA/VGA, not CGA */
		put(si, SI_ORIG_VIDEO_POINTS, 16, 2);
		return;
	}
	si[SI_ORIG_VIDEO_ISVGA] = r->firmware == MKBOOTIMG_FIRMWARE_UEFI ? VIDEO_TYPE_EFI : VIDEO_TYPE_VLFB;
	put(si, SI_LFB_WIDTH, fb->width, 2);
	put(si, SI_LFB_HEIGHT, fb->height, 2);
	put(si, SI_LFB_DEPTH, fb->bpp, 2);
	put(si, SI_LFB_BASE, (uint32_t)fb->address, 4);
	put(si, SI_EXT_LFB_BASE, (uint32_t)(fb->address >> 32), 4);
	put(si, SI_CAPABILITIES, fb->address >> 32 ? VIDEO_CAPABILITY_64BIT_BASE : 0, 4);
	/* Bytes for EFI; 64 KiB units for VLFB, as vesafb multiplies it by 65536. */
	uint64_t bytes = (uint64_t)fb->pitch * fb->height;
	put(si, SI_LFB_SIZE, si[SI_ORIG_VIDEO_ISVGA] == VIDEO_TYPE_EFI ? bytes : (bytes + 0xffff) >> 16, 4);
	put(si, SI_LFB_LINELENGTH, fb->pitch, 2);
	/* red_size, red_pos, green_size, green_pos, blue_size, blue_pos: the framebuffer's order */
	memcpy(si + SI_RED_SIZE, &fb->red_size, 6);
}

/* The EFI system table and final memory map: Linux then uses runtime services. */
static void efi_info(uint8_t *bp, const struct mkb_efi_facts *e)
{
	uint8_t *ei = bp + BP_EFI_INFO;

	put(ei, 0x00, EFI64_LOADER_SIGNATURE, 4);
	put(ei, 0x04, (uint32_t)e->system_table, 4);
	put(ei, 0x08, e->descriptor_size, 4);
	put(ei, 0x0c, e->descriptor_version, 4);
	put(ei, 0x10, (uint32_t)e->memory_map, 4);
	put(ei, 0x14, e->memory_map_size, 4);
	put(ei, 0x18, e->system_table >> 32, 4);
	put(ei, 0x1c, e->memory_map >> 32, 4);
}

/* The fields both entries fill (boot.rst, "Details of header fields"), and the
 * command line, NUL-terminated, at cmdline (its bytes at text). */
static CORE_NOINLINE void fill_header(uint8_t *bp, const struct mkb_manifest *m, uint32_t loadflags,
				      uint64_t kernel, uint64_t initrd, uint64_t cmdline, uint8_t *text)
{
	const struct mkb_linux *lx = linux_block(m);

	bp[BP_TYPE_OF_LOADER] = LOADER_UNDEFINED; /* 0 would make Linux ignore the initrd */
	bp[BP_LOADFLAGS] = (uint8_t)((bp[BP_LOADFLAGS] | loadflags) & ~QUIET_FLAG);
	put(bp, BP_VID_MODE, VID_MODE_NORMAL, 2);
	put(bp, BP_CODE32_START, kernel, 4);
	put(bp, BP_RAMDISK_IMAGE, initrd, 4);
	put(bp, BP_RAMDISK_SIZE, initrd ? lx->initrd_size : 0, 4);
	put(bp, BP_CMD_LINE_PTR, cmdline, 4);
	memcpy(text, mkb_manifest_string(m, m->cmdline_offset), m->cmdline_length);
	text[m->cmdline_length] = 0;
}

void linux_build_real_mode(uint8_t *x, uint64_t address, const struct info_request *r, uint64_t kernel,
			   uint64_t initrd)
{
	fill_header(x, r->m, LOADED_HIGH | CAN_USE_HEAP, kernel, initrd, address + LINUX_REAL_CMDLINE,
		    x + LINUX_REAL_CMDLINE);
	put(x, BP_HEAP_END_PTR, LINUX_REAL_HEAP_END, 2);
}

void linux_build(void *area, uint64_t address, const struct info_request *r, uint64_t kernel,
		 uint64_t initrd)
{
	const struct mkb_manifest *m = r->m;
	const struct mkb_linux *lx = linux_block(m);
	uint8_t *bp = area;

	/* The rest of the page stays zero, the sentinel at 0x1ef too. */
	memcpy(bp + MKB_LINUX_HEADER_OFFSET, lx->header, lx->header_size);
	fill_header(bp, m, LOADED_HIGH, kernel, initrd, address + LINUX_ZERO_PAGE, bp + LINUX_ZERO_PAGE);
	if (lx->version >= 0x209 && lx->header_size >= BP_SETUP_DATA + 8 - MKB_LINUX_HEADER_OFFSET)
		put(bp, BP_SETUP_DATA, 0, 8);
	e820(bp, r);
	screen(bp, r);
	if (lx->version >= 0x20e)
		put(bp, BP_ACPI_RSDP, r->rsdp, 8);
	if (!CORE_BIOS_ONLY && r->firmware == MKBOOTIMG_FIRMWARE_UEFI)
		efi_info(bp, r->efi);
}
