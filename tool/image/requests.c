#include "requests.h"
#include "util.h"

#include <mkbootimg/protocol.h>

#include <inttypes.h>
#include <string.h>

int request_check_framebuffer(const struct fb_mode *fb)
{
	uint32_t b = fb->bpp;

	if (fb->width == 0 && fb->height == 0 && fb->bpp == 0)
		return 0;
	if (fb->width < 1 || fb->width > REQUEST_FB_MAX_SIZE)
		return mkb_fail("width %" PRIu32 " is outside 1..%d", fb->width, REQUEST_FB_MAX_SIZE);
	if (fb->height < 1 || fb->height > REQUEST_FB_MAX_SIZE)
		return mkb_fail("height %" PRIu32 " is outside 1..%d", fb->height, REQUEST_FB_MAX_SIZE);
	if (b != 8 && b != 15 && b != 16 && b != 24 && b != 32)
		return mkb_fail("%" PRIu32 " bits per pixel is not 8, 15, 16, 24 or 32", b);
	return 0;
}

static const char *note_name(uint32_t type)
{
	switch (type) {
	case MKBOOTIMG_NOTE_STACK_SIZE: return "stack size";
	case MKBOOTIMG_NOTE_FRAMEBUFFER: return "framebuffer";
	case MKBOOTIMG_NOTE_INFO_VERSION: return "info version";
	case MKBOOTIMG_NOTE_SMP: return "smp";
	case MKBOOTIMG_NOTE_KASLR: return "kaslr";
	default: return NULL;
	}
}

int request_take_note(struct kernel_requests *r, const char *path, uint32_t type, const void *desc,
                      uint32_t descsz)
{
	const char *name = note_name(type);
	size_t words = type == MKBOOTIMG_NOTE_FRAMEBUFFER ? 3 : 1;
	uint32_t w[3];

	if (name == NULL)
		return mkb_fail("%s: note mkbootimg type %" PRIu32 " (unknown): this mkbootimg knows "
		                "types 1 to 5 (stack size, framebuffer, info version, smp, kaslr); is the kernel "
		                "built for a newer one?", path, type);
	if (descsz != 4 * words)
		return mkb_fail("%s: note mkbootimg %s: descriptor of %" PRIu32 " bytes, expected %zu",
		                path, name, descsz, 4 * words);
	memcpy(w, desc, descsz); /* little-endian words, as the host's (see image.c) */
	switch (type) {
	case MKBOOTIMG_NOTE_STACK_SIZE:
		if (w[0] < REQUEST_STACK_MIN || w[0] > REQUEST_STACK_MAX)
			return mkb_fail("%s: note mkbootimg stack size: %" PRIu32 " bytes is outside "
			                "64K..1G", path, w[0]);
		if (w[0] > r->stack_size)
			r->stack_size = w[0];
		break;
	case MKBOOTIMG_NOTE_FRAMEBUFFER: {
		struct fb_mode fb = { w[0], w[1], w[2] }, *old = &r->framebuffer;
		if (request_check_framebuffer(&fb) != 0)
			return mkb_fail("%s: note mkbootimg framebuffer: %s", path, mkb_error());
		if (r->framebuffer_given && memcmp(old, &fb, sizeof fb) != 0)
			return mkb_fail("%s: note mkbootimg framebuffer: given twice, as %" PRIu32 "x%"
			                PRIu32 "x%" PRIu32 " and %" PRIu32 "x%" PRIu32 "x%" PRIu32,
			                path, old->width, old->height, old->bpp, fb.width, fb.height,
			                fb.bpp);
		*old = fb;
		r->framebuffer_given = 1;
		break;
	}
	case MKBOOTIMG_NOTE_INFO_VERSION:
		if (w[0] > MKBOOTIMG_INFO_VERSION)
			return mkb_fail("%s: note mkbootimg info version: the kernel needs boot information "
			                "version %" PRIu32 ", this mkbootimg gives version %d; use a newer "
			                "mkbootimg", path, w[0], MKBOOTIMG_INFO_VERSION);
		if (w[0] > r->info_version)
			r->info_version = w[0];
		break;
	case MKBOOTIMG_NOTE_SMP:
		if (w[0] < REQUEST_SMP_STACK_MIN || w[0] > REQUEST_STACK_MAX)
			return mkb_fail("%s: note mkbootimg smp: %" PRIu32 " bytes of stack per CPU is "
			                "outside 4K..1G", path, w[0]);
		w[0] = (w[0] + REQUEST_SMP_STACK_MIN - 1) & ~(REQUEST_SMP_STACK_MIN - 1);
		if (w[0] > r->smp_stack_size)
			r->smp_stack_size = w[0];
		break;
	case MKBOOTIMG_NOTE_KASLR:
		if (w[0] & ~(uint32_t)(MKBOOTIMG_KASLR_BASE | MKBOOTIMG_KASLR_DIRECT_MAP))
			return mkb_fail("%s: note mkbootimg kaslr: flags 0x%" PRIx32 " name bits this "
			                "mkbootimg does not know (bit 0: the kernel's base, bit 1: the direct "
			                "map)", path, w[0]);
		r->kaslr_flags |= w[0];
		break;
	}
	return 0;
}
