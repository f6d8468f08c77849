#define _GNU_SOURCE /* O_DIRECT */
#include "install.h"
#include "source.h"
#include "blockdev.h"
#include "build.h"
#include "image.h"
#include "image-options.h"
#include "util.h"

#include <mkbootimg/image.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h> /* flock */
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The device checks read Linux's sysfs; elsewhere install builds but refuses every device. */
#ifdef __linux__
#include <linux/fs.h> /* BLKSSZGET, BLKGETSIZE64, BLKFLSBUF, BLKRRPART */
#include <sys/sysmacros.h>
#else
#define fdatasync fsync
#endif
#ifndef O_DIRECT
#define O_DIRECT 0
#endif

#define BUFFER_ALIGN 4096 /* O_DIRECT needs buffers aligned to the logical block size, at most this */

volatile sig_atomic_t install_interrupted;

static void usage(FILE *f)
{
	fprintf(f, "usage: mkbootimg install [-nqv] [--force] [--yes] [--no-verify]\n"
	           "                         [--cmdline STRING] [--stack-size SIZE]\n"
	           "                         [--module FILE[=STRING]]\n"
	           "                         [--framebuffer WxHxBPP] [--protocol PROTOCOL]\n"
	           "                         IMAGE|KERNEL DEVICE\n"
	           "       mkbootimg install --list\n");
}

static void help(void)
{
	usage(stdout);
	printf("\nWrite a disk image, or a kernel built into one, to a whole disk such as a USB\n"
	       "stick, replacing everything on it. The disk must be removable or on USB, and\n"
	       "nothing may use it; you are asked to type its name before anything is written.\n\n"
	       "  -l, --list                  list the removable and USB disks\n"
	       "      --yes                   do not ask for confirmation\n"
	       "      --force                 accept a disk that is neither removable nor on USB\n"
	       "  -n, --dry-run               check everything and say what would be written\n"
	       "      --no-verify             do not read the disk back to compare\n"
	       "For a KERNEL, built into an image as by mkbootimg -o:\n");
	image_options_help(stdout, 30);
	printf("  -v, --verbose               print the load plan on stderr\n"
	       "  -q, --quiet                 do not print warnings about the kernel on stderr\n"
	       "  -h, --help                  print this help\n");
}

int install_parse(struct install_options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "yes", no_argument, NULL, 'y' },
		{ "force", no_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "no-verify", no_argument, NULL, 'N' },
		IMAGE_LONGOPTS,
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rest;

	memset(o, 0, sizeof *o);
	o->verify = 1;
	argv[0] = (char *)"mkbootimg install"; /* getopt's messages then name the command */
	optind = 0;                             /* start afresh: the unit tests parse many times */
	/* --yes and --force have no short forms: saying them should take a deliberate word. */
	while ((c = getopt_long(argc, argv, "lnvqh", longopts, NULL)) != -1) {
		int taken = image_option(&o->plan, c, optarg);
		if (taken < 0)
			return -1;
		if (taken)
			continue;
		switch (c) {
		case 'l': o->list = 1; break;
		case 'y': o->yes = 1; break;
		case 'f': o->force = 1; break;
		case 'n': o->dry_run = 1; break;
		case 'N': o->verify = 0; break;
		case 'v': o->verbose = 1; break;
		case 'q': o->quiet = 1; break;
		case 'h': o->help = 1; break;
		default:
			return MKB_REPORTED;
		}
	}
	if (o->help)
		return 0;
	rest = argc - optind;
	if (o->list)
		return rest == 0 ? 0 : mkb_fail("--list takes no other arguments");
	if (rest < 2)
		return mkb_fail(rest == 0 ? "no image or kernel given" : "no device given");
	if (rest > 2)
		return mkb_fail("too many arguments");
	o->source = argv[optind];
	o->device = argv[optind + 1];
	return 0;
}

int install_answer_confirms(const char *answer, const char *name)
{
	size_t n;

	while (*answer == ' ' || *answer == '\t')
		answer++;
	n = strcspn(answer, " \t\r\n");
	if (answer[n + strspn(answer + n, " \t\r\n")] != '\0')
		return 0; /* more than one word */
	if (n == 3 && strncasecmp(answer, "yes", 3) == 0)
		return 1;
	if (n > 5 && strncmp(answer, "/dev/", 5) == 0) {
		answer += 5;
		n -= 5;
	}
	return n == strlen(name) && strncmp(answer, name, n) == 0;
}

/* ---- Partition tables ---- */

/*
 * GPT facts (UEFI specification, chapter 5): the header starts with
 * "EFI PART"; MyLBA at byte 24, AlternateLBA at 32, PartitionEntryLBA at 72,
 * NumberOfPartitionEntries at 80, SizeOfPartitionEntry at 84. An entry holds
 * its type GUID at 0 (all zeros: unused), StartingLBA at 32, EndingLBA at 40.
 * The specification reserves at least 16 KiB for the entry array, and the
 * usual GPT has exactly that, 128 entries of 128 bytes, right after the
 * primary header (LBA 2) and right before the backup header (the last LBA).
 */
#define GPT_HEADER_MIN 92
#define GPT_DEFAULT_ARRAY (128 * 128)
#define GPT_MAX_ARRAY (1024 * 1024) /* a header naming more is garbage: its array is not trusted */
#define MBR_EXTENDED(type) ((type) == 0x05 || (type) == 0x0f || (type) == 0x85)

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

int install_gpt_parse(const uint8_t *sector, size_t len, struct install_gpt *g)
{
	if (len < GPT_HEADER_MIN || memcmp(sector, "EFI PART", 8) != 0)
		return 0;
	g->my_lba = get64(sector + 24);
	g->alternate_lba = get64(sector + 32);
	g->entries_lba = get64(sector + 72);
	g->entry_count = get32(sector + 80);
	g->entry_size = get32(sector + 84);
	return 1;
}

/* Bytes of the entry array a header names, or 0 when its numbers make no sense. */
static uint64_t gpt_array_bytes(const struct install_gpt *g)
{
	uint64_t bytes = (uint64_t)g->entry_count * g->entry_size;

	if (g->entry_size < 128 || g->entry_size % 8 != 0 || bytes == 0 || bytes > GPT_MAX_ARRAY)
		return 0;
	return bytes;
}

