/*
 * `mkbootimg install`: write an image, or a kernel built into one, to a
 * whole disk such as a USB stick, after every check of blockdev.c and a
 * confirmation. The writing is here too, so unit tests can run it on files:
 * with it the erasing of an old partition table the image does not cover
 * (a backup GPT at the disk's end), and afterwards the kernel's re-read of
 * the partition table and the check of the partitions it then shows.
 */
#ifndef MKB_INSTALL_H
#define MKB_INSTALL_H

#include "blockdev.h"
#include "gpt.h"
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
	int list, force, yes, dry_run, verify, verbose, quiet, help;
};

/*
 * Parse argv (argv[0] is the word "install"). 0; -1 for a usage error with
 * mkb_error() set; MKB_REPORTED when getopt_long has printed the reason.
 */
int install_parse(struct install_options *o, int argc, char **argv);

/* The whole subcommand; returns the exit status (0, 1, or 2 for usage). */
int install_main(int argc, char **argv, const struct loader_blob *loader);

/* Set by SIGINT, SIGTERM and SIGHUP while writing; the writer stops at the next chunk. */
extern volatile sig_atomic_t install_interrupted;

/* Bytes [start, end) of the device. */
struct install_range {
	uint64_t start, end;
};

/* At most this many ranges of an old partition table lie outside an image. */
#define INSTALL_MAX_ERASE 8

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
	/*
	 * The device's size in bytes and its logical sector size, in which
	 * partition tables count (0: 512). With disk_size 0 nothing outside the
	 * image is touched; otherwise an old partition table there is erased.
	 */
	uint64_t disk_size;
	size_t sector;
	/* Set by install_write_image: the ranges outside the image that now read as zeros. */
	struct install_range erase[INSTALL_MAX_ERASE];
	size_t erase_count;
	uint64_t erased;     /* bytes of them rewritten, as they held something */
	int old_gpt;         /* an old GPT header lay outside the image (and is erased) */
	/*
	 * Set by install_write_image for an image with a GPT on a larger disk
	 * of 512-byte sectors: the image's first 34 sectors as written (the
	 * 0xEE entry and the primary header made for the disk), and the backup
	 * table written in the disk's last 33 sectors instead of the image's.
	 */
	int gpt_moved;
	uint8_t gpt_head[(1 + 1 + 32) * 512];
	uint8_t gpt_tail[GPT_TABLE_SECTORS * 512];
};

/*
 * Write the image: clear the old boot signature, erase what an old
 * partition table left outside the image (when disk_size is set), write
 * everything but the first block, flush, write the first block, flush.
 * An image with a GPT gets its backup table at the disk's end (where GPT
 * tools and firmware look for it), its protective MBR entry over the disk,
 * and zeros where the image had its backup. So a
 * disk pulled out half-way has no boot sector and cannot boot half an image.
 * 0, or -1 with mkb_error() saying how far it got.
 */
int install_write_image(struct install_write *w);

/*
 * Read the device back and compare with the image, and check that the
 * erased ranges read as zeros. 0, or -1 with mkb_error() set.
 */
int install_verify(struct install_write *w);

/* ---- Partition tables: the old one on the disk, the new one in the image ---- */

/* The fields of a GPT header used here (UEFI specification, "GPT Header"). */
struct install_gpt {
	uint64_t my_lba, alternate_lba, entries_lba;
	uint32_t entry_count, entry_size;
};

/* Does sector (len bytes) start with a GPT header ("EFI PART")? 1 with *g filled, or 0. */
int install_gpt_parse(const uint8_t *sector, size_t len, struct install_gpt *g);

/*
 * Where an old partition table can lie that an image of image_size bytes
 * does not overwrite, on a disk of disk_size bytes with sector-byte LBAs:
 * the MBR and primary GPT area (LBA 0 to the end of a 16 KiB entry array),
 * the backup GPT (the last LBA and 16 KiB before it), the alternate header
 * the old primary names and 16 KiB before it, and the entry arrays the old
 * headers name. primary is the old header at LBA 1, backup the one at the
 * last LBA, alternate the one at primary->alternate_lba; each may be NULL.
 * Ranges are clipped to [image_size, disk_size), sorted and merged; returns
 * how many were stored in out (at most max).
 */
size_t install_stale_ranges(uint64_t disk_size, uint64_t image_size, size_t sector,
                            const struct install_gpt *primary, const struct install_gpt *backup,
                            const struct install_gpt *alternate, struct install_range *out,
                            size_t max);

/* A partition an image defines; start and size in 512-byte units, as sysfs counts. */
struct install_part {
	unsigned number;  /* as the kernel numbers it: MBR slot 1-4, GPT entry index + 1 */
	uint64_t start, size;
	int container;    /* an MBR entry: may hold partitions numbered 5 and up */
	int extended;     /* an extended MBR entry (0x05, 0x0F, 0x85) */
};

#define INSTALL_MAX_PARTS 132 /* four MBR slots and 128 GPT entries */

/* The MBR's partitions (mbr: 512 bytes, LBAs of sector bytes). Returns how many were stored. */
size_t install_mbr_partitions(const uint8_t mbr[512], size_t sector, struct install_part *out,
                              size_t max);

/* A GPT's partitions, from its header and its entry array (len bytes). Returns how many. */
size_t install_gpt_partitions(const struct install_gpt *g, const uint8_t *entries, size_t len,
                              size_t sector, struct install_part *out, size_t max);

/*
 * The first partition the kernel shows (actual) that is none of the image's
 * (expected): same number, start and size; an extended MBR entry may show
 * shorter; numbers from 5 up (logical partitions, BSD slices) may lie
 * anywhere inside an MBR entry. NULL when there is none.
 */
const struct blockdev_part *install_unexpected_partition(const struct install_part *expected,
                                                         size_t n,
                                                         const struct blockdev_part *actual,
                                                         size_t m);

/* BLKRRPART on fd: 0, or -1 with errno set. */
int install_ioctl_reread(int fd);

/*
 * Ask the kernel to re-read the partition table of the disk written by w
 * (sysfs name disk under r), through reread (install_ioctl_reread; a stub in
 * tests), trying again while it says EBUSY, up to tries times, 0.1 s apart.
 * Then check that every partition the kernel shows is one the image has.
 * 0 with the partitions it shows, as "sdb1, sdb2" or "", in seen; or -1
 * with mkb_error() saying what the system still sees.
 */
int install_reread_partitions(struct install_write *w, const struct blockdev_roots *r,
                              const char *disk, int (*reread)(int fd), unsigned tries,
                              char *seen, size_t seen_size);

/* ---- The command line ---- */

/* What a path given to install is. */
enum install_kind {
	INSTALL_MISSING,  /* cannot be opened or does not exist */
	INSTALL_BLOCKDEV, /* a block device */
	INSTALL_KERNEL,   /* a file that starts with the ELF magic */
	INSTALL_IMAGE,    /* a file with the boot signature 0x55AA at byte 510 */
	INSTALL_OTHER,    /* anything else */
};

enum install_kind install_classify(const char *path);

/*
 * Are IMAGE|KERNEL and DEVICE given the wrong way round? 0 when not, or -1
 * with mkb_error() naming both and the order: a block device first, or a
 * kernel or image second after something that is neither.
 */
int install_check_order(const char *source, enum install_kind source_kind, const char *device,
                        enum install_kind device_kind);

/* Does answer (a line typed by the user) confirm writing to the disk called name? */
int install_answer_confirms(const char *answer, const char *name);

#endif
