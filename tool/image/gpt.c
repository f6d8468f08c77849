#include "gpt.h"
#include "util.h"

#include <mkbootimg/image.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char gpt_signature[8] = { 'E', 'F', 'I', ' ', 'P', 'A', 'R', 'T' };
#define GPT_REVISION 0x00010000u
#define GPT_MAX_ENTRY_BYTES (1024 * 1024) /* far above 16 KiB: a header claiming more is damaged */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

uint32_t gpt_crc32(const void *p, size_t n)
{
	static uint32_t table[256];
	const uint8_t *b = p;
	uint32_t c = 0xffffffffu;

	if (table[1] == 0)
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t v = i;
			for (int k = 0; k < 8; k++)
				v = v & 1 ? 0xedb88320u ^ v >> 1 : v >> 1;
			table[i] = v;
		}
	while (n--)
		c = table[(c ^ *b++) & 0xff] ^ c >> 8;
	return c ^ 0xffffffffu;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* On disk, the first three fields are little-endian, the last two as written. */
static const int guid_order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };

int gpt_guid_parse(const char *text, uint8_t out[16])
{
	uint8_t bytes[16];
	size_t n = 0;

	for (size_t i = 0; text[i] != '\0'; i++) {
		int hi, lo;
		if ((i == 8 || i == 13 || i == 18 || i == 23) && text[i] == '-')
			continue;
		if (n == 16 || (hi = hex_digit(text[i])) < 0 || (lo = hex_digit(text[i + 1])) < 0)
			return -1;
		bytes[n++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	if (n != 16 || strlen(text) != 36)
		return -1;
	for (int i = 0; i < 16; i++)
		out[i] = bytes[guid_order[i]];
	return 0;
}

void gpt_guid_format(const uint8_t g[16], char out[37])
{
	char *p = out;

	for (int i = 0; i < 16; i++) {
		p += sprintf(p, "%02X", g[guid_order[i]]);
		if (i == 3 || i == 5 || i == 7 || i == 9)
			*p++ = '-';
	}
	*p = '\0';
}

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ z >> 30) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ z >> 27) * UINT64_C(0x94d049bb133111eb);
	return z ^ z >> 31;
}

void gpt_guid_derive(uint8_t out[16], uint64_t seed)
{
	put64(out, splitmix64(&seed));
	put64(out + 8, splitmix64(&seed));
	out[7] = (uint8_t)((out[7] & 0x0f) | 0x40); /* version 4: field 3's high nibble */
	out[8] = (uint8_t)((out[8] & 0x3f) | 0x80); /* RFC 4122 variant */
}

const char *gpt_type_name(const uint8_t type[16])
{
	static const struct { const char *guid, *name; } known[] = {
		{ MKB_GPT_TYPE_BIOS_BOOT, "BIOS boot" },
		{ MKB_GPT_TYPE_ESP, "EFI system" },
		{ MKB_GPT_TYPE_PAYLOAD, "mkbootimg payload" },
	};
	uint8_t g[16];

	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (gpt_guid_parse(known[i].guid, g) == 0 && memcmp(g, type, 16) == 0)
			return known[i].name;
	return NULL;
}

/* CHS as BIOSes assume for LBA disks: 255 heads, 63 sectors per track. */
void gpt_put_chs(uint8_t out[3], uint64_t lba)
{
	uint64_t c = lba / (255 * 63), h = lba / 63 % 255, s = lba % 63 + 1;

	if (c > 1023) {
		/* Beyond CHS reach: the customary "use the LBA fields" marker 1023/254/63. */
		c = 1023;
		h = 254;
		s = 63;
	}
	out[0] = (uint8_t)h;
	out[1] = (uint8_t)(s | (c >> 2 & 0xc0));
	out[2] = (uint8_t)c;
}

/* Entry 1 of the protective MBR: 0xEE over the disk, as far as 32 bits reach. */
static void put_protective_entry(uint8_t *e, uint64_t disk_sectors)
{
	uint64_t size = disk_sectors - 1 > UINT32_MAX ? UINT32_MAX : disk_sectors - 1;

	memset(e, 0, 16);
	gpt_put_chs(e + 1, 1);
	e[4] = MKB_MBR_TYPE_PROTECTIVE;
	gpt_put_chs(e + 5, disk_sectors - 1);
	put32(e + 8, 1);
	put32(e + 12, (uint32_t)size);
}

