#include "fat.h"
#include "util.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SECTOR 512
#define ENTRY 32               /* a directory entry */
#define ATTR_VOLUME_ID 0x08
#define ATTR_DIRECTORY 0x10
#define ATTR_LFN 0x0f
#define FAT_EOC 0x0fffffffu     /* end of a cluster chain */
#define FAT_MASK 0x0fffffffu    /* FAT32 entries have 28 bits */
#define FAT_BAD 0x0ffffff7u
#define DOS_DATE ((2024 - 1980) << 9 | 1 << 5 | 1) /* 2024-01-01: same input, same bytes */
#define MAX_DEPTH 16
#define MAX_ENTRIES 4096
#define FAT_MAX_CLUSTERS 0x0ffffff5 /* 28-bit entries, less the reserved values */

/* The tree fat_write makes: root (cluster 2), EFI (3), BOOT (4), the file from 5. */
enum { ROOT_CLUSTER = 2, EFI_CLUSTER, BOOT_CLUSTER, FILE_CLUSTER };

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

/* Fixed-width text fields (names, labels): n bytes, no NUL. */
static void put_text(uint8_t *p, const char *text, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)text[i];
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

int fat_geometry(uint32_t sectors, struct fat_geometry *g)
{
	/* Each FAT sector maps 128 clusters: the smallest FAT that maps every cluster and the two reserved entries. */
	uint32_t fat = sectors > FAT_RESERVED_SECTORS ? (sectors - FAT_RESERVED_SECTORS + 2 + 129) / 130 : 0;

	if ((uint64_t)sectors < FAT_RESERVED_SECTORS + 2 * (uint64_t)fat + FAT_MIN_CLUSTERS)
		return mkb_fail("a FAT32 volume of %" PRIu32 " sectors would have fewer than %d clusters",
		                sectors, FAT_MIN_CLUSTERS);
	g->sectors = sectors;
	g->fat_sectors = fat;
	g->data_start = FAT_RESERVED_SECTORS + 2 * fat;
	g->clusters = sectors - g->data_start;
	return 0;
}

static void boot_sector(uint8_t s[SECTOR], const struct fat_geometry *g, uint32_t hidden,
                        uint32_t serial)
{
	memset(s, 0, SECTOR);
	s[0] = 0xeb; /* jmp short over the BPB, nop: what firmware and fsck expect to see */
	s[1] = 0x58;
	s[2] = 0x90;
	put_text(s + 3, "MKBOOTIM", 8);
	put16(s + 11, SECTOR);
	s[13] = 1;                       /* sectors per cluster */
	put16(s + 14, FAT_RESERVED_SECTORS);
	s[16] = 2;                       /* FATs */
	s[21] = 0xf8;                    /* media: fixed disk */
	put16(s + 24, 63);               /* sectors per track, heads: as BIOSes assume for LBA disks */
	put16(s + 26, 255);
	put32(s + 28, hidden);
	put32(s + 32, g->sectors);
	put32(s + 36, g->fat_sectors);
	put32(s + 44, ROOT_CLUSTER);
	put16(s + 48, 1);                /* FSInfo sector */
	put16(s + 50, 6);                /* backup boot sector */
	s[64] = 0x80;                    /* drive number */
	s[66] = 0x29;                    /* extended boot signature: ID, label, type follow */
	put32(s + 67, serial);
	put_text(s + 71, "EFI SYSTEM ", 11);
	put_text(s + 82, "FAT32   ", 8);
	s[90] = 0xf4;                    /* boot code: hlt; nobody boots this volume itself */
	s[510] = 0x55;
	s[511] = 0xaa;
}

static void fsinfo_sector(uint8_t s[SECTOR], uint32_t free_clusters, uint32_t next_free)
{
	memset(s, 0, SECTOR);
	put32(s, 0x41615252u);
	put32(s + 484, 0x61417272u);
	put32(s + 488, free_clusters);
	put32(s + 492, next_free);
	put32(s + 508, 0xaa550000u);
}

static void dir_entry(uint8_t *e, const char name[11], uint8_t attr, uint32_t cluster, uint32_t size)
{
	put_text(e, name, 11);
	e[11] = attr;
	put16(e + 16, DOS_DATE);         /* created, accessed, written */
	put16(e + 18, DOS_DATE);
	put16(e + 20, (uint16_t)(cluster >> 16));
	put16(e + 24, DOS_DATE);
	put16(e + 26, (uint16_t)cluster);
	put32(e + 28, size);
}

