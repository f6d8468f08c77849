#include "info.h"
#include "build.h"
#include "image.h"
#include "image-options.h"
#include "source.h"
#include "kernel.h"
#include "linux.h"
#include "multiboot.h"
#include "plan.h"
#include "relocations.h"
#include "util.h"

#include "../bootloader/core/manifest.h"

#include <mkbootimg/image.h>
#include <mkbootimg/protocol.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (1024 * 1024)
#define INFO_DAMAGE_MAX 4 /* a GPT, an ESP, truncation, the checksum */

/* ---- reading an image ---- */

static char *copy_string(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		s[i] = p[i] == '\0' ? ' ' : (char)p[i]; /* a NUL inside would cut the string short */
	s[n] = '\0';
	return s;
}

static int read_exact(int fd, void *buf, size_t n, uint64_t off, const char *what)
{
	ssize_t r = mkb_pread_full(fd, buf, n, (off_t)off);

	if (r < 0)
		return mkb_fail("cannot read %s: %s", what, strerror(errno));
	if ((size_t)r != n)
		return mkb_fail("the file ends inside the %s", what);
	return 0;
}

/* One run of payload bytes (a segment's, a module's, the initrd) into the sum. */
static int sum_run(int fd, uint64_t at, uint64_t left, uint8_t *buf, struct mkb_checksum *sum)
{
	while (left > 0) {
		size_t chunk = left > CHUNK ? CHUNK : (size_t)left;
		if (read_exact(fd, buf, chunk, at, "payload") != 0)
			return -1;
		mkb_checksum_add(sum, buf, chunk);
		at += chunk;
		left -= chunk;
	}
	return 0;
}

/* The payload checksum, as the tool computes it and the loader checks it. */
static int checksum_payload(int fd, const struct info_image *im, uint64_t *out)
{
	uint64_t base = im->m.payload_lba * MKB_SECTOR_SIZE;
	struct mkb_checksum sum;
	uint8_t *buf = malloc(CHUNK);
	int rc = 0;

	if (buf == NULL)
		return mkb_fail("%s", strerror(ENOMEM));
	mkb_checksum_init(&sum);
	for (uint32_t i = 0; rc == 0 && i < im->m.segment_count; i++)
		rc = sum_run(fd, base + im->segments[i].payload_offset, im->segments[i].filesz, buf, &sum);
	for (uint32_t i = 0; rc == 0 && i < im->m.module_count; i++)
		rc = sum_run(fd, base + im->modules[i].payload_offset, im->modules[i].size, buf, &sum);
	if (rc == 0 && im->has_pie && im->pie.count) /* KASLR's table, after the modules */
		rc = sum_run(fd, base + im->pie.table_payload_offset, (uint64_t)im->pie.count * 4, buf, &sum);
	if (rc == 0 && im->m.protocol == MKB_PROTOCOL_LINUX)
		rc = sum_run(fd, base + im->linux_block.initrd_payload_offset, im->linux_block.initrd_size,
		             buf, &sum);
	if (rc == 0 && im->m.protocol == MKB_PROTOCOL_LINUX && im->linux_block.setup_sectors) /* the payload's end */
		rc = sum_run(fd, base + (im->m.payload_sectors - im->linux_block.setup_sectors) * MKB_SECTOR_SIZE,
		             (uint64_t)im->linux_block.setup_sectors * MKB_SECTOR_SIZE, buf, &sum);
	free(buf);
	*out = mkb_checksum_value(&sum);
	return rc;
}

/*
 * info's sentence for a manifest that breaks a rule of the loader's
 * (bootloader/core/manifest.h), as -1 with mkb_error() set. seg is the
 * segment table for the rules about segments.
 */
static int manifest_fault(const struct mkb_manifest *m, uint64_t manifest_lba, enum mkb_manifest_rule rule,
                          uint32_t item, const struct mkb_segment *seg)
{
	char name[PLAN_SEGMENT_NAME_MAX];

	switch (rule) {
	case MKB_RULE_MAGIC:
		return mkb_fail("no manifest after the loader (LBA %" PRIu64 ")", manifest_lba);
	case MKB_RULE_VERSION:
		return mkb_fail("manifest version %u; this mkbootimg reads version %d",
		                (unsigned)m->version, MKB_MANIFEST_VERSION);
	case MKB_RULE_SECTORS:
		return mkb_fail("the manifest claims %" PRIu32 " sectors (1 to %d)", m->sectors,
		                MKB_MANIFEST_MAX_BYTES / MKB_SECTOR_SIZE);
	case MKB_RULE_HEADER_SIZE:
		return mkb_fail("the manifest header claims %u bytes", (unsigned)m->header_size);
	case MKB_RULE_SEGMENT_COUNT:
	case MKB_RULE_MODULE_COUNT:
		return mkb_fail("the manifest claims %" PRIu32 " segments and %" PRIu32
		                " modules (at most %d and %d)", m->segment_count, m->module_count,
		                MKB_MAX_SEGMENTS, MKB_MAX_MODULES);
	case MKB_RULE_SEGMENT_TABLE:
	case MKB_RULE_MODULE_TABLE:
	case MKB_RULE_CMDLINE:
	case MKB_RULE_MULTIBOOT_BLOCK:
		return mkb_fail("a table or the command line lies outside the manifest");
	case MKB_RULE_PROTOCOL:
		return mkb_fail("the manifest names protocol %" PRIu32 ", which this mkbootimg does not know",
		                m->protocol);
	case MKB_RULE_IMAGE_SECTORS:
		/* The MBR's partition entry counts sectors in 32 bits: no image of mkbootimg is larger. */
		return mkb_fail("the manifest claims an image of %" PRIu64 " sectors, more than the "
		                "2^32 that its partition table can hold", m->image_sectors);
	case MKB_RULE_PAYLOAD_OVERLAP:
		return mkb_fail("the payload (LBA %" PRIu64 ") overlaps the manifest", m->payload_lba);
	case MKB_RULE_PAYLOAD_END:
		return mkb_fail("the payload ends after the image (%" PRIu64 " sectors)", m->image_sectors);
	case MKB_RULE_SEGMENT_FILESZ:
	case MKB_RULE_SEGMENT_PAYLOAD:
		return mkb_fail("%s: its bytes lie outside the payload",
		                plan_segment_name(name, seg[item].elf_index, m->protocol));
	case MKB_RULE_SEGMENT_PLACE:
		return mkb_fail("%s: %s", plan_segment_name(name, seg[item].elf_index, m->protocol),
		                mkb_manifest_rule_text(rule));
	case MKB_RULE_MODULE_PAYLOAD:
	case MKB_RULE_MODULE_STRING:
		return mkb_fail("module %" PRIu32 ": %s", item, mkb_manifest_rule_text(rule));
	default:
		return mkb_fail("the manifest is damaged: %s", mkb_manifest_rule_text(rule));
	}
}

/* The size of the file or device behind fd (0 for anything else: nothing is cut short then). */
static int image_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return mkb_fail("%s", strerror(errno));
	*size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	if (S_ISBLK(st.st_mode)) {
		/* A disk or a stick: its size is what lseek finds at the end. */
		off_t end = lseek(fd, 0, SEEK_END);
		if (end < 0)
			return mkb_fail("cannot find the device's size: %s", strerror(errno));
		*size = (uint64_t)end;
	}
	return 0;
}

