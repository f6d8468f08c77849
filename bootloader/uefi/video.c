/*
 * The screen on UEFI: the Graphics Output Protocol. There is no VGA text
 * mode: a kernel that asked for no framebuffer is told about the current
 * GOP mode all the same (mkbootimg-protocol(7)).
 */
#include "uefi.h"

static const struct efi_guid gop_guid = EFI_GRAPHICS_OUTPUT_GUID;
static struct efi_gop *gop;

static struct efi_gop *find_gop(void)
{
	if (!gop && (bs->locate_protocol(&gop_guid, 0, (void **)&gop) || !gop->mode || !gop->mode->info))
		gop = 0;
	return gop;
}

uint64_t video_screen_end(void)
{
	if (!find_gop())
		return 0;
	return gop->mode->frame_buffer_base + gop->mode->frame_buffer_size;
}

/* A color's mask as its lowest bit and its count of bits. */
static void mask_bits(uint32_t mask, uint8_t *size, uint8_t *shift)
{
	*shift = *size = 0;
	if (!mask)
		return;
	while (!(mask & 1))
		mask >>= 1, ++*shift;
	while (mask & 1)
		mask >>= 1, ++*size;
}

/* Bits a PixelBitMask pixel takes: up to the masks' highest set bit, in
 * whole bytes (a 5:6:5 mode has 16, an 8:8:8 one without a reserved mask 24). */
static uint16_t mask_bpp(const struct efi_pixel_bitmask *m)
{
	uint32_t all = m->red | m->green | m->blue | m->reserved;
	uint16_t bits = 0;

	while (all)
		all >>= 1, bits++;
	return (uint16_t)((bits + 7) / 8 * 8);
}

/* The largest mode (in pixels) within width x height that has a
 * framebuffer; the current one when none fits. */
static uint32_t closest_mode(uint32_t width, uint32_t height)
{
	uint32_t best = gop->mode->mode;
	uint64_t best_pixels = 0, size;
	struct efi_gop_mode_info *info;

	for (uint32_t i = 0; i < gop->mode->max_mode; i++) {
		if (gop->query_mode(gop, i, &size, &info) || info->pixel_format == EFI_PIXEL_BLT_ONLY ||
		    info->horizontal_resolution > width || info->vertical_resolution > height)
			continue;
		uint64_t pixels = (uint64_t)info->horizontal_resolution * info->vertical_resolution;
		if (pixels > best_pixels)
			best = i, best_pixels = pixels;
	}
	return best;
}

void video_set_mode(uint32_t width, uint32_t height, struct mkbootimg_framebuffer *fb)
{
	if (!find_gop())
		return;
	if (width) {
		uint32_t mode = closest_mode(width, height);
		if (mode != gop->mode->mode)
			gop->set_mode(gop, mode); /* on failure, the current mode is described */
	}
	const struct efi_gop_mode_info *info = gop->mode->info;
	struct efi_pixel_bitmask masks = info->pixel_information;
	uint16_t bpp = info->pixel_format == EFI_PIXEL_MASK ? mask_bpp(&masks) : 32;
	if (info->pixel_format == EFI_PIXEL_BLT_ONLY || !bpp)
		return;
	if (info->pixel_format == EFI_PIXEL_RGB8)
		masks = (struct efi_pixel_bitmask){ 0xff, 0xff00, 0xff0000, 0xff000000 };
	else if (info->pixel_format == EFI_PIXEL_BGR8)
		masks = (struct efi_pixel_bitmask){ 0xff0000, 0xff00, 0xff, 0xff000000 };
	fb->address = gop->mode->frame_buffer_base;
	fb->width = info->horizontal_resolution;
	fb->height = info->vertical_resolution;
	fb->pitch = info->pixels_per_scan_line * (bpp / 8); /* RGB8, BGR8: 32-bit pixels */
	fb->bpp = bpp;
	mask_bits(masks.red, &fb->red_size, &fb->red_shift);
	mask_bits(masks.green, &fb->green_size, &fb->green_shift);
	mask_bits(masks.blue, &fb->blue_size, &fb->blue_shift);
}