/* A directory's first cluster: "." and ".." (0 for the root), then one entry. */
static void subdirectory(uint8_t s[SECTOR], uint32_t self, uint32_t parent, const char name[11],
                         uint8_t attr, uint32_t cluster, uint32_t size)
{
	memset(s, 0, SECTOR);
	dir_entry(s, ".          ", ATTR_DIRECTORY, self, 0);
	dir_entry(s + ENTRY, "..         ", ATTR_DIRECTORY, parent == ROOT_CLUSTER ? 0 : parent, 0);
	dir_entry(s + 2 * ENTRY, name, attr, cluster, size);
}

int fat_write(uint32_t sectors, uint32_t hidden, uint32_t serial, const uint8_t *file,
              size_t size, fat_sink sink, void *ctx)
{
	struct fat_geometry g = { 0 };
	uint32_t file_clusters = (uint32_t)((size + SECTOR - 1) / SECTOR), used, fat_bytes;
	uint8_t s[SECTOR], dirs[3 * SECTOR], *fat, *tail;
	int rc = -1;

	if (fat_geometry(sectors, &g) != 0)
		return -1;
	if (size == 0 || file_clusters > g.clusters - 3)
		return mkb_fail("a file of %zu bytes does not fit a FAT32 volume of %" PRIu32 " clusters",
		                size, g.clusters);
	used = 3 + file_clusters;
	boot_sector(s, &g, hidden, serial);
	if (sink(ctx, 0, s, 1) != 0 || sink(ctx, 6, s, 1) != 0)
		return -1;
	fsinfo_sector(s, g.clusters - used, ROOT_CLUSTER + used);
	if (sink(ctx, 1, s, 1) != 0 || sink(ctx, 7, s, 1) != 0)
		return -1;

	/* Entries 0 and 1 hold the media byte and the "clean" flags; then the chains. */
	fat_bytes = (uint32_t)MKB_ALIGN_UP((ROOT_CLUSTER + used) * 4, SECTOR);
	if ((fat = calloc(1, fat_bytes)) == NULL)
		return mkb_fail("out of memory");
	put32(fat, 0x0ffffff8u);
	put32(fat + 4, FAT_EOC);
	for (uint32_t c = ROOT_CLUSTER; c < FILE_CLUSTER; c++)
		put32(fat + 4 * c, FAT_EOC);
	for (uint32_t i = 0; i < file_clusters; i++)
		put32(fat + 4 * (FILE_CLUSTER + i), i + 1 < file_clusters ? FILE_CLUSTER + i + 1 : FAT_EOC);
	if (sink(ctx, FAT_RESERVED_SECTORS, fat, fat_bytes / SECTOR) != 0 ||
	    sink(ctx, FAT_RESERVED_SECTORS + g.fat_sectors, fat, fat_bytes / SECTOR) != 0)
		goto out;

	memset(dirs, 0, SECTOR);
	dir_entry(dirs, "EFI SYSTEM ", ATTR_VOLUME_ID, 0, 0);
	dir_entry(dirs + ENTRY, "EFI        ", ATTR_DIRECTORY, EFI_CLUSTER, 0);
	subdirectory(dirs + SECTOR, EFI_CLUSTER, ROOT_CLUSTER, "BOOT       ", ATTR_DIRECTORY,
	             BOOT_CLUSTER, 0);
	subdirectory(dirs + 2 * SECTOR, BOOT_CLUSTER, EFI_CLUSTER, "BOOTX64 EFI", 0x20 /* archive */,
	             FILE_CLUSTER, (uint32_t)size);
	if (sink(ctx, g.data_start, dirs, 3) != 0)
		goto out;
	/* The file's whole sectors, then its last one zero-padded. */
	if (size >= SECTOR && sink(ctx, g.data_start + 3, file, size / SECTOR) != 0)
		goto out;
	if (size % SECTOR != 0) {
		tail = s;
		memset(tail, 0, SECTOR);
		memcpy(tail, file + size / SECTOR * SECTOR, size % SECTOR);
		if (sink(ctx, g.data_start + 3 + size / SECTOR, tail, 1) != 0)
			goto out;
	}
	rc = 0;
out:
	free(fat);
	return rc;
}

