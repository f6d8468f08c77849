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

/* The files of a run: the disk, and those in the run's temporary folder (NULL: none). */
struct qemu_files {
	const char *image;       /* the disk */
	const char *qmp_socket;  /* QMP, when the run is watched */
	const char *com1_log;    /* where QEMU also logs COM1, when it goes to stdout */
	const char *ovmf_code;   /* UEFI: OVMF's code, mapped read-only */
	const char *ovmf_vars;   /* UEFI: this run's copy of OVMF's variables */
	const char *gdb_socket;  /* --gdb without a port: QEMU's gdbstub listens here */
};

struct qemu_command {
	char **argv;  /* NULL-terminated, each string owned */
	size_t argc, cap;
	int oom;
	/* What the guest wrote to COM1 can be read back from this file (not owned)... */
	const char *com1_readback;
	/* ...or is known to be nothing (--serial none); both 0/NULL: unknown. */
	int com1_discarded;
};

/* Build the command for the files f. 0, or -1 with mkb_error() set. */
int qemu_command_build(struct qemu_command *cmd, const struct run_setup *s, const struct run_options *o,
                       const struct cargo_config *c, const struct qemu_files *f);
void qemu_command_free(struct qemu_command *cmd);

/* 1 when the user's QEMU arguments (after --, Cargo.toml's) give the
 * firmware (-bios, -pflash, -drive if=pflash): no OVMF is added then. */
int qemu_user_firmware(const struct run_setup *s, const struct run_options *o,
                       const struct cargo_config *c);

/* Print the command on one line, quoted for a POSIX shell. */
void qemu_command_print(FILE *f, const struct qemu_command *cmd);

#endif
