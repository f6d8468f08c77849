/*
 * FAT32 (Microsoft's "FAT: General Overview of On-Disk Format"): the EFI
 * system partition's file system, written by mkbootimg itself (no mkfs or
 * mtools when an image is built), and read back by info and the tests.
 */
#ifndef MKB_FAT_H
#define MKB_FAT_H

#include <stddef.h>
#include <stdint.h>

/*
 * The ESP: 34 MiB of 512-byte clusters, so more than the 65,525 clusters
 * that make a FAT32 (firmware may refuse FAT12 and FAT16 system partitions).
 */
#define FAT_ESP_SECTORS (34 * 2048)
#define FAT_MIN_CLUSTERS 65525
#define FAT_RESERVED_SECTORS 32

/* Where things lie in a volume of one sector per cluster that fat_write makes. */
struct fat_geometry {
	uint32_t sectors;      /* the whole volume */
	uint32_t fat_sectors;  /* each of the two FATs */
	uint32_t data_start;   /* sector of cluster 2 */
	uint32_t clusters;     /* data clusters */
};

/* The geometry of a volume of sectors; 0, or -1 with mkb_error() when too small for FAT32. */
int fat_geometry(uint32_t sectors, struct fat_geometry *g);

/* Receives count sectors that start at sector (of the volume). 0, or -1 with mkb_error(). */
typedef int (*fat_sink)(void *ctx, uint64_t sector, const uint8_t *buf, size_t count);

/*
 * A FAT32 volume of sectors holding \EFI\BOOT\BOOTX64.EFI (size bytes of
 * file), handed to sink sector run by sector run: only sectors that are not
 * all zero (boot sectors, FSInfo, the FATs' first sectors, directories,
 * the file), so the caller can leave the rest a hole. hidden is the
 * volume's first LBA on the disk, serial its volume ID.
 * 0, or -1 with mkb_error() set (by sink, or when the file does not fit).
 */
int fat_write(uint32_t sectors, uint32_t hidden, uint32_t serial, const uint8_t *file,
              size_t size, fat_sink sink, void *ctx);

/* ---- reading ---- */

/* Reads n bytes at offset (of the disk). 0, or -1 with mkb_error(). */
typedef int (*fat_source)(void *ctx, uint64_t offset, void *buf, size_t n);

struct fat_volume {
	fat_source read;
	void *ctx;
	uint64_t base;               /* byte offset of the volume on the disk */
	uint32_t sector_bytes, cluster_bytes;
	uint32_t fats, fat_sectors, total_sectors;
	uint32_t root_cluster, clusters;
	uint64_t fat_offset, data_offset; /* bytes from base */
	char label[12];
};

/*
 * Check the boot sector of a FAT32 volume of size bytes at base and fill
 * v. 0, or -1 with mkb_error() naming the fault.
 */
int fat_open(struct fat_volume *v, fat_source read, void *ctx, uint64_t base, uint64_t size);

#define FAT_PATH_MAX 256
struct fat_entry {
	char path[FAT_PATH_MAX]; /* "\EFI\BOOT\BOOTX64.EFI" */
	uint64_t size;
	uint32_t cluster;        /* the first */
	int directory;
};

/*
 * Every directory and file under the root, depth first, to visit. Chains
 * and directories are checked (clusters in range, no loops, no cluster in
 * two chains, so at most one step per cluster; at most 16 levels and 4096
 * entries). 0, or -1 with mkb_error() naming the fault.
 */
int fat_walk(const struct fat_volume *v, void (*visit)(void *ctx, const struct fat_entry *e),
             void *ctx);

/* The entry at path (case-insensitive): 1 found, 0 not there, -1 with mkb_error(). */
int fat_find(const struct fat_volume *v, const char *path, struct fat_entry *out);

/* A file's bytes through its cluster chain into buf (e->size bytes). 0, or -1 with mkb_error(). */
int fat_read_file(const struct fat_volume *v, const struct fat_entry *e, uint8_t *buf);

#endif
