/*
 * What a kernel may ask for (a stack size, a framebuffer mode, a boot
 * information version), with the limits every request is checked against:
 * the bottom layer of the image side, shared by the readers (ELF notes,
 * Multiboot headers), the command-line options and the planner.
 */
#ifndef MKB_REQUESTS_H
#define MKB_REQUESTS_H

#include <stddef.h>
#include <stdint.h>

#define REQUEST_STACK_MIN   (64 * UINT64_C(1024))
#define REQUEST_STACK_MAX   (UINT64_C(1) << 30) /* the loader finds it in RAM below 4 GiB */
#define REQUEST_FB_MAX_SIZE 16384
#define REQUEST_SMP_STACK_MIN 4096u /* one page: the AP's first instructions push little */

/* A framebuffer mode; all zero: text mode. */
struct fb_mode {
	uint32_t width, height, bpp;
};

/* What the kernel asks for; 0 where it asks nothing. */
struct kernel_requests {
	uint64_t stack_size;
	struct fb_mode framebuffer;
	int framebuffer_given;  /* 1: a framebuffer request (all zero: text mode) */
	uint32_t info_version;  /* the oldest boot-information version it reads */
	uint32_t smp_stack_size; /* bytes of stack per AP (MKBOOTIMG_REQUEST_SMP); 0: APs untouched */
	uint32_t kaslr_flags;   /* MKBOOTIMG_KASLR_*: what to randomise at each boot */
};

/*
 * Is fb a mode the loader can ask for (sizes 1..16384, bpp 8, 15, 16, 24 or
 * 32), or text mode? 0, or -1 with mkb_error() saying why, without a prefix.
 */
int request_check_framebuffer(const struct fb_mode *fb);

/*
 * Take one note of owner "mkbootimg" (type, descriptor) into r: several
 * objects may repeat a request, the largest stack and version win, but two
 * framebuffer modes cannot both be had. 0, or -1 with mkb_error() set to a
 * message that starts with path.
 */
int request_take_note(struct kernel_requests *r, const char *path, uint32_t type, const void *desc,
                      uint32_t descsz);

#endif
