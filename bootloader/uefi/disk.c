/*
 * The boot disk: the whole disk whose partition (the EFI system
 * partition) the firmware loaded BOOTX64.EFI from, read through DiskIo at
 * byte offsets, so media with 4 KiB sectors read the image's 512-byte
 * sectors as well.
 */
#include <mkbootimg/image.h>

#include "uefi.h"

static const struct efi_guid loaded_image_guid = EFI_LOADED_IMAGE_GUID;
static const struct efi_guid device_path_guid = EFI_DEVICE_PATH_GUID;
static const struct efi_guid block_io_guid = EFI_BLOCK_IO_GUID;
static const struct efi_guid disk_io_guid = EFI_DISK_IO_GUID;

static struct efi_disk_io *disk;
static uint32_t media_id;

static const char rewrite[] = "Write the image again with mkbootimg.";

static uint16_t node_length(const struct efi_device_path *p)
{
	return (uint16_t)(p->length[0] | p->length[1] << 8);
}

/*
 * The device path of the loader's volume, cut before its first media node
 * (HD(), CDROM()): the path of the whole disk. A copy in pool memory, or
 * the path itself when it has no media node (a whole disk already).
 */
static struct efi_device_path *whole_disk_path(struct efi_device_path *path)
{
	const uint8_t *p = (const uint8_t *)path;
	size_t bytes = 0;
	uint8_t *copy;

	for (;;) {
		const struct efi_device_path *node = (const void *)(p + bytes);
		if (node->type == EFI_END_DEVICE_PATH)
			return path;
		if (node->type == EFI_MEDIA_DEVICE_PATH)
			break;
		if (node_length(node) < sizeof *node)
			return path; /* malformed: no way to walk on */
		bytes += node_length(node);
	}
	if (bs->allocate_pool(EFI_LOADER_DATA, bytes + sizeof(struct efi_device_path), (void **)&copy))
		fatal("no memory for the boot disk's device path. %s", rewrite);
	memcpy(copy, path, bytes);
	struct efi_device_path *end = (void *)(copy + bytes);
	end->type = EFI_END_DEVICE_PATH;
	end->subtype = EFI_END_ENTIRE_DEVICE_PATH;
	end->length[0] = sizeof *end;
	end->length[1] = 0;
	return (struct efi_device_path *)(void *)copy;
}

void disk_open(efi_handle image, uint64_t *sectors)
{
	struct efi_loaded_image *loaded;
	struct efi_device_path *path;
	struct efi_block_io *block;
	efi_handle handle;

	if (bs->handle_protocol(image, &loaded_image_guid, (void **)&loaded) ||
	    bs->handle_protocol(loaded->device_handle, &device_path_guid, (void **)&path))
		fatal("the firmware does not say which disk the loader came from.\n"
		      "Boot the image as a whole disk (a USB stick, a VM's disk), not a copy of its files.");
	path = whole_disk_path(path);
	if (bs->locate_device_path(&block_io_guid, &path, &handle) ||
	    bs->handle_protocol(handle, &block_io_guid, (void **)&block) ||
	    bs->handle_protocol(handle, &disk_io_guid, (void **)&disk))
		fatal("the disk the loader came from cannot be read as a whole (no BlockIo or DiskIo).\n"
		      "Boot the image as a whole disk (a USB stick, a VM's disk), not a copy of its files.");
	media_id = block->media->media_id;
	*sectors = (block->media->last_block + 1) * block->media->block_size / MKB_SECTOR_SIZE;
}

enum core_status platform_read(uint64_t lba, void *dst, size_t bytes, struct core_error *e)
{
	efi_status s = disk->read_disk(disk, media_id, lba * MKB_SECTOR_SIZE, bytes, dst);

	if (s)
		return core_fail(e, CORE_READ,
				 "disk read failed at sector %u (UEFI status 0x%lx).\n"
				 "Check the disk or USB stick, or write the image again.",
				 (uint32_t)lba, s);
	return CORE_OK;
}

uint64_t disk_manifest_lba(void)
{
	static uint64_t sector[MKB_SECTOR_SIZE / 8];
	const struct mkb_stage2_header *stage2 = (const void *)sector;
	struct core_error e;

	if (platform_read(MKB_STAGE2_LBA, sector, sizeof sector, &e) != CORE_OK)
		fatal("%s", e.message);
	if (stage2->magic == MKB_STAGE2_MAGIC)
		return MKB_STAGE2_LBA + stage2->sectors;
	return MKB_STAGE2_LBA; /* the manifest, or the core says there is none */
}