struct ranges {
	struct install_range r[INSTALL_MAX_ERASE];
	size_t n;
	uint64_t low, high; /* everything is clipped to [low, high) */
};

static void add_range(struct ranges *rs, uint64_t start, uint64_t end)
{
	start = start > rs->low ? start : rs->low;
	end = end < rs->high ? end : rs->high;
	if (start < end && rs->n < INSTALL_MAX_ERASE)
		rs->r[rs->n++] = (struct install_range){ start, end };
}

/* The array a header names, when it lies on the disk. */
static void add_array(struct ranges *rs, const struct install_gpt *g, size_t sector, uint64_t lbas)
{
	uint64_t bytes = gpt_array_bytes(g);

	if (bytes != 0 && g->entries_lba < lbas)
		add_range(rs, g->entries_lba * sector, g->entries_lba * sector + MKB_ALIGN_UP(bytes, sector));
}

/* A header's sector and the default array right before it. */
static void add_header(struct ranges *rs, uint64_t lba, size_t sector)
{
	uint64_t array = MKB_ALIGN_UP(GPT_DEFAULT_ARRAY, sector), at = lba * sector;

	add_range(rs, at > array ? at - array : 0, at + sector);
}

size_t install_stale_ranges(uint64_t disk_size, uint64_t image_size, size_t sector,
                            const struct install_gpt *primary, const struct install_gpt *backup,
                            const struct install_gpt *alternate, struct install_range *out,
                            size_t max)
{
	struct ranges rs = { .n = 0, .low = image_size, .high = disk_size };
	uint64_t lbas;
	size_t n = 0;

	if (sector == 0)
		sector = MKB_SECTOR_SIZE;
	lbas = disk_size / sector;
	if (lbas == 0)
		return 0;
	/* LBA 0 (the MBR), the primary header at LBA 1, its array from LBA 2. */
	add_range(&rs, 0, 2 * (uint64_t)sector + MKB_ALIGN_UP(GPT_DEFAULT_ARRAY, sector));
	if (primary != NULL)
		add_array(&rs, primary, sector, lbas);
	add_header(&rs, lbas - 1, sector);
	if (backup != NULL)
		add_array(&rs, backup, sector, lbas);
	/* A GPT made for a smaller disk keeps its backup where that disk ended. */
	if (primary != NULL && primary->alternate_lba > 1 && primary->alternate_lba < lbas - 1) {
		add_header(&rs, primary->alternate_lba, sector);
		if (alternate != NULL)
			add_array(&rs, alternate, sector, lbas);
	}
	/* Sorted by start, overlapping or touching ranges merged. */
	for (size_t i = 1; i < rs.n; i++)
		for (size_t j = i; j > 0 && rs.r[j].start < rs.r[j - 1].start; j--) {
			struct install_range t = rs.r[j];
			rs.r[j] = rs.r[j - 1];
			rs.r[j - 1] = t;
		}
	for (size_t i = 0; i < rs.n; i++) {
		if (n > 0 && rs.r[i].start <= out[n - 1].end) {
			if (rs.r[i].end > out[n - 1].end)
				out[n - 1].end = rs.r[i].end;
		} else if (n < max) {
			out[n++] = rs.r[i];
		}
	}
	return n;
}

size_t install_mbr_partitions(const uint8_t mbr[512], size_t sector, struct install_part *out,
                              size_t max)
{
	uint64_t scale = sector > MKB_SECTOR_SIZE ? sector / MKB_SECTOR_SIZE : 1;
	size_t n = 0;

	if (mbr[MKB_MBR_BOOT_SIGNATURE] != 0x55 || mbr[MKB_MBR_BOOT_SIGNATURE + 1] != 0xaa)
		return 0;
	for (unsigned i = 0; i < 4 && n < max; i++) {
		const uint8_t *e = mbr + MKB_MBR_PARTITIONS + 16 * i;
		uint32_t size = get32(e + 12);

		if (size == 0) /* Linux skips empty slots, whatever their type */
			continue;
		out[n++] = (struct install_part){
			.number = i + 1, .start = get32(e + 8) * scale, .size = size * scale,
			.container = 1, .extended = MBR_EXTENDED(e[4]),
		};
	}
	return n;
}

size_t install_gpt_partitions(const struct install_gpt *g, const uint8_t *entries, size_t len,
                              size_t sector, struct install_part *out, size_t max)
{
	static const uint8_t unused[16];
	uint64_t scale = sector > MKB_SECTOR_SIZE ? sector / MKB_SECTOR_SIZE : 1;
	size_t n = 0;

	if (gpt_array_bytes(g) == 0)
		return 0;
	for (uint32_t i = 0; i < g->entry_count && (uint64_t)(i + 1) * g->entry_size <= len && n < max;
	     i++) {
		const uint8_t *e = entries + (size_t)i * g->entry_size;
		uint64_t first = get64(e + 32), last = get64(e + 40);

		if (memcmp(e, unused, sizeof unused) == 0 || last < first)
			continue;
		out[n++] = (struct install_part){
			.number = i + 1, .start = first * scale, .size = (last - first + 1) * scale,
		};
	}
	return n;
}

const struct blockdev_part *install_unexpected_partition(const struct install_part *expected,
                                                         size_t n,
                                                         const struct blockdev_part *actual,
                                                         size_t m)
{
	for (size_t i = 0; i < m; i++) {
		const struct blockdev_part *a = &actual[i];
		int known = 0;

		for (size_t j = 0; j < n && !known; j++) {
			const struct install_part *e = &expected[j];
			/* Linux shows an extended partition 1 or 2 sectors long, to keep mkfs off it. */
			int same = a->number == e->number && a->start == e->start &&
			           (a->size == e->size || (e->extended && a->size <= e->size));
			int inside = a->number >= 5 && e->container && a->start >= e->start &&
			             a->start + a->size <= e->start + e->size;
			known = same || inside;
		}
		if (!known)
			return a;
	}
	return NULL;
}

/* ---- Writing ---- */

