/*
 * The loader core's manifest validator (bootloader/core/manifest.c), which
 * the loader, the image writer and info share: mkb_manifest_check_header,
 * then mkb_manifest_check_tables on exactly the manifest's bytes, then, for
 * a manifest both accept, everything a loader reads through it (the tables,
 * the command line, module strings, the Multiboot block's section headers)
 * and the payload checksum over the bytes after the manifest.
 *
 * Input: [the manifest's LBA - 34, 8 bits][the manifest][the payload].
 * A read outside what the checks accepted is an AddressSanitizer report.
 */
#include "manifest.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

volatile unsigned fuzz_manifest_sink; /* keeps the reads */

/* Read every byte of [p, p + n): out-of-bounds reads fail under ASan. */
static unsigned touch(const void *p, uint64_t n)
{
	const volatile uint8_t *b = p;
	unsigned sum = 0;

	for (uint64_t i = 0; i < n; i++)
		sum += b[i];
	return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mkb_manifest header;
	uint64_t lba, bytes;
	uint32_t item = 0;
	uint8_t *manifest;
	unsigned sum = 0;

	if (size < 1 + sizeof header)
		return -1;
	lba = MKB_STAGE2_LBA + data[0];
	memcpy(&header, data + 1, sizeof header);
	sum += (unsigned)mkb_manifest_rule_text(mkb_manifest_check_header(&header, lba))[0];
	if (mkb_manifest_check_header(&header, lba) != MKB_RULE_VALID)
		return 0;
	bytes = (uint64_t)header.sectors * MKB_SECTOR_SIZE;
	if (size - 1 < bytes)
		return 0;
	/* Exactly the manifest's bytes, in a buffer of their own. */
	if ((manifest = malloc(bytes)) == NULL)
		abort();
	memcpy(manifest, data + 1, bytes);
	enum mkb_manifest_rule rule = mkb_manifest_check_tables(manifest, &item);
	sum += (unsigned)mkb_manifest_rule_text(rule)[0];
	if (rule == MKB_RULE_VALID) {
		const struct mkb_manifest *m = (const void *)manifest;
		const uint8_t *payload = data + 1 + bytes;
		uint64_t payload_size = size - 1 - bytes;
		/* Through the typed accessors, as the loader reads them: the rules
		 * promise the tables aligned, and UBSan checks that promise. */
		const struct mkb_segment *seg = mkb_manifest_segments(m);
		const struct mkb_module *mod = mkb_manifest_modules(m);
		struct mkb_checksum c;

		sum += touch(seg, (uint64_t)m->segment_count * sizeof *seg);
		sum += touch(mod, (uint64_t)m->module_count * sizeof *mod);
		for (uint32_t i = 0; i < m->segment_count; i++)
			sum += (unsigned)(seg[i].paddr + seg[i].memsz + seg[i].payload_offset);
		sum += touch(mkb_manifest_string(m, m->cmdline_offset), (uint64_t)m->cmdline_length + 1);
		for (uint32_t i = 0; i < m->module_count; i++)
			sum += touch(mkb_manifest_string(m, mod[i].string_offset), (uint64_t)mod[i].string_length + 1);
		if (m->multiboot_offset != 0) {
			const struct mkb_multiboot *mb = (const void *)(manifest + m->multiboot_offset);
			sum += touch(mb, sizeof *mb);
			if (mb->shdr_num != 0)
				sum += touch(manifest + mb->shdr_offset, (uint64_t)mb->shdr_num * mb->shdr_entsize);
		}
		/* The checksum, when the input holds the whole payload. */
		if (m->payload_sectors * MKB_SECTOR_SIZE <= payload_size) {
			mkb_checksum_init(&c);
			for (uint32_t i = 0; i < m->segment_count; i++)
				mkb_checksum_add(&c, payload + seg[i].payload_offset, seg[i].filesz);
			for (uint32_t i = 0; i < m->module_count; i++)
				mkb_checksum_add(&c, payload + mod[i].payload_offset, mod[i].size);
			sum += (unsigned)mkb_checksum_value(&c);
		}
	}
	free(manifest);
	fuzz_manifest_sink = sum;
	return 0;
}
