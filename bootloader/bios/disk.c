/* Disk reads through int 13h: extended (LBA) reads, CHS when the BIOS has
 * no extensions. Every read is retried after a disk reset before it fails. */
#include <mkbootimg/image.h>

#include "bios.h"

#define TRIES 3

static uint8_t drive;
static int have_extensions;
/* 128 sectors fill the 64 KiB bounce buffer; Phoenix's EDD specification
 * allows only 127, and some BIOSes refuse more: fall back on the first error. */
static uint32_t transfer_sectors = BOUNCE_SECTORS;
static uint32_t sectors_per_track, heads;
static uint64_t disk_size; /* sectors, 0 when the BIOS does not say */

struct dap {
	uint8_t size, zero;
	uint16_t count;
	uint16_t offset, segment;
	uint64_t lba;
};

void disk_init(uint8_t boot_drive)
{
	struct bios_regs r = { .eax = 0x4100, .ebx = 0x55aa, .edx = boot_drive };

	drive = boot_drive;
	bios_call(0x13, &r);
	have_extensions = !(r.eflags & EFLAGS_CF) && (r.ebx & 0xffff) == 0xaa55 && (r.ecx & 1);
	if (have_extensions) {
		struct {
			uint16_t size, flags;
			uint32_t cylinders, heads, sectors_per_track;
			uint64_t sectors;
			uint16_t sector_size;
		} __attribute__((packed)) params = { .size = 0x1a }; /* on the stack: below 64 KiB */
		r = (struct bios_regs){ .eax = 0x4800, .edx = boot_drive,
					.esi = (uint32_t)(uintptr_t)&params };
		bios_call(0x13, &r);
		if (!(r.eflags & EFLAGS_CF) && params.sectors != UINT64_MAX)
			disk_size = params.sectors;
		return;
	}
	transfer_sectors = 1; /* CHS reads must not cross a track */

	r = (struct bios_regs){ .eax = 0x0800, .edx = boot_drive };
	bios_call(0x13, &r);
	sectors_per_track = r.ecx & 0x3f;
	heads = ((r.edx >> 8) & 0xff) + 1;
	if ((r.eflags & EFLAGS_CF) || sectors_per_track == 0)
		fatal("the BIOS has no extended disk reads and no disk geometry (status 0x%02x).\n%s",
		      (r.eax >> 8) & 0xff, firmware_unsupported);
}

static void reset(void)
{
	struct bios_regs r = { .edx = drive };
	bios_call(0x13, &r);
}

/* One BIOS read; returns the BIOS status (0 on success). */
static uint8_t read_once(uint64_t lba, uint32_t count, uint32_t dst)
{
	struct bios_regs r = { 0 };

	if (have_extensions) {
		struct dap dap = {
			.size = sizeof(struct dap),
			.count = (uint16_t)count,
			.offset = (uint16_t)(dst & 0xf),
			.segment = (uint16_t)(dst >> 4),
			.lba = lba,
		};
		r.eax = 0x4200;
		r.edx = drive;
		r.esi = (uint32_t)(uintptr_t)&dap; /* on the stack, below 64 KiB */
		bios_call(0x13, &r);
	} else {
		/* count is 1 here (transfer_sectors). */
		uint32_t l = (uint32_t)lba;
		uint32_t sector = l % sectors_per_track + 1;
		uint32_t track = l / sectors_per_track;
		uint32_t head = track % heads, cylinder = track / heads;
		if (lba > UINT32_MAX || cylinder > 1023)
			return 0xff;
		r.eax = 0x0201;
		r.ecx = ((cylinder & 0xff) << 8) | ((cylinder >> 2) & 0xc0) | sector;
		r.edx = (head << 8) | drive;
		r.ebx = dst & 0xf;
		r.es = (uint16_t)(dst >> 4);
		bios_call(0x13, &r);
	}
	if (!(r.eflags & EFLAGS_CF))
		return 0;
	return ((r.eax >> 8) & 0xff) ? (uint8_t)(r.eax >> 8) : 0xff; /* a failure must not read as 0 */
}

/* count sectors at lba to the bounce buffer, each read retried. */
static enum core_status read_low(uint64_t lba, uint32_t count, struct core_error *e)
{
	uint32_t dst = BOUNCE_BUFFER;

	while (count) {
		uint32_t n = count < transfer_sectors ? count : transfer_sectors;
		uint8_t status = 0;

		for (int t = 0; t < TRIES; t++) {
			status = read_once(lba, n, dst);
			if (!status)
				break;
			reset();
			if (n > 127) { /* try the classic limit before counting a failure */
				n = transfer_sectors = 127;
				t--;
			}
		}
		if (status)
			return core_fail(e, CORE_READ,
				"disk read failed at sector %u (BIOS status 0x%02x) after %u tries%s.\n"
				"Check the disk or USB stick, or write the image again.",
				(uint32_t)lba, status, TRIES,
				have_extensions ? "" : "\n(CHS: no int 13h extensions)");
		lba += n;
		count -= n;
		dst += n * 512;
	}
	return CORE_OK;
}

/* Through the bounce buffer: int 13h writes only below 1 MiB. */
enum core_status platform_read(uint64_t lba, void *dst, size_t bytes, struct core_error *e)
{
	uint8_t *to = dst;

	while (bytes) {
		uint32_t most = transfer_sectors * MKB_SECTOR_SIZE;
		uint32_t chunk = bytes < most ? (uint32_t)bytes : most;
		uint32_t sectors = (chunk + MKB_SECTOR_SIZE - 1) / MKB_SECTOR_SIZE;
		enum core_status rc = read_low(lba, sectors, e);
		if (rc != CORE_OK)
			return rc;
		memcpy(to, flat(BOUNCE_BUFFER), chunk);
		lba += sectors;
		to += chunk;
		bytes -= chunk;
	}
	return CORE_OK;
}

uint64_t disk_sectors(void)
{
	return disk_size;
}