static int device_error(struct install_write *w, const char *what, int err)
{
	char done[32], total[32];
	int removed = err == EIO || err == ENODEV || err == ENXIO;
	const char *hint;

#ifdef ENOMEDIUM
	removed = removed || err == ENOMEDIUM;
#endif
	hint = removed ? "; was the disk removed?" : "";

	blockdev_format_size(done, sizeof done, w->done);
	blockdev_format_size(total, sizeof total, w->size);
	if (err != 0)
		return mkb_fail("%s: %s (%s%s) after %s of %s (%" PRIu64 "%%); it will not boot: "
		                "write the image again", w->device, what, strerror(err), hint, done,
		                total, w->size ? w->done * 100 / w->size : 100);
	return mkb_fail("%s: %s after %s of %s (%" PRIu64 "%%); it will not boot: write the image again",
	                w->device, what, done, total, w->size ? w->done * 100 / w->size : 100);
}

/* A read that must return n bytes; a short one counts as an error. */
static int read_exact(int fd, void *buf, size_t n, uint64_t off)
{
	ssize_t r = mkb_pread_full(fd, buf, n, (off_t)off);

	if (r >= 0 && (size_t)r != n)
		errno = EIO; /* the file or device is shorter than it said */
	return r >= 0 && (size_t)r == n ? 0 : -1;
}

static int image_read_failed(struct install_write *w)
{
	return mkb_fail("%s: read failed near byte %" PRIu64 " (%s; did it change while it was "
	                "written?); write the image again", w->image, w->done, strerror(errno));
}

/*
 * The image's bytes [off, off + len) in buf as the disk gets them: with a
 * moved GPT, the first 34 sectors made for the disk, and zeros where the
 * image's own backup table was.
 */
static void overlay(const struct install_write *w, uint8_t *buf, uint64_t off, size_t len)
{
	uint64_t old_backup = w->size - sizeof w->gpt_tail;

	if (!w->gpt_moved)
		return;
	if (off < sizeof w->gpt_head)
		memcpy(buf, w->gpt_head + off,
		       len < sizeof w->gpt_head - off ? len : (size_t)(sizeof w->gpt_head - off));
	if (off + len > old_backup) {
		uint64_t from = off > old_backup ? off : old_backup;
		memset(buf + (from - off), 0, (size_t)(off + len - from));
	}
}

/* Where the chunk at off ends: the next chunk boundary, or end. */
static size_t chunk_length(const struct install_write *w, uint64_t off, uint64_t end)
{
	uint64_t next = MKB_ALIGN_DOWN(off, w->chunk) + w->chunk;
	return (size_t)((next < end ? next : end) - off);
}

/*
 * Image bytes [start, end) to the same place on the device, one chunk per
 * write. Only the image's end may fall inside a block: that block keeps the
 * device's bytes after it (read-modify-write, as O_DIRECT writes whole blocks).
 */
static int copy_range(struct install_write *w, uint8_t *buf, uint64_t start, uint64_t end,
                      int report)
{
	for (uint64_t off = start; off < end;) {
		size_t len = chunk_length(w, off, end);
		size_t padded = (size_t)MKB_ALIGN_UP(len, w->block);

		if (install_interrupted)
			return device_error(w, "interrupted", 0);
		if (padded != len && read_exact(w->device_fd, buf + padded - w->block, w->block,
		                                off + padded - w->block) != 0)
			return device_error(w, "reading the last block failed", errno);
		if (read_exact(w->image_fd, buf, len, off) != 0)
			return image_read_failed(w);
		overlay(w, buf, off, len);
		if (mkb_pwrite_full(w->device_fd, buf, padded, (off_t)off) != 0)
			return device_error(w, "write failed", errno);
		off += len;
		if (report) {
			w->done = off;
			if (w->progress != NULL)
				w->progress(w, "write", off);
		}
	}
	return 0;
}

static int flush(struct install_write *w)
{
	return fdatasync(w->device_fd) == 0 ? 0 : device_error(w, "flushing the disk failed", errno);
}

static int verify_error(struct install_write *w, const char *what)
{
	char done[32], total[32];

	blockdev_format_size(done, sizeof done, w->done);
	blockdev_format_size(total, sizeof total, w->size);
	return mkb_fail("%s: %s after %s of %s; the image was written but is not verified",
	                w->device, what, done, total);
}

/* Until the image is complete, the old first sector must not boot what follows. */
static int clear_boot_signature(struct install_write *w, uint8_t *buf)
{
	if (read_exact(w->device_fd, buf, w->block, 0) != 0)
		return device_error(w, "reading the first sector failed", errno);
	if (buf[510] != 0x55 || buf[511] != 0xAA)
		return 0;
	buf[510] = buf[511] = 0;
	if (mkb_pwrite_full(w->device_fd, buf, w->block, 0) != 0)
		return device_error(w, "write failed", errno);
	return flush(w);
}

/*
 * The sector at lba into buf (the block holding it is read); 1 with *g
 * filled when it holds a GPT header, 0 when not, -1 on a read error.
 */
static int read_gpt_header(struct install_write *w, uint8_t *buf, size_t sector, uint64_t lba,
                           struct install_gpt *g)
{
	uint64_t at = lba * sector, block = MKB_ALIGN_DOWN(at, w->block);

	if (read_exact(w->device_fd, buf, w->block, block) != 0)
		return -1;
	return install_gpt_parse(buf + (at - block), sector, g);
}

/* First byte of buf[from, to) that is not zero, or to. */
static size_t first_nonzero(const uint8_t *buf, size_t from, size_t to)
{
	while (from < to && buf[from] == 0)
		from++;
	return from;
}

/*
 * The range r of the device, in whole blocks and chunks: erase (1) writes
 * zeros where it is not all zeros yet; otherwise (0) check that it is.
 */