/* Does the MBR hold a protective 0xEE entry, so that the disk is a GPT disk? */
static int has_protective_entry(const uint8_t mbr[MKB_SECTOR_SIZE])
{
	for (int i = 0; i < 4; i++)
		if (mbr[MKB_MBR_PARTITIONS + 16 * i + 4] == MKB_MBR_TYPE_PROTECTIVE)
			return 1;
	return 0;
}

/*
 * The boot signature and what starts at LBA 34: the loader's header (where
 * the manifest is, and who wrote it), or the manifest itself (a UEFI-only
 * image). The layout follows: an MBR is bios; a GPT is hybrid or uefi.
 */
static int read_loader(int fd, struct info_image *im)
{
	uint8_t mbr[MKB_SECTOR_SIZE];
	struct mkb_stage2_header h;
	int gpt;

	if (read_exact(fd, mbr, sizeof mbr, 0, "boot sector") != 0)
		return -1;
	if (mbr[MKB_MBR_BOOT_SIGNATURE] != 0x55 || mbr[MKB_MBR_BOOT_SIGNATURE + 1] != 0xaa)
		return mkb_fail("not a mkbootimg image, nor an ELF kernel or a Linux bzImage: no boot "
		                "signature");
	gpt = has_protective_entry(mbr);
	if (read_exact(fd, &h, sizeof h, (uint64_t)MKB_STAGE2_LBA * MKB_SECTOR_SIZE, "loader") != 0)
		return -1;
	if (h.magic == MKB_MANIFEST_MAGIC && gpt) {
		im->layout = IMAGE_LAYOUT_UEFI;
		im->manifest_lba = MKB_STAGE2_LBA;
		return 0;
	}
	if (h.magic != MKB_STAGE2_MAGIC)
		return mkb_fail("a boot sector, but not a mkbootimg image: no loader at LBA %d",
		                MKB_STAGE2_LBA);
	if (h.sectors == 0)
		return mkb_fail("the loader's header gives it 0 sectors");
	im->layout = gpt ? IMAGE_LAYOUT_HYBRID : IMAGE_LAYOUT_BIOS;
	im->stage2_sectors = h.sectors;
	im->stage2_version = h.version;
	for (size_t i = 0; i < MKB_LOADER_NAME_MAX && h.loader_version[i] != '\0'; i++)
		im->loader_version[i] = h.loader_version[i] >= 0x20 && h.loader_version[i] < 0x7f
		                                ? h.loader_version[i] : '?';
	im->manifest_lba = (uint64_t)MKB_STAGE2_LBA + h.sectors;
	return 0;
}

/* fat.c reads the ESP through this: the image's file descriptor. */
static int read_fd(void *ctx, uint64_t offset, void *buf, size_t n)
{
	return read_exact(*(int *)ctx, buf, n, offset, "EFI system partition");
}

/* One GPT header and its entries; the parts when want_parts. 0, or -1 with mkb_error(). */
static int read_gpt_at(int fd, uint64_t lba, struct info_image *im, int want_parts,
                       struct gpt_header *h)
{
	uint8_t sector[MKB_SECTOR_SIZE], *entries;
	int n;

	if (read_exact(fd, sector, sizeof sector, lba * MKB_SECTOR_SIZE, "GPT header") != 0 ||
	    gpt_parse_header(sector, lba, h) != 0)
		return -1;
	if ((entries = malloc(gpt_entries_bytes(h))) == NULL)
		return mkb_fail("%s", strerror(ENOMEM));
	n = read_exact(fd, entries, gpt_entries_bytes(h), h->entries_lba * MKB_SECTOR_SIZE,
	               "GPT partition entries");
	if (n == 0)
		n = gpt_parse_entries(h, entries, want_parts ? im->parts : NULL,
		                      want_parts ? INFO_MAX_PARTS : 0);
	free(entries);
	if (n >= 0 && want_parts)
		im->part_count = (size_t)n;
	return n < 0 ? -1 : 0;
}

/* The primary GPT, then its backup where the primary says (the disk's end, once installed). */
static int read_gpt(int fd, struct info_image *im)
{
	struct gpt_header primary, backup;

	if (read_gpt_at(fd, 1, im, 1, &primary) != 0)
		return -1;
	if (im->file_size != 0 && primary.alternate_lba >= im->file_size / MKB_SECTOR_SIZE)
		return 0; /* cut short: the truncation is reported on its own */
	if (read_gpt_at(fd, primary.alternate_lba, im, 0, &backup) != 0)
		return mkb_fail("backup: %s", mkb_error());
	if (backup.entries_crc != primary.entries_crc || backup.alternate_lba != 1)
		return mkb_fail("the backup GPT (LBA %" PRIu64 ") does not match the primary",
		                primary.alternate_lba);
	return 0;
}

static void keep_file(void *ctx, const struct fat_entry *e)
{
	struct info_image *im = ctx;

	if (im->file_count < INFO_MAX_FILES) {
		struct info_file *f = &im->files[im->file_count++];
		memcpy(f->path, e->path, sizeof f->path);
		f->size = e->size;
		f->directory = e->directory;
	}
	/* Found in the same walk: the tree is read once. */
	if (!e->directory && !im->efi_loader &&
	    strcasecmp(e->path, "\\EFI\\BOOT\\BOOTX64.EFI") == 0) {
		im->efi_loader = 1;
		im->efi_loader_size = e->size;
	}
}

/* The ESP's FAT32 volume: its files, and the UEFI loader among them. */
static int read_esp(int fd, struct info_image *im)
{
	const struct gpt_part *esp = NULL;
	struct fat_volume v;
	uint8_t type[16];

	gpt_guid_parse(MKB_GPT_TYPE_ESP, type);
	for (size_t i = 0; i < im->part_count && esp == NULL; i++)
		if (memcmp(im->parts[i].type, type, 16) == 0)
			esp = &im->parts[i];
	if (esp == NULL)
		return mkb_fail("the GPT has no EFI system partition: UEFI firmware will not boot it");
	if (fat_open(&v, read_fd, &fd, esp->first * MKB_SECTOR_SIZE,
	             (esp->last - esp->first + 1) * MKB_SECTOR_SIZE) != 0 ||
	    fat_walk(&v, keep_file, im) != 0) {
		im->efi_loader = 0;
		return mkb_fail("EFI system partition: %s", mkb_error());
	}
	if (!im->efi_loader)
		return mkb_fail("EFI system partition: no \\EFI\\BOOT\\BOOTX64.EFI: UEFI firmware "
		                "will not boot it");
	return 0;
}

/* A damaged GPT or ESP is reported, as a bad checksum is, after what could be read. */
static void read_partitions(int fd, struct info_image *im)
{
	if (im->layout == IMAGE_LAYOUT_BIOS)
		return;
	if (read_gpt(fd, im) != 0) {
		snprintf(im->gpt_fault, sizeof im->gpt_fault, "%s; build or write the image again",
		         mkb_error());
		return;
	}
	if (im->file_size != 0 && im->file_size / MKB_SECTOR_SIZE < im->m.image_sectors)
		return; /* cut short: the ESP may be missing; the truncation says so */
	if (read_esp(fd, im) != 0)
		snprintf(im->esp_fault, sizeof im->esp_fault, "%s; build or write the image again",
		         mkb_error());
}

