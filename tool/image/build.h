/*
 * Kernel path -> image file: kernel_open, plan_make and image_write in one
 * call, shared by the commands that make images (the build, run, install)
 * and by info, which shows what the image would hold.
 */
#ifndef MKB_BUILD_H
#define MKB_BUILD_H

#include "kernel.h"
#include "plan.h"

#include <stdio.h>

struct loader_blob;

/* A kernel read and planned, its modules open: what an image would be made of. */
struct build {
	struct kernel kernel;
	struct plan plan;
	struct plan_options opts; /* the caller's, with stage2_sectors set and the modules opened */
};

/*
 * Open and check the kernel at kernel_path and plan its image with opts,
 * as build_image does. 0 (free b with build_free), or -1 with mkb_error() set.
 */
int build_plan(struct build *b, const char *kernel_path, const struct plan_options *opts,
               const struct loader_blob *loader);
void build_free(struct build *b);

/*
 * Check the kernel at kernel_path and, unless out is NULL, write its image
 * to out. When plan_log is not NULL the load plan is printed there; when
 * warnings is not NULL, so are the plan's warnings (the ones `mkbootimg info`
 * lists), one line each: "mkbootimg: KERNEL: warning: ...". They are printed
 * once the plan is made, before the image is written.
 * 0, or -1 with mkb_error() set.
 */
int build_image_warn(const char *kernel_path, const char *out, const struct plan_options *opts,
                     const struct loader_blob *loader, FILE *plan_log, FILE *warnings);

/* build_image_warn without warnings. */
int build_image(const char *kernel_path, const char *out, const struct plan_options *opts,
                const struct loader_blob *loader, FILE *plan_log);

#endif
