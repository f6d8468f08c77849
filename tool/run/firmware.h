/*
 * The firmware a run boots with: SeaBIOS (QEMU's own, the default) or
 * UEFI through OVMF, found where the systems put it; and which of the two
 * an image on disk can boot from. Paths are looked up under a root folder
 * ("" on a real run), so the unit tests can give a fake file tree.
 */
#ifndef MKB_FIRMWARE_H
#define MKB_FIRMWARE_H

#include "plan.h"

#include <limits.h>

enum run_firmware { RUN_FIRMWARE_UNSET, RUN_FIRMWARE_BIOS, RUN_FIRMWARE_UEFI };

#define RUN_FIRMWARE_ENV "MKBOOTIMG_FIRMWARE"
#define OVMF_CODE_ENV "MKBOOTIMG_OVMF_CODE"
#define OVMF_VARS_ENV "MKBOOTIMG_OVMF_VARS"

#define OVMF_MISSING_HINT \
	"install it (Debian, Ubuntu: apt install ovmf; Fedora: dnf install edk2-ovmf; " \
	"Arch: pacman -S edk2-ovmf; macOS: brew install qemu), or give its two files with " \
	OVMF_CODE_ENV "=FILE and " OVMF_VARS_ENV "=FILE"

/* "bios" or "uefi" -> the enum; -1 with mkb_error() set for anything else. */
int run_firmware_parse(const char *s, enum run_firmware *out);
const char *run_firmware_name(enum run_firmware f);

/* OVMF's two flash images: the code (read-only) and the variables' template (copied per run). */
struct ovmf_files {
	char code[PATH_MAX];
	char vars[PATH_MAX];
};

/* Where OVMF is looked for, in order; what ovmf_find was given. */
struct ovmf_search {
	const char *root;        /* prefix of every path below: "" on a real run */
	const char *env_code;    /* $MKBOOTIMG_OVMF_CODE, or NULL */
	const char *env_vars;    /* $MKBOOTIMG_OVMF_VARS, or NULL */
	const char *brew_prefix; /* $HOMEBREW_PREFIX, or NULL: /opt/homebrew and /usr/local are tried */
};

/*
 * Find OVMF: both environment variables when either is set (each must name
 * a readable file), else the first pair of readable files among Debian's,
 * Fedora's, Arch's and Homebrew's places. 0, or -1 with mkb_error() set to
 * a sentence that names what to install or what is wrong.
 */
int ovmf_find(struct ovmf_files *out, const struct ovmf_search *where);

/* A private copy of OVMF's variables for one run (it is written to). 0, or -1 with mkb_error(). */
int ovmf_copy_vars(const char *from, const char *to);

/* What an image (a file or a device holding one) can boot from. */
struct image_firmwares {
	int bios;  /* stage 2, which stage 1 loads: --firmware bios and hybrid */
	int uefi;  /* an EFI system partition holding BOOTX64.EFI: --firmware uefi and hybrid */
};

/* The image's layout, as info reads it. 0, or -1 with mkb_error() set ("PATH: why"). */
int image_firmwares_read(const char *path, struct image_firmwares *out);

/* The same for a layout. */
void image_firmwares_of(enum image_layout layout, struct image_firmwares *out);

#endif
