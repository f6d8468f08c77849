#include "linux.h"
#include "kernel.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Offsets in the file, as boot.rst lists them. */
#define SETUP_SECTS      0x1f1
#define BOOT_FLAG        0x1fe /* 0xAA55 */
#define JUMP             0x200 /* the header ends at 0x202 + the byte at 0x201 */
#define HEADER_MAGIC     0x202 /* "HdrS" */
#define VERSION          0x206
#define KERNEL_VERSION   0x20e
#define LOADFLAGS        0x211
#define CODE32_START     0x214
#define INITRD_ADDR_MAX  0x22c
#define KERNEL_ALIGNMENT 0x230
#define RELOCATABLE      0x234
#define XLOADFLAGS       0x236
#define CMDLINE_SIZE     0x238
#define PREF_ADDRESS     0x258
#define INIT_SIZE        0x260

#define LOADED_HIGH 0x01
#define FOUR_GIB UINT64_C(0x100000000)

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

void linux_version_string(char out[8], uint16_t version)
{
	snprintf(out, 8, "%u.%02u", (unsigned)(version >> 8), (unsigned)(version & 0xff));
}

static int is_elf(const uint8_t *buf, size_t n)
{
	return n >= 4 && memcmp(buf, "\177ELF", 4) == 0;
}

int linux_detect(const uint8_t *buf, size_t n)
{
	return !is_elf(buf, n) && n >= HEADER_MAGIC + 4 && get16(buf + BOOT_FLAG) == 0xaa55 &&
	       memcmp(buf + HEADER_MAGIC, "HdrS", 4) == 0;
}

/* The last header byte each version's fields reach. */
static size_t header_end(uint16_t version)
{
	return version >= 0x20a ? INIT_SIZE + 4 : version >= 0x206 ? CMDLINE_SIZE + 4 : INITRD_ADDR_MAX + 4;
}

/* The setup header's claims, before the window is planned. */
static int check_magic(const char *path, const uint8_t *buf, size_t n, uint64_t file_size)
{
	char v[8];
	uint16_t version;

	if (is_elf(buf, n))
		return mkb_fail("%s: --protocol linux: an ELF file, not a Linux kernel with a setup header "
		                "(such as arch/x86/boot/bzImage or /boot/vmlinuz)", path);
	if (n < VERSION + 2)
		return mkb_fail("%s: the file ends at %" PRIu64 " bytes, before a Linux setup header "
		                "(0xAA55 at 0x1FE, \"HdrS\" at 0x202) could end", path, file_size);
	if (get16(buf + BOOT_FLAG) != 0xaa55)
		return mkb_fail("%s: no Linux setup header: 0x%04x at offset 0x1FE, not the boot flag "
		                "0xAA55", path, (unsigned)get16(buf + BOOT_FLAG));
	if (memcmp(buf + HEADER_MAGIC, "HdrS", 4) != 0)
		return mkb_fail("%s: no Linux setup header: no \"HdrS\" at offset 0x202 (a kernel older "
		                "than boot protocol 2.00, or not a Linux kernel)", path);
	version = get16(buf + VERSION);
	linux_version_string(v, version);
	if (version < LINUX_OLDEST)
		return mkb_fail("%s: Linux boot protocol %s is older than 2.03, the oldest mkbootimg "
		                "loads: the header has no initrd_addr_max", path, v);
	if (n < header_end(version))
		return mkb_fail("%s: the file ends at %" PRIu64 " bytes, inside its protocol %s setup "
		                "header (which reaches 0x%zx): the kernel is truncated", path, file_size, v,
		                header_end(version));
	if (!(buf[LOADFLAGS] & LOADED_HIGH))
		return mkb_fail("%s: Linux setup header: loadflags bit 0 (LOADED_HIGH) is clear: a "
		                "zImage, loaded below 1 MiB, which mkbootimg does not load; build a "
		                "bzImage (make bzImage)", path);
	return 0;
}

/* Where the kernel goes and how much it takes there, from pref_address, alignment and init_size. */
static int plan_window(const char *path, struct linux_kernel *lk, uint64_t file_part)
{
	char where[96];
	uint64_t end;

	lk->window = MKB_ALIGN_UP(lk->init_size > file_part ? lk->init_size : file_part, MKB_PAGE);
	if (lk->relocatable) {
		lk->load_address = MKB_ALIGN_UP(lk->pref_address, lk->kernel_alignment);
		if (lk->load_address < LINUX_RELOCATED_MIN)
			lk->load_address = MKB_ALIGN_UP(LINUX_RELOCATED_MIN, lk->kernel_alignment);
		snprintf(where, sizeof where, "relocatable, pref_address 0x%" PRIx64 ", kernel_alignment "
		         "0x%" PRIx32, lk->pref_address, lk->kernel_alignment);
	} else {
		lk->load_address = lk->pref_address;
		snprintf(where, sizeof where, "not relocatable, %s 0x%" PRIx64,
		         lk->version >= 0x20a ? "pref_address" : "loaded at", lk->pref_address);
	}
	end = lk->load_address + lk->window;
	if (lk->load_address < MKB_MIB || lk->load_address >= FOUR_GIB || end > FOUR_GIB)
		return mkb_fail("%s: the kernel's window 0x%" PRIx64 "-0x%" PRIx64 " (%s; init_size 0x%"
		                PRIx32 ") does not fit between 1 MiB and 4 GiB, the memory the image's "
		                "loaders place a kernel in", path, lk->load_address, end - 1, where,
		                lk->init_size);
	return 0;
}

