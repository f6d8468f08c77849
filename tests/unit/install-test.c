/*
 * install.c: the command line, the confirmation, the writer and verifier
 * run on ordinary files standing in for a disk, the erasing of an old
 * partition table, and the partition check after the kernel's re-read (the
 * ioctl stubbed, sysfs faked in a temporary folder).
 */
#define _GNU_SOURCE /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "elf-builder.h"
#include "install.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DISK_SIZE (1024 * 1024)
#define OLD_BYTE 0xEE /* what the "disk" held before */

/* ---- Command line ---- */

/* Parse a NULL-terminated list of words after "install"; the result of install_parse. */
static int parse(struct install_options *o, ...)
{
	char *argv[16] = { (char *)"install" };
	int argc = 1;
	va_list ap;

	va_start(ap, o);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	return install_parse(o, argc, argv);
}

static void test_install_parse(void **state)
{
	struct install_options o;

	(void)state;
	assert_int_equal(parse(&o, "disk.img", "/dev/sdb", NULL), 0);
	assert_string_equal(o.source, "disk.img");
	assert_string_equal(o.device, "/dev/sdb");
	assert_true(o.verify);
	assert_false(o.yes || o.force || o.dry_run || o.list);

	assert_int_equal(parse(&o, "--yes", "--force", "--no-verify", "-n", "kernel.elf", "/dev/sdc",
	                       "--cmdline", "a=1", "--stack-size", "1M", NULL), 0);
	assert_true(o.yes && o.force && o.dry_run);
	assert_false(o.verify);
	assert_string_equal(o.plan.cmdline, "a=1");
	assert_int_equal(o.plan.stack_size, 1024 * 1024);
	assert_string_equal(o.device, "/dev/sdc");

	assert_int_equal(parse(&o, "--module", "a.bin=x=y", "--module", "b.bin", "--framebuffer",
	                       "1280x1024x24", "kernel.elf", "/dev/sdc", NULL), 0);
	assert_int_equal(o.plan.module_count, 2);
	assert_string_equal(o.plan.modules[0].path, "a.bin");
	assert_string_equal(o.plan.modules[0].string, "x=y");
	assert_string_equal(o.plan.modules[1].string, "");
	assert_int_equal(o.plan.framebuffer_given, 1);
	assert_int_equal(o.plan.framebuffer.width, 1280);
	assert_int_equal(o.plan.framebuffer.bpp, 24);
	plan_options_free(&o.plan);

	assert_int_equal(parse(&o, "--list", NULL), 0);
	assert_true(o.list);
	assert_int_equal(parse(&o, "--help", NULL), 0);
	assert_true(o.help);
}

static void test_install_parse_errors(void **state)
{
	struct install_options o;

	(void)state;
	assert_int_equal(parse(&o, NULL), -1);
	assert_string_equal(mkb_error(), "no image or kernel given");
	assert_int_equal(parse(&o, "disk.img", NULL), -1);
	assert_string_equal(mkb_error(), "no device given");
	assert_int_equal(parse(&o, "disk.img", "/dev/sdb", "/dev/sdc", NULL), -1);
	assert_string_equal(mkb_error(), "too many arguments");
	assert_int_equal(parse(&o, "--list", "/dev/sdb", NULL), -1);
	assert_string_equal(mkb_error(), "--list takes no other arguments");
	assert_int_equal(parse(&o, "--stack-size", "1K", "k.elf", "/dev/sdb", NULL), -1);
	assert_string_equal(mkb_error(), "--stack-size: 1K is outside 64K..1G");
	assert_int_equal(parse(&o, "--module", "", "k.elf", "/dev/sdb", NULL), -1);
	assert_string_equal(mkb_error(), "--module: '' names no file (FILE or FILE=STRING)");
	plan_options_free(&o.plan);
	assert_int_equal(parse(&o, "--framebuffer", "1024x768", "k.elf", "/dev/sdb", NULL), -1);
	assert_non_null(strstr(mkb_error(), "is not WIDTHxHEIGHTxBPP"));
	/* -y and -f do not exist: only the long words say yes or force. */
	assert_int_equal(parse(&o, "-y", "disk.img", "/dev/sdb", NULL), MKB_REPORTED);
	assert_int_equal(parse(&o, "-f", "disk.img", "/dev/sdb", NULL), MKB_REPORTED);
}

static void test_install_answer(void **state)
{
	(void)state;
	assert_true(install_answer_confirms("sdb\n", "sdb"));
	assert_true(install_answer_confirms("  /dev/sdb \n", "sdb"));
	assert_true(install_answer_confirms("yes\n", "sdb"));
	assert_true(install_answer_confirms("YES\n", "sdb"));
	assert_false(install_answer_confirms("\n", "sdb"));
	assert_false(install_answer_confirms("y\n", "sdb"));
	assert_false(install_answer_confirms("sda\n", "sdb"));
	assert_false(install_answer_confirms("sdb1\n", "sdb"));
	assert_false(install_answer_confirms("sd\n", "sdb"));
	assert_false(install_answer_confirms("sdb sdb\n", "sdb"));
	assert_false(install_answer_confirms("/dev/\n", "sdb"));
}

