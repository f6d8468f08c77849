#include "image.h"
#include "relocations.h"
#include "fat.h"
#include "gpt.h"
#include "kernel.h"
#include "plan.h"
#include "util.h"

#include "../../bootloader/core/manifest.h"

#include <mkbootimg/image.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* The format is little-endian and mkb_checksum_add reads host-order words. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "mkbootimg writes little-endian structures directly: build it on a little-endian host"
#endif

#define CHUNK (1024 * 1024) /* large reads and writes: building should cost about a cp */

int image_check_loader(const struct loader_blob *l, uint64_t *stage2_sectors)
{
	struct mkb_stage2_header h;

	if (l->size < 2 * MKB_SECTOR_SIZE || l->size % MKB_SECTOR_SIZE != 0)
		return mkb_fail("embedded loader: %zu bytes, not stage 1 and stage 2 in whole sectors",
		                l->size);
	if (l->data[510] != 0x55 || l->data[511] != 0xaa)
		return mkb_fail("embedded loader: stage 1 has no 0x55AA boot signature");
	memcpy(&h, l->data + MKB_SECTOR_SIZE, sizeof h);
	if (h.magic != MKB_STAGE2_MAGIC)
		return mkb_fail("embedded loader: stage 2 magic is 0x%08" PRIx32 ", not 0x%08" PRIx32,
		                h.magic, (uint32_t)MKB_STAGE2_MAGIC);
	if (h.sectors != l->size / MKB_SECTOR_SIZE - 1)
		return mkb_fail("embedded loader: stage 2 header says %u sectors, the blob holds %zu",
		                (unsigned)h.sectors, l->size / MKB_SECTOR_SIZE - 1);
	if (h.version != MKB_MANIFEST_VERSION)
		return mkb_fail("embedded loader: it reads manifest version %u, this tool writes %u",
		                (unsigned)h.version, (unsigned)MKB_MANIFEST_VERSION);
	*stage2_sectors = h.sectors;
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

int image_check_efi_loader(const struct loader_blob *l)
{
	uint32_t pe;

	if (l->efi == NULL || l->efi_size < 0x40 || l->efi[0] != 'M' || l->efi[1] != 'Z')
		return mkb_fail("embedded UEFI loader: %zu bytes, not a PE file (no \"MZ\")", l->efi_size);
	pe = get32(l->efi + 0x3c);
	/* The signature, file header (20 bytes) and optional header up to Subsystem (70). */
	if ((uint64_t)pe + 24 + 70 > l->efi_size || memcmp(l->efi + pe, "PE\0\0", 4) != 0)
		return mkb_fail("embedded UEFI loader: no PE header");
	if (get16(l->efi + pe + 4) != 0x8664 || get16(l->efi + pe + 24) != 0x20b)
		return mkb_fail("embedded UEFI loader: not a PE32+ file for x86-64 (machine 0x%04x)",
		                (unsigned)get16(l->efi + pe + 4));
	if (get16(l->efi + pe + 24 + 68) != 10)
		return mkb_fail("embedded UEFI loader: subsystem %u, not an EFI application (10)",
		                (unsigned)get16(l->efi + pe + 24 + 68));
	return 0;
}

int image_is_iso_name(const char *path)
{
	size_t n = strlen(path);

	return n >= 4 && strcasecmp(path + n - 4, ".iso") == 0;
}

void image_build_mbr(uint8_t mbr[512], const uint8_t stage1[512], uint32_t disk_signature,
                     uint64_t first_lba, uint64_t sectors)
{
	uint8_t *e = mbr + MKB_MBR_PARTITIONS;

	/* Stage 1 keeps the BPB area zero itself: BIOSes may patch it on USB sticks. */
	memcpy(mbr, stage1, 512);
	put32(mbr + MKB_MBR_SIGNATURE, disk_signature);
	mbr[0x1bc] = 0; /* "copy-protected" word: zero */
	mbr[0x1bd] = 0;
	memset(e, 0, 4 * 16);
	/* One active entry: many BIOSes boot a USB stick as a hard disk only then. */
	e[0] = 0x80;
	gpt_put_chs(e + 1, first_lba);
	e[4] = MKB_PARTITION_TYPE;
	gpt_put_chs(e + 5, first_lba + sectors - 1);
	put32(e + 8, (uint32_t)first_lba);
	put32(e + 12, (uint32_t)sectors);
	mbr[MKB_MBR_BOOT_SIGNATURE] = 0x55;
	mbr[MKB_MBR_BOOT_SIGNATURE + 1] = 0xaa;
}

size_t image_build_manifest(uint8_t *buf, size_t cap, const struct plan *p, uint64_t checksum)
{
	size_t size = (size_t)p->manifest_sectors * MKB_SECTOR_SIZE;
	size_t seg_off = plan_manifest_header(p), end = p->cmdline_offset + p->cmdline_length + 1;
	struct mkb_manifest m = {
		.magic = MKB_MANIFEST_MAGIC,
		.version = MKB_MANIFEST_VERSION,
		.header_size = (uint16_t)plan_manifest_header(p),
		.smp_stack_size = p->smp_stack_size,
		.sectors = (uint32_t)p->manifest_sectors,
		.segment_count = (uint32_t)p->segment_count,
		.segment_offset = (uint32_t)seg_off,
		.cmdline_offset = p->cmdline_offset,
		.cmdline_length = (uint32_t)p->cmdline_length,
		.entry = p->entry,
		.stack_top = p->stack_top,
		.stack_size = p->stack_size,
		.direct_map_offset = p->direct_map_offset,
		.payload_lba = p->payload_lba,
		.payload_sectors = p->payload_sectors,
		.payload_checksum = checksum,
		.image_sectors = p->image_sectors,
		.module_count = (uint32_t)p->module_count,
		.module_offset = p->module_table_offset,
		.fb_width = p->framebuffer.width,
		.fb_height = p->framebuffer.height,
		.fb_bpp = p->framebuffer.bpp,
		.protocol = p->protocol,
		.multiboot_offset = p->handoff != NULL ? p->handoff_offset : 0,
	};

	for (size_t i = 0; i < p->module_count; i++)
		if (p->modules[i].string_offset + p->modules[i].string_length + 1 > end)
			end = p->modules[i].string_offset + p->modules[i].string_length + 1;
	if (p->handoff != NULL && p->handoff_offset + p->handoff_size > end)
		end = p->handoff_offset + p->handoff_size;
	if (size > cap || end > size)
		return 0;
	memset(buf, 0, size);
	memcpy(buf, &m, seg_off); /* a short header: the smp fields stay out */
	for (size_t i = 0; i < p->segment_count; i++) {
		const struct plan_segment *s = &p->segments[i];
		struct mkb_segment e = {
			.vaddr = s->vaddr, .paddr = s->paddr, .filesz = s->filesz, .memsz = s->memsz,
			.payload_offset = s->payload_offset, .flags = s->flags, .elf_index = s->index,
		};
		memcpy(buf + seg_off + i * sizeof e, &e, sizeof e);
	}
	for (size_t i = 0; i < p->module_count; i++) {
		const struct plan_module *pm = &p->modules[i];
		struct mkb_module e = {
			.size = pm->size, .payload_offset = pm->payload_offset,
			.string_offset = pm->string_offset, .string_length = (uint32_t)pm->string_length,
		};
		memcpy(buf + p->module_table_offset + i * sizeof e, &e, sizeof e);
		memcpy(buf + pm->string_offset, pm->string, pm->string_length);
	}
	/* Every string's NUL is already there: the buffer was zeroed. */
	memcpy(buf + p->cmdline_offset, p->cmdline, p->cmdline_length);
	if (p->handoff != NULL) {
		memcpy(buf + p->handoff_offset, p->handoff, p->handoff_size);
		/* An offset within the block becomes one within the manifest, now that it has a place. */
		if (p->handoff_fixup != KERNEL_NO_FIXUP) {
			uint32_t v;
			memcpy(&v, buf + p->handoff_offset + p->handoff_fixup, 4);
			v += p->handoff_offset;
			memcpy(buf + p->handoff_offset + p->handoff_fixup, &v, 4);
		}
	}
	return size;
}

/* Same kernel, same image: the disk signature comes from the payload, not a clock. */
static uint32_t disk_signature(uint64_t checksum)
{
	uint64_t z = checksum + UINT64_C(0x9e3779b97f4a7c15); /* splitmix64 finalizer */
	z = (z ^ z >> 30) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ z >> 27) * UINT64_C(0x94d049bb133111eb);
	z ^= z >> 31;
	return (uint32_t)z ? (uint32_t)z : 1; /* 0 would mean "no signature" to some systems */
}

