/*
 * linux.c: detecting a Linux setup header, every check on a malformed one
 * (headers built here), the kernel window, the plan's checks (command line,
 * initrd), and a whole image of a bzImage made here with --initrd files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "build.h"
#include "elf-builder.h"
#include "image.h"
#include "kernel.h"
#include "linux.h"
#include "plan.h"
#include "util.h"

#include "../../bootloader/core/manifest.h"

#include <mkbootimg/image.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILE_SIZE 0x4000
static uint8_t img[FILE_SIZE];

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

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* A protocol 2.15 header as Debian's Linux 6.1 has it: relocatable, 2 MiB
 * alignment, 16 MiB preferred, a 64-bit entry; setup_sects 4 (2.5 KiB). */
static int good_header(void **state)
{
	(void)state;
	memset(img, 0, sizeof img);
	img[0x1f1] = 4;                      /* setup_sects */
	put16(img + 0x1fe, 0xaa55);
	img[0x200] = 0xeb;                   /* jump */
	img[0x201] = 0x6a;                   /* header ends at 0x26c */
	memcpy(img + 0x202, "HdrS", 4);
	put16(img + 0x206, 0x020f);
	put16(img + 0x20e, 0x100);           /* kernel_version: at 0x300 */
	strcpy((char *)img + 0x300, "6.1.0-test (mkbootimg unit test)");
	img[0x211] = 0x01;                   /* LOADED_HIGH */
	put32(img + 0x214, 0x100000);        /* code32_start */
	put32(img + 0x22c, 0x7fffffff);      /* initrd_addr_max */
	put32(img + 0x230, 0x200000);        /* kernel_alignment */
	img[0x234] = 1;                      /* relocatable */
	put16(img + 0x236, 0x7f);            /* xloadflags */
	put32(img + 0x238, 2047);            /* cmdline_size */
	put64(img + 0x258, 0x1000000);       /* pref_address */
	put32(img + 0x260, 0x4000000);       /* init_size: 64 MiB */
	return 0;
}

static void expect_check_refused(size_t n, uint64_t file_size, const char *want)
{
	struct linux_kernel lk;
	struct mkb_linux block;

	assert_int_equal(linux_check_header("vmlinuz", img, n, file_size, &lk, &block), -1);
	if (strstr(mkb_error(), want) == NULL || strncmp(mkb_error(), "vmlinuz: ", 9) != 0)
		fail_msg("message \"%s\" lacks \"%s\" or the path", mkb_error(), want);
}

static void expect_refused(const char *want)
{
	expect_check_refused(sizeof img, sizeof img, want);
}

static void test_linux_detect(void **state)
{
	(void)state;
	assert_true(linux_detect(img, sizeof img));
	assert_false(linux_detect(img, 0x205)); /* "HdrS" cut off */
	memcpy(img, "\177ELF", 4);
	assert_false(linux_detect(img, sizeof img)); /* ELF files are read as ELF */
	memset(img, 0, 4);
	img[0x202] = 'h';
	assert_false(linux_detect(img, sizeof img));
}

static void test_linux_header_good(void **state)
{
	struct linux_kernel lk;
	struct mkb_linux block;

	(void)state;
	if (linux_check_header("vmlinuz", img, sizeof img, sizeof img, &lk, &block) != 0)
		fail_msg("%s", mkb_error());
	assert_int_equal(lk.version, 0x20f);
	assert_int_equal(lk.setup_bytes, 5 * 512);
	assert_true(lk.relocatable);
	assert_int_equal(lk.load_address, 0x1000000);
	assert_int_equal(lk.window, 0x4000000);
	assert_int_equal(lk.cmdline_size, 2047);
	assert_int_equal(block.header_size, 0x26c - 0x1f1);
	assert_memory_equal(block.header, img + 0x1f1, block.header_size);
	assert_int_equal(block.flags, MKB_LINUX_RELOCATABLE | MKB_LINUX_ENTRY64);
	assert_int_equal(block.kernel_alignment, 0x200000);
	assert_int_equal(block.initrd_addr_max, 0x7fffffff);
	assert_int_equal(block.version, 0x20f);
}

