/* gpt.c: CRC32, GUIDs, the protective MBR, headers, entries, and moving the backup to a disk's end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gpt.h"
#include "util.h"

#include <mkbootimg/image.h>

#include <string.h>

#define DISK 4096 /* sectors of the test disk */

static uint8_t disk[DISK * 512];
static struct gpt_part parts[2];
static struct gpt_disk d = { .sectors = DISK, .parts = parts, .count = 2 };

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* Both tables of a disk of DISK sectors with a BIOS boot partition and an ESP, in disk[]. */
static int setup(void **state)
{
	uint8_t stage1[512] = { 0xeb, 0x58, 0x90 }, *entries = disk + 2 * 512;
	uint32_t crc;

	(void)state;
	memset(disk, 0, sizeof disk);
	memset(parts, 0, sizeof parts);
	gpt_guid_parse(MKB_GPT_TYPE_BIOS_BOOT, parts[0].type);
	gpt_guid_derive(parts[0].guid, 2);
	parts[0].first = 34;
	parts[0].last = 99;
	strcpy(parts[0].name, "mkbootimg loader");
	gpt_guid_parse(MKB_GPT_TYPE_ESP, parts[1].type);
	gpt_guid_derive(parts[1].guid, 3);
	parts[1].first = 2048;
	parts[1].last = 3071;
	strcpy(parts[1].name, "EFI system partition");
	gpt_guid_derive(d.guid, 1);
	stage1[510] = 0x55;
	stage1[511] = 0xaa;
	gpt_build_pmbr(disk, stage1, 0x12345678, DISK);
	gpt_build_entries(entries, &d);
	crc = gpt_crc32(entries, 16384);
	memcpy(disk + (DISK - 33) * 512, entries, 16384);
	gpt_build_header(disk + 512, &d, crc, 0);
	gpt_build_header(disk + (DISK - 1) * 512, &d, crc, 1);
	return 0;
}

static void test_gpt_crc32(void **state)
{
	(void)state;
	/* The check value of CRC-32/ISO-HDLC, the CRC that GPT and zlib use. */
	assert_int_equal(gpt_crc32("123456789", 9), 0xcbf43926u);
	assert_int_equal(gpt_crc32("", 0), 0);
}

static void test_gpt_guid(void **state)
{
	static const uint8_t esp[16] = { 0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
	                                 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b };
	uint8_t g[16], h[16];
	char text[37];

	(void)state;
	assert_int_equal(gpt_guid_parse("c12a7328-f81f-11d2-ba4b-00a0c93ec93b", g), 0);
	assert_memory_equal(g, esp, 16);
	gpt_guid_format(g, text);
	assert_string_equal(text, MKB_GPT_TYPE_ESP);
	assert_int_equal(gpt_guid_parse("C12A7328F81F11D2BA4B00A0C93EC93B", g), -1);
	assert_int_equal(gpt_guid_parse("C12A7328-F81F-11D2-BA4B-00A0C93EC93", g), -1);
	assert_int_equal(gpt_guid_parse("X12A7328-F81F-11D2-BA4B-00A0C93EC93B", g), -1);
	assert_string_equal(gpt_type_name(esp), "EFI system");
	assert_int_equal(gpt_guid_parse(MKB_GPT_TYPE_PAYLOAD, g), 0);
	assert_string_equal(gpt_type_name(g), "mkbootimg payload");
	/* Derived GUIDs: the same seed, the same GUID; version 4, RFC 4122 variant. */
	gpt_guid_derive(g, 42);
	gpt_guid_derive(h, 42);
	assert_memory_equal(g, h, 16);
	assert_int_equal(g[7] >> 4, 4);
	assert_int_equal(g[8] >> 6, 2);
	gpt_guid_derive(h, 43);
	assert_memory_not_equal(g, h, 16);
}

static void test_gpt_protective_mbr(void **state)
{
	const uint8_t *e = disk + MKB_MBR_PARTITIONS;

	(void)state;
	assert_int_equal(disk[0], 0xeb);
	assert_int_equal(get32(disk + MKB_MBR_SIGNATURE), 0x12345678);
	/* Entry 1: 0xEE, not active, LBA 1 over the rest of the disk. */
	assert_int_equal(e[0], 0);
	assert_int_equal(e[4], 0xee);
	assert_memory_equal(e + 1, "\x00\x02\x00", 3);
	assert_int_equal(get32(e + 8), 1);
	assert_int_equal(get32(e + 12), DISK - 1);
	/* Entry 2: active, type 0, LBA 0, one sector. */
	assert_int_equal(e[16], 0x80);
	assert_int_equal(e[16 + 4], 0);
	assert_int_equal(get32(e + 16 + 8), 0);
	assert_int_equal(get32(e + 16 + 12), 1);
	assert_int_equal(disk[510], 0x55);
	assert_int_equal(disk[511], 0xaa);
}

