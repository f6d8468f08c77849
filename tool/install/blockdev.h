/*
 * Block devices for `mkbootimg install`: what a device is (disk or
 * partition, size, removable, transport, model) and what uses it (mounts,
 * swap, device-mapper/LVM/RAID holders, the running system), read from sysfs
 * and /proc. The roots are parameters so unit tests can use a fake tree.
 */
#ifndef MKB_BLOCKDEV_H
#define MKB_BLOCKDEV_H

#include <stddef.h>
#include <stdint.h>

#define BLOCKDEV_NAME_MAX 64

struct blockdev_roots {
	const char *sys;  /* "/sys" */
	const char *proc; /* "/proc": self/mountinfo and swaps */
};

extern const struct blockdev_roots blockdev_system_roots;

struct blockdev {
	char name[BLOCKDEV_NAME_MAX];     /* the kernel's name: "sdb", "sdb1", "loop3" */
	char node[BLOCKDEV_NAME_MAX + 8]; /* "/dev/sdb" */
	unsigned major, minor;
	int partition;                    /* 1: a partition of disk[] */
	char disk[BLOCKDEV_NAME_MAX];     /* for a partition, its whole disk */
	int stacked;                      /* built on other devices (device-mapper, RAID) */
	char slave[BLOCKDEV_NAME_MAX];    /* then the first of them */
	uint64_t size;                    /* bytes */
	int read_only, removable, usb;
	char transport[16];               /* "usb", "sata", "nvme", "mmc", "virtio", "loop", ... */
	char vendor[64], model[64];
	const char *system_mount;         /* "/", "/boot" or "/boot/efi" when the running system is on it */
	int mounted;                      /* the disk or one of its partitions is mounted */
	char in_use[320];                 /* the first use found, as a phrase: "sdb1 is mounted on /mnt" */
};

/*
 * Find the block device at path (after symlinks) and inspect it. Refuses,
 * with mkb_error() set, a path that does not exist or is not a block device.
 */
int blockdev_lookup(const struct blockdev_roots *r, const char *path, struct blockdev *d);

/* Inspect the block device major:minor. 0, or -1 with mkb_error() set. */
int blockdev_inspect(const struct blockdev_roots *r, unsigned major, unsigned minor,
                     struct blockdev *d);

/*
 * May an image of image_size bytes be written to d? 0, or -1 with mkb_error()
 * saying why not. force accepts a disk that is neither removable nor on USB;
 * nothing overrides the other refusals.
 */
int blockdev_check(const struct blockdev *d, uint64_t image_size, int force);

/*
 * The candidate disks: removable or on USB, whole, not stacked, and not
 * holding the running system (which install refuses anyway). *list is
 * malloc'ed, sorted by name. 0, or -1 with mkb_error() set.
 */
int blockdev_list(const struct blockdev_roots *r, struct blockdev **list, size_t *count);

/* A partition as the kernel shows it now in sysfs; start and size in 512-byte units. */
struct blockdev_part {
	char name[BLOCKDEV_NAME_MAX]; /* "sdb1" */
	unsigned number;              /* its "partition" attribute: 1 for sdb1 */
	uint64_t start, size;
};

/*
 * The partitions the kernel shows for the whole disk called name ("sdb", as
 * in struct blockdev), sorted by number. *list is malloc'ed (NULL when there
 * are none). 0, or -1 with mkb_error() set.
 */
int blockdev_partitions(const struct blockdev_roots *r, const char *name,
                        struct blockdev_part **list, size_t *count);

/* "16.0 GB": decimal units, as printed on a stick's label. */
void blockdev_format_size(char *buf, size_t size, uint64_t bytes);

#endif
