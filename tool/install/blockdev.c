#define _GNU_SOURCE      /* realpath's PATH_MAX, strsep */
#define _DARWIN_C_SOURCE /* the same, and major() and minor(), where there is no sysfs */
#include "blockdev.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/sysmacros.h>
#endif

const struct blockdev_roots blockdev_system_roots = { "/sys", "/proc" };

#define MAX_PARTS 128   /* more partitions than an MBR or a usual GPT has */
#define MAX_DEPTH 8     /* device-mapper over RAID over partitions, and then some */

/* The disk and its partitions: every device number a use of the disk can show. */
struct part {
	char name[BLOCKDEV_NAME_MAX];
	char dir[PATH_MAX];
	dev_t dev;
};

/* One line of /proc/self/mountinfo, the fields used here. */
struct mount_entry {
	dev_t dev;
	char mountpoint[PATH_MAX];
	char source[PATH_MAX];
};

/*
 * snprintf that may cut: names and phrases shown to the user are cut rather
 * than refused. 0, or -1 when the text was cut.
 */
static int __attribute__((format(printf, 3, 4)))
format_text(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < size ? 0 : -1;
}

/* Read a small text file into buf without trailing whitespace. 0, or -1. */
static int read_text(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	return 0;
}

static int read_attr(const char *dir, const char *attr, char *buf, size_t size)
{
	char path[PATH_MAX + 64];

	format_text(path, sizeof path, "%s/%s", dir, attr);
	return read_text(path, buf, size);
}

/* A numeric attribute, or fallback when it is missing or not a number. */
static uint64_t read_number(const char *dir, const char *attr, uint64_t fallback)
{
	char buf[32], *end;
	unsigned long long v;

	if (read_attr(dir, attr, buf, sizeof buf) != 0)
		return fallback;
	errno = 0;
	v = strtoull(buf, &end, 10);
	return errno != 0 || end == buf || *end != '\0' ? fallback : v;
}

static int has_attr(const char *dir, const char *attr)
{
	char path[PATH_MAX + 64];

	format_text(path, sizeof path, "%s/%s", dir, attr);
	return access(path, F_OK) == 0;
}

/* The "dev" attribute, "8:17". */
static int read_dev(const char *dir, dev_t *dev)
{
	char buf[32];
	unsigned maj, min;

	if (read_attr(dir, "dev", buf, sizeof buf) != 0 || sscanf(buf, "%u:%u", &maj, &min) != 2)
		return -1;
	*dev = makedev(maj, min);
	return 0;
}

static void copy_string(char *dst, size_t size, const char *src)
{
	format_text(dst, size, "%s", src);
}

/* The sysfs directory of a block device number, through <sys>/dev/block/MAJ:MIN. */
static int sysfs_dir(const struct blockdev_roots *r, dev_t dev, char out[PATH_MAX])
{
	char link[PATH_MAX];

	format_text(link, sizeof link, "%s/dev/block/%u:%u", r->sys, major(dev), minor(dev));
	return realpath(link, out) != NULL ? 0 : -1;
}

/* The first entry of a directory such as holders/ or slaves/; 0 when there is one. */
static int first_entry(const char *dir, const char *sub, char *name, size_t size)
{
	char path[PATH_MAX + 64];
	struct dirent *e;
	DIR *d;
	int found = -1;

	format_text(path, sizeof path, "%s/%s", dir, sub);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.') {
			copy_string(name, size, e->d_name);
			found = 0;
			break;
		}
	}
	closedir(d);
	return found;
}

/*
 * Where the disk hangs, from its sysfs path below devices/: a USB disk has a
 * usb* component on the way, whatever bridge (SCSI, UAS) sits below it.
 */
static void find_transport(struct blockdev *d, const char *rel)
{
	static const struct {
		const char *needle, *name;
	} buses[] = {
		{ "/usb", "usb" }, { "/nvme", "nvme" }, { "/mmc", "mmc" }, { "/ata", "sata" },
		{ "/virtio", "virtio" }, { "/devices/virtual/", "virtual" }, { "/host", "scsi" },
	};
	const char *t = "unknown";

	for (size_t i = 0; i < sizeof buses / sizeof buses[0]; i++) {
		if (strstr(rel, buses[i].needle) != NULL) {
			t = buses[i].name;
			break;
		}
	}
	if (strncmp(d->name, "loop", 4) == 0)
		t = "loop";
	d->usb = strcmp(t, "usb") == 0;
	copy_string(d->transport, sizeof d->transport, t);
}