/* setup_sects 0 means 4; a relocatable kernel goes no lower than 16 MiB, aligned. */
static void test_linux_header_defaults(void **state)
{
	struct linux_kernel lk;
	struct mkb_linux block;

	(void)state;
	img[0x1f1] = 0;
	put64(img + 0x258, 0x100000);
	put32(img + 0x230, 0x1000000);
	assert_int_equal(linux_check_header("vmlinuz", img, sizeof img, sizeof img, &lk, &block), 0);
	assert_int_equal(lk.setup_bytes, 5 * 512);
	assert_int_equal(lk.load_address, 0x1000000);
	put32(img + 0x230, 0x3000000 & -0x3000000); /* 16 MiB */
	put64(img + 0x258, 0x1100000);
	assert_int_equal(linux_check_header("vmlinuz", img, sizeof img, sizeof img, &lk, &block), 0);
	assert_int_equal(lk.load_address, 0x2000000);
}

/* memtest86+: not relocatable, at pref_address 1 MiB, the 64-bit entry; the window is init_size. */
static void test_linux_header_not_relocatable(void **state)
{
	struct linux_kernel lk;
	struct mkb_linux block;

	(void)state;
	img[0x234] = 0;
	put64(img + 0x258, 0x100000);
	put32(img + 0x260, 0x6acf8);
	assert_int_equal(linux_check_header("memtest", img, sizeof img, sizeof img, &lk, &block), 0);
	assert_int_equal(lk.load_address, 0x100000);
	assert_int_equal(lk.window, 0x6b000);
	assert_int_equal(block.flags, MKB_LINUX_ENTRY64);
}

/* Before 2.10: loaded at 1 MiB, init_size estimated; before 2.06, 255 bytes of command line. */
static void test_linux_header_old(void **state)
{
	struct linux_kernel lk;
	struct mkb_linux block;

	(void)state;
	put16(img + 0x206, 0x0205);
	img[0x234] = 0;
	assert_int_equal(linux_check_header("old", img, sizeof img, sizeof img, &lk, &block), 0);
	assert_int_equal(lk.load_address, 0x100000);
	assert_int_equal(lk.cmdline_size, 255);
	assert_int_equal(lk.xloadflags, 0);
	assert_int_equal(lk.window, 3 * 0x4000); /* three times the 0x3600 bytes after setup, paged */
	assert_int_equal(block.flags, 0); /* the 32-bit entry */
}

static void test_linux_refuses_no_boot_flag(void **state)
{
	(void)state;
	put16(img + 0x1fe, 0x1234);
	expect_refused("no Linux setup header: 0x1234 at offset 0x1FE, not the boot flag 0xAA55");
}

static void test_linux_refuses_no_hdrs(void **state)
{
	(void)state;
	memcpy(img + 0x202, "HdrT", 4);
	expect_refused("no Linux setup header: no \"HdrS\" at offset 0x202");
}

static void test_linux_refuses_elf(void **state)
{
	(void)state;
	memcpy(img, "\177ELF", 4);
	expect_refused("--protocol linux: an ELF file, not a Linux kernel with a setup header");
}

static void test_linux_refuses_old_protocol(void **state)
{
	(void)state;
	put16(img + 0x206, 0x0202);
	expect_refused("Linux boot protocol 2.02 is older than 2.03, the oldest mkbootimg loads");
}

static void test_linux_refuses_not_loaded_high(void **state)
{
	(void)state;
	img[0x211] = 0;
	expect_refused("loadflags bit 0 (LOADED_HIGH) is clear: a zImage, loaded below 1 MiB, which "
	               "mkbootimg does not load; build a bzImage");
}

static void test_linux_refuses_setup_beyond_file(void **state)
{
	(void)state;
	img[0x1f1] = 40; /* 41 sectors: 20.5 KiB, in a 16 KiB file */
	expect_refused("the setup part (setup_sects 40: 20992 bytes) reaches beyond the file's 16384 "
	               "bytes: the kernel is truncated, or not a bzImage");
}

static void test_linux_refuses_header_cut_off(void **state)
{
	(void)state;
	expect_check_refused(0x240, 0x240, "the file ends at 576 bytes, inside its protocol 2.15 setup "
	                     "header (which reaches 0x264): the kernel is truncated");
	expect_check_refused(0x100, 0x100, "the file ends at 256 bytes, before a Linux setup header");
}

/* iPXE's .lkrn: protocol 2.07, not relocatable, code32_start 0 (no 64-bit entry before 2.12). */
static void lkrn_header(void)
{
	put16(img + 0x206, 0x0207);
	put32(img + 0x214, 0);
	img[0x234] = 0;
}

