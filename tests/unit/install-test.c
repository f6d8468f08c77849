/*
 * install.c: the command line, the confirmation, and the writer and verifier
 * run on ordinary files standing in for a disk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "elf-builder.h"
#include "install.h"
#include "util.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	assert_int_equal(parse(&o, "-y", "disk.img", "/dev/sdb", NULL), -1);
	assert_string_equal(mkb_error(), "");
	assert_int_equal(parse(&o, "-f", "disk.img", "/dev/sdb", NULL), -1);
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
	                                    "--module and --framebuffer apply only to a kernel"));
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