/* ---- reading ---- */

static int power_of_two(uint32_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

int fat_open(struct fat_volume *v, fat_source read, void *ctx, uint64_t base, uint64_t size)
{
	uint8_t s[SECTOR];
	uint32_t reserved;
	uint64_t data_start; /* 64 bits: a crafted FAT size must not wrap past the checks below */

	memset(v, 0, sizeof *v);
	v->read = read;
	v->ctx = ctx;
	v->base = base;
	if (read(ctx, base, s, sizeof s) != 0)
		return -1;
	if (s[510] != 0x55 || s[511] != 0xaa)
		return mkb_fail("no FAT boot sector (no 0x55AA signature)");
	v->sector_bytes = get16(s + 11);
	v->cluster_bytes = v->sector_bytes * s[13];
	reserved = get16(s + 14);
	v->fats = s[16];
	v->total_sectors = get16(s + 19) ? get16(s + 19) : get32(s + 32);
	v->fat_sectors = get16(s + 22) ? get16(s + 22) : get32(s + 36);
	v->root_cluster = get32(s + 44);
	if (v->sector_bytes < 512 || v->sector_bytes > 4096 || !power_of_two(v->sector_bytes) ||
	    !power_of_two(s[13]) || reserved == 0 || v->fats == 0 || v->fat_sectors == 0)
		return mkb_fail("the FAT boot sector is damaged (%" PRIu32 "-byte sectors, %u per "
		                "cluster, %" PRIu32 " reserved, %" PRIu32 " FATs of %" PRIu32 " sectors)",
		                v->sector_bytes, s[13], reserved, v->fats, v->fat_sectors);
	if (get16(s + 17) != 0 || get16(s + 22) != 0)
		return mkb_fail("not FAT32 (a FAT12 or FAT16 boot sector)");
	data_start = reserved + (uint64_t)v->fats * v->fat_sectors;
	if ((uint64_t)v->total_sectors * v->sector_bytes > size || data_start >= v->total_sectors)
		return mkb_fail("the FAT volume claims %" PRIu32 " sectors, more than its partition",
		                v->total_sectors);
	v->clusters = (uint32_t)(v->total_sectors - data_start) / s[13];
	if (v->clusters > FAT_MAX_CLUSTERS)
		return mkb_fail("not FAT32: %" PRIu32 " clusters (FAT32 has at most %d)", v->clusters,
		                FAT_MAX_CLUSTERS);
	if (v->clusters < FAT_MIN_CLUSTERS)
		return mkb_fail("not FAT32: %" PRIu32 " clusters (FAT32 has at least %d)", v->clusters,
		                FAT_MIN_CLUSTERS);
	if ((uint64_t)v->fat_sectors * v->sector_bytes / 4 < (uint64_t)v->clusters + 2)
		return mkb_fail("the FAT (%" PRIu32 " sectors) is too small for %" PRIu32 " clusters",
		                v->fat_sectors, v->clusters);
	if (v->root_cluster < 2 || v->root_cluster >= v->clusters + 2)
		return mkb_fail("the FAT root directory's cluster %" PRIu32 " does not exist",
		                v->root_cluster);
	v->fat_offset = (uint64_t)reserved * v->sector_bytes;
	v->data_offset = (uint64_t)data_start * v->sector_bytes;
	memcpy(v->label, s[66] == 0x29 ? (const char *)s + 71 : "           ", 11);
	return 0;
}

/* The cluster after c: 0 at the chain's end; -1 with mkb_error() when the FAT is damaged there. */
static int64_t next_cluster(const struct fat_volume *v, uint32_t c)
{
	uint8_t e[4];
	uint32_t n;

	if (v->read(v->ctx, v->base + v->fat_offset + 4 * (uint64_t)c, e, 4) != 0)
		return -1;
	n = get32(e) & FAT_MASK;
	if (n >= 0x0ffffff8u)
		return 0;
	if (n == FAT_BAD || n < 2 || n >= v->clusters + 2)
		return mkb_fail("the FAT is damaged: cluster %" PRIu32 " is followed by %" PRIu32, c, n);
	return n;
}

static int check_cluster(const struct fat_volume *v, uint32_t c, const char *path)
{
	if (c < 2 || c >= v->clusters + 2)
		return mkb_fail("the FAT is damaged: %s starts at cluster %" PRIu32 ", which does not "
		                "exist", path[0] ? path : "\\", c);
	return 0;
}

/* "BOOTX64 EFI" -> "BOOTX64.EFI", lower case where the entry's flags say so. */
static void short_name(const uint8_t *e, char out[13])
{
	size_t n = 0;

	for (int i = 0; i < 8 && e[i] != ' '; i++)
		out[n++] = (char)(e[12] & 0x08 && e[i] >= 'A' && e[i] <= 'Z' ? e[i] + 32 : e[i]);
	if (e[8] != ' ')
		out[n++] = '.';
	for (int i = 8; i < 11 && e[i] != ' '; i++)
		out[n++] = (char)(e[12] & 0x10 && e[i] >= 'A' && e[i] <= 'Z' ? e[i] + 32 : e[i]);
	out[n] = '\0';
	if (out[0] == 0x05)
		out[0] = (char)0xe5; /* a first byte 0xE5 is stored as 0x05 */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f)
			out[i] = '?';
}