/* code32_start 0 and no 64-bit entry: the real-mode entry, its part (setup_sects + 1 sectors) in the block. */
static void test_linux_header_real_mode(void **state)
{
	struct linux_kernel lk;
	struct mkb_linux block;

	(void)state;
	lkrn_header();
	assert_int_equal(linux_check_header("ipxe.lkrn", img, sizeof img, sizeof img, &lk, &block), 0);
	assert_true(lk.real_mode);
	assert_int_equal(lk.load_address, 0x100000);
	assert_int_equal(block.flags, MKB_LINUX_REAL_MODE);
	assert_int_equal(block.setup_sectors, 5);
	img[0x1f1] = 0; /* setup_sects 0 means 4 */
	assert_int_equal(linux_check_header("ipxe.lkrn", img, sizeof img, sizeof img, &lk, &block), 0);
	assert_int_equal(block.setup_sectors, 5);

	/* A 64-bit entry makes code32_start 0 irrelevant: that entry is used. */
	good_header(NULL);
	put32(img + 0x214, 0);
	assert_int_equal(linux_check_header("vmlinuz", img, sizeof img, sizeof img, &lk, &block), 0);
	assert_false(lk.real_mode);
	assert_int_equal(block.flags, MKB_LINUX_RELOCATABLE | MKB_LINUX_ENTRY64);
	assert_int_equal(block.setup_sectors, 0);

	/* A real-mode part larger than the 32 KiB below its heap. */
	lkrn_header();
	img[0x1f1] = 64;
	expect_check_refused(sizeof img, 0x10000, "code32_start is 0, so the kernel starts through its real-mode setup code, and "
	               "that is 33280 bytes (setup_sects 64), more than the 32 KiB below its stack and "
	               "heap at 0x8000 (boot.rst)");
}

/* Its command line goes to X+0xe000: at most 0x1fff bytes, whatever cmdline_size says. */
static void test_linux_plan_real_mode_cmdline(void **state)
{
	struct linux_kernel lk;
	struct mkb_linux block;

	(void)state;
	lkrn_header();
	put32(img + 0x238, 0x10000);
	assert_int_equal(linux_check_header("ipxe.lkrn", img, sizeof img, sizeof img, &lk, &block), 0);
	assert_int_equal(linux_check_plan("ipxe.lkrn", &lk, 0x1fff, 0), 0);
	assert_int_equal(linux_check_plan("ipxe.lkrn", &lk, 0x2000, 0), -1);
	assert_string_equal(mkb_error(), "ipxe.lkrn: the command line is 8192 bytes, longer than the 8191 "
	                    "a kernel started through its real-mode setup code gets (it is copied into "
	                    "the setup code's 64 KiB segment, at offset 0xe000)");
}

static void test_linux_refuses_alignment(void **state)
{
	(void)state;
	put32(img + 0x230, 0x300000);
	expect_refused("Linux setup header: kernel_alignment 0x300000 is not a power of two");
}

static void test_linux_refuses_window_beyond_4g(void **state)
{
	(void)state;
	put64(img + 0x258, 0xfff00000);
	expect_refused("the kernel's window 0x100000000-0x103ffffff (relocatable, pref_address 0xfff00000, "
	               "kernel_alignment 0x200000; init_size 0x4000000) does not fit between 1 MiB and "
	               "4 GiB, the memory the image's loaders place a kernel in");
}

static void test_linux_refuses_window_below_1m(void **state)
{
	(void)state;
	img[0x234] = 0;
	put64(img + 0x258, 0x10000);
	expect_refused("the kernel's window 0x10000-0x400ffff (not relocatable, pref_address 0x10000; "
	               "init_size 0x4000000) does not fit between 1 MiB and 4 GiB");
}

static void test_linux_plan_cmdline(void **state)
{
	struct linux_kernel lk;
	struct mkb_linux block;

	(void)state;
	assert_int_equal(linux_check_header("vmlinuz", img, sizeof img, sizeof img, &lk, &block), 0);
	assert_int_equal(linux_check_plan("vmlinuz", &lk, 2047, 0), 0);
	assert_int_equal(linux_check_plan("vmlinuz", &lk, 2048, 0), -1);
	assert_string_equal(mkb_error(), "vmlinuz: the command line is 2048 bytes, longer than the "
	                    "kernel's cmdline_size (2047)");
	put16(img + 0x206, 0x0205);
	assert_int_equal(linux_check_header("vmlinuz", img, sizeof img, sizeof img, &lk, &block), 0);
	assert_int_equal(linux_check_plan("vmlinuz", &lk, 256, 0), -1);
	assert_string_equal(mkb_error(), "vmlinuz: the command line is 256 bytes, longer than the "
	                    "kernel's cmdline_size (255, as before boot protocol 2.06)");
}