/* The manifest's tables and strings, out of man (checked by the loader's rules), into im. */
static int copy_tables(struct info_image *im, const uint8_t *man)
{
	const struct mkb_manifest *m = &im->m;

	im->segments = calloc(m->segment_count + 1, sizeof *im->segments);
	im->modules = calloc(m->module_count + 1, sizeof *im->modules);
	im->module_strings = calloc(m->module_count + 1, sizeof *im->module_strings);
	im->cmdline = copy_string(man + m->cmdline_offset, m->cmdline_length);
	if (im->segments == NULL || im->modules == NULL || im->module_strings == NULL || im->cmdline == NULL)
		return mkb_fail("%s", strerror(ENOMEM));
	memcpy(im->segments, man + m->segment_offset, m->segment_count * sizeof(struct mkb_segment));
	if (m->protocol == MKB_PROTOCOL_LINUX)
		memcpy(&im->linux_block, man + m->multiboot_offset, sizeof im->linux_block);
	im->has_pie = m->protocol == MKB_PROTOCOL_NATIVE && m->multiboot_offset != 0;
	if (im->has_pie)
		memcpy(&im->pie, man + m->multiboot_offset, sizeof im->pie);
	memcpy(im->modules, man + m->module_offset, m->module_count * sizeof(struct mkb_module));
	for (uint32_t i = 0; i < m->module_count; i++) {
		const struct mkb_module *d = &im->modules[i];
		im->module_strings[i] = copy_string(man + d->string_offset, d->string_length);
		if (im->module_strings[i] == NULL)
			return mkb_fail("%s", strerror(ENOMEM));
	}
	return 0;
}

/* The whole manifest, judged by the loader's rules (bootloader/core/manifest.c) in info's words. */
static int read_manifest(int fd, struct info_image *im)
{
	struct mkb_manifest *m = &im->m;
	enum mkb_manifest_rule rule;
	uint32_t item = 0;
	uint64_t man_bytes;
	uint8_t *man;
	int rc = -1;

	if (read_exact(fd, m, sizeof *m, im->manifest_lba * MKB_SECTOR_SIZE, "manifest") != 0)
		return -1;
	rule = mkb_manifest_check_header(m, im->manifest_lba);
	if (rule != MKB_RULE_VALID)
		return manifest_fault(m, im->manifest_lba, rule, 0, NULL);
	man_bytes = (uint64_t)m->sectors * MKB_SECTOR_SIZE;
	if ((man = malloc(man_bytes)) == NULL)
		return mkb_fail("%s", strerror(ENOMEM));
	if (read_exact(fd, man, man_bytes, im->manifest_lba * MKB_SECTOR_SIZE, "manifest") != 0)
		goto out;
	if (memcmp(man, m, sizeof *m) != 0) {
		mkb_fail("the manifest changed while mkbootimg read it");
		goto out;
	}
	rule = mkb_manifest_check_tables(man, &item);
	if (rule != MKB_RULE_VALID)
		manifest_fault(m, im->manifest_lba, rule, item,
		               (const struct mkb_segment *)(const void *)(man + m->segment_offset));
	else
		rc = copy_tables(im, man);
out:
	free(man);
	return rc;
}

int info_read_image(int fd, struct info_image *im)
{
	const struct mkb_manifest *m = &im->m;

	memset(im, 0, sizeof *im);
	if (image_size(fd, &im->file_size) != 0 || read_loader(fd, im) != 0)
		return -1;
	if (read_manifest(fd, im) != 0)
		goto fail;
	if (im->file_size != 0 && im->file_size / MKB_SECTOR_SIZE < m->image_sectors)
		im->truncated = 1;
	read_partitions(fd, im);
	if (im->file_size == 0 || (m->payload_lba + m->payload_sectors) * MKB_SECTOR_SIZE <= im->file_size) {
		if (checksum_payload(fd, im, &im->checksum) != 0)
			goto fail;
		im->checksum_checked = 1;
	}
	return 0;
fail:
	info_image_free(im);
	return -1;
}

void info_image_free(struct info_image *im)
{
	if (im->module_strings != NULL)
		for (uint32_t i = 0; i < im->m.module_count; i++)
			free(im->module_strings[i]);
	free(im->module_strings);
	free(im->modules);
	free(im->segments);
	free(im->cmdline);
	im->module_strings = NULL;
	im->modules = NULL;
	im->segments = NULL;
	im->cmdline = NULL;
}

/* What makes a readable image damaged, as sentences; returns how many. */
static size_t image_damage(const struct info_image *im, const char *why[INFO_DAMAGE_MAX])
{
	size_t n = 0;

	if (im->gpt_fault[0] != '\0')
		why[n++] = im->gpt_fault;
	if (im->esp_fault[0] != '\0')
		why[n++] = im->esp_fault;
	if (im->truncated)
		why[n++] = "the file is shorter than the image the manifest describes";
	if (im->checksum_checked && im->checksum != im->m.payload_checksum)
		why[n++] = "the payload checksum does not match: the loader will refuse to boot it";
	return n;
}

int info_check_image(const char *path, const struct info_image *im)
{
	const char *why[INFO_DAMAGE_MAX];
	size_t n = image_damage(im, why);
	char line[4 * INFO_FAULT_MAX] = "";

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		snprintf(line + strlen(line), sizeof line - strlen(line), "%s%s", i ? "; " : "", why[i]);
	return mkb_fail("%s: %s", path, line);
}

/*
 * Open path for reading, as an image may be: a file, or a disk such as a
 * USB stick. 0 with *fd_out set, or -1 with mkb_error() set to "PATH: why".
 */
static int open_image(const char *path, int *fd_out)
{
	struct stat st;
	/* O_NONBLOCK: a FIFO is refused below instead of waiting for a writer. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return mkb_fail("%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		mkb_fail("%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		close(fd);
		return mkb_fail("%s: not a regular file or a block device", path);
	}
	*fd_out = fd;
	return 0;
}

/* info_read_image, with "PATH: " before its message. */
static int read_image_file(const char *path, int fd, struct info_image *im)
{
	if (info_read_image(fd, im) != 0)
		return mkb_fail("%s: %s", path, mkb_error());
	return 0;
}

int info_check_image_file(const char *path)
{
	struct info_image im;
	int fd = -1, rc;

	if (open_image(path, &fd) != 0)
		return -1;
	rc = read_image_file(path, fd, &im);
	close(fd);
	if (rc != 0)
		return -1;
	rc = info_check_image(path, &im);
	info_image_free(&im);
	return rc;
}

/* ---- printing ---- */

void info_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c); /* bytes as code points: always valid JSON */
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* A string for text output: quoted, control bytes escaped. */
static void text_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void human_size(char out[32], uint64_t n)
{
	if (n >= 10 * MKB_MIB)
		snprintf(out, 32, "%" PRIu64 " MiB", n / MKB_MIB);
	else if (n >= 10 * MKB_KIB)
		snprintf(out, 32, "%" PRIu64 " KiB", n / MKB_KIB);
	else
		snprintf(out, 32, "%" PRIu64 " bytes", n);
}