/* The disk and its partitions (subdirectories with a "partition" attribute). */
static size_t list_parts(const char *disk_dir, const char *disk_name, dev_t disk_dev,
                         struct part *parts, size_t max)
{
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	copy_string(parts[0].name, sizeof parts[0].name, disk_name);
	copy_string(parts[0].dir, sizeof parts[0].dir, disk_dir);
	parts[n++].dev = disk_dev;
	if ((d = opendir(disk_dir)) == NULL)
		return n;
	while ((e = readdir(d)) != NULL && n < max) {
		struct part *p = &parts[n];
		if (e->d_name[0] == '.')
			continue;
		if (format_text(p->dir, sizeof p->dir, "%s/%s", disk_dir, e->d_name) != 0 ||
		    !has_attr(p->dir, "partition") || read_dev(p->dir, &p->dev) != 0)
			continue;
		copy_string(p->name, sizeof p->name, e->d_name);
		n++;
	}
	closedir(d);
	return n;
}

/*
 * Which part does a mount or swap entry name: by device number, or by its
 * /dev path (btrfs shows an anonymous device number; /proc/swaps only a path).
 */
static const struct part *match_part(const struct part *parts, size_t n, dev_t dev,
                                     const char *path)
{
	struct stat st;
	int have_rdev = 0;

	if (path != NULL && strncmp(path, "/dev/", 5) == 0 && stat(path, &st) == 0 &&
	    S_ISBLK(st.st_mode))
		have_rdev = 1;
	for (size_t i = 0; i < n; i++) {
		if ((major(dev) != 0 && parts[i].dev == dev) ||
		    (have_rdev && parts[i].dev == st.st_rdev) ||
		    (path != NULL && strncmp(path, "/dev/", 5) == 0 &&
		     strcmp(mkb_base_name(path), parts[i].name) == 0))
			return &parts[i];
	}
	return NULL;
}