/* initrd_addr_max 32 MiB with the window at 16-80 MiB: 15 MiB below it, nothing above. */
static void test_linux_plan_initrd_above_max(void **state)
{
	struct linux_kernel lk;
	struct mkb_linux block;

	(void)state;
	put32(img + 0x22c, 0x1ffffff);
	assert_int_equal(linux_check_header("vmlinuz", img, sizeof img, sizeof img, &lk, &block), 0);
	assert_int_equal(linux_check_plan("vmlinuz", &lk, 0, 15 * MKB_MIB), 0);
	assert_int_equal(linux_check_plan("vmlinuz", &lk, 0, 15 * MKB_MIB + 1), -1);
	assert_string_equal(mkb_error(), "vmlinuz: the initrd (15360 KiB) cannot be placed: the kernel "
	                    "takes it only below initrd_addr_max 0x1ffffff, where beside its window at "
	                    "0x1000000-0x4ffffff there are at most 15360 KiB in one piece; give a "
	                    "smaller initrd");
}

/* kernel_open: a bzImage is read as Linux with or without --protocol; a file with neither is named. */
static void test_linux_kernel_open(void **state)
{
	struct kernel k;
	const char *path = eb_scratch_file("vmlinuz");
	FILE *f = fopen(path, "wb");

	(void)state;
	assert_non_null(f);
	assert_int_equal(fwrite(img, 1, sizeof img, f), sizeof img);
	assert_int_equal(fclose(f), 0);
	if (kernel_open(&k, path) != 0)
		fail_msg("%s", mkb_error());
	assert_int_equal(k.protocol, MKB_PROTOCOL_LINUX);
	assert_int_equal(k.segment_count, 1);
	assert_int_equal(k.segments[0].paddr, 0x1000000);
	assert_int_equal(k.segments[0].offset, 5 * 512);
	assert_int_equal(k.segments[0].filesz, FILE_SIZE - 5 * 512);
	assert_int_equal(k.segments[0].memsz, 0x4000000);
	assert_int_equal(k.entry, 0x1000200);
	assert_string_equal(k.linux_kernel->kernel_version, "6.1.0-test (mkbootimg unit test)");
	assert_int_equal(k.handoff.size, sizeof(struct mkb_linux));
	kernel_close(&k);

	/* --protocol multiboot1 on it: no Multiboot header, as for any file. */
	assert_int_equal(kernel_open_protocol(&k, path, MKB_PROTOCOL_MULTIBOOT1), -1);
	assert_non_null(strstr(mkb_error(), "no Multiboot 1 header"));
}

static void test_linux_kernel_open_neither(void **state)
{
	struct kernel k;
	const char *path = eb_scratch_file("data.bin");
	FILE *f = fopen(path, "wb");

	(void)state;
	memset(img, 0x5a, sizeof img);
	assert_non_null(f);
	assert_int_equal(fwrite(img, 1, sizeof img, f), sizeof img);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(kernel_open(&k, path), -1);
	assert_non_null(strstr(mkb_error(), "not an ELF file"));
	assert_non_null(strstr(mkb_error(), "and no Multiboot 1 or 2 header nor Linux setup header: "
	                                    "mkbootimg boots x86-64 ELF kernels, Multiboot 1 or 2 "
	                                    "kernels (a header in the first 8 or 32 KiB) and Linux "
	                                    "bzImages (0xAA55 at 0x1FE, \"HdrS\" at 0x202)"));
	assert_int_equal(kernel_open_protocol(&k, path, MKB_PROTOCOL_LINUX), -1);
	assert_non_null(strstr(mkb_error(), "no Linux setup header: 0x5a5a at offset 0x1FE"));
}

/* A fake loader: boot signature and a stage 2 header, nothing to run. */
static uint8_t blob[3 * 512], efi[EB_EFI_SIZE];
static const struct loader_blob loader = { blob, sizeof blob, efi, sizeof efi };

static void fake_loader(void)
{
	struct mkb_stage2_header h = { MKB_STAGE2_MAGIC, 2, MKB_MANIFEST_VERSION, "mkbootimg 0.1" };

	memset(blob, 0, sizeof blob);
	blob[510] = 0x55;
	blob[511] = 0xaa;
	memcpy(blob + 512, &h, sizeof h);
	eb_fake_efi(efi);
}

static const char *write_bytes(const char *name, const void *bytes, size_t n)
{
	const char *path = eb_scratch_file(name);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	return path;
}

