/*
 * The UEFI floors of make bench, as EFI applications that take the place
 * of BOOTX64.EFI in a copy of the image (bench/efi-floor.py puts them in).
 *
 * Built plain: exit QEMU through isa-debug-exit (port 0xf4, 0x10: status
 * 33) at once; what the UEFI loader adds on top is its own cost.
 * Built with -DPAYLOAD_LBA=N -DPAYLOAD_SECTORS=N: first read those sectors
 * of the whole disk with one BlockIo ReadBlocks into pages allocated for
 * them, the least any UEFI loader does to put a payload in RAM. A failure
 * exits with 0x11 (status 35).
 *
 * The few UEFI structures used are spelled out here (UEFI 2.x, chapters 4,
 * 7 and 13), so the floor shares no code with the loader it is measured
 * against. clang's x86_64-unknown-windows target calls with the Microsoft
 * ABI, as UEFI does.
 */
#include <stdint.h>

#define EFI_SUCCESS 0
#define BY_PROTOCOL 2
#define ALLOCATE_ANY_PAGES 0
#define LOADER_DATA 2
#define EFI_PAGE 4096

struct efi_guid {
	uint32_t a;
	uint16_t b, c;
	uint8_t d[8];
};

struct efi_block_media {
	uint32_t media_id;
	uint8_t removable, present, logical_partition, read_only, write_caching;
	uint32_t block_size;
	uint32_t io_align;
	uint64_t last_block;
};

struct efi_block_io {
	uint64_t revision;
	struct efi_block_media *media;
	void *reset;
	uint64_t (*read_blocks)(struct efi_block_io *self, uint32_t media_id, uint64_t lba, uint64_t size,
	                        void *buffer);
};

/* Boot services: the table header, then one pointer per service, in the specification's order. */
enum { BS_ALLOCATE_PAGES = 2, BS_HANDLE_PROTOCOL = 16, BS_LOCATE_HANDLE_BUFFER = 36 };

struct efi_boot_services {
	uint8_t header[24];
	void *services[40];
};

struct efi_system_table {
	uint8_t header[24];
	void *vendor;
	uint32_t revision;
	void *con_in_handle, *con_in, *con_out_handle, *con_out, *err_handle, *err;
	void *runtime_services;
	struct efi_boot_services *boot_services;
};

typedef uint64_t (*allocate_pages_fn)(uint32_t type, uint32_t memory_type, uint64_t pages, uint64_t *address);
typedef uint64_t (*handle_protocol_fn)(void *handle, const struct efi_guid *protocol, void **interface);
typedef uint64_t (*locate_handle_buffer_fn)(uint32_t search, const struct efi_guid *protocol, void *key,
                                            uint64_t *count, void ***handles);

static void debug_exit(uint32_t value)
{
	__asm__ volatile("outl %0, %w1" : : "a"(value), "Nd"(0xf4));
	for (;;)
		__asm__ volatile("cli; hlt");
}

#ifdef PAYLOAD_SECTORS
static const struct efi_guid block_io_guid = { 0x964e5b21, 0x6459, 0x11d2,
                                               { 0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b } };

/* The first whole disk (not a partition) with media that holds the payload. */
static struct efi_block_io *whole_disk(struct efi_boot_services *bs)
{
	locate_handle_buffer_fn locate = (locate_handle_buffer_fn)bs->services[BS_LOCATE_HANDLE_BUFFER];
	handle_protocol_fn handle_protocol = (handle_protocol_fn)bs->services[BS_HANDLE_PROTOCOL];
	void **handles;
	uint64_t count;

	if (locate(BY_PROTOCOL, &block_io_guid, 0, &count, &handles) != EFI_SUCCESS)
		return 0;
	for (uint64_t i = 0; i < count; i++) {
		struct efi_block_io *io;
		if (handle_protocol(handles[i], &block_io_guid, (void **)&io) != EFI_SUCCESS)
			continue;
		if (io->media->present && !io->media->logical_partition && io->media->block_size == 512 &&
		    io->media->last_block >= (uint64_t)PAYLOAD_LBA + PAYLOAD_SECTORS - 1)
			return io;
	}
	return 0;
}

static void load(struct efi_boot_services *bs)
{
	allocate_pages_fn allocate = (allocate_pages_fn)bs->services[BS_ALLOCATE_PAGES];
	uint64_t bytes = (uint64_t)PAYLOAD_SECTORS * 512, place = 0;
	struct efi_block_io *disk = whole_disk(bs);

	if (disk == 0 || allocate(ALLOCATE_ANY_PAGES, LOADER_DATA, (bytes + EFI_PAGE - 1) / EFI_PAGE, &place) !=
	    EFI_SUCCESS)
		debug_exit(0x11);
	if (disk->read_blocks(disk, disk->media->media_id, PAYLOAD_LBA, bytes, (void *)(uintptr_t)place) !=
	    EFI_SUCCESS)
		debug_exit(0x11);
}
#endif

uint64_t efi_main(void *image, struct efi_system_table *st);

uint64_t efi_main(void *image, struct efi_system_table *st)
{
	(void)image;
#ifdef PAYLOAD_SECTORS
	load(st->boot_services);
#else
	(void)st;
#endif
	debug_exit(0x10);
	return 0;
}
