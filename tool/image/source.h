/*
 * What a path on the command line holds, told by its content and not by its
 * name: the one classifier that run, install and info share.
 */
#ifndef MKB_SOURCE_H
#define MKB_SOURCE_H

enum source_kind {
	SOURCE_MISSING,    /* not there, or not to be opened (err says why) */
	SOURCE_OTHER,      /* none of the kinds below, or not a file or a device at all */
	SOURCE_KERNEL,     /* starts with the ELF magic, or has a Linux setup header (a bzImage) */
	SOURCE_MKB_IMAGE,  /* the boot signature, and mkbootimg's stage 2 at LBA 34 */
	SOURCE_DISK_IMAGE, /* the boot signature only: another boot sector or disk image */
};

struct source {
	enum source_kind kind;
	int regular;       /* a regular file */
	int block_device;  /* a block device; its content is classified too, when it can be read */
	int err;           /* SOURCE_MISSING: the errno of stat or open */
};

/* Never fails: what cannot be looked at is SOURCE_MISSING or SOURCE_OTHER. */
void source_classify(const char *path, struct source *s);

/* The same for a file or device already open (fd is read with pread only). */
void source_classify_fd(int fd, struct source *s);

#endif