/*
 * The image: the initrd files back to back in the payload after the
 * kernel's bytes, the Linux block saying where, the checksum over both.
 */
static void test_linux_image_initrds(void **state)
{
	char kpath[600], a[600], b[600], out[600];
	struct plan_options o = { .cmdline = "console=ttyS0 panic=-1" };
	struct mkb_manifest m;
	struct mkb_linux lx;
	struct mkb_checksum sum;
	uint8_t *disk;
	long size;
	FILE *f;

	(void)state;
	fake_loader();
	snprintf(kpath, sizeof kpath, "%s", write_bytes("vmlinuz", img, sizeof img));
	snprintf(a, sizeof a, "%s", write_bytes("a.cpio", "first-archive", 13));
	snprintf(b, sizeof b, "%s", write_bytes("b.cpio", "second", 6));
	snprintf(out, sizeof out, "%s", eb_scratch_file("linux.img"));
	o.layout = IMAGE_LAYOUT_BIOS;
	assert_int_equal(plan_options_add_initrd(&o, a), 0);
	assert_int_equal(plan_options_add_initrd(&o, b), 0);
	if (build_image(kpath, out, &o, &loader, NULL) != 0)
		fail_msg("%s", mkb_error());
	f = fopen(out, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	disk = malloc((size_t)size);
	assert_non_null(disk);
	fseek(f, 0, SEEK_SET);
	assert_int_equal(fread(disk, 1, (size_t)size, f), (size_t)size);
	fclose(f);

	memcpy(&m, disk + (MKB_STAGE2_LBA + 2) * 512, sizeof m);
	assert_int_equal(m.protocol, MKB_PROTOCOL_LINUX);
	assert_int_equal(m.segment_count, 1);
	memcpy(&lx, disk + (MKB_STAGE2_LBA + 2) * 512 + m.multiboot_offset, sizeof lx);
	assert_int_equal(lx.initrd_size, 19);
	assert_int_equal(lx.initrd_payload_offset, MKB_ALIGN_UP(FILE_SIZE - 5 * 512, 512));
	assert_memory_equal(disk + m.payload_lba * 512 + lx.initrd_payload_offset, "first-archivesecond", 19);
	/* The checksum: the kernel's bytes after its setup part, then the initrd as one run. */
	mkb_checksum_init(&sum);
	mkb_checksum_add(&sum, img + 5 * 512, FILE_SIZE - 5 * 512);
	mkb_checksum_add(&sum, "first-archivesecond", 19);
	assert_int_equal(m.payload_checksum, mkb_checksum_value(&sum));
	assert_memory_equal(disk + (MKB_STAGE2_LBA + 2) * 512 + m.cmdline_offset, "console=ttyS0 panic=-1", 23);
	free(disk);
	plan_options_free(&o);
}

/*
 * A real-mode entry's image: its real-mode part (the file's first 5
 * sectors) the payload's last sectors, summed after the initrd; refused
 * for --firmware uefi, which has no real mode; the hybrid builds.
 */
static void test_linux_image_real_mode(void **state)
{
	char kpath[600], out[600];
	struct plan_options o = { .cmdline = "dhcp" };
	struct mkb_manifest m;
	struct mkb_linux lx;
	struct mkb_checksum sum;
	uint8_t disk[64 * 1024];
	uint32_t item;
	FILE *f;

	(void)state;
	fake_loader();
	lkrn_header();
	snprintf(kpath, sizeof kpath, "%s", write_bytes("ipxe.lkrn", img, sizeof img));
	snprintf(out, sizeof out, "%s", eb_scratch_file("ipxe.img"));
	o.layout = IMAGE_LAYOUT_BIOS;
	assert_int_equal(plan_options_add_initrd(&o, write_bytes("script", "#!ipxe\n", 7)), 0);
	if (build_image(kpath, out, &o, &loader, NULL) != 0)
		fail_msg("%s", mkb_error());
	f = fopen(out, "rb");
	assert_non_null(f);
	assert_int_equal(fread(disk, 1, sizeof disk, f), sizeof disk);
	fclose(f);
	memcpy(&m, disk + (MKB_STAGE2_LBA + 2) * 512, sizeof m);
	memcpy(&lx, disk + (MKB_STAGE2_LBA + 2) * 512 + m.multiboot_offset, sizeof lx);
	assert_int_equal(lx.flags, MKB_LINUX_REAL_MODE);
	assert_int_equal(lx.setup_sectors, 5);
	assert_int_equal(m.payload_sectors, (FILE_SIZE - 5 * 512) / 512 + 1 + 5);
	assert_memory_equal(disk + (m.payload_lba + m.payload_sectors - 5) * 512, img, 5 * 512);
	assert_int_equal(mkb_manifest_check_tables(disk + (MKB_STAGE2_LBA + 2) * 512, &item), MKB_RULE_VALID);
	mkb_checksum_init(&sum);
	mkb_checksum_add(&sum, img + 5 * 512, FILE_SIZE - 5 * 512);
	mkb_checksum_add(&sum, "#!ipxe\n", 7);
	mkb_checksum_add(&sum, img, 5 * 512);
	assert_int_equal(m.payload_checksum, mkb_checksum_value(&sum));

	o.layout = IMAGE_LAYOUT_UEFI;
	assert_int_equal(build_image(kpath, out, &o, &loader, NULL), -1);
	assert_non_null(strstr(mkb_error(), "ipxe.lkrn: the kernel has no protected-mode entry (code32_start "
	                                    "0, no 64-bit entry, as iPXE's .lkrn): it starts only through its "
	                                    "real-mode setup code, which needs a BIOS, and UEFI has no real "
	                                    "mode: give --firmware bios or hybrid"));
	o.layout = IMAGE_LAYOUT_HYBRID;
	if (build_image(kpath, out, &o, &loader, NULL) != 0)
		fail_msg("%s", mkb_error());
	plan_options_free(&o);
}

/* --initrd is for Linux kernels, --module for the others; a missing initrd stops the build. */
static void test_linux_options_by_protocol(void **state)
{
	char kpath[600], elf[600];
	struct plan_options o = { 0 };
	struct eb_elf e;

	(void)state;
	fake_loader();
	snprintf(kpath, sizeof kpath, "%s", write_bytes("vmlinuz", img, sizeof img));
	assert_int_equal(plan_options_add_module(&o, kpath), 0);
	assert_int_equal(build_image(kpath, NULL, &o, &loader, NULL), -1);
	assert_non_null(strstr(mkb_error(), "vmlinuz: --module is for native and Multiboot kernels: a "
	                                    "Linux kernel takes its initrd with --initrd"));
	plan_options_free(&o);

	snprintf(elf, sizeof elf, "%s", eb_scratch_file("kernel.elf"));
	eb_init(&e, 0x100000);
	eb_add(&e, PT_LOAD, PF_R | PF_X, 0x100000, 0x100000, 0x100, 0x100);
	assert_int_equal(eb_write(&e, elf), 0);
	eb_free(&e);
	assert_int_equal(plan_options_add_initrd(&o, kpath), 0);
	assert_int_equal(build_image(elf, NULL, &o, &loader, NULL), -1);
	assert_non_null(strstr(mkb_error(), "kernel.elf: --initrd is for Linux kernels, and this is a "
	                                    "native kernel: give its files with --module"));
	plan_options_free(&o);

	assert_int_equal(plan_options_add_initrd(&o, eb_scratch_file("missing.img")), 0);
	assert_int_equal(build_image(kpath, NULL, &o, &loader, NULL), -1);
	assert_non_null(strstr(mkb_error(), "missing.img: cannot open initrd: "));
	plan_options_free(&o);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup(name, good_header)
	const struct CMUnitTest tests[] = {
		T(test_linux_detect),
		T(test_linux_header_good),
		T(test_linux_header_defaults),
		T(test_linux_header_not_relocatable),
		T(test_linux_header_old),
		T(test_linux_refuses_no_boot_flag),
		T(test_linux_refuses_no_hdrs),
		T(test_linux_refuses_elf),
		T(test_linux_refuses_old_protocol),
		T(test_linux_refuses_not_loaded_high),
		T(test_linux_refuses_setup_beyond_file),
		T(test_linux_refuses_header_cut_off),
		T(test_linux_header_real_mode),
		T(test_linux_plan_real_mode_cmdline),
		T(test_linux_refuses_alignment),
		T(test_linux_refuses_window_beyond_4g),
		T(test_linux_refuses_window_below_1m),
		T(test_linux_plan_cmdline),
		T(test_linux_plan_initrd_above_max),
		T(test_linux_kernel_open),
		T(test_linux_kernel_open_neither),
		T(test_linux_image_initrds),
		T(test_linux_image_real_mode),
		T(test_linux_options_by_protocol),
	};
#undef T
	return cmocka_run_group_tests(tests, eb_scratch_create, eb_scratch_remove);
}