static void test_gpt_headers(void **state)
{
	struct gpt_header p, b;
	struct gpt_part got[4];
	const uint8_t *h = disk + 512;

	(void)state;
	assert_memory_equal(h, "EFI PART", 8);
	assert_int_equal(get32(h + 8), 0x00010000);
	assert_int_equal(get32(h + 12), 92);
	assert_int_equal(get32(h + 20), 0);
	assert_int_equal(gpt_parse_header(h, 1, &p), 0);
	assert_int_equal(p.my_lba, 1);
	assert_int_equal(p.alternate_lba, DISK - 1);
	assert_int_equal(p.first_usable, 34);
	assert_int_equal(p.last_usable, DISK - 34);
	assert_int_equal(p.entries_lba, 2);
	assert_int_equal(p.entry_count, 128);
	assert_int_equal(p.entry_size, 128);
	assert_memory_equal(p.disk_guid, d.guid, 16);
	assert_int_equal(gpt_parse_header(disk + (DISK - 1) * 512, DISK - 1, &b), 0);
	assert_int_equal(b.alternate_lba, 1);
	assert_int_equal(b.entries_lba, DISK - 33);
	assert_int_equal(b.entries_crc, p.entries_crc);
	/* Entries: the two partitions, their names in UTF-16. */
	assert_int_equal(gpt_parse_entries(&p, disk + 1024, got, 4), 2);
	assert_int_equal(got[0].number, 1);
	assert_int_equal(got[0].first, 34);
	assert_int_equal(got[0].last, 99);
	assert_string_equal(got[0].name, "mkbootimg loader");
	assert_string_equal(gpt_type_name(got[0].type), "BIOS boot");
	assert_int_equal(got[1].number, 2);
	assert_string_equal(got[1].name, "EFI system partition");
	assert_memory_equal(disk + 1024 + 128 + 56, "E\0F\0I\0 \0s\0", 10);
	assert_memory_equal(got[1].guid, parts[1].guid, 16);
}

static void test_gpt_damage_refused(void **state)
{
	struct gpt_header p;
	struct gpt_part got[4];

	(void)state;
	disk[512 + 40] ^= 1; /* first usable LBA: the header's CRC no longer matches */
	assert_int_equal(gpt_parse_header(disk + 512, 1, &p), -1);
	assert_string_equal(mkb_error(), "the GPT header at LBA 1 fails its CRC32: the partition "
	                                 "table is damaged");
	disk[512 + 40] ^= 1;
	assert_int_equal(gpt_parse_header(disk + 512, 2, &p), -1);
	assert_string_equal(mkb_error(), "the GPT header at LBA 2 says it is at LBA 1");
	assert_int_equal(gpt_parse_header(disk, 0, &p), -1);
	assert_string_equal(mkb_error(), "no GPT header at LBA 0 (no \"EFI PART\" signature)");
	assert_int_equal(gpt_parse_header(disk + 512, 1, &p), 0);
	disk[1024 + 200] ^= 0x80; /* an entry's byte: the array's CRC no longer matches */
	assert_int_equal(gpt_parse_entries(&p, disk + 1024, got, 4), -1);
	assert_string_equal(mkb_error(), "the GPT's partition entries (LBA 2) fail their CRC32: the "
	                                 "partition table is damaged");
}

static void test_gpt_relocate(void **state)
{
	static uint8_t head[34 * 512], tail[33 * 512];
	struct gpt_header p, b;
	struct gpt_part got[4];
	uint64_t big = UINT64_C(1) << 33; /* 4 TiB of sectors: past the MBR's 32 bits */

	(void)state;
	memcpy(head, disk, sizeof head);
	assert_int_equal(gpt_relocate(head, 100000, tail), 0);
	assert_int_equal(get32(head + MKB_MBR_PARTITIONS + 12), 100000 - 1);
	assert_int_equal(gpt_parse_header(head + 512, 1, &p), 0);
	assert_int_equal(p.alternate_lba, 100000 - 1);
	assert_int_equal(p.last_usable, 100000 - 34);
	assert_int_equal(gpt_parse_header(tail + 32 * 512, 100000 - 1, &b), 0);
	assert_int_equal(b.entries_lba, 100000 - 33);
	assert_int_equal(b.alternate_lba, 1);
	assert_memory_equal(tail, disk + 1024, 32 * 512);
	assert_int_equal(gpt_parse_entries(&b, tail, got, 4), 2);
	/* Stage 1's code and the active entry are left as they were. */
	assert_memory_equal(head, disk, MKB_MBR_PARTITIONS);
	assert_memory_equal(head + MKB_MBR_PARTITIONS + 16, disk + MKB_MBR_PARTITIONS + 16, 16);

	memcpy(head, disk, sizeof head);
	assert_int_equal(gpt_relocate(head, big, tail), 0);
	assert_int_equal(get32(head + MKB_MBR_PARTITIONS + 12), 0xffffffffu);
	assert_int_equal(get64(head + 512 + 32), big - 1);

	memcpy(head, disk, sizeof head);
	assert_int_equal(gpt_relocate(head, DISK - 1, tail), -1);
	assert_non_null(strstr(mkb_error(), "smaller than the image"));
	head[512 + 16] ^= 1;
	assert_int_equal(gpt_relocate(head, 100000, tail), -1);
	assert_non_null(strstr(mkb_error(), "fails its CRC32"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gpt_crc32),
		cmocka_unit_test(test_gpt_guid),
		cmocka_unit_test_setup(test_gpt_protective_mbr, setup),
		cmocka_unit_test_setup(test_gpt_headers, setup),
		cmocka_unit_test_setup(test_gpt_damage_refused, setup),
		cmocka_unit_test_setup(test_gpt_relocate, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