/* What info prints, the same for an image and a kernel. */
struct view {
	const char *path;
	const char *kind; /* "image" or "kernel" */
	const char *loader_version;
	uint32_t protocol;  /* MKB_PROTOCOL_* */
	uint64_t entry, stack_top, stack_size, direct_map;
	const char *cmdline;
	size_t segment_count;
	const struct mkb_segment *segments;
	size_t module_count;
	const uint64_t *module_sizes;
	const char *const *module_strings;
	uint32_t fb_width, fb_height, fb_bpp;
	uint32_t smp_stack;        /* bytes per AP (MKBOOTIMG_REQUEST_SMP); 0: APs left alone */
	uint64_t image_sectors, payload_lba, payload_sectors, manifest_lba;
	int checksum_known;      /* image: 1, with the stored and computed values */
	uint64_t checksum_stored, checksum_computed;
	int checksum_checked;
	const char **warnings;
	size_t warning_count;
	enum image_layout layout;
	const struct gpt_part *parts; /* GPT layouts */
	size_t part_count;
	const struct info_file *files; /* the ESP's */
	size_t file_count;
	int efi_loader;                /* 1: BOOTX64.EFI is there, of efi_loader_size bytes */
	uint64_t efi_loader_size;
	const struct mkb_linux *lx;    /* protocol linux: the Linux block */
	const char *kernel_version;    /* a Linux kernel file's version string, or NULL */
	const struct mkb_pie *pie;     /* a native kernel's relocatable/KASLR block, or NULL */
	const struct kernel_pie *relocs; /* a kernel file's relocations (counts by type), or NULL */
};

static void json_hex(FILE *f, const char *sep, const char *key, uint64_t v);

/* The KASLR line's words: what moves at each boot. */
static const char *kaslr_words(const struct mkb_pie *pie)
{
	uint32_t k = pie->flags & (MKB_PIE_KASLR_BASE | MKB_PIE_KASLR_DIRECT_MAP);
	return k == (MKB_PIE_KASLR_BASE | MKB_PIE_KASLR_DIRECT_MAP) ? "kernel base and direct map"
	       : k == MKB_PIE_KASLR_BASE ? "kernel base" : k ? "direct map" : "off";
}

static void print_pie_text(FILE *f, const struct view *v)
{
	const struct mkb_pie *pie = v->pie;

	if (pie == NULL)
		return;
	if (pie->flags & MKB_PIE_RELOCATABLE)
		fprintf(f, "  relocatable    base 0x%016" PRIx64 " (linked at 0x%" PRIx64 ")\n", pie->base,
		        pie->link_base);
	fprintf(f, "  KASLR          %s", kaslr_words(pie));
	if (pie->flags & MKB_PIE_KASLR_BASE)
		fprintf(f, ": base + k * 2 MiB, k random in 0..%" PRIu32, pie->slots - 1);
	if (pie->flags & MKB_PIE_KASLR_DIRECT_MAP)
		fprintf(f, "%s direct map + j * 1 GiB", pie->flags & MKB_PIE_KASLR_BASE ? ";" : ":");
	fputc('\n', f);
	if (v->relocs != NULL) {
		const char *sep = "";
		fprintf(f, "  relocations    %zu:", v->relocs->count);
		for (int t = 0; t < PIE_TYPES; t++)
			if (v->relocs->by_type[t]) {
				fprintf(f, "%s %s%s %zu", sep, t == PIE_RELR ? "DT_" : "R_X86_64_",
				        pie_count_name((enum pie_type)t), v->relocs->by_type[t]);
				sep = ",";
			}
		fputc('\n', f);
	}
	if (pie->flags & MKB_PIE_KASLR_BASE)
		fprintf(f, "  slid words     %" PRIu32 " (the loader adds the slide to each)\n", pie->count);
}

static void print_pie_json(FILE *f, const struct view *v)
{
	const struct mkb_pie *pie = v->pie;

	fprintf(f, ",\n  \"relocatable\": ");
	if (pie == NULL || !(pie->flags & MKB_PIE_RELOCATABLE)) {
		fprintf(f, "null");
	} else {
		fputc('{', f);
		json_hex(f, "", "base", pie->base);
		json_hex(f, ", ", "link_base", pie->link_base);
		fprintf(f, ", \"relocations\": ");
		if (v->relocs == NULL) {
			fprintf(f, "null");
		} else {
			fprintf(f, "{\"total\": %zu", v->relocs->count);
			for (int t = 0; t < PIE_TYPES; t++)
				fprintf(f, ", \"%s%s\": %zu", t == PIE_RELR ? "DT_" : "R_X86_64_",
				        pie_count_name((enum pie_type)t), v->relocs->by_type[t]);
			fputc('}', f);
		}
		fputc('}', f);
	}
	fprintf(f, ",\n  \"kaslr\": ");
	if (pie == NULL || !(pie->flags & (MKB_PIE_KASLR_BASE | MKB_PIE_KASLR_DIRECT_MAP)))
		fprintf(f, "null");
	else
		fprintf(f, "{\"base\": %s, \"steps\": %" PRIu32 ", \"slid_words\": %" PRIu32
		        ", \"direct_map\": %s}", pie->flags & MKB_PIE_KASLR_BASE ? "true" : "false",
		        pie->flags & MKB_PIE_KASLR_BASE ? pie->slots : 0, pie->count,
		        pie->flags & MKB_PIE_KASLR_DIRECT_MAP ? "true" : "false");
}


/* The setup header's field at file offset off, as the Linux block holds it; 0 beyond it. */
static uint64_t setup_field(const struct mkb_linux *lx, unsigned off, unsigned size)
{
	uint64_t v = 0;

	if (off < MKB_LINUX_HEADER_OFFSET || off + size > MKB_LINUX_HEADER_OFFSET + (unsigned)lx->header_size)
		return 0;
	memcpy(&v, lx->header + (off - MKB_LINUX_HEADER_OFFSET), size);
	return v;
}

/* What a Linux kernel's setup header says, read back from the block, for text and JSON alike. */
struct linux_view {
	char version[8];
	int relocatable, entry64, real_mode;
	uint64_t pref_address;
	uint32_t kernel_alignment, init_size, cmdline_size, initrd_addr_max, xloadflags;
};

static void linux_view(const struct mkb_linux *lx, struct linux_view *l)
{
	linux_version_string(l->version, lx->version);
	l->relocatable = (lx->flags & MKB_LINUX_RELOCATABLE) != 0;
	l->entry64 = (lx->flags & MKB_LINUX_ENTRY64) != 0;
	l->real_mode = (lx->flags & MKB_LINUX_REAL_MODE) != 0;
	l->kernel_alignment = l->relocatable ? lx->kernel_alignment : 0;
	l->pref_address = lx->version >= 0x20a ? setup_field(lx, 0x258, 8) : MKB_MIB; /* as linux.c */
	/* Before protocol 2.10 those bytes are not init_size (iPXE keeps text there). */
	l->init_size = lx->version >= 0x20a ? (uint32_t)setup_field(lx, 0x260, 4) : 0;
	l->cmdline_size = lx->cmdline_size;
	l->initrd_addr_max = lx->initrd_addr_max;
	l->xloadflags = lx->xloadflags;
}

