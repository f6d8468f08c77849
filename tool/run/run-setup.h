/*
 * What a run will do, decided once from the command line, Cargo.toml and
 * the environment: the command line wins over Cargo.toml, which wins over
 * the defaults. Pure, so the precedence rules are unit-tested.
 */
#ifndef MKB_RUN_SETUP_H
#define MKB_RUN_SETUP_H

#include "firmware.h"

#include <stdint.h>

struct run_options;
struct cargo_config;

#define RUN_DEFAULT_QEMU "qemu-system-x86_64"
#define RUN_DEFAULT_MACHINE "q35"
#define RUN_DEFAULT_MEMORY_MIB 256
#define RUN_DEFAULT_TEST_TIMEOUT 300
#define RUN_DEFAULT_SUCCESS_EXIT_CODE 33 /* isa-debug-exit: (0x10 << 1) | 1 */

/* What run.c found out about the host; the unit tests fill it by hand. */
struct run_env {
	int display;         /* DISPLAY or WAYLAND_DISPLAY is set */
	int kvm_usable;      /* /dev/kvm opens read-write */
	const char *accel;   /* $MKBOOTIMG_ACCEL, or NULL */
	int test_binary;     /* the kernel lies in a deps/ or rustdoctest* folder */
	int no_gui;          /* QEMU offers no graphical display (no gtk, sdl or cocoa) */
	int block_device;    /* the target is a block device: booted read-only */
	const char *firmware; /* $MKBOOTIMG_FIRMWARE, or NULL */
	int image_known;     /* the target is an image (or a device holding one): image says what it boots on */
	struct image_firmwares image;
};

/* Where COM1 goes. */
enum run_serial {
	RUN_SERIAL_STDIO,   /* mkbootimg's standard output (the default) */
	RUN_SERIAL_FILE,    /* a file, --serial FILE */
	RUN_SERIAL_NONE,    /* nowhere, --serial none */
};

struct run_setup {
	int test;               /* judge the run by the kernel's isa-debug-exit verdict */
	int headless;           /* no display: COM1 on stdout, the screen printed at the end */
	int watch;              /* QMP: end the run on a halt or reset, read the screen */
	int no_reboot;          /* a reset ends the run */
	long timeout;           /* seconds, 0 for none */
	int success_exit_code;
	const char *qemu;       /* the program */
	const char *machine;
	uint64_t memory_mib;
	const char *accel;      /* "kvm" or "tcg" */
	int accel_chosen;       /* by --accel auto: run says which, and why */
	int gdb_port;           /* 0: no debugger; RUN_GDB_SOCKET: a unix socket; else a TCP port */
	int smp;                /* CPUs; 0: QEMU's default */
	enum run_serial serial;
	const char *serial_file; /* for RUN_SERIAL_FILE */
	int no_gui_fallback;    /* a display is set, but QEMU has no GUI: headless instead */
	int read_only_disk;     /* the disk is a device: QEMU writes to a snapshot only */
	enum run_firmware firmware; /* BIOS (SeaBIOS) or UEFI (OVMF); never UNSET */
	int firmware_from_image;    /* nothing chose it: the image boots on UEFI only */
};

/*
 * 0, or -1 with mkb_error() set: a bad $MKBOOTIMG_ACCEL or $MKBOOTIMG_FIRMWARE,
 * or a firmware the image cannot boot on.
 */
int run_setup_resolve(struct run_setup *s, const struct run_options *o, const struct cargo_config *c,
                      const struct run_env *e);

#endif
