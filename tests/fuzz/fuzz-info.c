/*
 * The image reader of info, run and install: info_check_image_file (boot
 * signature, loader header, manifest, its tables and strings, payload bounds,
 * truncation, checksum; for a GPT image its headers, entries and CRC32s,
 * and the EFI system partition's FAT32 volume: boot sector, cluster chains,
 * directories), then info_print_image as text and as JSON.
 *
 * Input, first byte even: the whole file, as is.
 * First byte odd: [stage-2 sectors, 16 bits LE][the image from the manifest
 * on]; the target puts a boot sector with its signature and a loader header
 * of that many sectors in front, so mutations reach the manifest at once.
 * seed-image.py turns a real image into a seed of this kind.
 */
#include "fuzz.h"
#include "info.h"

#include <mkbootimg/image.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The file: data itself, or the synthesized head and the rest of data. */
static uint8_t *image_of(const uint8_t *data, size_t size, size_t *out_size)
{
	uint8_t *image;

	if ((data[0] & 1) == 0 || size < 3) {
		*out_size = size - 1;
		image = malloc(size);
		if (image != NULL)
			memcpy(image, data + 1, size - 1);
		return image;
	}
	/* At most 64 stage-2 sectors: 49 KiB of zeros before the manifest is plenty. */
	uint16_t sectors = (uint16_t)((data[1] | data[2] << 8) % 64);
	size_t head = (size_t)(MKB_STAGE2_LBA + sectors) * MKB_SECTOR_SIZE;
	struct mkb_stage2_header h = { .magic = MKB_STAGE2_MAGIC, .sectors = sectors,
	                               .version = MKB_MANIFEST_VERSION, .loader_version = "mkbootimg fuzz" };

	*out_size = head + size - 3;
	image = calloc(1, *out_size > head + sizeof h ? *out_size : head + sizeof h);
	if (image == NULL)
		return NULL;
	image[MKB_MBR_BOOT_SIGNATURE] = 0x55;
	image[MKB_MBR_BOOT_SIGNATURE + 1] = 0xaa;
	memcpy(image + (size_t)MKB_STAGE2_LBA * MKB_SECTOR_SIZE, &h, sizeof h);
	memcpy(image + head, data + 3, size - 3);
	return image;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	struct info_image im;
	size_t image_size;
	uint8_t *image;
	const char *path;
	int fd;

	if (size < 1)
		return -1;
	if (sink == NULL && (sink = fopen("/dev/null", "w")) == NULL)
		abort();
	image = image_of(data, size, &image_size);
	if (image == NULL)
		abort();
	path = fuzz_file(image, image_size);
	free(image);

	/* What run and install call before they use an image. */
	info_check_image_file(path);

	/* What info reads and prints. */
	fd = open(path, O_RDONLY);
	if (fd < 0)
		abort();
	if (info_read_image(fd, &im) == 0) {
		info_print_image(sink, path, &im, 0);
		info_print_image(sink, path, &im, 1);
		info_check_image(path, &im);
		info_image_free(&im);
	}
	close(fd);
	return 0;
}