static int zero_range(struct install_write *w, uint8_t *buf, const struct install_range *r, int erase)
{
	uint64_t end = MKB_ALIGN_UP(r->end, w->block);

	for (uint64_t off = MKB_ALIGN_DOWN(r->start, w->block); off < end;) {
		size_t len = end - off < w->chunk ? (size_t)(end - off) : w->chunk;
		size_t from = r->start > off ? (size_t)(r->start - off) : 0;
		size_t to = r->end < off + len ? (size_t)(r->end - off) : len;
		size_t nz;

		if (install_interrupted)
			return erase ? device_error(w, "interrupted", 0)
			             : verify_error(w, "verification interrupted");
		if (read_exact(w->device_fd, buf, len, off) != 0) {
			char what[128];
			if (erase)
				return device_error(w, "reading the old partition table failed", errno);
			snprintf(what, sizeof what, "reading back failed (%s)", strerror(errno));
			return verify_error(w, what);
		}
		if ((nz = first_nonzero(buf, from, to)) < to) {
			if (!erase)
				return mkb_fail("%s: verification failed: byte %" PRIu64 ", where an old "
				                "partition table was erased, reads back as 0x%02x, not 0; the disk "
				                "may be faulty, or smaller than it claims", w->device, off + nz,
				                buf[nz]);
			memset(buf + from, 0, to - from);
			if (mkb_pwrite_full(w->device_fd, buf, len, (off_t)off) != 0)
				return device_error(w, "write failed", errno);
			w->erased += to - from;
		}
		off += len;
	}
	return 0;
}

/*
 * Before the image is written: find the old GPT headers (LBA 1, the last
 * LBA, the alternate LBA the primary names) and zero every place of an old
 * partition table that the image will not overwrite. A backup GPT left at
 * the end of the disk would otherwise be taken for the disk's table by GPT
 * tools and firmware, with the old partitions in it.
 */
static int erase_old_table(struct install_write *w, uint8_t *buf)
{
	size_t sector = w->sector != 0 ? w->sector : MKB_SECTOR_SIZE;
	uint64_t lbas = w->disk_size / sector;
	struct install_gpt primary, backup, alternate;
	int has_primary = 0, has_backup = 0, has_alternate = 0;

	w->erase_count = 0;
	w->erased = 0;
	w->old_gpt = 0;
	if (w->disk_size == 0 || w->disk_size <= w->size)
		return 0;
	if (lbas > 2 && (has_primary = read_gpt_header(w, buf, sector, 1, &primary)) < 0)
		return device_error(w, "reading the old partition table failed", errno);
	if (lbas > 2 && (has_backup = read_gpt_header(w, buf, sector, lbas - 1, &backup)) < 0)
		return device_error(w, "reading the old backup partition table failed", errno);
	if (has_primary && primary.alternate_lba > 1 && primary.alternate_lba < lbas - 1 &&
	    (has_alternate = read_gpt_header(w, buf, sector, primary.alternate_lba, &alternate)) < 0)
		return device_error(w, "reading the old backup partition table failed", errno);
	w->old_gpt = (has_primary && 2 * (uint64_t)sector > w->size) ||
	             (has_backup && (lbas - 1) * sector >= w->size) ||
	             (has_alternate && primary.alternate_lba * sector >= w->size);
	w->erase_count = install_stale_ranges(w->disk_size, w->size, sector,
	                                      has_primary ? &primary : NULL,
	                                      has_backup ? &backup : NULL,
	                                      has_alternate ? &alternate : NULL, w->erase,
	                                      INSTALL_MAX_ERASE);
	for (size_t i = 0; i < w->erase_count; i++)
		if (zero_range(w, buf, &w->erase[i], 1) != 0)
			return -1;
	return 0;
}

/* Where the moved backup table goes: the disk's last 33 sectors. */
static uint64_t gpt_tail_offset(const struct install_write *w)
{
	return w->disk_size - sizeof w->gpt_tail;
}

/*
 * An image with a sound GPT, on a larger disk of 512-byte sectors: make
 * its table the disk's (gpt_relocate). Anything else is written as it is.
 */
static void prepare_gpt(struct install_write *w)
{
	size_t sector = w->sector != 0 ? w->sector : MKB_SECTOR_SIZE;

	w->gpt_moved = 0;
	if (sector != MKB_SECTOR_SIZE || w->disk_size <= w->size || w->disk_size % MKB_SECTOR_SIZE ||
	    w->size < sizeof w->gpt_head + sizeof w->gpt_tail ||
	    read_exact(w->image_fd, w->gpt_head, sizeof w->gpt_head, 0) != 0)
		return;
	w->gpt_moved = gpt_relocate(w->gpt_head, w->disk_size / MKB_SECTOR_SIZE, w->gpt_tail) == 0;
}

/* The old table's ranges end before the moved backup table, which is written there. */
static void spare_gpt_tail(struct install_write *w)
{
	size_t n = 0;

	for (size_t i = 0; i < w->erase_count && w->gpt_moved; i++) {
		struct install_range r = w->erase[i];
		if (r.end > gpt_tail_offset(w))
			r.end = gpt_tail_offset(w);
		if (r.start < r.end)
			w->erase[n++] = r;
	}
	if (w->gpt_moved)
		w->erase_count = n;
}

/*
 * The moved backup table into the disk's last sectors, in whole blocks
 * (read-modify-write when a block holds more); with check, compare instead.
 */
static int write_gpt_tail(struct install_write *w, uint8_t *buf, int check)
{
	uint64_t at = gpt_tail_offset(w), start = MKB_ALIGN_DOWN(at, w->block);
	size_t len = (size_t)(w->disk_size - start);

	if (read_exact(w->device_fd, buf, len, start) != 0)
		return check ? verify_error(w, "reading back the backup partition table failed")
		             : device_error(w, "reading the disk's last sectors failed", errno);
	if (check) {
		if (memcmp(buf + (at - start), w->gpt_tail, sizeof w->gpt_tail) != 0)
			return mkb_fail("%s: verification failed: the backup partition table at the disk's "
			                "end reads back differently; the disk may be faulty", w->device);
		return 0;
	}
	memcpy(buf + (at - start), w->gpt_tail, sizeof w->gpt_tail);
	if (mkb_pwrite_full(w->device_fd, buf, len, (off_t)start) != 0)
		return device_error(w, "write failed", errno);
	return 0;
}

