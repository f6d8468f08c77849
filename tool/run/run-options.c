#include "run-options.h"
#include "firmware.h"
#include "image-options.h"
#include "plan.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_TEST = 256, OPT_TIMEOUT, OPT_SUCCESS, OPT_MACHINE, OPT_MEMORY, OPT_ACCEL, OPT_QEMU,
	OPT_GDB, OPT_HEADLESS, OPT_DRY_RUN,
	OPT_SMP, OPT_SERIAL,
};

static const struct option longopts[] = {
	{ "test", no_argument, NULL, OPT_TEST },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "success-exit-code", required_argument, NULL, OPT_SUCCESS },
	{ "machine", required_argument, NULL, OPT_MACHINE },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "accel", required_argument, NULL, OPT_ACCEL },
	{ "qemu", required_argument, NULL, OPT_QEMU },
	{ "gdb", optional_argument, NULL, OPT_GDB },
	{ "headless", no_argument, NULL, OPT_HEADLESS },
	IMAGE_LONGOPTS,
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "smp", required_argument, NULL, OPT_SMP },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* A decimal integer in [min, max], nothing else. */
static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int run_accel_parse(const char *s, enum run_accel *out)
{
	if (strcmp(s, "auto") == 0)
		*out = RUN_ACCEL_AUTO;
	else if (strcmp(s, "kvm") == 0)
		*out = RUN_ACCEL_KVM;
	else if (strcmp(s, "tcg") == 0)
		*out = RUN_ACCEL_TCG;
	else
		return mkb_fail("'%s' is not auto, kvm or tcg", s);
	return 0;
}

static int parse_one(struct run_options *o, int c, const char *arg)
{
	int taken = image_option(&o->plan, c, arg);
	long v;

	if (taken < 0)
		return -1;
	if (taken > 0) {
		/*
		 * --firmware is a kernel's image layout and the machine's firmware
		 * at once; hybrid, which boots on both, leaves the machine's open.
		 */
		if (c == IMAGE_OPT_FIRMWARE) {
			o->firmware = o->plan.layout == IMAGE_LAYOUT_BIOS ? RUN_FIRMWARE_BIOS :
			              o->plan.layout == IMAGE_LAYOUT_UEFI ? RUN_FIRMWARE_UEFI : RUN_FIRMWARE_UNSET;
			o->firmware_given = 1;
		}
		return 0;
	}
	switch (c) {
	case OPT_TEST:
		o->test = 1;
		break;
	case OPT_TIMEOUT:
		if (parse_long(arg, 0, INT_MAX / 1000, &v) != 0)
			return mkb_fail("--timeout: '%s' is not a number of seconds", arg);
		o->timeout = v;
		break;
	case OPT_SUCCESS:
		if (parse_long(arg, 0, 255, &v) != 0)
			return mkb_fail("--success-exit-code: '%s' is not an exit status (0..255)", arg);
		o->success_exit_code = (int)v;
		break;
	case OPT_MACHINE:
		if (strcmp(arg, "pc") != 0 && strcmp(arg, "q35") != 0)
			return mkb_fail("--machine: '%s' is not pc or q35", arg);
		o->machine = arg;
		break;
	case OPT_MEMORY:
		/* A plain number is MiB, as QEMU's -m reads it. */
		if (parse_long(arg, 1, 1L << 30, &v) == 0)
			o->memory = (uint64_t)v * MKB_MIB;
		else if (mkb_parse_size(arg, &o->memory) != 0)
			return mkb_fail("--memory: %s", mkb_error());
		if (o->memory == 0 || o->memory % MKB_MIB != 0)
			return mkb_fail("--memory: '%s' is not a whole number of MiB (for example 256M or 1G)", arg);
		break;
	case OPT_ACCEL:
		if (run_accel_parse(arg, &o->accel) != 0)
			return mkb_fail("--accel: %s", mkb_error());
		break;
	case OPT_QEMU:
		o->qemu = arg;
		break;
	case OPT_GDB:
		o->gdb_port = RUN_GDB_SOCKET;
		if (arg != NULL) {
			if (parse_long(arg, 1, 65535, &v) != 0)
				return mkb_fail("--gdb: '%s' is not a TCP port (1..65535)", arg);
			o->gdb_port = (int)v;
		}
		break;
	case OPT_HEADLESS:
		o->headless = 1;
		break;
	case OPT_SMP:
		if (parse_long(arg, 1, RUN_MAX_CPUS, &v) != 0)
			return mkb_fail("--smp: '%s' is not a number of CPUs (1..%d)", arg, RUN_MAX_CPUS);
		o->smp = (int)v;
		break;
	case OPT_SERIAL:
		if (arg[0] == '\0')
			return mkb_fail("--serial: give a FILE, stdio or none");
		o->serial = arg;
		break;
	case OPT_DRY_RUN:
		o->dry_run = 1;
		break;
	case 'v':
		o->verbose = 1;
		break;
	case 'q':
		o->quiet = 1;
		break;
	case 'h':
		o->help = 1;
		break;
	case 1: /* a non-option, in order: the target */
		if (o->target != NULL)
			return mkb_fail("too many arguments: '%s' (QEMU arguments go after --)", arg);
		o->target = arg;
		break;
	default:
		return MKB_REPORTED;
	}
	return 0;
}

int run_options_parse(struct run_options *o, int argc, char **argv)
{
	int c;

	memset(o, 0, sizeof *o);
	o->timeout = -1;
	o->success_exit_code = -1;

	/*
	 * "-" returns non-options in order and stops at "--", leaving optind
	 * just past it: so QEMU's arguments are exactly what follows "--",
	 * and options may still come after the target.
	 */
	optind = 0; /* GNU: start afresh, the unit tests parse many times */
	while ((c = getopt_long(argc, argv, "-vqh", longopts, NULL)) != -1) {
		int rc = parse_one(o, c, optarg);
		if (rc != 0)
			return rc;
	}
	if (o->help)
		return 0;
	o->qemu_args = argv + optind;
	o->qemu_arg_count = (size_t)(argc - optind);
	if (o->target == NULL)
		return mkb_fail("no kernel or image given");
	return 0;
}

void run_options_free(struct run_options *o)
{
	plan_options_free(&o->plan);
}