static void print_linux_text(FILE *f, const struct view *v)
{
	const struct mkb_segment *w = &v->segments[0];
	struct linux_view l;

	linux_view(v->lx, &l);
	if (l.real_mode) /* code32_start 0: the setup code loads the rest itself */
		fprintf(f, "  boot protocol  %s, real-mode entry (its setup code, %u bytes; BIOS only)\n",
		        l.version, (unsigned)v->lx->setup_sectors * 512);
	else
		fprintf(f, "  boot protocol  %s, %s entry at 0x%" PRIx64 "\n", l.version,
		        l.entry64 ? "64-bit" : "32-bit", v->entry);
	if (v->kernel_version != NULL && *v->kernel_version)
		fprintf(f, "  kernel         %s\n", v->kernel_version);
	fprintf(f, "  setup header   %s", l.relocatable ? "relocatable" : "not relocatable");
	if (l.relocatable)
		fprintf(f, ", kernel_alignment 0x%" PRIx32, l.kernel_alignment);
	fprintf(f, ", pref_address 0x%" PRIx64 ",\n                 ", l.pref_address);
	if (v->lx->version >= 0x20a)
		fprintf(f, "init_size 0x%" PRIx32, l.init_size);
	else
		fprintf(f, "no init_size (protocol before 2.10)");
	fprintf(f, ", cmdline_size %" PRIu32 ", initrd_addr_max 0x%" PRIx32 ",\n"
	        "                 xloadflags 0x%" PRIx32 "%s\n",
	        l.cmdline_size, l.initrd_addr_max, l.xloadflags,
	        l.xloadflags & MKB_LINUX_XLF_KERNEL_64 ? " (64-bit entry)" : "");
	fprintf(f, "  kernel window  0x%" PRIx64 "-0x%" PRIx64 " (%" PRIu64 " KiB%s)\n", w->paddr,
	        w->paddr + w->memsz - 1, w->memsz / 1024,
	        l.relocatable ? "; moved when not free" : "");
	if (v->lx->initrd_size)
		fprintf(f, "  initrd         %" PRIu64 " bytes, placed by the loader below 0x%" PRIx32 "\n",
		        v->lx->initrd_size, l.initrd_addr_max);
	else
		fprintf(f, "  initrd         none\n");
}

static void print_linux_json(FILE *f, const struct view *v)
{
	struct linux_view l;

	fprintf(f, ",\n  \"linux\": ");
	if (v->lx == NULL) {
		fprintf(f, "null");
		return;
	}
	linux_view(v->lx, &l);
	fprintf(f, "{\"boot_protocol\": \"%s\", \"relocatable\": %s, \"entry64\": %s, \"real_mode\": %s",
	        l.version, l.relocatable ? "true" : "false", l.entry64 ? "true" : "false",
	        l.real_mode ? "true" : "false");
	json_hex(f, ", ", "kernel_alignment", l.kernel_alignment);
	json_hex(f, ", ", "pref_address", l.pref_address);
	json_hex(f, ", ", "init_size", l.init_size);
	fprintf(f, ", \"cmdline_size\": %" PRIu32, l.cmdline_size);
	json_hex(f, ", ", "initrd_addr_max", l.initrd_addr_max);
	json_hex(f, ", ", "xloadflags", l.xloadflags);
	json_hex(f, ", ", "load_address", v->segments[0].paddr);
	json_hex(f, ", ", "window_size", v->segments[0].memsz);
	json_hex(f, ", ", "initrd_size", v->lx->initrd_size);
	fprintf(f, ", \"kernel_version\": ");
	if (v->kernel_version != NULL && *v->kernel_version)
		info_json_string(f, v->kernel_version);
	else
		fprintf(f, "null");
	fputc('}', f);
}

static const char *layout_sentence(enum image_layout layout)
{
	return layout == IMAGE_LAYOUT_BIOS ? "BIOS only (MBR disk)"
	       : layout == IMAGE_LAYOUT_UEFI ? "UEFI only (GPT disk, ESP)"
	                                     : "BIOS and UEFI (GPT disk, BIOS boot partition, ESP)";
}

static const char *part_type_name(const struct gpt_part *p)
{
	const char *name = gpt_type_name(p->type);
	return name != NULL ? name : "other";
}

static void print_partitions_text(FILE *f, const struct view *v)
{
	char size[32];

	if (v->layout == IMAGE_LAYOUT_BIOS)
		return;
	fprintf(f, "  partitions     %zu (GPT)\n", v->part_count);
	if (v->part_count != 0)
		fprintf(f, "    #  type                first LBA   last LBA    size        name\n");
	for (size_t i = 0; i < v->part_count; i++) {
		const struct gpt_part *p = &v->parts[i];
		human_size(size, (p->last - p->first + 1) * MKB_SECTOR_SIZE);
		fprintf(f, "    %-2u %-19s %-11" PRIu64 " %-11" PRIu64 " %-11s ", p->number,
		        part_type_name(p), p->first, p->last, size);
		text_string(f, p->name);
		fputc('\n', f);
	}
	fprintf(f, "  ESP files      %zu\n", v->file_count);
	for (size_t i = 0; i < v->file_count; i++) {
		/* fat.c keeps names printable ASCII: shown as they are, as firmware shows them. */
		fprintf(f, "    %s", v->files[i].path);
		if (v->files[i].directory)
			fprintf(f, " (directory)\n");
		else
			fprintf(f, " %" PRIu64 " bytes\n", v->files[i].size);
	}
}

static void print_loaders_text(FILE *f, const struct view *v)
{
	fprintf(f, "  loaders        ");
	if (v->loader_version != NULL)
		fprintf(f, "BIOS stage 2 (%s)%s", v->loader_version, v->efi_loader ? ", " : "");
	if (v->efi_loader)
		fprintf(f, "UEFI \\EFI\\BOOT\\BOOTX64.EFI (%" PRIu64 " bytes)", v->efi_loader_size);
	if (v->loader_version == NULL && !v->efi_loader)
		fprintf(f, "none");
	fputc('\n', f);
}

struct range {
	uint64_t start, end; /* [start, end), whole pages */
	uint64_t used_start, used_end; /* the bytes themselves: pages may be shared */
	char what[64];
};

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static void print_memory_map(FILE *f, const struct view *v)
{
	struct range r[MKB_MAX_SEGMENTS + 2];
	size_t n = 0;
	uint64_t prev = 0, prev_used = 0;

	r[n++] = (struct range){ 0, PLAN_LOW_LIMIT, 0, PLAN_LOW_LIMIT, "BIOS, loader, VGA (below 1 MiB)" };
	for (size_t i = 0; i < v->segment_count && n < MKB_MAX_SEGMENTS + 1; i++) {
		const struct mkb_segment *s = &v->segments[i];
		char fl[4], name[PLAN_SEGMENT_NAME_MAX];
		plan_flags_string(fl, s->flags);
		r[n].start = MKB_ALIGN_DOWN(s->paddr, MKB_PAGE);
		r[n].end = MKB_ALIGN_UP(s->paddr + s->memsz, MKB_PAGE);
		r[n].used_start = s->paddr;
		r[n].used_end = s->paddr + s->memsz;
		snprintf(r[n].what, sizeof r[n].what, "%s %s",
		         plan_segment_name(name, s->elf_index, v->protocol), fl);
		n++;
	}
	qsort(r + 1, n - 1, sizeof r[0], range_cmp);
	fprintf(f, "\nPhysical memory map (where things land):\n");
	for (size_t i = 0; i < n; i++) {
		if (r[i].start > prev)
			fprintf(f, "  0x%09" PRIx64 "-0x%09" PRIx64 "  .... free\n", prev, r[i].start - 1);
		/* Segments may share a page; only their bytes must not overlap. */
		fprintf(f, "  0x%09" PRIx64 "-0x%09" PRIx64 "  #### %s%s\n", r[i].start, r[i].end - 1,
		        r[i].what, r[i].used_start < prev_used ? "  (OVERLAPS)" : "");
		if (r[i].end > prev)
			prev = r[i].end;
		if (r[i].used_end > prev_used)
			prev_used = r[i].used_end;
	}
	if (v->lx != NULL)
		fprintf(f, "  0x%09" PRIx64 "-0x%09" PRIx64 "  .... free RAM: the loader puts boot_params, the\n"
		           "                           command line, page tables%s here at boot\n",
		        prev, PLAN_HIGH_LIMIT - 1, v->lx->initrd_size ? " and the initrd" : "");
	else
		fprintf(f, "  0x%09" PRIx64 "-0x%09" PRIx64 "  .... free RAM: the loader puts the stack, page\n"
		           "                           tables, boot information%s here at boot\n",
		        prev, PLAN_HIGH_LIMIT - 1, v->module_count ? " and modules" : "");
}