/*
 * A GPT image (--firmware hybrid or uefi) counts in 512-byte sectors: on a
 * disk of larger logical sectors UEFI firmware looks for the GPT header at
 * the second sector (byte 4096 on a 4Kn disk), finds none, and does not
 * boot it. An MBR image (--firmware bios) is fine there.
 */
static int refuse_gpt_on_large_sectors(const struct install_write *w)
{
	uint8_t signature[8];

	if (w->sector == 0 || w->sector == MKB_SECTOR_SIZE || w->size < 2 * MKB_SECTOR_SIZE)
		return 0;
	if (read_exact(w->image_fd, signature, sizeof signature, MKB_SECTOR_SIZE) != 0)
		return -1;
	if (memcmp(signature, "EFI PART", 8) != 0)
		return 0;
	return mkb_fail("%s has %zu-byte sectors, and %s is a GPT disk made for 512-byte sectors: "
	                "UEFI firmware would look for its partition table at byte %zu and not boot "
	                "it; nothing written. Build it from the kernel with --firmware bios (an MBR "
	                "disk, which a BIOS boots there)", w->device, w->sector, w->image, w->sector);
}

int install_write_image(struct install_write *w)
{
	uint64_t head = w->size < w->block ? w->size : w->block; /* the image's part of block 0 */
	uint8_t *buf;
	int rc;

	if (refuse_gpt_on_large_sectors(w) != 0)
		return -1;
	if (posix_memalign((void **)&buf, BUFFER_ALIGN, w->chunk) != 0)
		return mkb_fail("out of memory");
	w->done = 0;
	prepare_gpt(w);
	rc = clear_boot_signature(w, buf);
	if (rc == 0)
		rc = erase_old_table(w, buf);
	spare_gpt_tail(w);
	if (rc == 0)
		rc = copy_range(w, buf, head, w->size, 1);
	if (rc == 0 && w->gpt_moved)
		rc = write_gpt_tail(w, buf, 0);
	if (rc == 0)
		rc = flush(w);
	if (rc == 0)
		rc = copy_range(w, buf, 0, head, 0);
	if (rc == 0)
		rc = flush(w);
	w->done = rc == 0 ? w->size : w->done;
	free(buf);
	return rc;
}

int install_verify(struct install_write *w)
{
	uint8_t *disk = NULL, *image = NULL;
	int rc = -1;

	if (posix_memalign((void **)&disk, BUFFER_ALIGN, w->chunk) != 0 ||
	    posix_memalign((void **)&image, BUFFER_ALIGN, w->chunk) != 0) {
		free(disk);
		return mkb_fail("out of memory");
	}
	/* Without O_DIRECT the reads could come from the page cache: drop it first. */
	if (!w->direct) {
#ifdef BLKFLSBUF
		ioctl(w->device_fd, BLKFLSBUF, 0);
#endif
#ifdef POSIX_FADV_DONTNEED
		posix_fadvise(w->device_fd, 0, 0, POSIX_FADV_DONTNEED);
#endif
	}
	w->done = 0;
	for (uint64_t off = 0; off < w->size;) {
		size_t len = chunk_length(w, off, w->size);
		size_t padded = (size_t)MKB_ALIGN_UP(len, w->block);

		if (install_interrupted) {
			verify_error(w, "verification interrupted");
			goto out;
		}
		if (read_exact(w->device_fd, disk, padded, off) != 0) {
			char what[128];
			snprintf(what, sizeof what, "reading back failed (%s)", strerror(errno));
			verify_error(w, what);
			goto out;
		}
		if (read_exact(w->image_fd, image, len, off) != 0) {
			image_read_failed(w);
			goto out;
		}
		overlay(w, image, off, len);
		if (memcmp(disk, image, len) != 0) {
			size_t i = 0;
			while (disk[i] == image[i])
				i++;
			mkb_fail("%s: verification failed: byte %" PRIu64 " reads back as 0x%02x, not 0x%02x "
			         "as written; the disk may be faulty, or smaller than it claims", w->device,
			         off + i, disk[i], image[i]);
			goto out;
		}
		off += len;
		w->done = off;
		if (w->progress != NULL)
			w->progress(w, "verify", off);
	}
	for (size_t i = 0; i < w->erase_count; i++)
		if (zero_range(w, disk, &w->erase[i], 0) != 0)
			goto out;
	if (w->gpt_moved && write_gpt_tail(w, disk, 1) != 0)
		goto out;
	rc = 0;
out:
	free(disk);
	free(image);
	return rc;
}

/* ---- The kernel's view of the partitions ---- */

int install_ioctl_reread(int fd)
{
#ifdef BLKRRPART
	return ioctl(fd, BLKRRPART, NULL);
#else
	(void)fd;
	errno = ENOTTY;
	return -1;
#endif
}

/* The partitions the image defines: its MBR's, and its GPT's when it has one. */
static size_t image_partitions(struct install_write *w, struct install_part *out, size_t max)
{
	size_t sector = w->sector != 0 ? w->sector : MKB_SECTOR_SIZE, n = 0;
	uint8_t mbr[MKB_SECTOR_SIZE], *header, *entries;
	struct install_gpt g;
	uint64_t bytes;

	if (read_exact(w->image_fd, mbr, sizeof mbr, 0) == 0)
		n = install_mbr_partitions(mbr, sector, out, max);
	if (w->size < 2 * (uint64_t)sector || (header = malloc(sector)) == NULL)
		return n;
	if (read_exact(w->image_fd, header, sector, sector) == 0 && install_gpt_parse(header, sector, &g) &&
	    (bytes = gpt_array_bytes(&g)) != 0 && g.entries_lba < w->size / sector &&
	    g.entries_lba * sector + bytes <= w->size && (entries = malloc(bytes)) != NULL) {
		if (read_exact(w->image_fd, entries, bytes, g.entries_lba * sector) == 0)
			n += install_gpt_partitions(&g, entries, bytes, sector, out + n, max - n);
		free(entries);
	}
	free(header);
	return n;
}

/* "sdb1, sdb2" into buf, cut to its size. */
static void join_names(char *buf, size_t size, const struct blockdev_part *p, size_t n)
{
	size_t used = 0;

	if (size == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < size; i++) {
		int k = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", p[i].name);
		if (k < 0)
			break;
		used += (size_t)k;
	}
}

