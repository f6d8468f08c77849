/* source.c: kernel, image or device, told by content. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "elf-builder.h"
#include "source.h"
#include "util.h"

#include <mkbootimg/image.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[PATH_MAX], path[PATH_MAX + 16];

static void write_head(const uint8_t *bytes, size_t n)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(mkb_pwrite_full(fd, bytes, n, 0), 0);
	close(fd);
}

static void test_source_kinds(void **state)
{
	static uint8_t disk[(MKB_STAGE2_LBA + 1) * MKB_SECTOR_SIZE];
	uint32_t magic = MKB_STAGE2_MAGIC;
	struct source s;

	(void)state;
	assert_int_equal(eb_temp_dir(dir, sizeof dir), 0);
	snprintf(path, sizeof path, "%s/f", dir);

	source_classify(path, &s);
	assert_int_equal(s.kind, SOURCE_MISSING);
	assert_int_equal(s.err, ENOENT);

	write_head((const uint8_t *)"\177ELF\2\1\1", 7);
	source_classify(path, &s);
	assert_int_equal(s.kind, SOURCE_KERNEL);
	assert_true(s.regular);
	assert_false(s.block_device);

	disk[510] = 0x55;
	disk[511] = 0xaa;
	write_head(disk, sizeof disk);
	source_classify(path, &s);
	assert_int_equal(s.kind, SOURCE_DISK_IMAGE); /* a boot sector, but not our loader */

	memcpy(disk + MKB_STAGE2_LBA * MKB_SECTOR_SIZE, &magic, 4);
	write_head(disk, sizeof disk);
	source_classify(path, &s);
	assert_int_equal(s.kind, SOURCE_MKB_IMAGE);
	int fd = open(path, O_RDONLY); /* the same answer for an open descriptor */
	assert_true(fd >= 0);
	source_classify_fd(fd, &s);
	close(fd);
	assert_int_equal(s.kind, SOURCE_MKB_IMAGE);
	assert_true(s.regular);

	/* A UEFI-only image: the manifest at LBA 34, no stage 2. */
	magic = MKB_MANIFEST_MAGIC;
	memcpy(disk + MKB_STAGE2_LBA * MKB_SECTOR_SIZE, &magic, 4);
	write_head(disk, sizeof disk);
	source_classify(path, &s);
	assert_int_equal(s.kind, SOURCE_MKB_IMAGE);

	write_head(disk, MKB_SECTOR_SIZE); /* cut before stage 2: only a boot sector */
	source_classify(path, &s);
	assert_int_equal(s.kind, SOURCE_DISK_IMAGE);

	disk[511] = 0;
	write_head(disk, sizeof disk);
	source_classify(path, &s);
	assert_int_equal(s.kind, SOURCE_OTHER);
	unlink(path);

	/* Neither a file nor a device: nothing is opened (a FIFO would wait for a writer). */
	assert_int_equal(mkfifo(path, 0600), 0);
	source_classify(path, &s);
	assert_int_equal(s.kind, SOURCE_OTHER);
	assert_false(s.regular);
	unlink(path);
	source_classify(dir, &s);
	assert_int_equal(s.kind, SOURCE_OTHER);
	rmdir(dir);
	source_classify("/dev/null", &s);
	assert_int_equal(s.kind, SOURCE_OTHER);
	assert_false(s.block_device);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_source_kinds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