/* The payload as it is written: where it starts, and the sum of what went in. */
struct payload_writer {
	int fd;
	const char *path;
	uint64_t base;   /* byte offset of the payload in the image */
	uint8_t *buf;    /* CHUNK bytes */
	struct mkb_checksum sum;
};

/*
 * Copy size bytes at in_offset of a file to payload_offset, in large blocks,
 * adding them to the sum (the last word padded with zeros). what names the
 * bytes when the file turns out shorter.
 */
static int copy_summed(struct payload_writer *w, int in_fd, const char *in_path, const char *what,
                       uint64_t in_offset, uint64_t size, uint64_t payload_offset)
{
	for (uint64_t done = 0; done < size;) {
		size_t n = size - done < CHUNK ? (size_t)(size - done) : CHUNK;
		size_t padded = MKB_ALIGN_UP(n, MKB_SECTOR_SIZE);
		ssize_t r = mkb_pread_full(in_fd, w->buf, n, (off_t)(in_offset + done));
		if (r < 0)
			return mkb_fail("%s: read: %s", in_path, strerror(errno));
		if ((size_t)r < n)
			return mkb_fail("%s: %sthe file ends early (did it change while mkbootimg read it?)",
			                in_path, what);
		/* Zero the tail: it pads the last sector. */
		memset(w->buf + n, 0, padded - n);
		mkb_checksum_add(&w->sum, w->buf, n);
		if (mkb_pwrite_full(w->fd, w->buf, padded, (off_t)(w->base + payload_offset + done)) != 0)
			return mkb_fail("%s: write: %s", w->path, strerror(errno));
		done += n;
	}
	return 0;
}