/* ---- Writing, on files ---- */

struct files {
	char dir[PATH_MAX], image_path[PATH_MAX + 16], disk_path[PATH_MAX + 16];
	struct install_write w;
	uint8_t *image;
	size_t image_size;
	int stop_after; /* progress calls before install_interrupted is set; 0: never */
	int calls;
};

/* An image of size bytes with a boot signature, and a 1 MiB "disk" of OLD_BYTE with one too. */
static void make_files(struct files *f, size_t size, size_t block, size_t chunk)
{
	uint8_t *old = malloc(DISK_SIZE);
	int fd;

	assert_non_null(old);
	assert_int_equal(eb_temp_dir(f->dir, sizeof f->dir), 0);
	snprintf(f->image_path, sizeof f->image_path, "%s/image", f->dir);
	snprintf(f->disk_path, sizeof f->disk_path, "%s/disk", f->dir);
	f->image = malloc(size);
	assert_non_null(f->image);
	for (size_t i = 0; i < size; i++)
		f->image[i] = (uint8_t)(i * 7 + i / 251);
	f->image[510] = 0x55;
	f->image[511] = 0xAA;
	f->image_size = size;
	fd = open(f->image_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(mkb_pwrite_full(fd, f->image, size, 0), 0);
	f->w.image_fd = fd;

	memset(old, OLD_BYTE, DISK_SIZE);
	old[510] = 0x55;
	old[511] = 0xAA;
	fd = open(f->disk_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(mkb_pwrite_full(fd, old, DISK_SIZE, 0), 0);
	free(old);
	f->w.device_fd = fd;
	f->w.device = "/dev/fake";
	f->w.image = "disk.img";
	f->w.size = size;
	f->w.block = block;
	f->w.chunk = chunk;
	f->w.direct = 0;
	install_interrupted = 0;
}

static void free_files(struct files *f)
{
	close(f->w.image_fd);
	close(f->w.device_fd);
	unlink(f->image_path);
	unlink(f->disk_path);
	rmdir(f->dir);
	free(f->image);
	install_interrupted = 0;
}

static uint8_t *read_disk(struct files *f)
{
	uint8_t *buf = malloc(DISK_SIZE);

	assert_non_null(buf);
	assert_int_equal(mkb_pread_full(f->w.device_fd, buf, DISK_SIZE, 0), DISK_SIZE);
	return buf;
}

static void assert_untouched(const uint8_t *disk, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (disk[i] != OLD_BYTE)
			fail_msg("byte %zu changed to 0x%02x", i, disk[i]);
}

/* An image that ends inside a block: the rest of that block keeps the disk's bytes. */
static void test_install_write_and_verify(void **state)
{
	static const size_t blocks[] = { 512, 4096 };
	struct files f;

	(void)state;
	for (size_t b = 0; b < 2; b++) {
		uint8_t *disk;
		memset(&f, 0, sizeof f);
		make_files(&f, 300001, blocks[b], 65536);
		assert_int_equal(install_write_image(&f.w), 0);
		assert_int_equal(f.w.done, 300001);
		disk = read_disk(&f);
		assert_memory_equal(disk, f.image, f.image_size);
		assert_untouched(disk, f.image_size, DISK_SIZE);
		assert_int_equal(install_verify(&f.w), 0);
		free(disk);
		free_files(&f);
	}
}

/* Smaller than one block: everything goes in the last step. */
static void test_install_write_tiny(void **state)
{
	struct files f = { 0 };
	uint8_t *disk;

	(void)state;
	make_files(&f, 1000, 4096, 65536);
	assert_int_equal(install_write_image(&f.w), 0);
	disk = read_disk(&f);
	assert_memory_equal(disk, f.image, 1000);
	assert_untouched(disk, 1000, DISK_SIZE);
	assert_int_equal(install_verify(&f.w), 0);
	free(disk);
	free_files(&f);
}

static void stop_soon(struct install_write *w, const char *phase, uint64_t done)
{
	struct files *f = w->progress_state;

	(void)phase;
	(void)done;
	if (++f->calls == f->stop_after)
		install_interrupted = 1; /* as Ctrl-C would */
}

/*
 * Interrupted after the first chunk: the old boot signature is gone, the
 * first sector is not written yet, and the message says how far it got.
 */
static void test_install_interrupted(void **state)
{
	struct files f = { 0 };
	uint8_t *disk;

	(void)state;
	make_files(&f, 300000, 512, 65536);
	f.w.progress = stop_soon;
	f.w.progress_state = &f;
	f.stop_after = 1;
	assert_int_equal(install_write_image(&f.w), -1);
	assert_string_equal(mkb_error(), "/dev/fake: interrupted after 65.5 kB of 300.0 kB (21%); it "
	                                 "will not boot: write the image again");
	disk = read_disk(&f);
	assert_untouched(disk, 0, 510);
	assert_int_equal(disk[510], 0);
	assert_int_equal(disk[511], 0);
	assert_memory_equal(disk + 512, f.image + 512, 65536 - 512);
	assert_untouched(disk, 65536, DISK_SIZE);
	free(disk);
	free_files(&f);
}

static void test_install_write_error(void **state)
{
	struct files f = { 0 };
	int ro;

	(void)state;
	make_files(&f, 300000, 512, 65536);
	ro = open(f.disk_path, O_RDONLY);
	close(f.w.device_fd);
	f.w.device_fd = ro;
	assert_int_equal(install_write_image(&f.w), -1);
	assert_string_equal(mkb_error(), "/dev/fake: write failed (Bad file descriptor) after 0 B of "
	                                 "300.0 kB (0%); it will not boot: write the image again");
	free_files(&f);
}

static void test_install_verify_mismatch(void **state)
{
	struct files f = { 0 };
	uint8_t bad = 0x42;

	(void)state;
	make_files(&f, 300000, 512, 65536);
	assert_int_equal(install_write_image(&f.w), 0);
	assert_int_equal(mkb_pwrite_full(f.w.device_fd, &bad, 1, 200000), 0);
	assert_int_equal(install_verify(&f.w), -1);
	assert_non_null(strstr(mkb_error(), "/dev/fake: verification failed: byte 200000 reads back as "
	                                    "0x42, not 0x"));
	free_files(&f);
}

/* Options that build an image have nothing to do with a ready one: refused before any disk. */
static void test_install_image_refuses_kernel_options(void **state)
{
	struct files f = { .stop_after = 0 };
	char *argv[] = { (char *)"install", (char *)"--module", (char *)"x.bin", f.image_path,
	                 f.disk_path, NULL };

	(void)state;
	make_files(&f, 4096, 512, 4096);
	assert_int_equal(install_main(5, argv, NULL), 1);
	assert_non_null(strstr(mkb_error(), "/image is a ready image: --cmdline, --stack-size, "
	                                    "--module, --initrd, --framebuffer, --protocol, --base and --kaslr apply only to a kernel"));
	free_files(&f);
}

/* ---- Old partition tables ---- */

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* A GPT header's fields that install.c reads (the CRCs are not checked: any header is stale). */
static void gpt_header(uint8_t *sector, uint64_t my, uint64_t alt, uint64_t entries, uint32_t count)
{
	memset(sector, 0, 92);
	memcpy(sector, "EFI PART", 8);
	put32(sector + 12, 92);
	put64(sector + 24, my);
	put64(sector + 32, alt);
	put64(sector + 72, entries);
	put32(sector + 80, count);
	put32(sector + 84, 128);
}

static void test_install_gpt_parse(void **state)
{
	uint8_t sector[512] = { 0 };
	struct install_gpt g;

	(void)state;
	assert_false(install_gpt_parse(sector, sizeof sector, &g));
	gpt_header(sector, 1, 32767, 2, 128);
	assert_false(install_gpt_parse(sector, 91, &g));
	assert_true(install_gpt_parse(sector, sizeof sector, &g));
	assert_int_equal(g.my_lba, 1);
	assert_int_equal(g.alternate_lba, 32767);
	assert_int_equal(g.entries_lba, 2);
	assert_int_equal(g.entry_count, 128);
	assert_int_equal(g.entry_size, 128);
}

#define MiB16 (16 * 1024 * 1024)

static void assert_range(const struct install_range *r, uint64_t start, uint64_t end)
{
	if (r->start != start || r->end != end)
		fail_msg("range [%llu, %llu), expected [%llu, %llu)", (unsigned long long)r->start,
		         (unsigned long long)r->end, (unsigned long long)start, (unsigned long long)end);
}

static void test_install_stale_ranges(void **state)
{
	struct install_gpt primary = { 1, 32767, 2, 128, 128 }, backup = { 32767, 1, 32735, 128, 128 };
	struct install_range r[INSTALL_MAX_ERASE];
	size_t n;

	(void)state;
	/* An image past LBA 33 covers the primary GPT: only the backup is left, 33 sectors. */
	n = install_stale_ranges(MiB16, 516096, 512, &primary, &backup, NULL, r, INSTALL_MAX_ERASE);
	assert_int_equal(n, 1);
	assert_range(&r[0], MiB16 - 33 * 512, MiB16);
	/* Even without any header found: the backup's place is cleared all the same. */
	n = install_stale_ranges(MiB16, 516096, 512, NULL, NULL, NULL, r, INSTALL_MAX_ERASE);
	assert_int_equal(n, 1);
	assert_range(&r[0], MiB16 - 33 * 512, MiB16);
	/* A tiny image: the rest of the primary GPT area goes too, from the image's last byte. */
	n = install_stale_ranges(MiB16, 1000, 512, &primary, &backup, NULL, r, INSTALL_MAX_ERASE);
	assert_int_equal(n, 2);
	assert_range(&r[0], 1000, 34 * 512);
	assert_range(&r[1], MiB16 - 33 * 512, MiB16);
	/* A GPT made for an 8 MiB disk: its backup at LBA 16383, found through the primary. */
	primary.alternate_lba = 16383;
	backup.my_lba = 16383;
	backup.entries_lba = 16351;
	n = install_stale_ranges(MiB16, 516096, 512, &primary, NULL, &backup, r, INSTALL_MAX_ERASE);
	assert_int_equal(n, 2);
	assert_range(&r[0], 8 * 1024 * 1024 - 33 * 512, 8 * 1024 * 1024);
	assert_range(&r[1], MiB16 - 33 * 512, MiB16);
	/* An array somewhere else, named by a header: cleared too; garbage numbers are ignored. */
	backup.entries_lba = 20000;
	n = install_stale_ranges(MiB16, 516096, 512, &primary, &backup, NULL, r, INSTALL_MAX_ERASE);
	assert_int_equal(n, 3);
	assert_range(&r[1], 20000 * 512, 20000 * 512 + 128 * 128);
	backup.entries_lba = UINT64_MAX / 2;
	backup.entry_count = 1u << 30;
	n = install_stale_ranges(MiB16, 516096, 512, &primary, &backup, NULL, r, INSTALL_MAX_ERASE);
	assert_int_equal(n, 2);
	/* The alternate LBA outside the disk names nothing to clear. */
	primary.alternate_lba = UINT64_MAX;
	n = install_stale_ranges(MiB16, 516096, 512, &primary, NULL, NULL, r, INSTALL_MAX_ERASE);
	assert_int_equal(n, 1);
	/* 4 KiB sectors: the header is one 4 KiB sector, the array four more. */
	n = install_stale_ranges(MiB16, 516096, 4096, NULL, NULL, NULL, r, INSTALL_MAX_ERASE);
	assert_int_equal(n, 1);
	assert_range(&r[0], MiB16 - 5 * 4096, MiB16);
	/* An image as large as the disk leaves nothing; an empty disk has nothing. */
	assert_int_equal(install_stale_ranges(MiB16, MiB16, 512, &primary, &backup, NULL, r, 8), 0);
	assert_int_equal(install_stale_ranges(0, 0, 512, NULL, NULL, NULL, r, 8), 0);
	/* A disk smaller than the two areas: they merge into one range. */
	n = install_stale_ranges(20 * 512, 512, 512, NULL, NULL, NULL, r, INSTALL_MAX_ERASE);
	assert_int_equal(n, 1);
	assert_range(&r[0], 512, 20 * 512);
}

/* The 1 MiB "disk" of make_files with a GPT: primary at LBA 1, backup at the last LBA (2047). */
static void put_old_gpt(struct files *f, uint64_t backup_lba)
{
	uint8_t sector[512];

	memset(sector, OLD_BYTE, sizeof sector);
	gpt_header(sector, 1, backup_lba, 2, 128);
	assert_int_equal(mkb_pwrite_full(f->w.device_fd, sector, sizeof sector, 512), 0);
	memset(sector, OLD_BYTE, sizeof sector);
	gpt_header(sector, backup_lba, 1, backup_lba - 32, 128);
	assert_int_equal(mkb_pwrite_full(f->w.device_fd, sector, sizeof sector,
	                                 (off_t)(backup_lba * 512)), 0);
}

static void assert_zero(const uint8_t *disk, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (disk[i] != 0)
			fail_msg("byte %zu is 0x%02x, not 0", i, disk[i]);
}

/* The backup GPT at the end of the disk is zeroed, the rest beyond the image is left alone. */
static void test_install_erase_backup_gpt(void **state)
{
	struct files f = { 0 };
	uint8_t *disk, bad = 1;

	(void)state;
	make_files(&f, 300000, 512, 65536);
	put_old_gpt(&f, DISK_SIZE / 512 - 1);
	f.w.disk_size = DISK_SIZE;
	f.w.sector = 512;
	assert_int_equal(install_write_image(&f.w), 0);
	assert_true(f.w.old_gpt);
	assert_int_equal(f.w.erase_count, 1);
	assert_int_equal(f.w.erased, 33 * 512);
	disk = read_disk(&f);
	assert_memory_equal(disk, f.image, f.image_size);
	assert_untouched(disk, f.image_size, DISK_SIZE - 33 * 512);
	assert_zero(disk, DISK_SIZE - 33 * 512, DISK_SIZE);
	free(disk);
	assert_int_equal(install_verify(&f.w), 0);
	/* The verification reads the erased range back too. */
	assert_int_equal(mkb_pwrite_full(f.w.device_fd, &bad, 1, DISK_SIZE - 100), 0);
	assert_int_equal(install_verify(&f.w), -1);
	assert_string_equal(mkb_error(), "/dev/fake: verification failed: byte 1048476, where an old "
	                                 "partition table was erased, reads back as 0x01, not 0; the "
	                                 "disk may be faulty, or smaller than it claims");
	/* Once more on the same disk: nothing left to erase. */
	assert_int_equal(install_write_image(&f.w), 0);
	assert_false(f.w.old_gpt);
	assert_int_equal(f.w.erased, 33 * 512);
	assert_int_equal(install_write_image(&f.w), 0);
	assert_int_equal(f.w.erased, 0);
	free_files(&f);
}

/* A GPT made for a 512 KiB disk: its backup sits mid-disk, where the primary says. */
static void test_install_erase_alternate_gpt(void **state)
{
	static const size_t blocks[] = { 512, 4096 };

	(void)state;
	for (size_t b = 0; b < 2; b++) {
		struct files f = { 0 };
		uint64_t alt = 512 * 1024 / 512 - 1;
		uint8_t *disk;

		make_files(&f, 300000, blocks[b], 65536);
		put_old_gpt(&f, alt);
		f.w.disk_size = DISK_SIZE;
		f.w.sector = 512;
		assert_int_equal(install_write_image(&f.w), 0);
		assert_true(f.w.old_gpt);
		disk = read_disk(&f);
		assert_memory_equal(disk, f.image, f.image_size);
		assert_untouched(disk, f.image_size, (alt - 32) * 512);
		assert_zero(disk, (alt - 32) * 512, (alt + 1) * 512);
		assert_untouched(disk, (alt + 1) * 512, DISK_SIZE - 33 * 512);
		assert_zero(disk, DISK_SIZE - 33 * 512, DISK_SIZE);
		assert_int_equal(install_verify(&f.w), 0);
		free(disk);
		free_files(&f);
	}
}

/* A GPT image on a disk of 4096-byte sectors, where firmware would not find
 * its table: refused before a byte is written; an MBR image goes on. */
static void test_install_gpt_on_4k_sectors(void **state)
{
	struct files f = { 0 };
	uint8_t *disk;

	(void)state;
	make_files(&f, 300000, 4096, 65536);
	assert_int_equal(mkb_pwrite_full(f.w.image_fd, "EFI PART", 8, 512), 0);
	f.w.disk_size = DISK_SIZE;
	f.w.sector = 4096;
	assert_int_equal(install_write_image(&f.w), -1);
	assert_string_equal(mkb_error(), "/dev/fake has 4096-byte sectors, and disk.img is a GPT disk "
	                                 "made for 512-byte sectors: UEFI firmware would look for its "
	                                 "partition table at byte 4096 and not boot it; nothing written. "
	                                 "Build it from the kernel with --firmware bios (an MBR disk, "
	                                 "which a BIOS boots there)");
	disk = read_disk(&f);
	assert_untouched(disk, 0, 510);
	assert_untouched(disk, 512, DISK_SIZE);
	free(disk);
	assert_int_equal(mkb_pwrite_full(f.w.image_fd, "NOT GPT!", 8, 512), 0);
	assert_int_equal(install_write_image(&f.w), 0);
	free_files(&f);
}

/* An image shorter than the primary GPT: the old header after it goes, the image's bytes stay. */
static void test_install_erase_after_tiny_image(void **state)
{
	struct files f = { 0 };
	uint8_t *disk;

	(void)state;
	make_files(&f, 1000, 512, 65536);
	put_old_gpt(&f, DISK_SIZE / 512 - 1);
	f.w.disk_size = DISK_SIZE;
	assert_int_equal(install_write_image(&f.w), 0);
	disk = read_disk(&f);
	assert_memory_equal(disk, f.image, 1000);
	assert_zero(disk, 1000, 34 * 512);
	assert_untouched(disk, 34 * 512, DISK_SIZE - 33 * 512);
	assert_zero(disk, DISK_SIZE - 33 * 512, DISK_SIZE);
	assert_int_equal(install_verify(&f.w), 0);
	free(disk);
	free_files(&f);
}

/* ---- The image's partitions against the kernel's ---- */

static void mbr_entry(uint8_t *mbr, int slot, uint8_t type, uint32_t start, uint32_t size)
{
	uint8_t *e = mbr + 0x1be + 16 * slot;

	e[4] = type;
	put32(e + 8, start);
	put32(e + 12, size);
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
}

static void test_install_mbr_partitions(void **state)
{
	uint8_t mbr[512] = { 0 };
	struct install_part p[8];

	(void)state;
	mbr_entry(mbr, 0, 0xda, 34, 974);
	mbr[510] = 0;
	assert_int_equal(install_mbr_partitions(mbr, 512, p, 8), 0); /* no boot signature */
	mbr_entry(mbr, 0, 0xda, 34, 974);
	mbr_entry(mbr, 2, 0x05, 2048, 4096);
	mbr_entry(mbr, 3, 0x83, 9000, 0); /* empty: skipped */
	assert_int_equal(install_mbr_partitions(mbr, 512, p, 8), 2);
	assert_int_equal(p[0].number, 1);
	assert_int_equal(p[0].start, 34);
	assert_int_equal(p[0].size, 974);
	assert_false(p[0].extended);
	assert_int_equal(p[1].number, 3);
	assert_true(p[1].extended && p[1].container);
	/* 4 KiB sectors: sysfs still counts 512-byte units. */
	assert_int_equal(install_mbr_partitions(mbr, 4096, p, 1), 1);
	assert_int_equal(p[0].start, 34 * 8);
	assert_int_equal(p[0].size, 974 * 8);
}

static void test_install_gpt_partitions(void **state)
{
	struct install_gpt g = { 1, 2047, 2, 4, 128 };
	uint8_t entries[4 * 128] = { 0 };
	struct install_part p[4];

	(void)state;
	entries[128] = 0xaf; /* entry 2 in use */
	put64(entries + 128 + 32, 2048);
	put64(entries + 128 + 40, 4095);
	entries[3 * 128] = 0x21; /* entry 4: ends before it starts */
	put64(entries + 3 * 128 + 32, 10);
	put64(entries + 3 * 128 + 40, 9);
	assert_int_equal(install_gpt_partitions(&g, entries, sizeof entries, 512, p, 4), 1);
	assert_int_equal(p[0].number, 2);
	assert_int_equal(p[0].start, 2048);
	assert_int_equal(p[0].size, 2048);
	assert_false(p[0].container);
	/* The array given is shorter than the header says: only what is there. */
	assert_int_equal(install_gpt_partitions(&g, entries, 128, 512, p, 4), 0);
	g.entry_size = 100;
	assert_int_equal(install_gpt_partitions(&g, entries, sizeof entries, 512, p, 4), 0);
}

static void test_install_unexpected_partition(void **state)
{
	const struct install_part image[] = {
		{ .number = 1, .start = 34, .size = 974, .container = 1 },
		{ .number = 2, .start = 2048, .size = 8192, .container = 1, .extended = 1 },
	};
	struct blockdev_part seen[] = {
		{ "sdb1", 1, 34, 974 }, { "sdb2", 2, 2048, 2 }, { "sdb5", 5, 2050, 1000 },
	};

	(void)state;
	assert_null(install_unexpected_partition(image, 2, seen, 3));
	assert_null(install_unexpected_partition(image, 2, NULL, 0));
	assert_null(install_unexpected_partition(NULL, 0, NULL, 0));
	/* No partition at all in the image: any the kernel shows is stale. */
	assert_ptr_equal(install_unexpected_partition(NULL, 0, seen, 3), &seen[0]);
	/* An old sdb1 of another size, an old sdb3, a logical partition outside the extended one. */
	seen[0].size = 8192;
	assert_ptr_equal(install_unexpected_partition(image, 2, seen, 3), &seen[0]);
	seen[0].size = 974;
	seen[1].number = 3;
	assert_ptr_equal(install_unexpected_partition(image, 2, seen, 3), &seen[1]);
	seen[1].number = 2;
	seen[2].start = 20000;
	assert_ptr_equal(install_unexpected_partition(image, 2, seen, 3), &seen[2]);
	/* An extended partition is shown short, never longer. */
	seen[2].start = 2050;
	seen[1].size = 8193;
	assert_ptr_equal(install_unexpected_partition(image, 2, seen, 3), &seen[1]);
}

/* A fake sysfs with the disk "fake" and the partitions given as "name number start size" lines. */
struct sysfs {
	char root[PATH_MAX], sys[PATH_MAX + 8];
	struct blockdev_roots roots;
};

static void put_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX * 2];
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void fake_partition(struct sysfs *t, const char *name, unsigned number, unsigned start,
                           unsigned size)
{
	char dir[PATH_MAX * 2], text[32];

	snprintf(dir, sizeof dir, "%s/block/fake/%s", t->sys, name);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(text, sizeof text, "%u\n", number);
	put_file(dir, "partition", text);
	snprintf(text, sizeof text, "%u\n", start);
	put_file(dir, "start", text);
	snprintf(text, sizeof text, "%u\n", size);
	put_file(dir, "size", text);
}

static void make_sysfs(struct sysfs *t)
{
	char dir[PATH_MAX * 2];

	assert_int_equal(eb_temp_dir(t->root, sizeof t->root), 0);
	snprintf(t->sys, sizeof t->sys, "%s/sys", t->root);
	snprintf(dir, sizeof dir, "%s/block/fake", t->sys);
	assert_int_equal(mkdir(t->sys, 0755), 0);
	snprintf(dir, sizeof dir, "%s/block", t->sys);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(dir, sizeof dir, "%s/block/fake", t->sys);
	assert_int_equal(mkdir(dir, 0755), 0);
	put_file(dir, "size", "2048\n");
	t->roots.sys = t->sys;
	t->roots.proc = t->root;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_sysfs(struct sysfs *t)
{
	nftw(t->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The BLKRRPART stub: fails with stub_errno (0: succeeds), counting its calls. */
static int stub_errno, stub_calls;

static int stub_reread(int fd)
{
	(void)fd;
	stub_calls++;
	errno = stub_errno;
	return stub_errno == 0 ? 0 : -1;
}

static int reread(struct files *f, struct sysfs *t, int err, char *seen, size_t size)
{
	stub_errno = err;
	stub_calls = 0;
	return install_reread_partitions(&f->w, &t->roots, "fake", stub_reread, 3, seen, size);
}

/* An image as mkbootimg makes them: one MBR entry at LBA 34. */
static void test_install_reread(void **state)
{
	struct files f = { 0 };
	struct sysfs t;
	char seen[64];

	(void)state;
	make_files(&f, 300000, 512, 65536);
	memset(f.image + 0x1be, 0, 64);
	mbr_entry(f.image, 0, 0xda, 34, 300000 / 512 - 34);
	assert_int_equal(mkb_pwrite_full(f.w.image_fd, f.image, 512, 0), 0);
	make_sysfs(&t);

	/* Re-read, and the kernel shows nothing, or the image's own partition. */
	assert_int_equal(reread(&f, &t, 0, seen, sizeof seen), 0);
	assert_int_equal(stub_calls, 1);
	assert_string_equal(seen, "");
	fake_partition(&t, "fake1", 1, 34, 300000 / 512 - 34);
	assert_int_equal(reread(&f, &t, 0, seen, sizeof seen), 0);
	assert_string_equal(seen, "fake1");
	/* A device without partition support (EINVAL) has nothing to re-read. */
	assert_int_equal(reread(&f, &t, EINVAL, seen, sizeof seen), 0);
	assert_int_equal(stub_calls, 1);

	/* A stale partition the kernel kept. */
	fake_partition(&t, "fake2", 2, 10240, 8192);
	assert_int_equal(reread(&f, &t, 0, seen, sizeof seen), -1);
	assert_string_equal(mkb_error(), "/dev/fake: the image is written, but after re-reading the "
	                                 "partition table the system still shows fake2 (start 10240, "
	                                 "8192 sectors), which the image does not have; unplug the "
	                                 "disk and plug it in again");
	/* Busy: tried again, then the message says why and what to do. */
	assert_int_equal(reread(&f, &t, EBUSY, seen, sizeof seen), -1);
	assert_int_equal(stub_calls, 3);
	assert_string_equal(mkb_error(), "/dev/fake: the image is written, but the kernel cannot re-read "
	                                 "the partition table: a partition is still in use (busy), so "
	                                 "the system still sees the old partitions (fake1, fake2). Close "
	                                 "what uses them, then run blockdev --rereadpt /dev/fake, or "
	                                 "unplug the disk and plug it in again");
	assert_int_equal(reread(&f, &t, EACCES, seen, sizeof seen), -1);
	assert_non_null(strstr(mkb_error(), "re-reading the partition table failed (Permission denied)"));

	/* Not re-read, but what the kernel shows is the image's: a note, not a failure. */
	remove_sysfs(&t);
	make_sysfs(&t);
	fake_partition(&t, "fake1", 1, 34, 300000 / 512 - 34);
	assert_int_equal(reread(&f, &t, EBUSY, seen, sizeof seen), 1);
	assert_string_equal(mkb_error(), "the kernel did not re-read the partition table (Device or "
	                                 "resource busy)");

	/* A GPT image: its entries count, numbered by their index. */
	{
		uint8_t *g = f.image;
		memset(g + 0x1be, 0, 64);
		mbr_entry(g, 0, 0xee, 1, 300000 / 512 - 1);
		gpt_header(g + 512, 1, 300000 / 512 - 1, 2, 128);
		memset(g + 1024, 0, 128 * 128);
		g[1024 + 2 * 128] = 0xaf; /* entry 3 */
		put64(g + 1024 + 2 * 128 + 32, 40);
		put64(g + 1024 + 2 * 128 + 40, 99);
		assert_int_equal(mkb_pwrite_full(f.w.image_fd, g, 1024 + 128 * 128, 0), 0);
	}
	remove_sysfs(&t);
	make_sysfs(&t);
	fake_partition(&t, "fake3", 3, 40, 60);
	assert_int_equal(reread(&f, &t, 0, seen, sizeof seen), 0);
	assert_string_equal(seen, "fake3");
	fake_partition(&t, "fake1", 1, 34, 300000 / 512 - 34);
	assert_int_equal(reread(&f, &t, 0, seen, sizeof seen), -1);
	assert_non_null(strstr(mkb_error(), "still shows fake1 (start 34, "));

	remove_sysfs(&t);
	free_files(&f);
}

/* ---- Arguments the wrong way round ---- */

static void test_install_check_order(void **state)
{
	(void)state;
	assert_int_equal(install_check_order("k.elf", INSTALL_KERNEL, "/dev/sdb", INSTALL_BLOCKDEV), 0);
	assert_int_equal(install_check_order("d.img", INSTALL_IMAGE, "/dev/sdb", INSTALL_MISSING), 0);
	assert_int_equal(install_check_order("d.img", INSTALL_IMAGE, "e.img", INSTALL_IMAGE), 0);
	assert_int_equal(install_check_order("x.txt", INSTALL_OTHER, "/dev/sdb", INSTALL_BLOCKDEV), 0);

	assert_int_equal(install_check_order("/dev/loop0", INSTALL_BLOCKDEV, "kernel.elf",
	                                     INSTALL_KERNEL), -1);
	assert_string_equal(mkb_error(), "/dev/loop0 is a block device and kernel.elf is an ELF kernel: "
	                                 "usage order is IMAGE|KERNEL, then DEVICE: mkbootimg install "
	                                 "kernel.elf /dev/loop0");
	assert_int_equal(install_check_order("/dev/sdb", INSTALL_BLOCKDEV, "disk.img", INSTALL_IMAGE), -1);
	assert_non_null(strstr(mkb_error(), "disk.img is a disk image: usage order"));
	assert_int_equal(install_check_order("/dev/sdb", INSTALL_BLOCKDEV, "kernl.elf", INSTALL_MISSING),
	                 -1);
	assert_string_equal(mkb_error(), "/dev/sdb is a block device and kernl.elf is not found: usage "
	                                 "order is IMAGE|KERNEL, then DEVICE");
	assert_int_equal(install_check_order("/dev/sdb", INSTALL_BLOCKDEV, "/dev/sdc", INSTALL_BLOCKDEV),
	                 -1);
	assert_int_equal(install_check_order("sdb", INSTALL_MISSING, "kernel.elf", INSTALL_KERNEL), -1);
	assert_string_equal(mkb_error(), "sdb is not found and kernel.elf is an ELF kernel: usage order "
	                                 "is IMAGE|KERNEL, then DEVICE");
}

static void test_install_classify(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	uint8_t head[512] = { 0x7f, 'E', 'L', 'F' };
	int fd;

	(void)state;
	assert_int_equal(eb_temp_dir(dir, sizeof dir), 0);
	snprintf(path, sizeof path, "%s/file", dir);
	assert_int_equal(install_classify(path), INSTALL_MISSING);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(mkb_pwrite_full(fd, head, 100, 0), 0);
	assert_int_equal(install_classify(path), INSTALL_KERNEL);
	head[0] = 0;
	head[510] = 0x55;
	head[511] = 0xaa;
	assert_int_equal(mkb_pwrite_full(fd, head, 512, 0), 0);
	assert_int_equal(install_classify(path), INSTALL_IMAGE);
	head[511] = 0;
	assert_int_equal(mkb_pwrite_full(fd, head, 512, 0), 0);
	assert_int_equal(install_classify(path), INSTALL_OTHER);
	close(fd);
	unlink(path);
	assert_int_equal(install_classify(dir), INSTALL_OTHER);
	rmdir(dir);
	assert_int_equal(install_classify("/dev/null"), INSTALL_OTHER); /* a character device */
}

/* The swapped arguments are a usage error (status 2), found before any device is opened. */
static void test_install_main_swapped(void **state)
{
	struct files f = { 0 };
	char *argv[] = { (char *)"install", (char *)"--yes", (char *)"/nonexistent-disk", NULL, NULL };

	(void)state;
	make_files(&f, 4096, 512, 4096);
	argv[3] = f.image_path;
	assert_int_equal(install_main(4, argv, NULL), 2);
	assert_non_null(strstr(mkb_error(), "/nonexistent-disk is not found and "));
	assert_non_null(strstr(mkb_error(), "/image is a disk image: usage order is IMAGE|KERNEL, then "
	                                    "DEVICE"));
	free_files(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_install_parse),
		cmocka_unit_test(test_install_parse_errors),
		cmocka_unit_test(test_install_answer),
		cmocka_unit_test(test_install_write_and_verify),
		cmocka_unit_test(test_install_write_tiny),
		cmocka_unit_test(test_install_interrupted),
		cmocka_unit_test(test_install_write_error),
		cmocka_unit_test(test_install_verify_mismatch),
		cmocka_unit_test(test_install_image_refuses_kernel_options),
		cmocka_unit_test(test_install_gpt_parse),
		cmocka_unit_test(test_install_stale_ranges),
		cmocka_unit_test(test_install_erase_backup_gpt),
		cmocka_unit_test(test_install_erase_alternate_gpt),
		cmocka_unit_test(test_install_erase_after_tiny_image),
		cmocka_unit_test(test_install_gpt_on_4k_sectors),
		cmocka_unit_test(test_install_mbr_partitions),
		cmocka_unit_test(test_install_gpt_partitions),
		cmocka_unit_test(test_install_unexpected_partition),
		cmocka_unit_test(test_install_reread),
		cmocka_unit_test(test_install_check_order),
		cmocka_unit_test(test_install_classify),
		cmocka_unit_test(test_install_main_swapped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
