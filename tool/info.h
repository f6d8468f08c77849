/*
 * mkbootimg info: what an image holds, or what an image of a kernel would
 * hold, for people (text with a physical memory map) and scripts (--json).
 * An image is outside data: every offset its manifest gives is checked
 * against the manifest and the file before it is used.
 */
#ifndef MKB_INFO_H
#define MKB_INFO_H

#include "fat.h"
#include "gpt.h"
#include "plan.h"

#include <mkbootimg/image.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct loader_blob;

#define INFO_MAX_PARTS 8   /* partitions shown; mkbootimg writes two */
#define INFO_MAX_FILES 32  /* ESP entries shown */
#define INFO_FAULT_MAX 200

/* A file or directory of the ESP. */
struct info_file {
	char path[FAT_PATH_MAX];
	uint64_t size;
	int directory;
};

/* An image, as read and checked by info_read_image. */
struct info_image {
	enum image_layout layout;     /* bios: an MBR; hybrid or uefi: a GPT, with or without stage 2 */
	uint64_t file_size;
	char loader_version[MKB_LOADER_NAME_MAX + 1]; /* printable ASCII only */
	uint16_t stage2_sectors;
	uint16_t stage2_version;
	uint64_t manifest_lba;
	struct mkb_manifest m;
	struct mkb_segment *segments; /* m.segment_count entries */
	struct mkb_module *modules;   /* m.module_count entries */
	char *cmdline;                /* NUL-terminated copy */
	char **module_strings;        /* m.module_count NUL-terminated copies */
	struct mkb_linux linux_block; /* protocol linux: the manifest's Linux block */
	int has_pie;                  /* 1: a native kernel's struct mkb_pie (relocatable, KASLR) */
	struct mkb_pie pie;
	int truncated;                /* 1: the file is shorter than m.image_sectors */
	int checksum_checked;         /* 0 when the payload is not all in the file */
	uint64_t checksum;            /* computed over the payload, when checked */
	/* GPT layouts: the partitions, the ESP's files, and what is damaged ("" when sound). */
	struct gpt_part parts[INFO_MAX_PARTS];
	size_t part_count;
	struct info_file files[INFO_MAX_FILES];
	size_t file_count;            /* at most INFO_MAX_FILES are kept */
	int efi_loader;               /* 1: \EFI\BOOT\BOOTX64.EFI is in the ESP */
	uint64_t efi_loader_size;
	char gpt_fault[INFO_FAULT_MAX];
	char esp_fault[INFO_FAULT_MAX];
};

/*
 * Read and check the image in fd. 0, or -1 with mkb_error() set (without
 * the file's name). On success free with info_image_free.
 */
int info_read_image(int fd, struct info_image *im);
void info_image_free(struct info_image *im);

/* Print im as text or JSON. Returns 0 when the image is sound, 1 otherwise. */
int info_print_image(FILE *f, const char *path, const struct info_image *im, int json);

/*
 * Is the image im, read from path, sound: all of it in the file, and its
 * payload checksum matching? 0, or -1 with mkb_error() set to "PATH: why",
 * the sentence info prints in its report.
 */
int info_check_image(const char *path, const struct info_image *im);

/*
 * Could the image at path (a file or a block device) boot? Everything
 * `mkbootimg info` calls damaged fails: unreadable, not an mkbootimg image,
 * a bad manifest, cut short, a checksum mismatch, a damaged GPT (a CRC32
 * that does not match) or ESP (its FAT32 volume, or no BOOTX64.EFI in it).
 * 0, or -1 with mkb_error()
 * set to "PATH: why", the message info prints on stderr for that image.
 */
int info_check_image_file(const char *path);

/* Write a JSON string literal (with the quotes) for s. */
void info_json_string(FILE *f, const char *s);

/*
 * `mkbootimg info` without the program name in argv[0] handling: parses
 * options, prints, returns the exit status (0, 1 or 2).
 */
int info_main(int argc, char **argv, const struct loader_blob *loader);

#endif
