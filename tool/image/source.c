#include "source.h"
#include "linux.h"
#include "util.h"

#include <mkbootimg/image.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The kind of what fd holds, a regular file or a device. */
static enum source_kind content_kind(int fd)
{
	uint8_t mbr[2 * MKB_SECTOR_SIZE], stage2[4];
	ssize_t n = mkb_pread_full(fd, mbr, sizeof mbr, 0);

	/* A bzImage has the boot signature too; its setup header ("HdrS") tells it apart. */
	if ((n >= 4 && memcmp(mbr, "\177ELF", 4) == 0) || (n > 0 && linux_detect(mbr, (size_t)n)))
		return SOURCE_KERNEL;
	if (n < MKB_SECTOR_SIZE || mbr[MKB_MBR_BOOT_SIGNATURE] != 0x55 ||
	    mbr[MKB_MBR_BOOT_SIGNATURE + 1] != 0xaa)
		return SOURCE_OTHER;
	/* LBA 34 holds stage 2, or in a UEFI-only image (--firmware uefi) the manifest itself. */
	if (mkb_pread_full(fd, stage2, sizeof stage2, (off_t)MKB_STAGE2_LBA * MKB_SECTOR_SIZE) != 4)
		return SOURCE_DISK_IMAGE;
	return le32(stage2) == MKB_STAGE2_MAGIC || le32(stage2) == MKB_MANIFEST_MAGIC
	               ? SOURCE_MKB_IMAGE : SOURCE_DISK_IMAGE;
}

void source_classify_fd(int fd, struct source *s)
{
	struct stat st;

	memset(s, 0, sizeof *s);
	if (fstat(fd, &st) != 0) {
		s->kind = SOURCE_MISSING;
		s->err = errno;
		return;
	}
	s->regular = S_ISREG(st.st_mode);
	s->block_device = S_ISBLK(st.st_mode);
	s->kind = s->regular || s->block_device ? content_kind(fd) : SOURCE_OTHER;
}

void source_classify(const char *path, struct source *s)
{
	struct stat st;
	int fd;

	memset(s, 0, sizeof *s);
	if (stat(path, &st) != 0) {
		s->kind = SOURCE_MISSING;
		s->err = errno;
		return;
	}
	s->regular = S_ISREG(st.st_mode);
	s->block_device = S_ISBLK(st.st_mode);
	s->kind = SOURCE_OTHER;
	if (!s->regular && !s->block_device)
		return; /* a FIFO would make us wait for a writer, a directory has no content */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		s->kind = SOURCE_MISSING;
		s->err = errno;
		return;
	}
	s->kind = content_kind(fd);
	close(fd);
}