/* mountinfo and swaps escape blanks and backslashes as \ooo. */
static void unescape(char *s)
{
	char *out = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/*
 * Next entry of /proc/self/mountinfo:
 * "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue".
 * 1, or 0 at the end.
 */
static int next_mount(FILE *f, struct mount_entry *m)
{
	char line[3 * PATH_MAX];

	while (fgets(line, sizeof line, f) != NULL) {
		char *p = line, *field[6], *word;
		unsigned maj, min;
		int n = 0;

		while (n < 6 && (word = strsep(&p, " \n")) != NULL)
			field[n++] = word;
		if (n < 6 || sscanf(field[2], "%u:%u", &maj, &min) != 2)
			continue;
		/* Optional fields up to "-", then the type and the source. */
		while ((word = strsep(&p, " \n")) != NULL && strcmp(word, "-") != 0)
			;
		if (word == NULL || strsep(&p, " \n") == NULL || (word = strsep(&p, " \n")) == NULL)
			continue;
		m->dev = makedev(maj, min);
		copy_string(m->mountpoint, sizeof m->mountpoint, field[4]);
		copy_string(m->source, sizeof m->source, word);
		unescape(m->mountpoint);
		unescape(m->source);
		return 1;
	}
	return 0;
}

static FILE *open_proc(const struct blockdev_roots *r, const char *name)
{
	char path[PATH_MAX];

	format_text(path, sizeof path, "%s/%s", r->proc, name);
	return fopen(path, "r");
}

/* Is the device at sysfs directory dir the disk at disk_dir, a partition of it, or built on it? */
static int sysfs_on_disk(const char *dir, const char *disk_dir, int depth)
{
	char parent[PATH_MAX], path[PATH_MAX + 64], slave[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int found = 0;

	if (strcmp(dir, disk_dir) == 0)
		return 1;
	copy_string(parent, sizeof parent, dir);
	*strrchr(parent, '/') = '\0';
	if (strcmp(parent, disk_dir) == 0 && has_attr(dir, "partition"))
		return 1;
	if (depth >= MAX_DEPTH)
		return 0;
	format_text(path, sizeof path, "%s/slaves", dir);
	if ((d = opendir(path)) == NULL)
		return 0;
	while (!found && (e = readdir(d)) != NULL) {
		char link[PATH_MAX + 320];
		if (e->d_name[0] == '.')
			continue;
		format_text(link, sizeof link, "%s/%s", path, e->d_name);
		if (realpath(link, slave) != NULL)
			found = sysfs_on_disk(slave, disk_dir, depth + 1);
	}
	closedir(d);
	return found;
}

/* The running system's root and boot file systems: are any of them on this disk? */
static void find_system_mount(const struct blockdev_roots *r, struct blockdev *d,
                              const char *disk_dir)
{
	static const char *const system_mounts[] = { "/", "/boot", "/boot/efi" };
	struct mount_entry m;
	FILE *f = open_proc(r, "self/mountinfo");

	if (f == NULL)
		return;
	while (d->system_mount == NULL && next_mount(f, &m)) {
		char dir[PATH_MAX];
		struct stat st;
		dev_t dev = m.dev;

		for (size_t i = 0; i < sizeof system_mounts / sizeof system_mounts[0]; i++) {
			if (strcmp(m.mountpoint, system_mounts[i]) != 0)
				continue;
			/* An anonymous device number (btrfs): the source names the device. */
			if (major(dev) == 0 && strncmp(m.source, "/dev/", 5) == 0 &&
			    stat(m.source, &st) == 0 && S_ISBLK(st.st_mode))
				dev = st.st_rdev;
			if (sysfs_dir(r, dev, dir) == 0 && sysfs_on_disk(dir, disk_dir, 0))
				d->system_mount = system_mounts[i];
		}
	}
	fclose(f);
}

static void find_mounts(const struct blockdev_roots *r, struct blockdev *d,
                        const struct part *parts, size_t n)
{
	struct mount_entry m;
	FILE *f = open_proc(r, "self/mountinfo");

	if (f == NULL)
		return;
	while (next_mount(f, &m)) {
		const struct part *p = match_part(parts, n, m.dev, m.source);
		if (p == NULL)
			continue;
		format_text(d->in_use, sizeof d->in_use, "%s is mounted on %s; unmount it first",
		            p->name, m.mountpoint);
		d->mounted = 1;
		break;
	}
	fclose(f);
}

/* /proc/swaps: "Filename Type Size Used Priority", a header line first. */
static void find_swap(const struct blockdev_roots *r, struct blockdev *d,
                      const struct part *parts, size_t n)
{
	char line[PATH_MAX + 128];
	FILE *f = open_proc(r, "swaps");

	if (f == NULL)
		return;
	if (fgets(line, sizeof line, f) != NULL) {
		while (d->in_use[0] == '\0' && fgets(line, sizeof line, f) != NULL) {
			const struct part *p;
			char *name = strtok(line, " \t\n");
			if (name == NULL)
				continue;
			unescape(name);
			if ((p = match_part(parts, n, makedev(0, 0), name)) != NULL)
				format_text(d->in_use, sizeof d->in_use,
				            "%s is swap space in use; run swapoff /dev/%s first", p->name, p->name);
		}
	}
	fclose(f);
}

/* holders/: device-mapper (LVM, dm-crypt, multipath) or RAID built on a part. */
static void find_holders(const struct blockdev_roots *r, struct blockdev *d,
                         const struct part *parts, size_t n)
{
	for (size_t i = 0; i < n && d->in_use[0] == '\0'; i++) {
		char holder[BLOCKDEV_NAME_MAX], dir[PATH_MAX], dm_name[128], uuid[128], kind[192];

		if (first_entry(parts[i].dir, "holders", holder, sizeof holder) != 0)
			continue;
		format_text(dir, sizeof dir, "%s/block/%s", r->sys, holder);
		if (read_attr(dir, "dm/name", dm_name, sizeof dm_name) == 0) {
			const char *what = "device-mapper";
			if (read_attr(dir, "dm/uuid", uuid, sizeof uuid) == 0) {
				if (strncmp(uuid, "LVM-", 4) == 0)
					what = "LVM";
				else if (strncmp(uuid, "CRYPT-", 6) == 0)
					what = "dm-crypt";
			}
			format_text(kind, sizeof kind, "%s %s", what, dm_name);
		} else if (strncmp(holder, "md", 2) == 0) {
			copy_string(kind, sizeof kind, "RAID");
		} else {
			copy_string(kind, sizeof kind, "another block device");
		}
		format_text(d->in_use, sizeof d->in_use, "%s is in use by %s (%s); stop that first",
		            parts[i].name, holder, kind);
	}
}

int blockdev_inspect(const struct blockdev_roots *r, unsigned maj, unsigned min, struct blockdev *d)
{
	char dir[PATH_MAX], sys_root[PATH_MAX], backing[PATH_MAX];
	struct part *parts;
	size_t n, root_len;

	memset(d, 0, sizeof *d);
	d->major = maj;
	d->minor = min;
	if (realpath(r->sys, sys_root) == NULL || sysfs_dir(r, makedev(maj, min), dir) != 0)
		return mkb_fail("block device %u:%u is not in %s/dev/block (install needs Linux's sysfs)",
		                maj, min, r->sys);
	root_len = strlen(sys_root);
	copy_string(d->name, sizeof d->name, mkb_base_name(dir));
	format_text(d->node, sizeof d->node, "/dev/%s", d->name);
	for (char *c = d->node; *c != '\0'; c++)
		if (*c == '!') /* sysfs spells "cciss/c0d0" as "cciss!c0d0" */
			*c = '/';
	d->size = read_number(dir, "size", 0) * 512; /* always 512-byte units */
	d->read_only = read_number(dir, "ro", 0) != 0;
	if (has_attr(dir, "partition")) {
		char disk_dir[PATH_MAX];
		d->partition = 1;
		copy_string(disk_dir, sizeof disk_dir, dir);
		*strrchr(disk_dir, '/') = '\0';
		copy_string(d->disk, sizeof d->disk, mkb_base_name(disk_dir));
		return 0; /* refused as it is; the disk's own checks come when it is given */
	}
	d->stacked = first_entry(dir, "slaves", d->slave, sizeof d->slave) == 0;
	d->removable = read_number(dir, "removable", 0) != 0;
	find_transport(d, strncmp(dir, sys_root, root_len) == 0 ? dir + root_len : dir);
	read_attr(dir, "device/vendor", d->vendor, sizeof d->vendor);
	read_attr(dir, "device/model", d->model, sizeof d->model);
	if (d->model[0] == '\0' && read_attr(dir, "loop/backing_file", backing, sizeof backing) == 0)
		format_text(d->model, sizeof d->model, "loop on %s", mkb_base_name(backing));

	if ((parts = calloc(MAX_PARTS, sizeof *parts)) == NULL)
		return mkb_fail("out of memory");
	n = list_parts(dir, d->name, makedev(maj, min), parts, MAX_PARTS);
	find_system_mount(r, d, dir);
	find_mounts(r, d, parts, n);
	find_swap(r, d, parts, n);
	find_holders(r, d, parts, n);
	free(parts);
	return 0;
}

int blockdev_lookup(const struct blockdev_roots *r, const char *path, struct blockdev *d)
{
	char real[PATH_MAX];
	struct stat st;

	if (realpath(path, real) == NULL || stat(real, &st) != 0) {
		if (errno == ENOENT)
			return mkb_fail("%s: no such device (to make an image file instead, use "
			                "mkbootimg -o FILE KERNEL)", path);
		return mkb_fail("%s: %s", path, strerror(errno));
	}
	if (S_ISREG(st.st_mode))
		return mkb_fail("%s is a regular file, not a disk (to make an image file, use "
		                "mkbootimg -o %s KERNEL)", path, path);
	if (!S_ISBLK(st.st_mode))
		return mkb_fail("%s is not a block device", path);
	return blockdev_inspect(r, major(st.st_rdev), minor(st.st_rdev), d);
}

void blockdev_format_size(char *buf, size_t size, uint64_t bytes)
{
	static const char *const units[] = { "kB", "MB", "GB", "TB", "PB" };
	double v = (double)bytes;
	size_t u = 0;

	if (bytes < 1000) {
		format_text(buf, size, "%" PRIu64 " B", bytes);
		return;
	}
	v /= 1000;
	while (v >= 999.95 && u + 1 < sizeof units / sizeof units[0]) {
		v /= 1000;
		u++;
	}
	format_text(buf, size, "%.1f %s", v, units[u]);
}

int blockdev_check(const struct blockdev *d, uint64_t image_size, int force)
{
	char need[32], have[32];

	if (d->partition)
		return mkb_fail("%s is a partition of /dev/%s; install writes a whole disk: give "
		                "/dev/%s (everything on it is replaced)", d->node, d->disk, d->disk);
	if (d->stacked)
		return mkb_fail("%s is not a disk but a device built on %s (device-mapper or RAID)",
		                d->node, d->slave);
	if (d->system_mount != NULL)
		return mkb_fail("%s holds the running system's %s%s; refusing to overwrite it", d->node,
		                strcmp(d->system_mount, "/") == 0 ? "root file system, " : "",
		                d->system_mount);
	if (d->in_use[0] != '\0')
		return mkb_fail("%s is in use: %s", d->node, d->in_use);
	if (d->read_only)
		return mkb_fail("%s is read-only (is the write-protect switch of the stick or card on?)",
		                d->node);
	if (d->size == 0)
		return mkb_fail("%s has no medium (size 0): insert the stick or card", d->node);
	if (d->size < image_size) {
		blockdev_format_size(need, sizeof need, image_size);
		blockdev_format_size(have, sizeof have, d->size);
		return mkb_fail("%s is too small: the image needs %" PRIu64 " bytes (%s), the disk has %"
		                PRIu64 " (%s)", d->node, image_size, need, d->size, have);
	}
	if (!d->removable && !d->usb && !force)
		return mkb_fail("%s is not a removable disk and not on USB (transport %s): it may be a "
		                "system or data disk; add --force if you are sure", d->node, d->transport);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct blockdev *)a)->name, ((const struct blockdev *)b)->name);
}

