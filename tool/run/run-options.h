/*
 * The command line of `mkbootimg run`: parsed and checked here, so main.c
 * only prints and exits, and the unit tests can try every option.
 */
#ifndef MKB_RUN_OPTIONS_H
#define MKB_RUN_OPTIONS_H

#include "firmware.h"
#include "plan.h"

#include <stddef.h>
#include <stdint.h>

enum run_accel { RUN_ACCEL_UNSET, RUN_ACCEL_AUTO, RUN_ACCEL_KVM, RUN_ACCEL_TCG };

#define RUN_GDB_SOCKET (-1)      /* --gdb without a port: a unix socket in the run's folder */
#define RUN_MAX_CPUS 255           /* the most QEMU's pc machine takes */

/* "Not given" is -1, NULL or 0, so settings from Cargo.toml can fill the gaps. */
struct run_options {
	const char *target;        /* KERNEL or IMAGE */
	char **qemu_args;          /* everything after --, not owned */
	size_t qemu_arg_count;
	int test;                  /* --test */
	long timeout;              /* --timeout seconds, 0 for none; -1 not given */
	int success_exit_code;     /* -1 not given */
	const char *machine;       /* "pc" or "q35"; NULL not given */
	uint64_t memory;           /* bytes, whole MiB; 0 not given */
	enum run_accel accel;
	const char *qemu;          /* --qemu PATH; NULL not given */
	int gdb_port;              /* 0: no --gdb; RUN_GDB_SOCKET, or a TCP port */
	int smp;                   /* --smp CPUs; 0 not given */
	const char *serial;        /* --serial FILE|stdio|none; NULL not given */
	enum run_firmware firmware; /* --firmware bios|uefi; UNSET for none, or hybrid */
	int firmware_given;        /* --firmware, hybrid included */
	struct plan_options plan;  /* for a KERNEL's image; all 0 when not given */
	int headless, verbose, quiet, dry_run, help;
};

/*
 * Parse argv (argv[0] is the word "run"). 0; -1 for a usage error with
 * mkb_error() set; MKB_REPORTED when getopt_long has printed the reason.
 */
int run_options_parse(struct run_options *o, int argc, char **argv);
void run_options_free(struct run_options *o);

/* "auto", "kvm", "tcg" -> the enum; -1 with mkb_error() set for anything else. */
int run_accel_parse(const char *s, enum run_accel *out);

#endif