static void print_text(FILE *f, const struct view *v)
{
	char size[32], fl[4];
	int copies = 0;

	fprintf(f, "%s: mkbootimg %s\n", v->path, v->kind);
	if (v->loader_version != NULL)
		fprintf(f, "  loader         %s\n", v->loader_version);
	fprintf(f, "  firmware       %s: %s\n", plan_layout_name(v->layout), layout_sentence(v->layout));
	print_loaders_text(f, v);
	fprintf(f, "  protocol       %s\n", multiboot_protocol_name(v->protocol));
	if (v->lx != NULL) {
		print_linux_text(f, v);
	} else {
		fprintf(f, "  entry          0x%016" PRIx64 "\n", v->entry);
		fprintf(f, "  stack          0x%016" PRIx64 "-0x%016" PRIx64 " (%" PRIu64 " KiB)\n",
		        v->stack_top - v->stack_size, v->stack_top, v->stack_size / 1024);
		fprintf(f, "  direct map     0x%016" PRIx64 "\n", v->direct_map);
		print_pie_text(f, v);
	}
	fprintf(f, "  command line   ");
	text_string(f, v->cmdline);
	fputc('\n', f);
	if (v->fb_bpp != 0 || v->fb_width != 0)
		fprintf(f, "  framebuffer    %" PRIu32 "x%" PRIu32 "x%" PRIu32 " (requested)\n",
		        v->fb_width, v->fb_height, v->fb_bpp);
	else /* UEFI has no text mode: its loader describes the GOP mode it finds */
		fprintf(f, "  framebuffer    none (%s)\n",
		        v->layout == IMAGE_LAYOUT_BIOS ? "VGA text mode"
		        : v->layout == IMAGE_LAYOUT_UEFI ? "the firmware's GOP mode"
		        : "VGA text mode on BIOS, the firmware's GOP mode on UEFI");
	if (v->smp_stack)
		fprintf(f, "  smp            every CPU started, %" PRIu32 " KiB of stack each\n",
		        v->smp_stack / 1024);
	fprintf(f, "  segments       %zu (%s)\n", v->segment_count,
	        v->lx != NULL ? "the kernel window: the file after its setup sectors"
	                      : "numbered by ELF program header");
	if (v->segment_count != 0)
		fprintf(f, "    #    flags  virtual             physical     file size   memory size\n");
	for (size_t i = 0; i < v->segment_count; i++) {
		const struct mkb_segment *s = &v->segments[i];
		char number[PLAN_SEGMENT_NAME_MAX];
		plan_flags_string(fl, s->flags);
		/* "3" for segment 3; "s5" for a Multiboot kernel's copy of section 5. */
		if (plan_is_section_copy(s->elf_index, v->protocol))
			snprintf(number, sizeof number, "s%" PRIu32, s->elf_index - PLAN_SECTION_INDEX);
		else
			snprintf(number, sizeof number, "%" PRIu32, s->elf_index);
		fprintf(f, "    %-4s %s    0x%016" PRIx64 "  0x%09" PRIx64 "  0x%-9" PRIx64
		        " 0x%" PRIx64 "\n", number, fl, s->vaddr, s->paddr, s->filesz, s->memsz);
		copies |= plan_is_section_copy(s->elf_index, v->protocol);
	}
	if (copies)
		fprintf(f, "    (sN: a copy of section N, for the kernel's symbol and string tables)\n");
	fprintf(f, "  modules        %zu\n", v->module_count);
	for (size_t i = 0; i < v->module_count; i++) {
		fprintf(f, "    %zu: %" PRIu64 " bytes, string ", i, v->module_sizes[i]);
		text_string(f, v->module_strings[i]);
		fputc('\n', f);
	}
	if (v->checksum_known) {
		if (v->checksum_checked)
			fprintf(f, "  checksum       0x%016" PRIx64 " (%s)\n", v->checksum_stored,
			        v->checksum_stored == v->checksum_computed ? "matches the payload"
			                                                   : "DOES NOT MATCH the payload");
		else
			fprintf(f, "  checksum       0x%016" PRIx64 " (not checked: the payload is cut off)\n",
			        v->checksum_stored);
	}
	human_size(size, v->image_sectors * MKB_SECTOR_SIZE);
	if (v->layout == IMAGE_LAYOUT_UEFI)
		fprintf(f, "  layout         manifest at LBA %" PRIu64 ", payload at LBA %" PRIu64
		        " (%" PRIu64 " sectors)\n", v->manifest_lba, v->payload_lba, v->payload_sectors);
	else
		fprintf(f, "  layout         loader at LBA %d, manifest at LBA %" PRIu64 ", payload at LBA %"
		        PRIu64 " (%" PRIu64 " sectors)\n", MKB_STAGE2_LBA, v->manifest_lba,
		        v->payload_lba, v->payload_sectors);
	fprintf(f, "  total size     %" PRIu64 " sectors (%s)\n", v->image_sectors, size);
	print_partitions_text(f, v);
	for (size_t i = 0; i < v->warning_count; i++)
		fprintf(f, "  warning: %s\n", v->warnings[i]);
	print_memory_map(f, v);
}

/*
 * A 64-bit address or size as a JSON string, "0xffffffff80100180": JSON
 * readers that keep numbers as doubles (jq 1.6, JavaScript) round anything
 * above 2^53.
 */
/* sep, then "key": "0x..." */
static void json_hex(FILE *f, const char *sep, const char *key, uint64_t v)
{
	fprintf(f, "%s\"%s\": \"0x%" PRIx64 "\"", sep, key, v);
}

/* The firmware layout, the loaders, the GPT's partitions and the ESP's files. */
static void print_json_disk(FILE *f, const struct view *v)
{
	char guid[37];

	fprintf(f, "  \"firmware\": \"%s\",\n  \"loaders\": {\"bios\": ", plan_layout_name(v->layout));
	if (v->loader_version != NULL)
		info_json_string(f, v->loader_version);
	else
		fprintf(f, "null");
	fprintf(f, ", \"uefi\": ");
	if (v->efi_loader)
		fprintf(f, "{\"path\": \"\\\\EFI\\\\BOOT\\\\BOOTX64.EFI\", \"size\": %" PRIu64 "}",
		        v->efi_loader_size);
	else
		fprintf(f, "null");
	fprintf(f, "},\n  \"partitions\": [");
	for (size_t i = 0; i < v->part_count; i++) {
		const struct gpt_part *p = &v->parts[i];
		gpt_guid_format(p->type, guid);
		fprintf(f, "%s\n    {\"number\": %u, \"type\": \"%s\", \"type_guid\": \"%s\", "
		        "\"first_lba\": %" PRIu64 ", \"last_lba\": %" PRIu64 ", \"bytes\": %" PRIu64
		        ", \"name\": ", i ? "," : "", p->number, part_type_name(p), guid, p->first, p->last,
		        (p->last - p->first + 1) * MKB_SECTOR_SIZE);
		info_json_string(f, p->name);
		fputc('}', f);
	}
	fprintf(f, "%s],\n  \"esp_files\": [", v->part_count ? "\n  " : "");
	for (size_t i = 0; i < v->file_count; i++) {
		fprintf(f, "%s\n    {\"path\": ", i ? "," : "");
		info_json_string(f, v->files[i].path);
		fprintf(f, ", \"directory\": %s, \"size\": %" PRIu64 "}",
		        v->files[i].directory ? "true" : "false", v->files[i].size);
	}
	fprintf(f, "%s]\n", v->file_count ? "\n  " : "");
}