/* Bytes in memory to payload_offset, summed: a relocated segment, the KASLR table. */
static int write_summed(struct payload_writer *w, const uint8_t *bytes, uint64_t size,
                        uint64_t payload_offset)
{
	static const uint8_t zeros[MKB_SECTOR_SIZE];
	uint64_t tail = MKB_ALIGN_UP(size, MKB_SECTOR_SIZE) - size;

	mkb_checksum_add(&w->sum, bytes, (size_t)size);
	if (mkb_pwrite_full(w->fd, bytes, (size_t)size, (off_t)(w->base + payload_offset)) != 0 ||
	    (tail && mkb_pwrite_full(w->fd, zeros, (size_t)tail,
	                             (off_t)(w->base + payload_offset + size)) != 0))
		return mkb_fail("%s: write: %s", w->path, strerror(errno));
	return 0;
}

/* A relocatable kernel's segment, read whole, its relocations applied for the plan's base. */
static int copy_relocated(struct payload_writer *w, const struct kernel *k, const struct plan *p,
                          const struct plan_segment *s)
{
	uint8_t *bytes = malloc(s->filesz ? (size_t)s->filesz : 1);
	ssize_t r;
	int rc;

	if (bytes == NULL)
		return mkb_fail("%s: %s", k->path, strerror(ENOMEM));
	r = mkb_pread_full(k->fd, bytes, (size_t)s->filesz, (off_t)s->file_offset);
	if (r < 0 || (uint64_t)r < s->filesz) {
		free(bytes);
		return mkb_fail("%s: segment %u: %s", k->path, s->index, r < 0 ? strerror(errno)
		                : "the file ends early (did it change while mkbootimg read it?)");
	}
	pie_apply(p->pie, s->vaddr - p->pie_slide, bytes, s->filesz, p->pie_slide);
	rc = write_summed(w, bytes, s->filesz, s->payload_offset);
	free(bytes);
	return rc;
}

/*
 * A Linux kernel's initrd files back to back, as one run of bytes (the
 * kernel reads one initrd; concatenated archives are one to it), summed as
 * one run: only its last word may be partial.
 */
