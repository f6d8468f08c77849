/*
 * blockdev.c: every device check against a fake sysfs and /proc, built in
 * a temporary folder the way the kernel lays them out.
 */
#define _GNU_SOURCE /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "blockdev.h"
#include "elf-builder.h"
#include "util.h"

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define USB_DISK "devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0/block/sdb"
#define SATA_DISK "devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda"
#define MMC_DISK "devices/pci0000:00/0000:00:1c.0/mmc_host/mmc0/mmc0:0001/block/mmcblk0"
#define NVME_DISK "devices/pci0000:00/0000:00:1d.0/nvme/nvme0/nvme0n1"
#define LOOP_DISK "devices/virtual/block/loop0"
#define DM_DISK "devices/virtual/block/dm-0"

struct tree {
	char root[PATH_MAX], sys[PATH_MAX], proc[PATH_MAX];
	struct blockdev_roots roots;
};

/* snprintf that fails the test instead of cutting a path. */
static void __attribute__((format(printf, 3, 4))) fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, size, f, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < size);
}

static void make_dirs(const char *path)
{
	char p[PATH_MAX];

	fmt(p, sizeof p, "%s", path);
	for (char *s = p + 1; *s != '\0'; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	}
	mkdir(p, 0755);
}

/* Write text to <root>/<rel>, making the folders on the way. */
static void put(struct tree *t, const char *rel, const char *text)
{
	char path[PATH_MAX], dir[PATH_MAX];
	FILE *f;

	fmt(path, sizeof path, "%s/%s", t->root, rel);
	fmt(dir, sizeof dir, "%s", path);
	*strrchr(dir, '/') = '\0';
	make_dirs(dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void link_to(struct tree *t, const char *target, const char *rel)
{
	char path[PATH_MAX], dir[PATH_MAX];

	fmt(path, sizeof path, "%s/%s", t->root, rel);
	fmt(dir, sizeof dir, "%s", path);
	*strrchr(dir, '/') = '\0';
	make_dirs(dir);
	assert_int_equal(symlink(target, path), 0);
}

static void put_attr(struct tree *t, const char *devpath, const char *attr, const char *text)
{
	char rel[PATH_MAX];

	fmt(rel, sizeof rel, "sys/%s/%s", devpath, attr);
	put(t, rel, text);
}

/* A block device's folder (dev, size, ro, removable, holders/, slaves/) and its /sys/dev/block link. */
static void add_node(struct tree *t, const char *devpath, unsigned maj, unsigned min,
                     unsigned long long sectors, int removable)
{
	char text[64], rel[PATH_MAX], target[PATH_MAX];

	fmt(text, sizeof text, "%u:%u\n", maj, min);
	put_attr(t, devpath, "dev", text);
	fmt(text, sizeof text, "%llu\n", sectors);
	put_attr(t, devpath, "size", text);
	put_attr(t, devpath, "ro", "0\n");
	put_attr(t, devpath, "removable", removable ? "1\n" : "0\n");
	fmt(rel, sizeof rel, "%s/sys/%s/holders", t->root, devpath);
	make_dirs(rel);
	fmt(rel, sizeof rel, "%s/sys/%s/slaves", t->root, devpath);
	make_dirs(rel);
	fmt(target, sizeof target, "../../%s", devpath);
	fmt(rel, sizeof rel, "sys/dev/block/%u:%u", maj, min);
	link_to(t, target, rel);
}

/* A whole disk also has its /sys/block link. */
static void add_device(struct tree *t, const char *devpath, unsigned maj, unsigned min,
                       unsigned long long sectors, int removable)
{
	char rel[PATH_MAX], target[PATH_MAX];

	add_node(t, devpath, maj, min, sectors, removable);
	fmt(target, sizeof target, "../%s", devpath);
	fmt(rel, sizeof rel, "sys/block/%s", strrchr(devpath, '/') + 1);
	link_to(t, target, rel);
}

static void add_partition(struct tree *t, const char *disk, const char *name, unsigned maj,
                          unsigned min)
{
	char devpath[PATH_MAX];

	fmt(devpath, sizeof devpath, "%s/%s", disk, name);
	add_node(t, devpath, maj, min, 1024, 0);
	put_attr(t, devpath, "partition", "1\n");
}

/* A USB stick sdb (8:16) with sdb1 and sdb2, and the system disk sda (8:0) with sda1 and sda2. */
static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof *t);

	assert_non_null(t);
	assert_int_equal(eb_temp_dir(t->root, sizeof t->root), 0);
	fmt(t->sys, sizeof t->sys, "%s/sys", t->root);
	fmt(t->proc, sizeof t->proc, "%s/proc", t->root);
	t->roots.sys = t->sys;
	t->roots.proc = t->proc;

	add_device(t, USB_DISK, 8, 16, 31260672, 1); /* 16 GB */
	put_attr(t, USB_DISK, "device/vendor", "SanDisk \n");
	put_attr(t, USB_DISK, "device/model", "Cruzer Blade    \n");
	add_partition(t, USB_DISK, "sdb1", 8, 17);
	add_partition(t, USB_DISK, "sdb2", 8, 18);
	add_device(t, SATA_DISK, 8, 0, 1000215216, 0);
	put_attr(t, SATA_DISK, "device/vendor", "ATA     \n");
	put_attr(t, SATA_DISK, "device/model", "Samsung SSD 860\n");
	add_partition(t, SATA_DISK, "sda1", 8, 1);
	add_partition(t, SATA_DISK, "sda2", 8, 2);
	put(t, "proc/self/mountinfo",
	    "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
	    "23 27 0:22 / /sys rw,relatime - sysfs sysfs rw\n");
	put(t, "proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
	*state = t;
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct tree *t = *state;

	nftw(t->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(t);
	return 0;
}

static void inspect(struct tree *t, unsigned maj, unsigned min, struct blockdev *d)
{
	if (blockdev_inspect(&t->roots, maj, min, d) != 0)
		fail_msg("inspect %u:%u: %s", maj, min, mkb_error());
}

/* The check's message, or "ok". */
static const char *verdict(const struct blockdev *d, uint64_t image_size, int force)
{
	return blockdev_check(d, image_size, force) == 0 ? "ok" : mkb_error();
}

static void test_blockdev_usb_stick(void **state)
{
	struct tree *t = *state;
	struct blockdev d;

	inspect(t, 8, 16, &d);
	assert_string_equal(d.name, "sdb");
	assert_string_equal(d.node, "/dev/sdb");
	assert_string_equal(d.vendor, "SanDisk");
	assert_string_equal(d.model, "Cruzer Blade");
	assert_string_equal(d.transport, "usb");
	assert_true(d.usb);
	assert_true(d.removable);
	assert_false(d.partition);
	assert_false(d.read_only);
	assert_int_equal(d.size, UINT64_C(31260672) * 512);
	assert_string_equal(d.in_use, "");
	assert_null(d.system_mount);
	assert_string_equal(verdict(&d, 1 << 20, 0), "ok");
}

/* Many USB disks (SSDs in a case, some sticks) say removable 0: USB is enough. */
static void test_blockdev_usb_not_removable(void **state)
{
	struct tree *t = *state;
	struct blockdev d;

	put_attr(t, USB_DISK, "removable", "0\n");
	inspect(t, 8, 16, &d);
	assert_false(d.removable);
	assert_string_equal(verdict(&d, 1 << 20, 0), "ok");
}

static void test_blockdev_removable_card(void **state)
{
	struct tree *t = *state;
	struct blockdev d;

	add_device(t, MMC_DISK, 179, 0, 62333952, 1);
	inspect(t, 179, 0, &d);
	assert_string_equal(d.transport, "mmc");
	assert_false(d.usb);
	assert_string_equal(verdict(&d, 1 << 20, 0), "ok");
}

static void test_blockdev_fixed_disk_needs_force(void **state)
{
	struct tree *t = *state;
	struct blockdev d;

	inspect(t, 8, 0, &d);
	assert_string_equal(d.transport, "sata");
	assert_string_equal(verdict(&d, 1 << 20, 0),
	                    "/dev/sda is not a removable disk and not on USB (transport sata): it may be "
	                    "a system or data disk; add --force if you are sure");
	assert_string_equal(verdict(&d, 1 << 20, 1), "ok");

	add_device(t, NVME_DISK, 259, 0, 1000215216, 0);
	inspect(t, 259, 0, &d);
	assert_string_equal(d.transport, "nvme");
	assert_int_equal(blockdev_check(&d, 1 << 20, 0), -1);
	assert_string_equal(mkb_error(), "/dev/nvme0n1 is not a removable disk and not on USB (transport nvme): "
	                                 "it may be a system or data disk; add --force if you are sure");

	add_device(t, LOOP_DISK, 7, 0, 32768, 0);
	put_attr(t, LOOP_DISK, "loop/backing_file", "/tmp/stick.bin\n");
	inspect(t, 7, 0, &d);
	assert_string_equal(d.transport, "loop");
	assert_string_equal(d.model, "loop on stick.bin");
	assert_int_equal(blockdev_check(&d, 1 << 20, 0), -1);
	assert_string_equal(mkb_error(), "/dev/loop0 is not a removable disk and not on USB (transport loop): "
	                                 "it may be a system or data disk; add --force if you are sure");
	assert_string_equal(verdict(&d, 1 << 20, 1), "ok");
}

static void test_blockdev_partition(void **state)
{
	struct tree *t = *state;
	struct blockdev d;

	inspect(t, 8, 17, &d);
	assert_true(d.partition);
	assert_string_equal(d.name, "sdb1");
	assert_string_equal(d.disk, "sdb");
	assert_string_equal(verdict(&d, 1 << 20, 1),
	                    "/dev/sdb1 is a partition of /dev/sdb; install writes a whole disk: give "
	                    "/dev/sdb (everything on it is replaced)");
}

static void test_blockdev_mounted_partition(void **state)
{
	struct tree *t = *state;
	struct blockdev d;

	put(t, "proc/self/mountinfo",
	    "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
	    "90 27 8:18 / /media/user/MY\\040STICK rw,nosuid shared:40 - vfat /dev/sdb2 rw,fmask=0022\n");
	inspect(t, 8, 16, &d);
	assert_true(d.mounted);
	assert_string_equal(verdict(&d, 1 << 20, 1),
	                    "/dev/sdb is in use: sdb2 is mounted on /media/user/MY STICK; unmount it first");
}

/* A file system on the whole stick, no partition table. */
static void test_blockdev_mounted_whole_disk(void **state)
{
	struct tree *t = *state;
	struct blockdev d;

	put(t, "proc/self/mountinfo", "90 27 8:16 / /mnt rw - vfat /dev/sdb rw\n");
	inspect(t, 8, 16, &d);
	assert_string_equal(d.in_use, "sdb is mounted on /mnt; unmount it first");
}

/* btrfs shows an anonymous device number: the source path names the partition. */
static void test_blockdev_mounted_by_source(void **state)
{
	struct tree *t = *state;
	struct blockdev d;

	put(t, "proc/self/mountinfo", "90 27 0:45 / /data rw - btrfs /dev/sdb1 rw,space_cache\n");
	inspect(t, 8, 16, &d);
	assert_string_equal(d.in_use, "sdb1 is mounted on /data; unmount it first");
}

static void test_blockdev_swap(void **state)
{
	struct tree *t = *state;
	struct blockdev d;

	put(t, "proc/swaps",
	    "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
	    "/swapfile                               file\t\t1048572\t\t0\t\t-2\n"
	    "/dev/sdb2                               partition\t2097148\t\t0\t\t-3\n");
	inspect(t, 8, 16, &d);
	assert_false(d.mounted);
	assert_string_equal(verdict(&d, 1 << 20, 0),
	                    "/dev/sdb is in use: sdb2 is swap space in use; run swapoff /dev/sdb2 first");
}

static void test_blockdev_lvm_holder(void **state)
{
	struct tree *t = *state;
	struct blockdev d;

	add_device(t, DM_DISK, 253, 0, 2048, 0);
	put_attr(t, DM_DISK, "dm/name", "vg-data\n");
	put_attr(t, DM_DISK, "dm/uuid", "LVM-Xo0OJpFu4v1mAcC1bOxmgNYsE0m9Dkk2\n");
	put(t, "sys/" USB_DISK "/sdb1/holders/dm-0", "");
	inspect(t, 8, 16, &d);
	assert_string_equal(verdict(&d, 1 << 20, 0),
	                    "/dev/sdb is in use: sdb1 is in use by dm-0 (LVM vg-data); stop that first");
}

static void test_blockdev_raid_holder(void **state)
{
	struct tree *t = *state;
	struct blockdev d;

	put(t, "sys/" USB_DISK "/holders/md127", ""); /* the whole disk is a RAID member */
	inspect(t, 8, 16, &d);
	assert_string_equal(d.in_use, "sdb is in use by md127 (RAID); stop that first");
}

/* A device-mapper device is not a disk, even unmounted. */
static void test_blockdev_stacked(void **state)
{
	struct tree *t = *state;
	struct blockdev d;

	add_device(t, DM_DISK, 253, 0, 2048, 0);
	link_to(t, "../../../../../" USB_DISK "/sdb1", "sys/" DM_DISK "/slaves/sdb1");
	inspect(t, 253, 0, &d);
	assert_true(d.stacked);
	assert_string_equal(verdict(&d, 1 << 20, 1),
	                    "/dev/dm-0 is not a disk but a device built on sdb1 (device-mapper or RAID)");
}

static void test_blockdev_root_disk(void **state)
{
	struct tree *t = *state;
	struct blockdev d;

	put(t, "proc/self/mountinfo", "27 1 8:2 / / rw,relatime - ext4 /dev/sda2 rw\n");
	inspect(t, 8, 0, &d);
	assert_non_null(d.system_mount);
	assert_string_equal(verdict(&d, 1 << 20, 1),
	                    "/dev/sda holds the running system's root file system, /; refusing to overwrite it");
	inspect(t, 8, 16, &d);
	assert_null(d.system_mount);
}

/* Root on LVM: dm-0 over sda2. */
static void test_blockdev_root_on_lvm(void **state)
{
	struct tree *t = *state;
	struct blockdev d;

	add_device(t, DM_DISK, 253, 0, 2048, 0);
	put_attr(t, DM_DISK, "dm/name", "vg-root\n");
	link_to(t, "../../../../../" SATA_DISK "/sda2", "sys/" DM_DISK "/slaves/sda2");
	put(t, "sys/" SATA_DISK "/sda2/holders/dm-0", "");
	put(t, "proc/self/mountinfo", "27 1 253:0 / / rw,relatime - ext4 /dev/mapper/vg-root rw\n");
	inspect(t, 8, 0, &d);
	assert_string_equal(d.system_mount, "/");
	inspect(t, 8, 16, &d);
	assert_null(d.system_mount);
}

static void test_blockdev_boot_disk(void **state)
{
	struct tree *t = *state;
	struct blockdev d;

	put(t, "proc/self/mountinfo",
	    "27 1 8:2 / / rw - ext4 /dev/sda2 rw\n"
	    "40 27 8:17 / /boot rw - ext4 /dev/sdb1 rw\n");
	inspect(t, 8, 16, &d);
	assert_string_equal(verdict(&d, 1 << 20, 1),
	                    "/dev/sdb holds the running system's /boot; refusing to overwrite it");
}

static void test_blockdev_size(void **state)
{
	struct tree *t = *state;
	struct blockdev d;

	put_attr(t, USB_DISK, "size", "2048\n"); /* 1 MiB */
	inspect(t, 8, 16, &d);
	assert_string_equal(verdict(&d, 1 << 20, 0), "ok");
	assert_string_equal(verdict(&d, (1 << 20) + 512, 0),
	                    "/dev/sdb is too small: the image needs 1049088 bytes (1.0 MB), the disk has "
	                    "1048576 (1.0 MB)");
	put_attr(t, USB_DISK, "size", "0\n"); /* a card reader without a card */
	inspect(t, 8, 16, &d);
	assert_string_equal(verdict(&d, 512, 0),
	                    "/dev/sdb has no medium (size 0): insert the stick or card");
}

static void test_blockdev_read_only(void **state)
{
	struct tree *t = *state;
	struct blockdev d;

	put_attr(t, USB_DISK, "ro", "1\n");
	inspect(t, 8, 16, &d);
	assert_true(d.read_only);
	assert_string_equal(verdict(&d, 512, 1),
	                    "/dev/sdb is read-only (is the write-protect switch of the stick or card on?)");
}

static void test_blockdev_list(void **state)
{
	struct tree *t = *state;
	struct blockdev *list;
	size_t n;

	add_device(t, LOOP_DISK, 7, 0, 32768, 0);
	add_device(t, MMC_DISK, 179, 0, 62333952, 1);
	put(t, "proc/self/mountinfo", "90 27 8:17 / /media/stick rw - vfat /dev/sdb1 rw\n");
	assert_int_equal(blockdev_list(&t->roots, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "mmcblk0");
	assert_false(list[0].mounted);
	assert_string_equal(list[1].name, "sdb");
	assert_true(list[1].mounted);
	free(list);
}

/* A removable disk that holds the running system is no candidate: install refuses it anyway. */
static void test_blockdev_list_skips_system_disk(void **state)
{
	struct tree *t = *state;
	struct blockdev *list;
	size_t n;

	put(t, "proc/self/mountinfo", "27 1 8:17 / / rw - ext4 /dev/sdb1 rw\n");
	assert_int_equal(blockdev_list(&t->roots, &list, &n), 0);
	assert_int_equal(n, 0);
	free(list);
}

static void test_blockdev_partitions(void **state)
{
	struct tree *t = *state;
	struct blockdev_part *p;
	size_t n;

	put_attr(t, USB_DISK "/sdb1", "partition", "1\n");
	put_attr(t, USB_DISK "/sdb1", "start", "2048\n");
	put_attr(t, USB_DISK "/sdb2", "partition", "2\n");
	put_attr(t, USB_DISK "/sdb2", "start", "10240\n");
	put_attr(t, USB_DISK "/sdb2", "size", "8192\n");
	assert_int_equal(blockdev_partitions(&t->roots, "sdb", &p, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(p[0].name, "sdb1");
	assert_int_equal(p[0].number, 1);
	assert_int_equal(p[0].start, 2048);
	assert_int_equal(p[0].size, 1024);
	assert_string_equal(p[1].name, "sdb2");
	assert_int_equal(p[1].number, 2);
	assert_int_equal(p[1].start, 10240);
	assert_int_equal(p[1].size, 8192);
	free(p);
	/* The disk's own attributes and folders (holders/, slaves/, device/) are no partitions. */
	add_device(t, LOOP_DISK, 7, 0, 32768, 0);
	assert_int_equal(blockdev_partitions(&t->roots, "loop0", &p, &n), 0);
	assert_int_equal(n, 0);
	assert_null(p);
	assert_int_equal(blockdev_partitions(&t->roots, "sdz", &p, &n), -1);
	assert_non_null(strstr(mkb_error(), "/sys/block/sdz: No such file or directory"));
}

static void test_blockdev_lookup(void **state)
{
	struct tree *t = *state;
	char path[PATH_MAX];
	struct blockdev d;

	fmt(path, sizeof path, "%s/disk.img", t->root);
	put(t, "disk.img", "x");
	assert_int_equal(blockdev_lookup(&t->roots, path, &d), -1);
	assert_non_null(strstr(mkb_error(), "is a regular file, not a disk (to make an image file, "
	                                    "use mkbootimg -o "));
	fmt(path, sizeof path, "%s/missing", t->root);
	assert_int_equal(blockdev_lookup(&t->roots, path, &d), -1);
	assert_non_null(strstr(mkb_error(), "missing: no such device (to make an image file instead, "
	                                    "use mkbootimg -o FILE KERNEL)"));
	assert_int_equal(blockdev_lookup(&t->roots, "/dev/null", &d), -1);
	assert_string_equal(mkb_error(), "/dev/null is not a block device");
}

static void test_blockdev_format_size(void **state)
{
	char buf[32];

	(void)state;
	blockdev_format_size(buf, sizeof buf, 512);
	assert_string_equal(buf, "512 B");
	blockdev_format_size(buf, sizeof buf, 516096);
	assert_string_equal(buf, "516.1 kB");
	blockdev_format_size(buf, sizeof buf, UINT64_C(16008609792));
	assert_string_equal(buf, "16.0 GB");
	blockdev_format_size(buf, sizeof buf, 999999);
	assert_string_equal(buf, "1.0 MB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_blockdev_usb_stick, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blockdev_usb_not_removable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blockdev_removable_card, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blockdev_fixed_disk_needs_force, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blockdev_partition, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blockdev_mounted_partition, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blockdev_mounted_whole_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blockdev_mounted_by_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blockdev_swap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blockdev_lvm_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blockdev_raid_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blockdev_stacked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blockdev_root_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blockdev_root_on_lvm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blockdev_boot_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blockdev_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blockdev_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blockdev_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blockdev_list_skips_system_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blockdev_partitions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blockdev_lookup, setup, teardown),
		cmocka_unit_test(test_blockdev_format_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