static void pause_briefly(void)
{
	struct timespec t = { 0, 100 * 1000 * 1000 };
	nanosleep(&t, NULL);
}

int install_reread_partitions(struct install_write *w, const struct blockdev_roots *r,
                              const char *disk, int (*reread)(int fd), unsigned tries,
                              char *seen, size_t seen_size)
{
	struct install_part *expected;
	struct blockdev_part *parts;
	const struct blockdev_part *bad;
	char names[512];
	size_t n, m;
	int err = 0;

	/* The kernel reads the new table through the page cache: nothing stale may be left there. */
	fdatasync(w->device_fd);
#ifdef BLKFLSBUF
	ioctl(w->device_fd, BLKFLSBUF, 0);
#endif
	for (unsigned i = 0; i < tries; i++) {
		if (i > 0)
			pause_briefly(); /* udev may be probing a partition: let it finish */
		err = reread(w->device_fd) == 0 ? 0 : errno;
		if (err != EBUSY)
			break;
	}
	if (blockdev_partitions(r, disk, &parts, &m) != 0)
		return -1;
	join_names(names, sizeof names, parts, m);
	join_names(seen, seen_size, parts, m);
	if ((expected = calloc(INSTALL_MAX_PARTS, sizeof *expected)) == NULL) {
		free(parts);
		return mkb_fail("out of memory");
	}
	n = image_partitions(w, expected, INSTALL_MAX_PARTS);
	bad = install_unexpected_partition(expected, n, parts, m);
	if (bad != NULL && err == EBUSY)
		mkb_fail("%s: the image is written, but the kernel cannot re-read the partition table: "
		         "a partition is still in use (busy), so the system still sees the old "
		         "partitions (%s). Close what uses them, then run blockdev --rereadpt %s, or "
		         "unplug the disk and plug it in again", w->device, names, w->device);
	else if (bad != NULL && err != 0 && err != EINVAL)
		mkb_fail("%s: the image is written, but re-reading the partition table failed (%s), so "
		         "the system still sees the old partitions (%s); unplug the disk and plug it in "
		         "again", w->device, strerror(err), names);
	else if (bad != NULL)
		mkb_fail("%s: the image is written, but after re-reading the partition table the system "
		         "still shows %s (start %" PRIu64 ", %" PRIu64 " sectors), which the image does not "
		         "have; unplug the disk and plug it in again", w->device, bad->name, bad->start,
		         bad->size);
	else if (err != 0 && err != EINVAL) /* not re-read, yet nothing stale is shown: say why */
		mkb_fail("the kernel did not re-read the partition table (%s)", strerror(err));
	free(expected);
	free(parts);
	if (bad != NULL)
		return -1;
	return err != 0 && err != EINVAL ? 1 : 0;
}

/* ---- Arguments the wrong way round ---- */

enum install_kind install_classify(const char *path)
{
	struct source src;

	source_classify(path, &src);
	if (src.kind == SOURCE_MISSING && !src.block_device)
		return src.err == ENOENT ? INSTALL_MISSING : INSTALL_OTHER;
	if (src.block_device)
		return INSTALL_BLOCKDEV;
	if (!src.regular)
		return INSTALL_OTHER;
	switch (src.kind) {
	case SOURCE_KERNEL:
		return INSTALL_KERNEL;
	case SOURCE_MKB_IMAGE:
	case SOURCE_DISK_IMAGE:
		return INSTALL_IMAGE;
	default:
		return INSTALL_OTHER;
	}
}

static const char *kind_phrase(enum install_kind k)
{
	switch (k) {
	case INSTALL_MISSING: return "is not found";
	case INSTALL_BLOCKDEV: return "is a block device";
	case INSTALL_KERNEL: return "is an ELF kernel";
	case INSTALL_IMAGE: return "is a disk image";
	case INSTALL_OTHER: break;
	}
	return "is neither a kernel nor an image";
}

int install_check_order(const char *source, enum install_kind source_kind, const char *device,
                        enum install_kind device_kind)
{
	int source_file = source_kind == INSTALL_KERNEL || source_kind == INSTALL_IMAGE;
	int device_file = device_kind == INSTALL_KERNEL || device_kind == INSTALL_IMAGE;

	if (source_kind != INSTALL_BLOCKDEV && !(device_file && !source_file))
		return 0;
	if (source_kind == INSTALL_BLOCKDEV && device_file)
		return mkb_fail("%s %s and %s %s: usage order is IMAGE|KERNEL, then DEVICE: "
		                "mkbootimg install %s %s", source, kind_phrase(source_kind), device,
		                kind_phrase(device_kind), device, source);
	return mkb_fail("%s %s and %s %s: usage order is IMAGE|KERNEL, then DEVICE", source,
	                kind_phrase(source_kind), device, kind_phrase(device_kind));
}

/* ---- The command ---- */

struct install_source {
	int fd;
	uint64_t size;
	int built; /* 1: built from a kernel */
};

/* A kernel becomes an image in a private temporary directory, removed at once. */
static int build_source(const struct install_options *o, struct install_source *s)
{
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX], out[PATH_MAX + 16];
	struct stat st;
	int rc = -1;

	snprintf(dir, sizeof dir, "%s/mkbootimg-XXXXXX", tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		return mkb_fail("cannot create a temporary directory for the image: %s: %s", dir,
		                strerror(errno));
	snprintf(out, sizeof out, "%s/image", dir);
	if (build_image_warn(o->source, out, &o->plan, o->loader, o->verbose ? stderr : NULL,
	                     o->quiet ? NULL : stderr) == 0) {
		if ((s->fd = open(out, O_RDONLY | O_CLOEXEC)) >= 0 && fstat(s->fd, &st) == 0) {
			s->size = (uint64_t)st.st_size;
			s->built = 1;
			rc = 0;
		} else {
			mkb_fail("%s: %s", out, strerror(errno));
			if (s->fd >= 0)
				close(s->fd);
		}
	}
	unlink(out);
	rmdir(dir);
	return rc;
}