void gpt_build_pmbr(uint8_t mbr[512], const uint8_t stage1[512], uint32_t signature,
                    uint64_t disk_sectors)
{
	uint8_t *e = mbr + MKB_MBR_PARTITIONS;

	memcpy(mbr, stage1, 512);
	put32(mbr + MKB_MBR_SIGNATURE, signature);
	mbr[0x1bc] = 0;
	mbr[0x1bd] = 0;
	memset(e, 0, 4 * 16);
	/* Not active: some UEFI firmware ignores a GPT whose 0xEE entry is flagged. */
	put_protective_entry(e, disk_sectors);
	/*
	 * Some BIOSes boot a disk only when an entry is active: an empty-typed
	 * one over LBA 0, which GPT tools read as unused.
	 */
	e[16] = 0x80;
	gpt_put_chs(e + 16 + 1, 0);
	gpt_put_chs(e + 16 + 5, 0);
	put32(e + 16 + 8, 0);
	put32(e + 16 + 12, 1);
	mbr[MKB_MBR_BOOT_SIGNATURE] = 0x55;
	mbr[MKB_MBR_BOOT_SIGNATURE + 1] = 0xaa;
}

void gpt_build_entries(uint8_t *entries, const struct gpt_disk *d)
{
	memset(entries, 0, MKB_GPT_ENTRIES * MKB_GPT_ENTRY_SIZE);
	for (size_t i = 0; i < d->count && i < MKB_GPT_ENTRIES; i++) {
		const struct gpt_part *p = &d->parts[i];
		uint8_t *e = entries + i * MKB_GPT_ENTRY_SIZE;
		memcpy(e, p->type, 16);
		memcpy(e + 16, p->guid, 16);
		put64(e + 32, p->first);
		put64(e + 40, p->last);
		put64(e + 48, p->attributes);
		for (size_t c = 0; c < GPT_NAME_CHARS && p->name[c] != '\0'; c++)
			put16(e + 56 + 2 * c, (uint8_t)p->name[c]); /* ASCII is UTF-16 below 0x80 */
	}
}

/* A header for a disk of sectors, at my_lba, its entries at entries_lba. */
static void put_header(uint8_t s[512], const uint8_t guid[16], uint64_t sectors, uint64_t my_lba,
                       uint64_t alternate_lba, uint64_t entries_lba, uint32_t entries_crc)
{
	memset(s, 0, 512);
	memcpy(s, gpt_signature, 8);
	put32(s + 8, GPT_REVISION);
	put32(s + 12, GPT_HEADER_SIZE);
	put64(s + 24, my_lba);
	put64(s + 32, alternate_lba);
	put64(s + 40, GPT_FIRST_USABLE);
	put64(s + 48, sectors - 1 - GPT_TABLE_SECTORS);
	memcpy(s + 56, guid, 16);
	put64(s + 72, entries_lba);
	put32(s + 80, MKB_GPT_ENTRIES);
	put32(s + 84, MKB_GPT_ENTRY_SIZE);
	put32(s + 88, entries_crc);
	put32(s + 16, gpt_crc32(s, GPT_HEADER_SIZE)); /* with its own CRC field zero */
}

void gpt_build_header(uint8_t sector[512], const struct gpt_disk *d, uint32_t entries_crc,
                      int backup)
{
	uint64_t last = d->sectors - 1;

	if (backup)
		put_header(sector, d->guid, d->sectors, last, 1, last - 32, entries_crc);
	else
		put_header(sector, d->guid, d->sectors, 1, last, 2, entries_crc);
}

