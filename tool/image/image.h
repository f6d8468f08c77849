/*
 * The image writer: MBR + stage 2 + manifest + payload, written to a
 * temporary file beside the output and renamed into place, so a failed
 * build never leaves a half-written image or touches an existing one.
 */
#ifndef MKB_IMAGE_H
#define MKB_IMAGE_H

#include <stddef.h>
#include <stdint.h>

struct kernel;
struct plan;

/*
 * The embedded loaders: data is the BIOS loader, 512-byte stage 1 then
 * stage 2 in whole sectors; efi is BOOTX64.EFI, the UEFI loader that the
 * GPT layouts put in their ESP (NULL when there is none).
 */
struct loader_blob {
	const uint8_t *data;
	size_t size;
	const uint8_t *efi;
	size_t efi_size;
};

/*
 * Check the blob's shape (boot signature, stage 2 header magic, sizes) and
 * return the stage 2 size in sectors. 0, or -1 with mkb_error() set.
 */
int image_check_loader(const struct loader_blob *l, uint64_t *stage2_sectors);

/*
 * Check that the UEFI loader is a PE32+ EFI application for x86-64 ("MZ",
 * "PE\0\0", machine 0x8664, subsystem 10). 0, or -1 with mkb_error() set.
 */
int image_check_efi_loader(const struct loader_blob *l);

/* Does the name end in .iso (any case)? The build refuses it: it writes disk images only. */
int image_is_iso_name(const char *path);

/*
 * LBA 0: stage 1's code with its BPB area as stage 1 has it, the disk
 * signature, one active partition entry covering [first_lba, first_lba +
 * sectors), three empty entries, 0x55AA.
 */
void image_build_mbr(uint8_t mbr[512], const uint8_t stage1[512], uint32_t disk_signature,
                     uint64_t first_lba, uint64_t sectors);

/*
 * The manifest, zero-padded to p->manifest_sectors. Returns its size in
 * bytes, or 0 when cap is too small.
 */
size_t image_build_manifest(uint8_t *buf, size_t cap, const struct plan *p, uint64_t checksum);

/*
 * Build the whole image at out_path, in the layout p->layout: the file's
 * size is set first and only sectors that are not zero are written, so
 * the empty parts of the ESP stay holes. The ESP's FAT32 volume and the
 * GPT's GUIDs come from the payload's checksum: same kernel, same image.
 * 0, or -1 with mkb_error() set.
 */
int image_write(const char *out_path, const struct kernel *k, const struct plan *p,
                const struct loader_blob *l);

#endif