/* IMAGE as it is, or KERNEL (an ELF file) built into an image first. */
static int open_source(const struct install_options *o, struct install_source *s)
{
	struct source src;
	struct stat st;

	memset(s, 0, sizeof *s);
	source_classify(o->source, &src);
	if (src.kind == SOURCE_MISSING)
		return mkb_fail("%s: %s", o->source, strerror(src.err));
	if (!src.regular)
		return mkb_fail("%s: not a regular file", o->source);
	if (src.kind == SOURCE_KERNEL)
		return build_source(o, s);
	if (src.kind != SOURCE_MKB_IMAGE && src.kind != SOURCE_DISK_IMAGE)
		return mkb_fail("%s: neither an ELF kernel nor a bootable disk image (no boot signature "
		                "0x55AA at byte 510)", o->source);
	if (image_options_refuse(&o->plan, o->source) != 0)
		return -1;
	if (o->plan.layout_given)
		return mkb_fail("%s is a ready image: --firmware applies only to a kernel", o->source);
	if ((s->fd = open(o->source, O_RDONLY | O_CLOEXEC)) < 0)
		return mkb_fail("%s: %s", o->source, strerror(errno));
	if (fstat(s->fd, &st) != 0 || !S_ISREG(st.st_mode)) { /* replaced since it was looked at */
		close(s->fd);
		return mkb_fail("%s: not a regular file", o->source);
	}
	s->size = (uint64_t)st.st_size;
	return 0;
}

static void describe(const struct blockdev *d, const struct install_options *o,
                     const struct install_source *s)
{
	char size[32];

	blockdev_format_size(size, sizeof size, d->size);
	printf("Device     %s\n", d->node);
	printf("Model      %s\n", d->model[0] ? d->model : "(unknown)");
	printf("Vendor     %s\n", d->vendor[0] ? d->vendor : "(unknown)");
	printf("Size       %s (%" PRIu64 " bytes)\n", size, d->size);
	printf("Transport  %s, %s\n", d->transport, d->removable ? "removable" : "not removable");
	blockdev_format_size(size, sizeof size, s->size);
	printf("Image      %s%s, %s (%" PRIu64 " bytes)\n", s->built ? "built from " : "", o->source,
	       size, s->size);
}

static int confirm(const struct blockdev *d)
{
	char line[256];

	if (!isatty(STDIN_FILENO))
		return mkb_fail("standard input is not a terminal, so nobody can confirm writing to %s; "
		                "add --yes to write without asking", d->node);
	fflush(stdout);
	fprintf(stderr, "Everything on %s will be lost. Type %s (or yes) to write it: ", d->node, d->name);
	if (fgets(line, sizeof line, stdin) == NULL || !install_answer_confirms(line, d->name))
		return mkb_fail("%s: not confirmed; nothing written", d->node);
	return 0;
}

/* O_EXCL: the kernel refuses when the disk is mounted or held, whatever the checks saw. */
static int open_device(const char *path, const struct blockdev *d, struct install_write *w)
{
	struct stat st;
	int block = 0;
#ifdef BLKGETSIZE64
	uint64_t bytes;
#endif

	w->direct = 1;
	w->device_fd = open(path, O_RDWR | O_EXCL | O_CLOEXEC | O_DIRECT);
	if (w->device_fd < 0 && errno == EINVAL) {
		w->direct = 0;
		w->device_fd = open(path, O_RDWR | O_EXCL | O_CLOEXEC);
	}
	if (w->device_fd < 0) {
		if (errno == EBUSY)
			return mkb_fail("%s is busy: the system uses it (mounted, swap, device-mapper or "
			                "RAID); nothing written", d->node);
		return mkb_fail("%s: cannot open for writing: %s; nothing written", d->node, strerror(errno));
	}
	if (fstat(w->device_fd, &st) != 0 || !S_ISBLK(st.st_mode) ||
	    st.st_rdev != makedev(d->major, d->minor)) {
		close(w->device_fd);
		return mkb_fail("%s changed while it was being checked; nothing written", path);
	}
	w->disk_size = d->size;
#ifdef BLKGETSIZE64
	if (ioctl(w->device_fd, BLKGETSIZE64, &bytes) == 0) {
		if (bytes < w->size) {
			close(w->device_fd);
			return mkb_fail("%s is too small for the image (%" PRIu64 " bytes, the image %" PRIu64
			                "); nothing written", d->node, bytes, w->size);
		}
		w->disk_size = bytes;
	}
	if (ioctl(w->device_fd, BLKSSZGET, &block) != 0)
		block = 0;
#endif
	if (block < 512 || block > BUFFER_ALIGN || (block & (block - 1)) != 0) {
		block = BUFFER_ALIGN; /* a safe multiple of any sector size */
		w->sector = MKB_SECTOR_SIZE;
	} else {
		w->sector = (size_t)block;
	}
	w->block = (size_t)block;
	/*
	 * udev leaves a disk alone while a writer holds this lock, instead of
	 * probing the half-written disk and its partitions. Best effort only.
	 */
	flock(w->device_fd, LOCK_EX | LOCK_NB);
	return 0;
}

/* On standard error when it is a terminal: bytes, percent, rate. */
struct progress {
	double start, last;
	int line_open;
};

static void show_progress(struct install_write *w, const char *phase, uint64_t done)
{
	struct progress *p = w->progress_state;
	double t = (double)mkb_now_ms() / 1000, rate = t > p->start ? (double)done / (t - p->start) : 0;
	char d[32], total[32], r[32];

	if (done < w->size && t - p->last < 0.2)
		return;
	p->last = t;
	blockdev_format_size(d, sizeof d, done);
	blockdev_format_size(total, sizeof total, w->size);
	blockdev_format_size(r, sizeof r, (uint64_t)rate);
	fprintf(stderr, "\r%-9s %10s of %s  %3" PRIu64 "%%  %s/s\033[K",
	        strcmp(phase, "write") == 0 ? "Writing" : "Verifying", d, total,
	        w->size ? done * 100 / w->size : 100, r);
	p->line_open = done < w->size;
	if (!p->line_open)
		fputc('\n', stderr);
}

static struct sigaction saved_actions[3];
static const int caught_signals[3] = { SIGINT, SIGTERM, SIGHUP };

