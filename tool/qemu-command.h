/*
 * The QEMU command line of a run: mkbootimg's own arguments, then
 * Cargo.toml's run-args or test-args, then those after "--". An option the
 * user already gives (-serial, -display, -m, ...) is not added again, so a
 * bootimage configuration that spells them out works unchanged.
 */
#ifndef MKB_QEMU_COMMAND_H
#define MKB_QEMU_COMMAND_H

#include <stddef.h>
#include <stdio.h>

struct run_setup;
struct run_options;
struct cargo_config;

#define QEMU_DEBUG_EXIT_DEVICE "isa-debug-exit,iobase=0xf4,iosize=0x04"

struct qemu_command {
	char **argv;  /* NULL-terminated, each string owned */
	size_t argc, cap;
	int oom;
};

/*
 * Build the command for image (the disk) and qmp_socket (NULL when the run
 * is not watched). 0, or -1 with mkb_error() set.
 */
int qemu_command_build(struct qemu_command *cmd, const struct run_setup *s, const struct run_options *o,
                       const struct cargo_config *c, const char *image, const char *qmp_socket);
void qemu_command_free(struct qemu_command *cmd);

/* Print the command on one line, quoted for a POSIX shell. */
void qemu_command_print(FILE *f, const struct qemu_command *cmd);

#endif
