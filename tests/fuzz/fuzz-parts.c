/*
 * The partition-table readers of install (tool/install.c), on what a disk
 * holds before it is written and on the image's own tables: the MBR's
 * entries, GPT headers (at LBA 1, at the last LBA, where the primary's
 * AlternateLBA points), a GPT's entry array, and the ranges an old table
 * can occupy outside the image.
 *
 * Input: [flags: bit 0 set = 4096-byte sectors][disk sectors, 32 bits LE]
 * [image sectors, 32 bits LE][the disk's first sectors ...]; the last
 * sector of the input stands for the disk's last LBA.
 */
#include "install.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The header at lba, when the input holds that sector. */
static const struct install_gpt *header_at(const uint8_t *disk, size_t n, uint64_t lba, size_t sector,
                                           struct install_gpt *g)
{
	if (lba >= n / sector || !install_gpt_parse(disk + lba * sector, sector, g))
		return NULL;
	return g;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct install_part parts[INSTALL_MAX_PARTS];
	struct install_range ranges[16];
	struct install_gpt g1, g2, g3;
	const struct install_gpt *primary, *backup = NULL, *alternate = NULL;
	size_t sector, n, count = 0;
	const uint8_t *disk;

	if (size < 9 + MKB_SECTOR_SIZE)
		return -1;
	sector = data[0] & 1 ? 4096 : MKB_SECTOR_SIZE;
	uint64_t disk_size = (uint64_t)le32(data + 1) * sector, image_size = (uint64_t)le32(data + 5) * sector;
	disk = data + 9;
	n = size - 9;

	count += install_mbr_partitions(disk, sector, parts, INSTALL_MAX_PARTS);
	primary = header_at(disk, n, 1, sector, &g1);
	if (n >= 2 * sector)
		backup = header_at(disk, n, n / sector - 1, sector, &g2);
	if (primary != NULL) {
		alternate = header_at(disk, n, primary->alternate_lba, sector, &g3);
		if (primary->entries_lba < n / sector) {
			size_t at = (size_t)primary->entries_lba * sector;
			count += install_gpt_partitions(primary, disk + at, n - at, sector, parts + count,
			                                INSTALL_MAX_PARTS - count);
		}
	}
	/* A header's own length check: every length up to a sector. */
	install_gpt_parse(disk, n < sector ? n : sector, &g3);
	size_t m = install_stale_ranges(disk_size, image_size, sector, primary, backup, alternate, ranges,
	                                sizeof ranges / sizeof ranges[0]);
	for (size_t i = 0; i < m; i++)
		if (ranges[i].start >= ranges[i].end || ranges[i].start < image_size || ranges[i].end > disk_size ||
		    (i > 0 && ranges[i].start <= ranges[i - 1].end))
			__builtin_trap(); /* the ranges must be clipped, sorted and merged, as promised */
	if (count > INSTALL_MAX_PARTS)
		__builtin_trap();
	return 0;
}