struct walk {
	const struct fat_volume *v;
	void (*visit)(void *ctx, const struct fat_entry *e);
	void *ctx;
	unsigned entries;
	uint8_t *buf;  /* one cluster */
	uint8_t *seen; /* a bit per cluster: chains on a sound volume never share one */
};

/*
 * Mark cluster c (in range) as part of path's chain. A cluster met twice is
 * a loop or two chains crossing; refusing it bounds the whole walk to one
 * step per cluster of the volume, however the FAT and directories are made.
 */
static int claim(struct walk *w, uint32_t c, const char *path)
{
	uint8_t bit = (uint8_t)(1u << (c % 8));

	if (w->seen[c / 8] & bit)
		return mkb_fail("the FAT is damaged: the chain of %s loops or crosses another at "
		                "cluster %" PRIu32, path[0] ? path : "\\", c);
	w->seen[c / 8] |= bit;
	return 0;
}

/* A file's chain: as many clusters as its size needs, no loop, no cluster out of range. */
static int check_chain(struct walk *w, const struct fat_entry *e)
{
	const struct fat_volume *v = w->v;
	uint64_t need = (e->size + v->cluster_bytes - 1) / v->cluster_bytes, have = 0;
	int64_t next;

	if (need > v->clusters)
		return mkb_fail("the FAT is damaged: %s claims %" PRIu64 " bytes, more than the "
		                "volume's %" PRIu32 " clusters hold", e->path, e->size, v->clusters);
	for (uint32_t c = e->cluster; c != 0 && e->size != 0; c = (uint32_t)next) {
		if (++have > need)
			return mkb_fail("the FAT is damaged: the chain of %s is longer than its %" PRIu64
			                " bytes (or loops)", e->path, e->size);
		if (claim(w, c, e->path) != 0 || (next = next_cluster(v, c)) < 0)
			return -1;
	}
	if (have < need)
		return mkb_fail("the FAT is damaged: the chain of %s ends before its %" PRIu64 " bytes",
		                e->path, e->size);
	return 0;
}

/* parent "\\" name into out (FAT_PATH_MAX bytes). 0, or -1 with mkb_error() when too long. */
static int join_path(char *out, const char *parent, const char *name)
{
	size_t lp = strlen(parent), ln = strlen(name);

	if (lp + 1 + ln >= FAT_PATH_MAX)
		return mkb_fail("a FAT path is longer than %d bytes", FAT_PATH_MAX);
	memcpy(out + lp + 1, name, ln + 1); /* with its NUL */
	out[lp] = '\\';
	for (size_t i = 0; i < lp; i++)
		out[i] = parent[i];
	return 0;
}