int blockdev_list(const struct blockdev_roots *r, struct blockdev **list, size_t *count)
{
	char path[PATH_MAX];
	struct blockdev *out = NULL, d;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *dir;

	format_text(path, sizeof path, "%s/block", r->sys);
	if ((dir = opendir(path)) == NULL)
		return mkb_fail("%s: %s", path, strerror(errno));
	while ((e = readdir(dir)) != NULL) {
		char devdir[PATH_MAX + 320];
		dev_t dev;

		if (e->d_name[0] == '.')
			continue;
		format_text(devdir, sizeof devdir, "%s/%s", path, e->d_name);
		if (read_dev(devdir, &dev) != 0 || blockdev_inspect(r, major(dev), minor(dev), &d) != 0)
			continue;
		if (d.partition || d.stacked || !(d.removable || d.usb) || d.system_mount != NULL)
			continue;
		if (n == cap) {
			struct blockdev *grown = realloc(out, (cap = cap ? 2 * cap : 8) * sizeof *out);
			if (grown == NULL) {
				free(out);
				closedir(dir);
				return mkb_fail("out of memory");
			}
			out = grown;
		}
		out[n++] = d;
	}
	closedir(dir);
	if (n > 0)
		qsort(out, n, sizeof *out, by_name);
	*list = out;
	*count = n;
	return 0;
}

