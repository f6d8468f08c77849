/*
 * Kernel path -> image file: kernel_open, plan_make and image_write in one
 * call, shared by the default command and by `mkbootimg run`.
 */
#ifndef MKB_BUILD_H
#define MKB_BUILD_H

#include <stdio.h>

struct loader_blob;
struct plan_options;

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