int linux_check_header(const char *path, const uint8_t *buf, size_t n, uint64_t file_size,
                       struct linux_kernel *lk, struct mkb_linux *block)
{
	size_t hdr_end;
	uint32_t sects;

	memset(lk, 0, sizeof *lk);
	memset(block, 0, sizeof *block);
	if (check_magic(path, buf, n, file_size) != 0)
		return -1;
	lk->version = get16(buf + VERSION);
	lk->loadflags = buf[LOADFLAGS];
	lk->setup_sects = buf[SETUP_SECTS];
	sects = lk->setup_sects ? lk->setup_sects : 4; /* 0: four, as the oldest kernels had */
	lk->setup_bytes = (uint64_t)(sects + 1) * 512;
	if (lk->setup_bytes >= file_size)
		return mkb_fail("%s: the setup part (setup_sects %" PRIu32 ": %" PRIu64 " bytes) reaches "
		                "beyond the file's %" PRIu64 " bytes: the kernel is truncated, or not a "
		                "bzImage", path, lk->setup_sects, lk->setup_bytes, file_size);
	lk->relocatable = lk->version >= 0x205 && buf[RELOCATABLE] != 0;
	lk->kernel_alignment = lk->relocatable ? get32(buf + KERNEL_ALIGNMENT) : 0;
	if (lk->relocatable && (lk->kernel_alignment == 0 ||
	                        (lk->kernel_alignment & (lk->kernel_alignment - 1)) != 0))
		return mkb_fail("%s: Linux setup header: kernel_alignment 0x%" PRIx32 " is not a power "
		                "of two", path, lk->kernel_alignment);
	if (lk->relocatable && lk->kernel_alignment < MKB_PAGE)
		lk->kernel_alignment = (uint32_t)MKB_PAGE; /* a page is a multiple of any smaller one */
	/* Before 2.10 a bzImage is loaded at 1 MiB (code32_start is where the loader jumps). */
	lk->pref_address = lk->version >= 0x20a ? get64(buf + PREF_ADDRESS) : MKB_MIB;
	/* Before 2.10 no size is given: three times the file's part, as GRUB estimates it. */
	lk->init_size = lk->version >= 0x20a ? get32(buf + INIT_SIZE)
	                : (uint32_t)(3 * MKB_ALIGN_UP(file_size - lk->setup_bytes, MKB_PAGE));
	lk->cmdline_size = lk->version >= 0x206 ? get32(buf + CMDLINE_SIZE) : 255;
	lk->initrd_addr_max = get32(buf + INITRD_ADDR_MAX);
	lk->xloadflags = lk->version >= 0x20c ? get16(buf + XLOADFLAGS) : 0;
	/* Linux says 0x100000 there; 0 is a kernel with no protected-mode entry:
	 * only its real-mode setup code can start it (linux.h). */
	lk->real_mode = get32(buf + CODE32_START) == 0 && !(lk->xloadflags & MKB_LINUX_XLF_KERNEL_64);
	if (lk->real_mode && lk->setup_bytes > MKB_LINUX_SETUP_MAX * 512)
		return mkb_fail("%s: Linux setup header: code32_start is 0, so the kernel starts through its "
		                "real-mode setup code, and that is %" PRIu64 " bytes (setup_sects %" PRIu32 "), "
		                "more than the %u KiB below its stack and heap at 0x8000 (boot.rst)", path,
		                lk->setup_bytes, lk->setup_sects, MKB_LINUX_SETUP_MAX / 2);
	if (plan_window(path, lk, file_size - lk->setup_bytes) != 0)
		return -1;

	/* boot.rst: copy from 0x1f1 to 0x202 + the jump's byte; no further than boot_params' header. */
	hdr_end = JUMP + 2 + buf[JUMP + 1];
	/* The header ends where boot_params' setup_header does (0x290), and so does buf. */
	if (hdr_end > LINUX_HEADER_BYTES)
		hdr_end = LINUX_HEADER_BYTES;
	if (hdr_end < header_end(lk->version))
		hdr_end = header_end(lk->version);
	block->header_size = (uint16_t)(hdr_end - MKB_LINUX_HEADER_OFFSET);
	memcpy(block->header, buf + MKB_LINUX_HEADER_OFFSET, block->header_size);
	block->kernel_alignment = lk->relocatable ? lk->kernel_alignment : (uint32_t)MKB_PAGE;
	block->initrd_addr_max = lk->initrd_addr_max;
	block->cmdline_size = lk->cmdline_size;
	block->version = lk->version;
	block->xloadflags = lk->xloadflags;
	block->flags = (uint16_t)((lk->relocatable ? MKB_LINUX_RELOCATABLE : 0) |
	                          (lk->xloadflags & MKB_LINUX_XLF_KERNEL_64 ? MKB_LINUX_ENTRY64 : 0) |
	                          (lk->real_mode ? MKB_LINUX_REAL_MODE : 0));
	block->setup_sectors = (uint16_t)(lk->real_mode ? lk->setup_bytes / 512 : 0);
	return 0;
}

