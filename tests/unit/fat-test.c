/* fat.c: the FAT32 volume the ESP holds, written into memory and read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "elf-builder.h"
#include "fat.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define BASE (2048 * 512) /* the volume's offset on the test disk */

static uint8_t *disk;       /* BASE + FAT_ESP_SECTORS sectors */
static uint8_t efi[EB_EFI_SIZE];
static size_t sink_calls, sink_sectors, reads;

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

static int sink(void *ctx, uint64_t sector, const uint8_t *buf, size_t count)
{
	(void)ctx;
	memcpy(disk + BASE + sector * 512, buf, count * 512);
	sink_calls++;
	sink_sectors += count;
	return 0;
}

static int source(void *ctx, uint64_t offset, void *buf, size_t n)
{
	(void)ctx;
	reads++;
	if (offset + n > BASE + (uint64_t)FAT_ESP_SECTORS * 512)
		return mkb_fail("read past the disk");
	memcpy(buf, disk + offset, n);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	eb_fake_efi(efi);
	disk = calloc(1, BASE + (size_t)FAT_ESP_SECTORS * 512);
	sink_calls = sink_sectors = 0;
	if (disk == NULL || fat_write(FAT_ESP_SECTORS, 2048, 0xcafe1234, efi, sizeof efi, sink, NULL) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(disk);
	return 0;
}

static void test_fat_geometry(void **state)
{
	struct fat_geometry g;

	(void)state;
	assert_int_equal(fat_geometry(FAT_ESP_SECTORS, &g), 0);
	assert_true(g.clusters >= FAT_MIN_CLUSTERS);
	assert_true((uint64_t)g.fat_sectors * 128 >= g.clusters + 2); /* every cluster mapped */
	assert_true((uint64_t)(g.fat_sectors - 1) * 128 < g.clusters + 2); /* and no larger */
	assert_int_equal(g.data_start, 32 + 2 * g.fat_sectors);
	assert_int_equal(g.clusters, FAT_ESP_SECTORS - g.data_start);
	assert_int_equal(fat_geometry(60000, &g), -1);
	assert_string_equal(mkb_error(), "a FAT32 volume of 60000 sectors would have fewer than "
	                                 "65525 clusters");
	assert_int_equal(fat_geometry(10, &g), -1);
}

static void test_fat_boot_sector(void **state)
{
	const uint8_t *b = disk + BASE, *fsinfo = b + 512;
	struct fat_geometry g;

	(void)state;
	fat_geometry(FAT_ESP_SECTORS, &g);
	assert_memory_equal(b, "\xeb\x58\x90", 3);
	assert_int_equal(get16(b + 11), 512);
	assert_int_equal(b[13], 1);
	assert_int_equal(get16(b + 14), 32);
	assert_int_equal(b[16], 2);
	assert_int_equal(get16(b + 17), 0);  /* FAT32: no fixed root directory */
	assert_int_equal(get16(b + 19), 0);
	assert_int_equal(b[21], 0xf8);
	assert_int_equal(get16(b + 22), 0);
	assert_int_equal(get32(b + 28), 2048);
	assert_int_equal(get32(b + 32), FAT_ESP_SECTORS);
	assert_int_equal(get32(b + 36), g.fat_sectors);
	assert_int_equal(get32(b + 44), 2);
	assert_int_equal(get16(b + 48), 1);
	assert_int_equal(get16(b + 50), 6);
	assert_int_equal(b[66], 0x29);
	assert_int_equal(get32(b + 67), 0xcafe1234);
	assert_memory_equal(b + 71, "EFI SYSTEM FAT32   ", 19);
	assert_int_equal(get16(b + 510), 0xaa55);
	assert_memory_equal(b + 6 * 512, b, 512); /* the backup */
	/* FSInfo: signatures, free clusters (all but root, EFI, BOOT and the file's 3), next free. */
	assert_int_equal(get32(fsinfo), 0x41615252);
	assert_int_equal(get32(fsinfo + 484), 0x61417272);
	assert_int_equal(get32(fsinfo + 488), g.clusters - 6);
	assert_int_equal(get32(fsinfo + 492), 8);
	assert_int_equal(get32(fsinfo + 508), 0xaa550000);
	assert_memory_equal(b + 7 * 512, fsinfo, 512);
}

static void test_fat_tables(void **state)
{
	struct fat_geometry g;
	const uint8_t *fat;

	(void)state;
	fat_geometry(FAT_ESP_SECTORS, &g);
	fat = disk + BASE + 32 * 512;
	assert_int_equal(get32(fat), 0x0ffffff8);
	assert_int_equal(get32(fat + 4), 0x0fffffff);
	for (int c = 2; c <= 4; c++)
		assert_int_equal(get32(fat + 4 * c), 0x0fffffff); /* root, EFI, BOOT: one cluster each */
	assert_int_equal(get32(fat + 4 * 5), 6);             /* the file: 5 -> 6 -> 7 */
	assert_int_equal(get32(fat + 4 * 6), 7);
	assert_int_equal(get32(fat + 4 * 7), 0x0fffffff);
	assert_int_equal(get32(fat + 4 * 8), 0);
	assert_memory_equal(fat + (size_t)g.fat_sectors * 512, fat, 512); /* the second FAT */
	/* Only sectors with something in them were handed over: the rest stays a hole. */
	assert_true(sink_sectors <= 4 + 2 + 3 + 3);
}

struct seen {
	char paths[8][FAT_PATH_MAX];
	size_t n;
};

static void remember(void *ctx, const struct fat_entry *e)
{
	struct seen *s = ctx;
	if (s->n < 8)
		strcpy(s->paths[s->n++], e->path);
}

static void test_fat_read_back(void **state)
{
	struct fat_volume v;
	struct fat_entry e;
	struct seen s = { .n = 0 };
	uint8_t back[EB_EFI_SIZE];

	(void)state;
	assert_int_equal(fat_open(&v, source, NULL, BASE, (uint64_t)FAT_ESP_SECTORS * 512), 0);
	assert_memory_equal(v.label, "EFI SYSTEM ", 11);
	assert_int_equal(fat_walk(&v, remember, &s), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.paths[0], "\\EFI");
	assert_string_equal(s.paths[1], "\\EFI\\BOOT");
	assert_string_equal(s.paths[2], "\\EFI\\BOOT\\BOOTX64.EFI");
	assert_int_equal(fat_find(&v, "\\efi\\boot\\bootx64.efi", &e), 1);
	assert_int_equal(e.size, EB_EFI_SIZE);
	assert_int_equal(e.cluster, 5);
	assert_int_equal(fat_read_file(&v, &e, back), 0);
	assert_memory_equal(back, efi, sizeof efi);
	assert_int_equal(fat_find(&v, "\\EFI\\BOOT\\BOOTIA32.EFI", &e), 0);
}

static void test_fat_damage_refused(void **state)
{
	struct fat_volume v;
	struct fat_entry e;
	uint8_t *fat = disk + BASE + 32 * 512;
	uint64_t size = (uint64_t)FAT_ESP_SECTORS * 512;

	(void)state;
	fat[4 * 6] = 6; /* cluster 6 points to itself */
	assert_int_equal(fat_open(&v, source, NULL, BASE, size), 0);
	assert_int_equal(fat_find(&v, "\\EFI\\BOOT\\BOOTX64.EFI", &e), -1);
	assert_string_equal(mkb_error(), "the FAT is damaged: the chain of \\EFI\\BOOT\\BOOTX64.EFI "
	                                 "loops or crosses another at cluster 6");
	fat[4 * 6] = 7;
	fat[4 * 7] = 8; /* one cluster too many */
	fat[4 * 7 + 1] = fat[4 * 7 + 2] = fat[4 * 7 + 3] = 0;
	assert_int_equal(fat_find(&v, "\\EFI\\BOOT\\BOOTX64.EFI", &e), -1);
	assert_string_equal(mkb_error(), "the FAT is damaged: the chain of \\EFI\\BOOT\\BOOTX64.EFI "
	                                 "is longer than its 1300 bytes (or loops)");
	fat[4 * 6] = 0xf7;
	fat[4 * 6 + 1] = fat[4 * 6 + 2] = 0xff;
	fat[4 * 6 + 3] = 0x0f; /* a bad cluster */
	assert_int_equal(fat_find(&v, "\\EFI\\BOOT\\BOOTX64.EFI", &e), -1);
	assert_string_equal(mkb_error(), "the FAT is damaged: cluster 6 is followed by 268435447");
	/* A directory entry pointing past the volume. */
	disk[BASE + (size_t)(32 + 2 * v.fat_sectors) * 512 + 32 + 26] = 0xff;
	disk[BASE + (size_t)(32 + 2 * v.fat_sectors) * 512 + 32 + 20] = 0xff;
	assert_int_equal(fat_walk(&v, remember, &(struct seen){ .n = 0 }), -1);
	assert_string_equal(mkb_error(), "the FAT is damaged: \\EFI starts at cluster 16711935, "
	                                 "which does not exist");
	/* Boot sectors. */
	disk[BASE + 13] = 3;
	assert_int_equal(fat_open(&v, source, NULL, BASE, size), -1);
	assert_non_null(strstr(mkb_error(), "the FAT boot sector is damaged"));
	disk[BASE + 13] = 1;
	disk[BASE + 22] = 1; /* a FAT16 FAT size */
	assert_int_equal(fat_open(&v, source, NULL, BASE, size), -1);
	assert_string_equal(mkb_error(), "not FAT32 (a FAT12 or FAT16 boot sector)");
	disk[BASE + 22] = 0;
	/* 255 FATs of 0x01010102 sectors: 2^32 + 254, which must not wrap to a small data start. */
	disk[BASE + 16] = 255;
	memcpy(disk + BASE + 36, "\x02\x01\x01\x01", 4);
	assert_int_equal(fat_open(&v, source, NULL, BASE, size), -1);
	assert_non_null(strstr(mkb_error(), "more than its partition"));
	disk[BASE + 16] = 2;
	assert_int_equal(fat_open(&v, source, NULL, BASE, size / 2), -1);
	assert_non_null(strstr(mkb_error(), "more than its partition"));
	disk[BASE + 511] = 0;
	assert_int_equal(fat_open(&v, source, NULL, BASE, size), -1);
	assert_string_equal(mkb_error(), "no FAT boot sector (no 0x55AA signature)");
}

/* The directory cluster of dir (cluster c, one sector per cluster). */
static uint8_t *cluster_at(const struct fat_volume *v, uint32_t c)
{
	return disk + BASE + (size_t)(32 + 2 * v->fat_sectors + c - 2) * 512;
}

/* Crafted loops cost a few reads, not one per cluster per entry (hours on a big volume). */
static void test_fat_loops_refused_quickly(void **state)
{
	struct fat_volume v;
	struct fat_entry e;
	uint8_t *fat = disk + BASE + 32 * 512, *boot;

	(void)state;
	assert_int_equal(fat_open(&v, source, NULL, BASE, (uint64_t)FAT_ESP_SECTORS * 512), 0);
	boot = cluster_at(&v, 4);
	/* A 4 GiB file whose chain loops at once: refused before its chain is followed. */
	memset(boot + 2 * 32 + 28, 0xff, 4);
	fat[4 * 5] = 5;
	fat[4 * 5 + 1] = fat[4 * 5 + 2] = fat[4 * 5 + 3] = 0;
	reads = 0;
	assert_int_equal(fat_find(&v, "\\EFI\\BOOT\\BOOTX64.EFI", &e), -1);
	assert_string_equal(mkb_error(), "the FAT is damaged: \\EFI\\BOOT\\BOOTX64.EFI claims "
	                                 "4294967295 bytes, more than the volume's 68528 clusters hold");
	assert_true(reads < 16);
	/* The same chain with a size the volume could hold: the loop is seen at its second step. */
	memset(boot + 2 * 32 + 28, 0, 4);
	boot[2 * 32 + 30] = 0xf0; /* 0x1f00000 bytes: 63,488 clusters */
	boot[2 * 32 + 31] = 0x01;
	reads = 0;
	assert_int_equal(fat_find(&v, "\\EFI\\BOOT\\BOOTX64.EFI", &e), -1);
	assert_string_equal(mkb_error(), "the FAT is damaged: the chain of \\EFI\\BOOT\\BOOTX64.EFI "
	                                 "loops or crosses another at cluster 5");
	assert_true(reads < 16);
	/* \EFI\BOOT full of deleted entries (no end mark) whose chain comes back to itself. */
	memset(boot, 0xe5, 512);
	for (int i = 0; i < 16; i++)
		boot[i * 32 + 11] = 0x20;
	fat[4 * 4] = 4;
	fat[4 * 4 + 1] = fat[4 * 4 + 2] = fat[4 * 4 + 3] = 0;
	reads = 0;
	assert_int_equal(fat_walk(&v, remember, &(struct seen){ .n = 0 }), -1);
	assert_string_equal(mkb_error(), "the FAT is damaged: the chain of \\EFI\\BOOT loops or "
	                                 "crosses another at cluster 4");
	assert_true(reads < 16);
	/* A subdirectory that is its own ancestor (\EFI\BOOT\UP is \EFI). */
	memset(boot, 0, 512);
	memcpy(boot, "UP         ", 11);
	boot[11] = 0x10;
	boot[26] = 3;
	fat[4 * 4] = 0xff;
	fat[4 * 4 + 1] = fat[4 * 4 + 2] = 0xff;
	fat[4 * 4 + 3] = 0x0f;
	reads = 0;
	assert_int_equal(fat_walk(&v, remember, &(struct seen){ .n = 0 }), -1);
	assert_string_equal(mkb_error(), "the FAT is damaged: the chain of \\EFI\\BOOT\\UP loops or "
	                                 "crosses another at cluster 3");
	assert_true(reads < 16);
}

static void test_fat_file_too_large(void **state)
{
	(void)state;
	assert_int_equal(fat_write(FAT_ESP_SECTORS, 0, 0, efi, (size_t)FAT_ESP_SECTORS * 512, sink,
	                           NULL), -1);
	assert_non_null(strstr(mkb_error(), "does not fit a FAT32 volume"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fat_geometry),
		cmocka_unit_test_setup_teardown(test_fat_boot_sector, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fat_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fat_read_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fat_damage_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fat_loops_refused_quickly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fat_file_too_large, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
