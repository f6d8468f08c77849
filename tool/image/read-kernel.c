/*
 * kernel_open: the file opened and checked once, then read by the reader
 * its content calls for: a file that is not ELF with a Linux setup header is
 * a Linux kernel (linux.c), a Multiboot header makes a Multiboot kernel
 * (multiboot.c), anything else must be a native ELF kernel (elf-kernel.c).
 */
#include "elf-kernel.h"
#include "kernel.h"
#include "linux.h"
#include "multiboot.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int kernel_open(struct kernel *k, const char *path)
{
	return kernel_open_protocol(k, path, KERNEL_PROTOCOL_AUTO);
}

int kernel_open_protocol(struct kernel *k, const char *path, int protocol)
{
	struct stat st;
	Elf *elf;
	int r;

	*k = (struct kernel){ .fd = -1, .handoff = { NULL, 0, KERNEL_NO_FIXUP } };
	if (elf_version(EV_CURRENT) == EV_NONE)
		return mkb_fail("libelf: %s", elf_errmsg(-1));
	/* O_NONBLOCK: a FIFO must be refused below, not wait for a writer. */
	k->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (k->fd < 0)
		return mkb_fail("%s: %s", path, strerror(errno));
	if ((k->path = strdup(path)) == NULL) {
		r = mkb_fail("%s: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(k->fd, &st) != 0) {
		r = mkb_fail("%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		/* image.c reads segments with pread: pipes and directories won't do. */
		r = mkb_fail("%s: not a regular file", path);
		goto fail;
	}
	k->file_size = (uint64_t)st.st_size;

	/* A setup header in a file that is not ELF makes it a Linux kernel. */
	r = linux_open(k, protocol);
	if (r == 0)
		return 0;
	if (r < 0)
		goto fail;
	/* A Multiboot header makes it a Multiboot kernel (multiboot.c reads it whole). */
	r = multiboot_open(k, protocol);
	if (r == 0)
		return 0;
	if (r < 0)
		goto fail;

	/* ELF_C_READ reads headers and notes on demand; segment bytes are never read here. */
	elf = elf_begin(k->fd, ELF_C_READ, NULL);
	if (elf == NULL) {
		r = mkb_fail("%s: not an ELF file (%s), and no Multiboot 1 or 2 header nor Linux setup "
		             "header: %s", path, elf_errmsg(-1), KERNEL_LOOKED_FOR);
		goto fail;
	}
	r = elf_kernel_read(k, elf);
	elf_end(elf);
	if (r == 0)
		return 0;
fail:
	kernel_close(k);
	return r;
}
