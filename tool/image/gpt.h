/*
 * GUID partition tables (UEFI specification, "GUID Partition Table
 * Disk Layout"): the protective MBR, headers, entry arrays and their CRC32s,
 * built for the image writer and read back for info and install. Sectors
 * are 512 bytes, as in every image mkbootimg writes.
 */
#ifndef MKB_GPT_H
#define MKB_GPT_H

#include <stddef.h>
#include <stdint.h>

#define GPT_HEADER_SIZE 92
#define GPT_NAME_CHARS 36                /* UTF-16 code units in an entry's name */
#define GPT_TABLE_SECTORS 33             /* one header and 32 sectors of entries */
#define GPT_FIRST_USABLE (2 + 32)        /* LBA 34 */

struct gpt_part {
	uint8_t type[16], guid[16];          /* as on disk */
	uint64_t first, last;                /* LBAs, inclusive */
	uint64_t attributes;
	char name[GPT_NAME_CHARS + 1];       /* ASCII ('?' for anything else) */
	unsigned number;                     /* entry index + 1 */
};

/* What gpt_build_* writes: a disk of sectors with up to MKB_GPT_ENTRIES partitions. */
struct gpt_disk {
	uint8_t guid[16];
	uint64_t sectors;                    /* the whole disk: the backup header is the last */
	const struct gpt_part *parts;
	size_t count;
};

/* CHS as BIOSes assume for LBA disks (255 heads, 63 sectors), 1023/254/63 beyond reach. */
void gpt_put_chs(uint8_t out[3], uint64_t lba);

/* CRC-32 (IEEE 802.3, reflected, as GPT and zlib use it) over n bytes. */
uint32_t gpt_crc32(const void *p, size_t n);

/* "C12A7328-F81F-11D2-BA4B-00A0C93EC93B" into on-disk bytes. 0, or -1 when malformed. */
int gpt_guid_parse(const char *text, uint8_t out[16]);
void gpt_guid_format(const uint8_t g[16], char out[37]);

/* A random-looking (version 4 shaped) GUID that only seed decides: same kernel, same image. */
void gpt_guid_derive(uint8_t out[16], uint64_t seed);

/* A name for a partition type: "BIOS boot", "EFI system", "mkbootimg payload", or NULL. */
const char *gpt_type_name(const uint8_t type[16]);

/*
 * LBA 0 of a GPT disk: stage 1's code, the disk signature, entry 1 type
 * 0xEE (not active) over LBA 1 .. min(sectors - 1, 2^32 - 1), entry 2
 * active, type 0, LBA 0, one sector (for BIOSes that boot only a disk with
 * an active entry), 0x55AA.
 */
void gpt_build_pmbr(uint8_t mbr[512], const uint8_t stage1[512], uint32_t signature,
                    uint64_t disk_sectors);

/* The entry array, MKB_GPT_ENTRIES * MKB_GPT_ENTRY_SIZE bytes (16 KiB). */
void gpt_build_entries(uint8_t *entries, const struct gpt_disk *d);

/* The primary (backup 0, LBA 1) or backup (the last LBA) header sector for d. */
void gpt_build_header(uint8_t sector[512], const struct gpt_disk *d, uint32_t entries_crc,
                      int backup);

/* The fields of a header that was checked. */
struct gpt_header {
	uint64_t my_lba, alternate_lba, first_usable, last_usable, entries_lba;
	uint32_t entry_count, entry_size, entries_crc;
	uint8_t disk_guid[16];
};

/*
 * Does the sector read at lba hold a sound GPT header (signature, revision,
 * size, CRC32, its own LBA, an entry array of 128-byte entries of at most
 * 1 MiB)? 0 with *h filled, or -1 with mkb_error() saying why.
 */
int gpt_parse_header(const uint8_t sector[512], uint64_t lba, struct gpt_header *h);

/* The bytes of h's entry array. */
size_t gpt_entries_bytes(const struct gpt_header *h);

/*
 * The used entries of h's array (gpt_entries_bytes(h) bytes), after
 * checking its CRC32 and that every partition lies within the usable
 * LBAs. Returns how many were stored (at most max), or -1 with mkb_error().
 */
int gpt_parse_entries(const struct gpt_header *h, const uint8_t *entries, struct gpt_part *out,
                      size_t max);

/*
 * An image's GPT moved onto a disk of disk_sectors (install): head is the
 * image's first 34 sectors (MBR, header, entries), changed in place: the
 * 0xEE entry covers the disk, the primary header names the disk's last LBA
 * as its backup and last usable LBA - 33. tail (33 sectors) receives the
 * entries and backup header for the disk's last 33 sectors. 0, or -1 with
 * mkb_error() when head holds no sound GPT or a partition would not fit.
 */
int gpt_relocate(uint8_t *head, uint64_t disk_sectors, uint8_t *tail);

#endif
