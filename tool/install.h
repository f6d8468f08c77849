/*
 * `mkbootimg install`: write an image, or a kernel built into one, to a
 * whole disk such as a USB stick, after every check of blockdev.c and a
 * confirmation. The writing is here too, so unit tests can run it on files.
 */
#ifndef MKB_INSTALL_H
#define MKB_INSTALL_H

#include "image.h"
#include "plan.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define INSTALL_CHUNK (4 * (size_t)1024 * 1024) /* bytes per write: large, as USB sticks like */

struct install_options {
	const char *source; /* IMAGE or KERNEL */
	const char *device;
	struct plan_options plan; /* for a KERNEL */
	const struct loader_blob *loader; /* the loader a KERNEL's image gets */
	int list, force, yes, dry_run, verify, verbose, help;
};

/*
 * Parse argv (argv[0] is the word "install"). 0, or -1 for a usage error with
 * mkb_error() set ("" when getopt has already printed the reason).
 */
int install_parse(struct install_options *o, int argc, char **argv);

/* The whole subcommand; returns the exit status (0, 1, or 2 for usage). */
int install_main(int argc, char **argv, const struct loader_blob *loader);

/* Set by SIGINT, SIGTERM and SIGHUP while writing; the writer stops at the next chunk. */
extern volatile sig_atomic_t install_interrupted;

struct install_write {
	int device_fd, image_fd;
	const char *device, *image; /* names, for messages */
	uint64_t size;       /* bytes of the image */
	size_t block;        /* the device's logical block size: writes are multiples of it */
	size_t chunk;        /* bytes per write, a multiple of block (INSTALL_CHUNK) */
	int direct;          /* device_fd has O_DIRECT: reads come from the device itself */
	/* Called after each chunk with the bytes done in this phase ("write" or "verify"). */
	void (*progress)(struct install_write *w, const char *phase, uint64_t done);
	void *progress_state;
	uint64_t done;       /* bytes written (or verified) so far, for messages */
};

/*
 * Write the image: clear the old boot signature, write everything but the
 * first block, flush, write the first block, flush. So a disk pulled out
 * half-way has no boot sector and cannot boot half an image. 0, or -1 with
 * mkb_error() saying how far it got.
 */
int install_write_image(struct install_write *w);

/* Read the device back and compare with the image. 0, or -1 with mkb_error() set. */
int install_verify(struct install_write *w);

/* Does answer (a line typed by the user) confirm writing to the disk called name? */
int install_answer_confirms(const char *answer, const char *name);

#endif