static int copy_initrd(struct payload_writer *w, const struct plan *p)
{
	uint64_t out = p->initrd_payload_offset;
	size_t fill = 0;

	for (size_t i = 0; i < p->initrd_count; i++) {
		const struct plan_module *m = &p->initrds[i];
		for (uint64_t done = 0; done < m->size;) {
			size_t n = m->size - done < CHUNK - fill ? (size_t)(m->size - done) : CHUNK - fill;
			ssize_t r = mkb_pread_full(m->fd, w->buf + fill, n, (off_t)done);
			if (r < 0)
				return mkb_fail("%s: read: %s", m->path, strerror(errno));
			if ((size_t)r < n)
				return mkb_fail("%s: initrd: the file ends early (did it change while mkbootimg "
				                "read it?)", m->path);
			fill += n;
			done += n;
			if (fill == CHUNK) {
				mkb_checksum_add(&w->sum, w->buf, CHUNK);
				if (mkb_pwrite_full(w->fd, w->buf, CHUNK, (off_t)(w->base + out)) != 0)
					return mkb_fail("%s: write: %s", w->path, strerror(errno));
				out += CHUNK;
				fill = 0;
			}
		}
	}
	if (fill != 0) {
		size_t padded = MKB_ALIGN_UP(fill, MKB_SECTOR_SIZE);
		memset(w->buf + fill, 0, padded - fill);
		mkb_checksum_add(&w->sum, w->buf, fill);
		if (mkb_pwrite_full(w->fd, w->buf, padded, (off_t)(w->base + out)) != 0)
			return mkb_fail("%s: write: %s", w->path, strerror(errno));
	}
	return 0;
}

/* Every segment's file bytes, then every module's, then the initrd, then a Linux real-mode
 * part, as the checksum takes them. */
static int write_payload(int fd, const char *out_path, const struct kernel *k,
                         const struct plan *p, uint8_t *buf, uint64_t *checksum)
{
	struct payload_writer w = { fd, out_path, p->payload_lba * MKB_SECTOR_SIZE, buf, { 0, 0 } };
	char what[32];

	mkb_checksum_init(&w.sum);
	for (size_t i = 0; i < p->segment_count; i++) {
		const struct plan_segment *s = &p->segments[i];
		snprintf(what, sizeof what, "segment %u: ", s->index);
		if (p->pie != NULL ? copy_relocated(&w, k, p, s) != 0
		    : copy_summed(&w, k->fd, k->path, what, s->file_offset, s->filesz, s->payload_offset) != 0)
			return -1;
	}
	for (size_t i = 0; i < p->module_count; i++) {
		const struct plan_module *m = &p->modules[i];
		if (copy_summed(&w, m->fd, m->path, "module: ", 0, m->size, m->payload_offset) != 0)
			return -1;
	}
	/* The words the loader slides with KASLR (image.h, struct mkb_pie). */
	if (p->kaslr_count && write_summed(&w, (const uint8_t *)p->kaslr_table,
	                                   (uint64_t)p->kaslr_count * 4, p->kaslr_payload_offset) != 0)
		return -1;
	if (copy_initrd(&w, p) != 0)
		return -1;
	/* A Linux real-mode entry's boot sector and setup code: the file's start, last. */
	if (p->setup_size && copy_summed(&w, k->fd, k->path, "real-mode part: ", 0, p->setup_size,
	                                 p->setup_payload_offset) != 0)
		return -1;
	*checksum = mkb_checksum_value(&w.sum);
	return 0;
}

/* The GPT layouts' sector sink for fat_write: the ESP's sectors at their place in the image. */
struct esp_sink {
	int fd;
	const char *path;
	uint64_t lba;
};

static int write_esp_sectors(void *ctx, uint64_t sector, const uint8_t *buf, size_t count)
{
	struct esp_sink *e = ctx;

	if (mkb_pwrite_full(e->fd, buf, count * MKB_SECTOR_SIZE,
	                    (off_t)((e->lba + sector) * MKB_SECTOR_SIZE)) != 0)
		return mkb_fail("%s: write: %s", e->path, strerror(errno));
	return 0;
}

/* Seeds of the GUIDs and the volume ID, each from the checksum (image.h: same kernel, same image). */
enum { SEED_DISK = 1, SEED_PART1, SEED_ESP, SEED_VOLUME };

/*
 * The GPT layouts' LBA 0, both GPTs and the ESP: partition 1 over stage 2
 * (hybrid), manifest and payload; partition 2 the ESP with BOOTX64.EFI.
 */