/*
 * One object; the keys and their types are the interface scripts use (see
 * mkbootimg(1)): addresses and memory sizes are hex strings, counts and
 * disk positions (below 2^41: an image has at most 2^32 sectors) numbers.
 */
static void print_json(FILE *f, const struct view *v)
{
	char fl[4];

	fprintf(f, "{\n  \"file\": ");
	info_json_string(f, v->path);
	fprintf(f, ",\n  \"kind\": \"%s\",\n  \"loader_version\": ", v->kind);
	if (v->loader_version != NULL)
		info_json_string(f, v->loader_version);
	else
		fprintf(f, "null");
	fprintf(f, ",\n  \"protocol\": ");
	info_json_string(f, multiboot_protocol_name(v->protocol));
	json_hex(f, ",\n  ", "entry", v->entry);
	json_hex(f, ",\n  ", "stack_top", v->stack_top);
	json_hex(f, ",\n  ", "stack_size", v->stack_size);
	json_hex(f, ",\n  ", "direct_map_offset", v->direct_map);
	if (v->smp_stack)
		json_hex(f, ",\n  ", "smp_stack_size", v->smp_stack);
	fprintf(f, ",\n  \"cmdline\": ");
	info_json_string(f, v->cmdline);
	fprintf(f, ",\n  \"framebuffer\": ");
	if (v->fb_bpp != 0 || v->fb_width != 0)
		fprintf(f, "{\"width\": %" PRIu32 ", \"height\": %" PRIu32 ", \"bpp\": %" PRIu32 "}",
		        v->fb_width, v->fb_height, v->fb_bpp);
	else
		fprintf(f, "null");
	print_linux_json(f, v);
	print_pie_json(f, v);
	fprintf(f, ",\n  \"segments\": [");
	for (size_t i = 0; i < v->segment_count; i++) {
		const struct mkb_segment *s = &v->segments[i];
		plan_flags_string(fl, s->flags);
		fprintf(f, "%s\n    {\"elf_index\": %" PRIu32 ", \"flags\": \"%s\", ", i ? "," : "",
		        s->elf_index, fl);
		json_hex(f, "", "vaddr", s->vaddr);
		json_hex(f, ", ", "paddr", s->paddr);
		json_hex(f, ", ", "filesz", s->filesz);
		json_hex(f, ", ", "memsz", s->memsz);
		fputc('}', f);
	}
	fprintf(f, "%s],\n  \"modules\": [", v->segment_count ? "\n  " : "");
	for (size_t i = 0; i < v->module_count; i++) {
		fprintf(f, "%s\n    {", i ? "," : "");
		json_hex(f, "", "size", v->module_sizes[i]);
		fprintf(f, ", \"string\": ");
		info_json_string(f, v->module_strings[i]);
		fputc('}', f);
	}
	fprintf(f, "%s],\n  \"checksum\": ", v->module_count ? "\n  " : "");
	if (v->checksum_known) {
		fputc('{', f);
		json_hex(f, "", "stored", v->checksum_stored);
		if (v->checksum_checked) {
			json_hex(f, ", ", "computed", v->checksum_computed);
		} else {
			fprintf(f, ", \"computed\": null");
		}
		fprintf(f, ", \"checked\": %s, \"matches\": %s}", v->checksum_checked ? "true" : "false",
		        !v->checksum_checked ? "null"
		        : v->checksum_stored == v->checksum_computed ? "true" : "false");
	} else {
		fprintf(f, "null");
	}
	fprintf(f, ",\n  \"manifest_lba\": %" PRIu64 ",\n  \"payload_lba\": %" PRIu64
	        ",\n  \"payload_sectors\": %" PRIu64 ",\n  \"image_sectors\": %" PRIu64
	        ",\n  \"image_bytes\": %" PRIu64 ",\n  \"warnings\": [", v->manifest_lba, v->payload_lba,
	        v->payload_sectors, v->image_sectors, v->image_sectors * MKB_SECTOR_SIZE);
	for (size_t i = 0; i < v->warning_count; i++) {
		fprintf(f, "%s", i ? ", " : "");
		info_json_string(f, v->warnings[i]);
	}
	fprintf(f, "],\n");
	print_json_disk(f, v);
	fprintf(f, "}\n");
}

static void print_view(FILE *f, const struct view *v, int json)
{
	if (json)
		print_json(f, v);
	else
		print_text(f, v);
}

int info_print_image(FILE *f, const char *path, const struct info_image *im, int json)
{
	uint64_t sizes[MKB_MAX_MODULES];
	const char *warnings[INFO_DAMAGE_MAX];
	size_t nw = image_damage(im, warnings);

	for (uint32_t i = 0; i < im->m.module_count && i < MKB_MAX_MODULES; i++)
		sizes[i] = im->modules[i].size;
	struct view v = {
		.path = path, .kind = "image", .loader_version = im->loader_version,
		.protocol = im->m.protocol, .entry = im->m.entry, .stack_top = im->m.stack_top,
		.stack_size = im->m.stack_size, .direct_map = im->m.direct_map_offset,
		.cmdline = im->cmdline, .segment_count = im->m.segment_count, .segments = im->segments,
		.module_count = im->m.module_count, .module_sizes = sizes,
		.module_strings = (const char *const *)im->module_strings,
		.fb_width = im->m.fb_width, .fb_height = im->m.fb_height, .fb_bpp = im->m.fb_bpp,
		.smp_stack = mkb_manifest_smp_stack(&im->m),
		.image_sectors = im->m.image_sectors, .payload_lba = im->m.payload_lba,
		.payload_sectors = im->m.payload_sectors, .manifest_lba = im->manifest_lba,
		.checksum_known = 1, .checksum_stored = im->m.payload_checksum,
		.checksum_computed = im->checksum, .checksum_checked = im->checksum_checked,
		.warnings = warnings, .warning_count = nw,
		.layout = im->layout, .parts = im->parts, .part_count = im->part_count,
		.files = im->files, .file_count = im->file_count, .efi_loader = im->efi_loader,
		.efi_loader_size = im->efi_loader_size,
	};
	if (im->layout == IMAGE_LAYOUT_UEFI)
		v.loader_version = NULL; /* no stage 2 */
	if (im->m.protocol == MKB_PROTOCOL_LINUX)
		v.lx = &im->linux_block;
	if (im->has_pie)
		v.pie = &im->pie;
	print_view(f, &v, json);
	return nw != 0;
}

/* ---- a kernel: the image it would make ---- */

