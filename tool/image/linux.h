/*
 * Linux boot protocol kernels (bzImage: Linux, memtest86+, iPXE's .lkrn):
 * the setup header read and checked (Linux's Documentation/arch/x86/boot.rst
 * names its fields), the kernel window planned. The loader gets one segment
 * (the window) and struct mkb_linux (image.h); it parses no header.
 *
 * The entry: the 64-bit one when xloadflags has XLF_KERNEL_64; else the
 * 32-bit one at code32_start; when code32_start is 0 and there is no
 * 64-bit entry, the header says the real-mode setup code must run (the
 * kernel has no other way in): MKB_LINUX_REAL_MODE, BIOS only.
 */
#ifndef MKB_LINUX_H
#define MKB_LINUX_H

#include <mkbootimg/image.h>

#include <stddef.h>
#include <stdint.h>

struct kernel;

#define LINUX_HEADER_BYTES 0x290       /* the first bytes of a file: the whole setup header */
#define LINUX_OLDEST 0x203             /* protocol 2.03: initrd_addr_max, the oldest loaded */
#define LINUX_RELOCATED_MIN UINT64_C(0x1000000) /* 16 MiB: a relocatable kernel goes no lower */
#define LINUX_VERSION_MAX 128

/* What the setup header says, and the window planned from it. */
struct linux_kernel {
	uint16_t version;          /* 0x20f for 2.15 */
	uint32_t setup_sects;      /* as the header says it (0 means 4) */
	uint64_t setup_bytes;      /* (setup sectors + 1) * 512: the file's real-mode part */
	uint8_t loadflags;
	int relocatable;
	uint32_t kernel_alignment; /* relocatable kernels; 0 otherwise */
	uint64_t pref_address;     /* 2.10+; else code32_start */
	uint32_t init_size;        /* 2.10+; else estimated as GRUB does: three times the file part */
	uint32_t cmdline_size;     /* 2.06+; else 255 */
	uint32_t initrd_addr_max;
	uint16_t xloadflags;       /* 2.12+ */
	/* No protected-mode entry (code32_start 0, no 64-bit entry, as iPXE's
	 * .lkrn): the BIOS loader runs the real-mode part, setup_bytes of it. */
	int real_mode;
	uint64_t load_address;     /* planned: where the window starts */
	uint64_t window;           /* bytes from load_address the kernel needs */
	char kernel_version[LINUX_VERSION_MAX]; /* the header's string, "" when none */
};

/*
 * Does the start of a file (n bytes of it) carry a setup header: not ELF,
 * 0xAA55 at 0x1fe and "HdrS" at 0x202? Pure, for the unit tests.
 */
int linux_detect(const uint8_t *buf, size_t n);

/*
 * Check the header in the file's first n bytes (file_size bytes in all)
 * and fill lk (but kernel_version) and the loader's block. 0, or -1 with
 * mkb_error() set to a message that starts with path. Pure.
 */
int linux_check_header(const char *path, const uint8_t *buf, size_t n, uint64_t file_size,
                       struct linux_kernel *lk, struct mkb_linux *block);

/*
 * Called by kernel_open once the file is open, before the Multiboot and
 * ELF readers: protocol is KERNEL_PROTOCOL_AUTO or an MKB_PROTOCOL_*.
 * Returns 1 when the file is not a Linux kernel (kernel_open goes on), 0
 * when it was read into k (one segment, the hand-off block, k->linux_kernel),
 * -1 with mkb_error() set.
 */
int linux_open(struct kernel *k, int protocol);

/*
 * What plan_make checks for a Linux kernel: the command line's length
 * against cmdline_size, and room for an initrd of initrd_size bytes below
 * initrd_addr_max beside the kernel window. 0, or -1 with mkb_error() set.
 */
int linux_check_plan(const char *path, const struct linux_kernel *lk, size_t cmdline_length,
                     uint64_t initrd_size);

/* "2.15" */
void linux_version_string(char out[8], uint16_t version);

#endif