static int write_gpt_disk(int fd, const char *out_path, const struct plan *p,
                          const struct loader_blob *l, uint64_t checksum)
{
	struct gpt_part parts[2] = {
		{ .first = MKB_STAGE2_LBA, .last = p->payload_lba + p->payload_sectors - 1,
		  .name = "mkbootimg loader" },
		{ .first = p->esp_lba, .last = p->esp_lba + p->esp_sectors - 1,
		  .name = "EFI system partition" },
	};
	struct gpt_disk d = { .sectors = p->image_sectors, .parts = parts, .count = 2 };
	struct esp_sink esp = { fd, out_path, p->esp_lba };
	uint8_t entries[MKB_GPT_ENTRIES * MKB_GPT_ENTRY_SIZE], sector[MKB_SECTOR_SIZE];
	uint64_t last = p->image_sectors - 1;
	uint32_t crc;

	gpt_guid_parse(p->layout == IMAGE_LAYOUT_UEFI ? MKB_GPT_TYPE_PAYLOAD : MKB_GPT_TYPE_BIOS_BOOT,
	               parts[0].type);
	gpt_guid_parse(MKB_GPT_TYPE_ESP, parts[1].type);
	gpt_guid_derive(d.guid, checksum ^ SEED_DISK);
	gpt_guid_derive(parts[0].guid, checksum ^ SEED_PART1);
	gpt_guid_derive(parts[1].guid, checksum ^ SEED_ESP);
	gpt_build_entries(entries, &d);
	crc = gpt_crc32(entries, sizeof entries);
	if (fat_write((uint32_t)p->esp_sectors, (uint32_t)p->esp_lba,
	              (uint32_t)disk_signature(checksum ^ SEED_VOLUME), l->efi, l->efi_size,
	              write_esp_sectors, &esp) != 0)
		return -1;
	if (mkb_pwrite_full(fd, entries, sizeof entries, 2 * MKB_SECTOR_SIZE) != 0 ||
	    mkb_pwrite_full(fd, entries, sizeof entries,
	                    (off_t)((last - 32) * MKB_SECTOR_SIZE)) != 0)
		return mkb_fail("%s: write: %s", out_path, strerror(errno));
	gpt_build_header(sector, &d, crc, 1);
	if (mkb_pwrite_full(fd, sector, sizeof sector, (off_t)(last * MKB_SECTOR_SIZE)) != 0)
		return mkb_fail("%s: write: %s", out_path, strerror(errno));
	gpt_build_header(sector, &d, crc, 0);
	if (mkb_pwrite_full(fd, sector, sizeof sector, MKB_SECTOR_SIZE) != 0)
		return mkb_fail("%s: write: %s", out_path, strerror(errno));
	return 0;
}

static int write_all(int fd, const char *out_path, const struct kernel *k, const struct plan *p,
                     const struct loader_blob *l)
{
	uint64_t checksum = 0;
	uint8_t mbr[MKB_SECTOR_SIZE];
	uint8_t *buf = malloc(CHUNK);
	enum mkb_manifest_rule rule;
	uint32_t item;
	size_t msize;
	int r = -1;

	if (buf == NULL)
		return mkb_fail("%s: %s", out_path, strerror(ENOMEM));
	/* Setting the size first makes LBA 1..33, the ESP's free space and every padding byte zero. */
	if (ftruncate(fd, (off_t)(p->image_sectors * MKB_SECTOR_SIZE)) != 0 ||
	    (p->stage2_sectors != 0 &&
	     mkb_pwrite_full(fd, l->data + MKB_SECTOR_SIZE, l->size - MKB_SECTOR_SIZE,
	                     MKB_STAGE2_LBA * MKB_SECTOR_SIZE) != 0)) {
		mkb_fail("%s: write: %s", out_path, strerror(errno));
		goto out;
	}
	if (write_payload(fd, out_path, k, p, buf, &checksum) != 0)
		goto out;
	/* The manifest and MBR last: they carry the checksum and what derives from it. */
	msize = image_build_manifest(buf, CHUNK, p, checksum);
	if (msize == 0) {
		mkb_fail("%s: manifest does not fit its planned %" PRIu64 " sectors", out_path,
		         p->manifest_sectors);
		goto out;
	}
	/* The loader's own rules: an image it would refuse is never written. */
	rule = mkb_manifest_check_header((const struct mkb_manifest *)(void *)buf, p->manifest_lba);
	if (rule == MKB_RULE_VALID)
		rule = mkb_manifest_check_tables(buf, &item);
	if (rule != MKB_RULE_VALID) {
		mkb_fail("%s: the manifest breaks a rule of the loader (%s); this is a bug in mkbootimg",
		         out_path, mkb_manifest_rule_text(rule));
		goto out;
	}
	if (p->layout == IMAGE_LAYOUT_BIOS) {
		image_build_mbr(mbr, l->data, disk_signature(checksum), MKB_STAGE2_LBA,
		                p->image_sectors - MKB_STAGE2_LBA);
	} else {
		/* Stage 1 stays in a UEFI-only image: a BIOS then says there is no loader. */
		gpt_build_pmbr(mbr, l->data, disk_signature(checksum), p->image_sectors);
		if (write_gpt_disk(fd, out_path, p, l, checksum) != 0)
			goto out;
	}
	if (mkb_pwrite_full(fd, buf, msize, (off_t)(p->manifest_lba * MKB_SECTOR_SIZE)) != 0 ||
	    mkb_pwrite_full(fd, mbr, sizeof mbr, 0) != 0) {
		mkb_fail("%s: write: %s", out_path, strerror(errno));
		goto out;
	}
	r = 0;
out:
	free(buf);
	return r;
}

