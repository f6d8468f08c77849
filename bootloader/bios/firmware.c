/* What the firmware knows that the kernel may want: a VBE linear
 * framebuffer and the ACPI RSDP. */
#include <mkbootimg/protocol.h>

#include "bios.h"

/* VBE 2.0+ controller and mode information blocks (the fields used here). */
struct vbe_info {
	char signature[4]; /* "VESA"; "VBE2" on input asks for the 2.0 block */
	uint16_t version;
	uint32_t oem_string;
	uint32_t capabilities;
	uint32_t video_modes; /* real-mode far pointer to a 0xFFFF-terminated list */
	uint8_t rest[512 - 18];
} __attribute__((packed));

struct vbe_mode_info {
	uint16_t attributes; /* bit 0 supported, bit 4 graphics, bit 7 linear framebuffer */
	uint8_t window_a, window_b;
	uint16_t granularity, window_size, segment_a, segment_b;
	uint32_t window_function;
	uint16_t pitch; /* bytes per scan line */
	uint16_t width, height;
	uint8_t char_width, char_height, planes, bpp, banks, memory_model, bank_size, image_pages;
	uint8_t reserved0;
	uint8_t red_size, red_shift, green_size, green_shift, blue_size, blue_shift;
	uint8_t reserved_size, reserved_shift, direct_color_info;
	uint32_t framebuffer;
	uint32_t offscreen;
	uint16_t offscreen_size;
	uint16_t linear_pitch; /* VBE 3.0: bytes per scan line in linear modes */
	uint8_t rest[256 - 52];
} __attribute__((packed));

/* Each color's size, then its shift, red, green, blue: the same six bytes
 * in protocol.h's framebuffer. */
#define COLOR_BYTES 6
_Static_assert(offsetof(struct vbe_mode_info, blue_shift) - offsetof(struct vbe_mode_info, red_size) + 1 ==
	       COLOR_BYTES, "VBE: sizes and shifts in six bytes");
_Static_assert(offsetof(struct mkbootimg_framebuffer, blue_shift) -
	       offsetof(struct mkbootimg_framebuffer, red_size) + 1 == COLOR_BYTES,
	       "protocol.h: sizes and shifts in six bytes, in VBE's order");

#define VBE_OK 0x004f
#define MODE_USABLE ((1u << 0) | (1u << 4) | (1u << 7))
#define MODEL_PACKED 4
#define MODEL_DIRECT 6
#define MAX_MODES 256

static struct vbe_info info;      /* below 64 KiB: the BIOS writes them */
static struct vbe_mode_info mode; /* through ES:DI */
static uint16_t modes[MAX_MODES];
static uint32_t mode_set; /* the mode number | 0x10000 once vbe_set_mode set one */

static int vbe_call(uint32_t function, uint32_t cx, void *buffer)
{
	struct bios_regs r = { .eax = function, .ecx = cx, .edi = (uint32_t)(uintptr_t)buffer };
	bios_call(0x10, &r);
	return (r.eax & 0xffff) == VBE_OK;
}

static int mode_info(uint16_t number)
{
	return vbe_call(0x4f01, number, &mode) && (mode.attributes & MODE_USABLE) == MODE_USABLE &&
	       (mode.memory_model == MODEL_DIRECT ||
		(mode.memory_model == MODEL_PACKED && mode.bpp == 8)) &&
	       mode.framebuffer != 0;
}

/*
 * Set the mode closest to width x height x bpp: the exact one when the card
 * has it, else the largest (by pixels, then depth) within the request.
 * Leaves fb->address 0, and the screen in text mode, when none fits.
 */
void vbe_set_mode(uint32_t width, uint32_t height, uint32_t bpp, struct mkbootimg_framebuffer *fb)
{
	uint32_t best = 0xffff, best_pixels = 0, best_bpp = 0, count = 0;

	info.signature[0] = 'V', info.signature[1] = 'B', info.signature[2] = 'E', info.signature[3] = '2';
	if (!vbe_call(0x4f00, 0, &info) || info.signature[0] != 'V' || info.signature[3] != 'A')
		return;
	/* Copy the list first: it may live in the block the next calls overwrite. */
	const uint16_t *list = flat((info.video_modes >> 16) * 16 + (info.video_modes & 0xffff));
	while (count < MAX_MODES && list[count] != 0xffff) {
		modes[count] = list[count];
		count++;
	}
	for (uint32_t i = 0; i < count; i++) {
		if (!mode_info(modes[i]) || mode.width > width || mode.height > height || mode.bpp > bpp)
			continue;
		uint32_t pixels = (uint32_t)mode.width * mode.height;
		if (pixels > best_pixels || (pixels == best_pixels && mode.bpp > best_bpp)) {
			best = modes[i];
			best_pixels = pixels;
			best_bpp = mode.bpp;
		}
	}
	if (best == 0xffff || !mode_info((uint16_t)best))
		return;
	struct bios_regs r = { .eax = 0x4f02, .ebx = best | 0x4000 }; /* 0x4000: linear framebuffer */
	bios_call(0x10, &r);
	if ((r.eax & 0xffff) != VBE_OK)
		return;
	mode_set = best | 0x10000;
	fb->address = mode.framebuffer;
	fb->width = mode.width;
	fb->height = mode.height;
	fb->pitch = info.version >= 0x300 && mode.linear_pitch ? mode.linear_pitch : mode.pitch;
	fb->bpp = mode.bpp;
	memcpy(&fb->red_size, &mode.red_size, COLOR_BYTES);
}

uint32_t vbe_blocks(const void **control, const void **mode_block)
{
	*control = &info;
	*mode_block = &mode;
	return mode_set;
}

static int rsdp_at(const uint8_t *p)
{
	static const char signature[8] = "RSD PTR ";
	uint8_t sum = 0;

	for (int i = 0; i < 8; i++)
		if (p[i] != (uint8_t)signature[i])
			return 0;
	for (int i = 0; i < 20; i++) /* ACPI 1.0 part */
		sum += p[i];
	if (sum)
		return 0;
	if (p[15] >= 2) { /* revision 2+: the extended checksum covers "length" bytes */
		uint32_t length = p[20] | p[21] << 8 | (uint32_t)p[22] << 16 | (uint32_t)p[23] << 24;
		if (length < 36 || length > 4096)
			return 0;
		for (uint32_t i = 0; i < length; i++)
			sum += p[i];
		if (sum)
			return 0;
	}
	return 1;
}

static uint32_t rsdp_search(uint32_t base, uint32_t length)
{
	const uint8_t *p = flat(base);
	for (uint32_t off = 0; off + 20 <= length; off += 16)
		if (rsdp_at(p + off))
			return base + off;
	return 0;
}

/* As ACPI says: the first KiB of the EBDA, then 0xE0000-0xFFFFF. */
uint64_t find_rsdp(void)
{
	const volatile uint16_t *ebda_segment = flat(0x40e); /* in the BIOS data area */
	uint32_t ebda = (uint32_t)*ebda_segment << 4;
	uint32_t found = 0;

	if (ebda >= 0x80000 && ebda < 0xa0000)
		found = rsdp_search(ebda, 1024);
	if (!found)
		found = rsdp_search(0xe0000, 0x20000);
	return found;
}
