/*
 * `mkbootimg run`: boot a kernel or a ready image in QEMU and judge how the
 * run ended. A kernel's image is built into a private temporary folder,
 * which goes on every way out, Ctrl-C and SIGTERM included.
 */
#ifndef MKB_RUN_H
#define MKB_RUN_H

#include "util.h"

#include <stddef.h>

struct loader_blob;
struct run_options;

#define RUN_EXIT_USAGE MKB_EXIT_USAGE

enum run_target { RUN_TARGET_KERNEL, RUN_TARGET_IMAGE, RUN_TARGET_DEVICE };

/*
 * Tell a kernel (ELF magic) from an image or a device holding one (boot signature and the loader's
 * stage 2 magic at LBA 34) by content. 0, or -1 with mkb_error() set.
 */
int run_identify_target(const char *path, enum run_target *out);

/* Is path in a folder named deps, or one starting with rustdoctest (cargo test binaries)? */
int run_is_test_binary(const char *path);

#define RUN_MESSAGE_MAX 1024

/*
 * The whole run. Returns mkbootimg's exit status, and in message (n bytes)
 * the line to print on standard error: the verdict, or what went wrong; ""
 * when there is nothing to say.
 */
int run(const struct run_options *o, const struct loader_blob *loader, char *message, size_t n);

#endif