int image_write(const char *out_path, const struct kernel *k, const struct plan *p,
                const struct loader_blob *l)
{
	uint64_t stage2_sectors;
	struct stat st, kernel_before = { 0 }, kernel_after = { 0 };
	char *tmp;
	mode_t mask;
	int fd;

	if (image_is_iso_name(out_path))
		return mkb_fail("%s: mkbootimg does not write ISO images (yet); write a disk image "
		                "(-o NAME.img), which boots as a VM's disk or from a USB stick", out_path);
	if (image_check_loader(l, &stage2_sectors) != 0 ||
	    (p->layout != IMAGE_LAYOUT_BIOS && image_check_efi_loader(l) != 0))
		return -1;
	/* The kernel as it is now: written to while mkbootimg reads it, the image would mix two kernels. */
	if (fstat(k->fd, &kernel_before) != 0)
		return mkb_fail("%s: %s", k->path, strerror(errno));
	if ((uint64_t)kernel_before.st_size != k->file_size)
		return mkb_fail("%s: the kernel changed while mkbootimg read it; run mkbootimg again", k->path);
	if (p->layout != IMAGE_LAYOUT_UEFI && stage2_sectors != p->stage2_sectors)
		return mkb_fail("embedded loader: stage 2 has %" PRIu64 " sectors, the plan says %" PRIu64,
		                stage2_sectors, p->stage2_sectors);
	/* rename() would replace a device node with a file: refuse anything but a file. */
	if (stat(out_path, &st) == 0 && !S_ISREG(st.st_mode))
		return mkb_fail("%s: exists and is not a regular file", out_path);

	/* A temporary file beside the output, so rename() is atomic (same file system). */
	tmp = malloc(strlen(out_path) + sizeof ".XXXXXX");
	if (tmp == NULL)
		return mkb_fail("%s: %s", out_path, strerror(ENOMEM));
	sprintf(tmp, "%s.XXXXXX", out_path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		mkb_fail("%s: cannot create a temporary file beside it: %s", out_path, strerror(errno));
		free(tmp);
		return -1;
	}
	/* mkstemp makes 0600; an image is an ordinary file, readable as umask allows. */
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) != 0) {
		mkb_fail("%s: %s", tmp, strerror(errno));
		close(fd);
		goto fail;
	}
	if (write_all(fd, out_path, k, p, l) != 0) {
		close(fd);
		goto fail;
	}
	/* No fsync: like cp, a build product trusts the file system's ordering on rename. */
	if (close(fd) != 0) {
		mkb_fail("%s: write: %s", out_path, strerror(errno));
		goto fail;
	}
	if (fstat(k->fd, &kernel_after) != 0 || kernel_after.st_size != kernel_before.st_size ||
	    kernel_after.st_mtim.tv_sec != kernel_before.st_mtim.tv_sec ||
	    kernel_after.st_mtim.tv_nsec != kernel_before.st_mtim.tv_nsec ||
	    kernel_after.st_ctim.tv_sec != kernel_before.st_ctim.tv_sec ||
	    kernel_after.st_ctim.tv_nsec != kernel_before.st_ctim.tv_nsec) {
		mkb_fail("%s: the kernel changed while mkbootimg read it; run mkbootimg again", k->path);
		goto fail;
	}
	if (rename(tmp, out_path) != 0) {
		mkb_fail("%s: cannot rename %s into place: %s", out_path, tmp, strerror(errno));
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	unlink(tmp);
	free(tmp);
	return -1;
}