static int by_number(const void *a, const void *b)
{
	unsigned x = ((const struct blockdev_part *)a)->number;
	unsigned y = ((const struct blockdev_part *)b)->number;
	return x < y ? -1 : x > y;
}

int blockdev_partitions(const struct blockdev_roots *r, const char *name,
                        struct blockdev_part **list, size_t *count)
{
	char dir[PATH_MAX];
	struct blockdev_part *out = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d;

	*list = NULL;
	*count = 0;
	if (format_text(dir, sizeof dir, "%s/block/%s", r->sys, name) != 0 || (d = opendir(dir)) == NULL)
		return mkb_fail("%s/block/%s: %s", r->sys, name, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		char sub[PATH_MAX + 320];
		uint64_t number;

		if (e->d_name[0] == '.')
			continue;
		format_text(sub, sizeof sub, "%s/%s", dir, e->d_name);
		if (!has_attr(sub, "partition"))
			continue;
		number = read_number(sub, "partition", 0);
		if (n == cap) {
			struct blockdev_part *grown = realloc(out, (cap = cap ? 2 * cap : 8) * sizeof *out);
			if (grown == NULL) {
				free(out);
				closedir(d);
				return mkb_fail("out of memory");
			}
			out = grown;
		}
		copy_string(out[n].name, sizeof out[n].name, e->d_name);
		out[n].number = number <= UINT32_MAX ? (unsigned)number : 0;
		out[n].start = read_number(sub, "start", 0);
		out[n].size = read_number(sub, "size", 0);
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(out, n, sizeof *out, by_number);
	*list = out;
	*count = n;
	return 0;
}