/* The partitions and ESP files image_write would make of p. */
static void planned_disk(const struct plan *p, const struct loader_blob *loader,
                         struct gpt_part parts[2], struct info_file files[3])
{
	memset(parts, 0, 2 * sizeof *parts);
	memset(files, 0, 3 * sizeof *files);
	gpt_guid_parse(p->layout == IMAGE_LAYOUT_UEFI ? MKB_GPT_TYPE_PAYLOAD : MKB_GPT_TYPE_BIOS_BOOT,
	               parts[0].type);
	parts[0].number = 1;
	parts[0].first = MKB_STAGE2_LBA;
	parts[0].last = p->payload_lba + p->payload_sectors - 1;
	strcpy(parts[0].name, "mkbootimg loader");
	gpt_guid_parse(MKB_GPT_TYPE_ESP, parts[1].type);
	parts[1].number = 2;
	parts[1].first = p->esp_lba;
	parts[1].last = p->esp_lba + p->esp_sectors - 1;
	strcpy(parts[1].name, "EFI system partition");
	strcpy(files[0].path, "\\EFI");
	files[0].directory = 1;
	strcpy(files[1].path, "\\EFI\\BOOT");
	files[1].directory = 1;
	strcpy(files[2].path, "\\EFI\\BOOT\\BOOTX64.EFI");
	files[2].size = loader->efi_size;
}

/* The warnings are the plan's (plan.c), the same that a build prints. */
static int info_kernel(FILE *f, const char *path, const struct plan_options *opts,
                       const struct loader_blob *loader, int json)
{
	struct gpt_part parts[2];
	struct info_file files[3];
	struct mkb_segment segs[MKB_MAX_SEGMENTS];
	uint64_t sizes[MKB_MAX_MODULES];
	const char *strings[MKB_MAX_MODULES];
	struct build b;

	if (build_plan(&b, path, opts, loader) != 0)
		return -1;
	const struct plan *p = &b.plan;
	for (size_t i = 0; i < p->segment_count && i < MKB_MAX_SEGMENTS; i++) {
		const struct plan_segment *s = &p->segments[i];
		segs[i] = (struct mkb_segment){ .vaddr = s->vaddr, .paddr = s->paddr, .filesz = s->filesz,
		                                .memsz = s->memsz, .payload_offset = s->payload_offset,
		                                .flags = s->flags, .elf_index = s->index };
	}
	for (size_t i = 0; i < p->module_count && i < MKB_MAX_MODULES; i++) {
		sizes[i] = p->modules[i].size;
		strings[i] = p->modules[i].string;
	}
	struct view v = {
		.path = path, .kind = "kernel", .loader_version = "mkbootimg " MKB_VERSION,
		.protocol = p->protocol, .entry = p->entry, .stack_top = p->stack_top,
		.stack_size = p->stack_size, .direct_map = p->direct_map_offset,
		.cmdline = p->cmdline, .segment_count = p->segment_count, .segments = segs,
		.module_count = p->module_count, .module_sizes = sizes, .module_strings = strings,
		.fb_width = p->framebuffer.width, .fb_height = p->framebuffer.height,
		.smp_stack = p->smp_stack_size,
		.fb_bpp = p->framebuffer.bpp, .image_sectors = p->image_sectors,
		.payload_lba = p->payload_lba, .payload_sectors = p->payload_sectors,
		.manifest_lba = p->manifest_lba, .warnings = (const char **)p->warnings,
		.warning_count = p->warning_count, .layout = p->layout,
	};
	if (p->protocol == MKB_PROTOCOL_LINUX && p->handoff != NULL) {
		v.lx = p->handoff;
		v.kernel_version = b.kernel.linux_kernel->kernel_version;
	}
	if (p->protocol == MKB_PROTOCOL_NATIVE && p->handoff != NULL) {
		v.pie = p->handoff;
		v.relocs = b.kernel.pie;
	}
	if (p->layout != IMAGE_LAYOUT_BIOS) {
		planned_disk(p, loader, parts, files);
		v.parts = parts;
		v.part_count = 2;
		v.files = files;
		v.file_count = 3;
		v.efi_loader = 1;
		v.efi_loader_size = loader->efi_size;
		if (p->layout == IMAGE_LAYOUT_UEFI)
			v.loader_version = NULL;
	}
	print_view(f, &v, json);
	build_free(&b);
	return 0;
}

/* ---- the command ---- */

static void info_usage(FILE *f)
{
	fprintf(f, "usage: mkbootimg info [--json] [--cmdline STRING] [--stack-size SIZE]\n"
	           "                      [--module FILE[=STRING]] [--framebuffer WxHxBPP]\n"
	           "                      [--protocol PROTOCOL] IMAGE|KERNEL\n");
}

static void info_help(void)
{
	info_usage(stdout);
	printf("\nDescribe an image, or the image a kernel would make: loader, protocol, command\n"
	       "line, segments, modules, framebuffer, checksum, size, and a physical memory map.\n\n"
	       "      --json                  print the same as one JSON object\n"
	       "For a KERNEL, as when building its image:\n");
	image_options_help(stdout, 30);
	printf("  -h, --help                  print this help\n"
	       "\nExit status: 0 sound, 1 unreadable or damaged (checksum, truncation), 2 usage.\n");
}

/* info's command line: 0 to go on, 1 when --help was answered, MKB_EXIT_USAGE after a message. */
static int info_parse(int argc, char **argv, struct plan_options *opts, int *json, const char **path)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		IMAGE_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, taken;

	argv[0] = (char *)"mkbootimg info";
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if ((taken = image_option(opts, c, optarg)) < 0) {
			fprintf(stderr, "mkbootimg: %s\n", mkb_error());
			info_usage(stderr);
			return MKB_EXIT_USAGE;
		}
		if (taken)
			continue;
		if (c == 'j') {
			*json = 1;
		} else if (c == 'h') {
			info_help();
			return 1;
		} else {
			info_usage(stderr); /* getopt_long has said what was wrong */
			return MKB_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "mkbootimg: %s\n", optind == argc ? "no image or kernel given" : "too many arguments");
		info_usage(stderr);
		return MKB_EXIT_USAGE;
	}
	*path = argv[optind];
	return 0;
}

/* An image's report, and the line that says why it is damaged; the exit status. */
static int info_image(const char *path, int fd, int json)
{
	struct info_image im;
	int rc;

	/* The same messages as info_check_image_file, which run uses before QEMU starts. */
	if (read_image_file(path, fd, &im) != 0) {
		fprintf(stderr, "mkbootimg: %s\n", mkb_error());
		return EXIT_FAILURE;
	}
	info_print_image(stdout, path, &im, json);
	rc = info_check_image(path, &im);
	if (rc != 0) {
		fflush(stdout);
		fprintf(stderr, "mkbootimg: %s\n", mkb_error());
	}
	info_image_free(&im);
	return rc != 0 ? EXIT_FAILURE : 0;
}

int info_main(int argc, char **argv, const struct loader_blob *loader)
{
	struct plan_options opts = { 0 };
	struct source src;
	const char *path = NULL;
	int json = 0, fd = -1, status;

	status = info_parse(argc, argv, &opts, &json, &path);
	if (status != 0) {
		plan_options_free(&opts);
		return status == 1 ? 0 : status;
	}
	if (open_image(path, &fd) != 0) {
		fprintf(stderr, "mkbootimg: %s\n", mkb_error());
		status = EXIT_FAILURE;
	} else if (source_classify_fd(fd, &src), src.kind == SOURCE_KERNEL) {
		if (info_kernel(stdout, path, &opts, loader, json) != 0) {
			fprintf(stderr, "mkbootimg: %s\n", mkb_error());
			status = EXIT_FAILURE;
		}
	} else if (image_options_refuse(&opts, path) != 0) {
		fprintf(stderr, "mkbootimg: %s\n", mkb_error());
		status = MKB_EXIT_USAGE;
	} else {
		status = info_image(path, fd, json);
	}
	if (fd >= 0)
		close(fd);
	plan_options_free(&opts);
	return status;
}