static int walk_dir(struct walk *w, uint32_t cluster, const char *path, int depth)
{
	const struct fat_volume *v = w->v;
	int64_t next;

	if (depth > MAX_DEPTH)
		return mkb_fail("the FAT directories nest deeper than %d levels at %s", MAX_DEPTH, path);
	if (check_cluster(v, cluster, path) != 0)
		return -1;
	for (uint32_t c = cluster; c != 0; c = (uint32_t)next) {
		if (claim(w, c, path) != 0)
			return -1;
		if (v->read(v->ctx, v->base + v->data_offset + (uint64_t)(c - 2) * v->cluster_bytes,
		            w->buf, v->cluster_bytes) != 0)
			return -1;
		for (uint32_t off = 0; off < v->cluster_bytes; off += ENTRY) {
			uint8_t e[ENTRY];
			struct fat_entry fe;
			char name[13];
			memcpy(e, w->buf + off, ENTRY); /* walk_dir below reuses buf */
			if (e[0] == 0)
				return 0;
			if (e[0] == 0xe5 || (e[11] & ATTR_LFN) == ATTR_LFN || e[11] & ATTR_VOLUME_ID ||
			    e[0] == '.')
				continue;
			if (++w->entries > MAX_ENTRIES)
				return mkb_fail("the FAT volume has more than %d entries", MAX_ENTRIES);
			short_name(e, name);
			memset(&fe, 0, sizeof fe);
			if (join_path(fe.path, path, name) != 0)
				return -1;
			fe.cluster = (uint32_t)get16(e + 20) << 16 | get16(e + 26);
			fe.directory = (e[11] & ATTR_DIRECTORY) != 0;
			fe.size = fe.directory ? 0 : get32(e + 28);
			if ((fe.directory || fe.size != 0) && check_cluster(v, fe.cluster, fe.path) != 0)
				return -1;
			if (!fe.directory && check_chain(w, &fe) != 0)
				return -1;
			w->visit(w->ctx, &fe);
			if (fe.directory && walk_dir(w, fe.cluster, fe.path, depth + 1) != 0)
				return -1;
			/* The deeper walk overwrote buf: read this cluster again. */
			if (fe.directory &&
			    v->read(v->ctx, v->base + v->data_offset + (uint64_t)(c - 2) * v->cluster_bytes,
			            w->buf, v->cluster_bytes) != 0)
				return -1;
		}
		if ((next = next_cluster(v, c)) < 0)
			return -1;
	}
	return 0;
}

int fat_walk(const struct fat_volume *v, void (*visit)(void *ctx, const struct fat_entry *e),
             void *ctx)
{
	struct walk w = { v, visit, ctx, 0, malloc(v->cluster_bytes),
	                  calloc(1, ((size_t)v->clusters + 2 + 7) / 8) };
	int rc = -1;

	if (w.buf == NULL || w.seen == NULL)
		mkb_fail("out of memory");
	else
		rc = walk_dir(&w, v->root_cluster, "", 0);
	free(w.buf);
	free(w.seen);
	return rc;
}

struct find {
	const char *path;
	struct fat_entry *out;
	int found;
};

static void find_visit(void *ctx, const struct fat_entry *e)
{
	struct find *f = ctx;

	if (!f->found && strcasecmp(f->path, e->path) == 0) {
		*f->out = *e;
		f->found = 1;
	}
}

int fat_find(const struct fat_volume *v, const char *path, struct fat_entry *out)
{
	struct find f = { path, out, 0 };

	if (fat_walk(v, find_visit, &f) != 0)
		return -1;
	return f.found;
}

int fat_read_file(const struct fat_volume *v, const struct fat_entry *e, uint8_t *buf)
{
	uint64_t done = 0;
	uint32_t c = e->cluster, steps = 0;
	int64_t next;

	while (done < e->size) {
		size_t n = e->size - done < v->cluster_bytes ? (size_t)(e->size - done) : v->cluster_bytes;
		if (c == 0)
			return mkb_fail("the FAT is damaged: the chain of %s ends before its %" PRIu64
			                " bytes", e->path, e->size);
		if (++steps > v->clusters || check_cluster(v, c, e->path) != 0)
			return steps > v->clusters ? mkb_fail("the FAT is damaged: the chain of %s loops",
			                                      e->path) : -1;
		if (v->read(v->ctx, v->base + v->data_offset + (uint64_t)(c - 2) * v->cluster_bytes,
		            buf + done, n) != 0)
			return -1;
		done += n;
		if ((next = next_cluster(v, c)) < 0)
			return -1;
		c = (uint32_t)next;
	}
	return 0;
}