int gpt_parse_header(const uint8_t sector[512], uint64_t lba, struct gpt_header *h)
{
	uint8_t copy[512];
	uint32_t size = get32(sector + 12);

	if (memcmp(sector, gpt_signature, 8) != 0)
		return mkb_fail("no GPT header at LBA %" PRIu64 " (no \"EFI PART\" signature)", lba);
	if (size < GPT_HEADER_SIZE || size > 512)
		return mkb_fail("the GPT header at LBA %" PRIu64 " claims %" PRIu32 " bytes", lba, size);
	memcpy(copy, sector, size);
	memset(copy + 16, 0, 4);
	if (gpt_crc32(copy, size) != get32(sector + 16))
		return mkb_fail("the GPT header at LBA %" PRIu64 " fails its CRC32: the partition table "
		                "is damaged", lba);
	h->my_lba = get64(sector + 24);
	h->alternate_lba = get64(sector + 32);
	h->first_usable = get64(sector + 40);
	h->last_usable = get64(sector + 48);
	memcpy(h->disk_guid, sector + 56, 16);
	h->entries_lba = get64(sector + 72);
	h->entry_count = get32(sector + 80);
	h->entry_size = get32(sector + 84);
	h->entries_crc = get32(sector + 88);
	if (h->my_lba != lba)
		return mkb_fail("the GPT header at LBA %" PRIu64 " says it is at LBA %" PRIu64, lba,
		                h->my_lba);
	if (h->entry_size < MKB_GPT_ENTRY_SIZE || h->entry_size % 8 != 0 || h->entry_count == 0 ||
	    (uint64_t)h->entry_count * h->entry_size > GPT_MAX_ENTRY_BYTES ||
	    h->first_usable > h->last_usable)
		return mkb_fail("the GPT header at LBA %" PRIu64 " describes an impossible table "
		                "(%" PRIu32 " entries of %" PRIu32 " bytes, usable LBAs %" PRIu64
		                "-%" PRIu64 ")", lba, h->entry_count, h->entry_size, h->first_usable,
		                h->last_usable);
	return 0;
}

size_t gpt_entries_bytes(const struct gpt_header *h)
{
	return (size_t)h->entry_count * h->entry_size;
}

int gpt_parse_entries(const struct gpt_header *h, const uint8_t *entries, struct gpt_part *out,
                      size_t max)
{
	static const uint8_t unused[16];
	size_t n = 0;

	if (gpt_crc32(entries, gpt_entries_bytes(h)) != h->entries_crc)
		return mkb_fail("the GPT's partition entries (LBA %" PRIu64 ") fail their CRC32: the "
		                "partition table is damaged", h->entries_lba);
	for (uint32_t i = 0; i < h->entry_count; i++) {
		const uint8_t *e = entries + (size_t)i * h->entry_size;
		struct gpt_part p;
		if (memcmp(e, unused, 16) == 0)
			continue;
		memset(&p, 0, sizeof p);
		memcpy(p.type, e, 16);
		memcpy(p.guid, e + 16, 16);
		p.first = get64(e + 32);
		p.last = get64(e + 40);
		p.attributes = get64(e + 48);
		p.number = i + 1;
		for (size_t c = 0; c < GPT_NAME_CHARS; c++) {
			uint16_t u = (uint16_t)(e[56 + 2 * c] | e[57 + 2 * c] << 8);
			if (u == 0)
				break;
			p.name[c] = u >= 0x20 && u < 0x7f ? (char)u : '?';
		}
		if (p.first > p.last || p.first < h->first_usable || p.last > h->last_usable)
			return mkb_fail("GPT partition %u (LBA %" PRIu64 "-%" PRIu64 ") lies outside the "
			                "usable LBAs %" PRIu64 "-%" PRIu64, p.number, p.first, p.last,
			                h->first_usable, h->last_usable);
		if (n < max)
			out[n] = p;
		n++;
	}
	return (int)(n < max ? n : max);
}

int gpt_relocate(uint8_t *head, uint64_t disk_sectors, uint8_t *tail)
{
	struct gpt_header h;
	uint8_t *entries = head + 2 * 512;
	struct gpt_part parts[4];
	int n;

	if (gpt_parse_header(head + 512, 1, &h) != 0)
		return -1;
	if (h.entries_lba != 2 || h.entry_count != MKB_GPT_ENTRIES ||
	    h.entry_size != MKB_GPT_ENTRY_SIZE)
		return mkb_fail("the GPT is not laid out as mkbootimg writes it (entries at LBA 2)");
	if ((n = gpt_parse_entries(&h, entries, parts, 4)) < 0)
		return -1;
	if (disk_sectors < h.alternate_lba + 1)
		return mkb_fail("the disk (%" PRIu64 " sectors) is smaller than the image (%" PRIu64 ")",
		                disk_sectors, h.alternate_lba + 1);
	put_protective_entry(head + MKB_MBR_PARTITIONS, disk_sectors);
	put_header(head + 512, h.disk_guid, disk_sectors, 1, disk_sectors - 1, 2, h.entries_crc);
	memcpy(tail, entries, 32 * 512);
	put_header(tail + 32 * 512, h.disk_guid, disk_sectors, disk_sectors - 1, 1,
	           disk_sectors - GPT_TABLE_SECTORS, h.entries_crc);
	return 0;
}
