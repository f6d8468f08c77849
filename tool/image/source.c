#include "source.h"
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

void source_classify(const char *path, struct source *s)
{
	uint8_t mbr[MKB_SECTOR_SIZE], stage2[4];
	struct stat st;
	ssize_t n;
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
	n = mkb_pread_full(fd, mbr, sizeof mbr, 0);
	if (n >= 4 && memcmp(mbr, "\177ELF", 4) == 0)
		s->kind = SOURCE_KERNEL;
	else if (n == (ssize_t)sizeof mbr && mbr[MKB_MBR_BOOT_SIGNATURE] == 0x55 &&
	         mbr[MKB_MBR_BOOT_SIGNATURE + 1] == 0xaa)
		s->kind = mkb_pread_full(fd, stage2, sizeof stage2, (off_t)MKB_STAGE2_LBA * MKB_SECTOR_SIZE) == 4 &&
		          le32(stage2) == MKB_STAGE2_MAGIC ? SOURCE_MKB_IMAGE : SOURCE_DISK_IMAGE;
	close(fd);
}