static void on_signal(int sig)
{
	(void)sig;
	install_interrupted = 1;
}

/* While writing, a signal stops the writer at the next chunk instead of killing it mid-way. */
static void catch_signals(int on)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 3; i++) {
		if (on)
			sigaction(caught_signals[i], &sa, &saved_actions[i]);
		else
			sigaction(caught_signals[i], &saved_actions[i], NULL);
	}
}

static void print_seconds(const char *what, double seconds)
{
	printf(seconds < 10 ? "%s in %.2f s" : "%s in %.0f s", what, seconds);
}

static int write_and_verify(struct install_write *w, int verify)
{
	struct progress p = { 0, 0, 0 };
	char size[32], rate[32];
	double t0, t1, t2;
	int rc;

	w->progress = isatty(STDERR_FILENO) ? show_progress : NULL;
	w->progress_state = &p;
	install_interrupted = 0;
	catch_signals(1);
	t0 = p.start = (double)mkb_now_ms() / 1000;
	rc = install_write_image(w);
	t1 = p.start = (double)mkb_now_ms() / 1000;
	if (rc == 0 && verify)
		rc = install_verify(w);
	t2 = (double)mkb_now_ms() / 1000;
	catch_signals(0);
	w->progress = NULL; /* p ends with this call: leave no pointer to it */
	w->progress_state = NULL;
	if (p.line_open)
		fputc('\n', stderr);
	if (rc != 0)
		return -1;
	blockdev_format_size(size, sizeof size, w->size);
	blockdev_format_size(rate, sizeof rate, (uint64_t)((double)w->size / (t1 > t0 ? t1 - t0 : 1e-9)));
	printf("Wrote %s to %s", size, w->device);
	print_seconds("", t1 - t0);
	printf(" (%s/s)", rate);
	if (verify)
		print_seconds(", verified", t2 - t1);
	else
		printf(", not verified");
	printf(".\n");
	return 0;
}

/* After the image is written: what was erased, and the kernel's new view of the disk. */
static int finish(struct install_write *w, const struct blockdev *d)
{
	char size[32], seen[256];
	int rc;

	blockdev_format_size(size, sizeof size, w->erased);
	if (w->old_gpt)
		printf("Erased the old GPT outside the image (%s zeroed), its backup at the disk's end "
		       "included.\n", size);
	else if (w->erased > 0)
		printf("Erased what an old partition table left outside the image (%s zeroed).\n", size);
	rc = install_reread_partitions(w, &blockdev_system_roots, d->name, install_ioctl_reread, 20,
	                               seen, sizeof seen);
	if (rc < 0)
		return -1;
	if (rc > 0)
		printf("Note: %s; the partitions the system shows match the image.\n", mkb_error());
	printf("Re-read the partition table: the system sees %s%s. It is safe to remove the disk.\n",
	       seen[0] ? "" : "no partitions", seen);
	return 0;
}

static int install(const struct install_options *o)
{
	struct install_write w = { 0 };
	struct install_source s;
	struct blockdev d;
	int rc = -1;

	if (open_source(o, &s) != 0)
		return -1;
	if (blockdev_lookup(&blockdev_system_roots, o->device, &d) != 0 ||
	    blockdev_check(&d, s.size, o->force) != 0)
		goto out;
	describe(&d, o, &s);
	if (o->dry_run) {
		printf("Dry run: every check passed. Would write %" PRIu64 " bytes to %s: erase any old "
		       "partition table outside the image, write all but the first sector, then the first "
		       "sector%s, and have the kernel re-read the partition table. Nothing was written.\n",
		       s.size, d.node, o->verify ? ", read them back to compare" : "");
		rc = 0;
		goto out;
	}
	if (!o->yes && confirm(&d) != 0)
		goto out;
	w.image_fd = s.fd;
	w.size = s.size;
	w.chunk = INSTALL_CHUNK;
	w.device = d.node;
	w.image = o->source;
	if (open_device(o->device, &d, &w) != 0)
		goto out;
	rc = write_and_verify(&w, o->verify);
	if (rc == 0)
		rc = finish(&w, &d);
	close(w.device_fd);
out:
	close(s.fd);
	return rc;
}

static int list_disks(void)
{
	struct blockdev *list;
	size_t n;

	if (blockdev_list(&blockdev_system_roots, &list, &n) != 0)
		return -1;
	if (n == 0)
		printf("No removable or USB disks found.\n");
	else
		printf("%-14s %-28s %10s  %-9s  %s\n", "DEVICE", "MODEL", "SIZE", "TRANSPORT", "MOUNTED");
	for (size_t i = 0; i < n; i++) {
		char size[32], model[160];
		if (list[i].size == 0)
			snprintf(size, sizeof size, "no medium");
		else
			blockdev_format_size(size, sizeof size, list[i].size);
		snprintf(model, sizeof model, "%s%s%s", list[i].vendor, list[i].vendor[0] ? " " : "",
		         list[i].model);
		printf("%-14s %-28s %10s  %-9s  %s\n", list[i].node, model[0] ? model : "-", size,
		       list[i].transport, list[i].mounted ? "yes" : "no");
	}
	free(list);
	return 0;
}

int install_main(int argc, char **argv, const struct loader_blob *loader)
{
	struct install_options o;
	int status = 0, rc = install_parse(&o, argc, argv);

	if (rc != 0) {
		if (rc != MKB_REPORTED)
			fprintf(stderr, "mkbootimg install: %s\n", mkb_error());
		usage(stderr);
		status = MKB_EXIT_USAGE;
	} else if (o.help) {
		help();
	} else if (!o.list && install_check_order(o.source, install_classify(o.source), o.device,
	                                          install_classify(o.device)) != 0) {
		fprintf(stderr, "mkbootimg install: %s\n", mkb_error());
		usage(stderr);
		status = MKB_EXIT_USAGE;
	} else {
		o.loader = loader;
		if ((o.list ? list_disks() : install(&o)) != 0) {
			fflush(stdout);
			fprintf(stderr, "mkbootimg: %s\n", mkb_error());
			status = 1;
		}
	}
	plan_options_free(&o.plan);
	return status;
}