/* The string kernel_version points at (0x200 less than its file offset), printable bytes only. */
static void read_kernel_version(struct kernel *k, const uint8_t *buf, struct linux_kernel *lk)
{
	uint16_t at = get16(buf + KERNEL_VERSION);
	char s[LINUX_VERSION_MAX];
	ssize_t n;
	size_t i;

	if (at == 0 || (uint64_t)at + 0x200 >= lk->setup_bytes)
		return;
	n = mkb_pread_full(k->fd, s, sizeof s - 1, (off_t)at + 0x200);
	if (n <= 0)
		return;
	for (i = 0; i < (size_t)n && s[i] >= 0x20 && s[i] < 0x7f; i++)
		;
	s[i] = '\0';
	memcpy(lk->kernel_version, s, i + 1);
}

int linux_open(struct kernel *k, int protocol)
{
	uint8_t buf[LINUX_HEADER_BYTES];
	struct linux_kernel lk;
	struct mkb_linux block, *copy;
	ssize_t n;

	if (protocol != KERNEL_PROTOCOL_AUTO && protocol != (int)MKB_PROTOCOL_LINUX)
		return 1;
	memset(buf, 0, sizeof buf);
	if ((n = mkb_pread_full(k->fd, buf, sizeof buf, 0)) < 0)
		return mkb_fail("%s: read: %s", k->path, strerror(errno));
	if (protocol == KERNEL_PROTOCOL_AUTO && !linux_detect(buf, (size_t)n))
		return 1;
	if (linux_check_header(k->path, buf, (size_t)n, k->file_size, &lk, &block) != 0)
		return -1;
	read_kernel_version(k, buf, &lk);
	if ((k->linux_kernel = malloc(sizeof lk)) == NULL)
		return mkb_fail("%s: %s", k->path, strerror(ENOMEM));
	*k->linux_kernel = lk;
	k->protocol = MKB_PROTOCOL_LINUX;
	k->physical = 1;
	k->entry = lk.load_address + (block.flags & MKB_LINUX_ENTRY64 ? 0x200 : 0);
	if (kernel_add_segment(k, &(struct kernel_segment){
		    .index = 0, .vaddr = lk.load_address, .paddr = lk.load_address,
		    .filesz = k->file_size - lk.setup_bytes, .memsz = lk.window,
		    .offset = lk.setup_bytes, .flags = MKB_SEG_R | MKB_SEG_W | MKB_SEG_X }) != 0)
		return -1;
	if ((copy = malloc(sizeof *copy)) != NULL)
		*copy = block;
	return kernel_set_handoff(k, copy, sizeof block, KERNEL_NO_FIXUP);
}

int linux_check_plan(const char *path, const struct linux_kernel *lk, size_t cmdline_length,
                     uint64_t initrd_size)
{
	uint64_t need = MKB_ALIGN_UP(initrd_size, MKB_PAGE), limit, low, high, window_end;

	if (cmdline_length > lk->cmdline_size)
		return mkb_fail("%s: the command line is %zu bytes, longer than the kernel's cmdline_size "
		                "(%" PRIu32 "%s)", path, cmdline_length, lk->cmdline_size,
		                lk->version < 0x206 ? ", as before boot protocol 2.06" : "");
	if (lk->real_mode && cmdline_length > MKB_LINUX_CMDLINE_REAL_MAX)
		return mkb_fail("%s: the command line is %zu bytes, longer than the %u a kernel started "
		                "through its real-mode setup code gets (it is copied into the setup code's "
		                "64 KiB segment, at offset 0xe000)", path, cmdline_length,
		                MKB_LINUX_CMDLINE_REAL_MAX);
	if (initrd_size == 0)
		return 0;
	limit = (uint64_t)lk->initrd_addr_max + 1;
	limit = MKB_ALIGN_DOWN(limit < FOUR_GIB ? limit : FOUR_GIB, MKB_PAGE);
	window_end = lk->load_address + lk->window;
	/* The room below the window and above it, both under the limit. */
	low = (lk->load_address < limit ? lk->load_address : limit);
	low = low > MKB_MIB ? low - MKB_MIB : 0;
	high = limit > window_end ? limit - window_end : 0;
	if (need > low && need > high)
		return mkb_fail("%s: the initrd (%" PRIu64 " KiB) cannot be placed: the kernel takes it "
		                "only below initrd_addr_max 0x%" PRIx32 ", where beside its window at "
		                "0x%" PRIx64 "-0x%" PRIx64 " there are at most %" PRIu64 " KiB in one "
		                "piece; give a smaller initrd", path, initrd_size / 1024,
		                lk->initrd_addr_max, lk->load_address, window_end - 1,
		                (low > high ? low : high) / 1024);
	return 0;
}
