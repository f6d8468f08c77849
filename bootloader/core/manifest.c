/* Manifest rules and the payload checksum: see manifest.h. */
#include "manifest.h"

#include "core.h"

#define FOUR_GIB (UINT64_C(1) << 32)

/* Is [offset, offset + length) inside [0, size)? Without overflow. */
static CORE_NOINLINE int within(uint64_t offset, uint64_t length, uint64_t size)
{
	return offset <= size && length <= size - offset;
}

/* A table of count entries of entry bytes at offset, 8-byte aligned as the
 * tool writes it (its fields are then read in place), inside size bytes.
 * count is at most 128 here: 32-bit arithmetic. */
static int table_within(uint32_t offset, uint32_t count, uint32_t entry, uint32_t size)
{
	return !(offset & 7) && offset <= size && count * entry <= size - offset;
}

/* A string of length bytes and its NUL at offset, inside size bytes. */
static int string_within(uint32_t offset, uint32_t length, uint32_t size)
{
	return offset <= size && length < size - offset;
}

enum mkb_manifest_rule mkb_manifest_check_header(const struct mkb_manifest *m, uint64_t manifest_lba)
{
	uint32_t bytes = m->sectors * MKB_SECTOR_SIZE;

	if (m->magic != MKB_MANIFEST_MAGIC)
		return MKB_RULE_MAGIC;
	if (m->version != MKB_MANIFEST_VERSION)
		return MKB_RULE_VERSION;
	if (m->sectors == 0 || m->sectors > MKB_MANIFEST_MAX_BYTES / MKB_SECTOR_SIZE)
		return MKB_RULE_SECTORS;
	if (m->header_size != MKB_MANIFEST_HEADER_BASE && m->header_size != MKB_MANIFEST_HEADER_SMP)
		return MKB_RULE_HEADER_SIZE;
	if (mkb_manifest_smp_stack(m) & (PAGE_SIZE - 1))
		return MKB_RULE_STACK_SIZE;
	if (m->segment_count == 0)
		return MKB_RULE_NO_SEGMENTS;
	if (m->segment_count > MKB_MAX_SEGMENTS)
		return MKB_RULE_SEGMENT_COUNT;
	if (m->module_count > MKB_MAX_MODULES)
		return MKB_RULE_MODULE_COUNT;
	if (!table_within(m->segment_offset, m->segment_count, sizeof(struct mkb_segment), bytes))
		return MKB_RULE_SEGMENT_TABLE;
	if (!table_within(m->module_offset, m->module_count, sizeof(struct mkb_module), bytes))
		return MKB_RULE_MODULE_TABLE;
	if (!string_within(m->cmdline_offset, m->cmdline_length, bytes))
		return MKB_RULE_CMDLINE;
	if (m->multiboot_offset != 0 &&
	    !table_within(m->multiboot_offset, 1, m->protocol == MKB_PROTOCOL_LINUX ? sizeof(struct mkb_linux)
			  : m->protocol == MKB_PROTOCOL_NATIVE ? sizeof(struct mkb_pie)
			  : sizeof(struct mkb_multiboot), bytes))
		return MKB_RULE_MULTIBOOT_BLOCK;
	if (m->protocol > MKB_PROTOCOL_LINUX)
		return MKB_RULE_PROTOCOL;
	if (m->protocol != MKB_PROTOCOL_NATIVE && m->multiboot_offset == 0)
		return MKB_RULE_MULTIBOOT_MISSING;
	if (m->image_sectors > UINT32_MAX)
		return MKB_RULE_IMAGE_SECTORS;
	if (m->payload_lba < manifest_lba + m->sectors)
		return MKB_RULE_PAYLOAD_OVERLAP;
	if (!within(m->payload_lba, m->payload_sectors, m->image_sectors))
		return MKB_RULE_PAYLOAD_END;
	if (m->stack_size == 0 || (m->stack_size & (PAGE_SIZE - 1)) || (m->stack_size >> 32))
		return MKB_RULE_STACK_SIZE;
	if (m->protocol != MKB_PROTOCOL_NATIVE && m->entry >= FOUR_GIB)
		return MKB_RULE_ENTRY;
	if (m->protocol == MKB_PROTOCOL_LINUX && m->segment_count != 1)
		return MKB_RULE_LINUX_SEGMENTS;
	return MKB_RULE_VALID;
}

/* A real-mode entry's setup sectors end the payload and fit below its heap
 * at X+0x8000; its command line fits between X+0xe000 and X+0x10000. */
static enum mkb_manifest_rule real_mode_rule(const struct mkb_manifest *m, const struct mkb_linux *lx)
{
	if (!(lx->flags & MKB_LINUX_REAL_MODE))
		return lx->setup_sectors ? MKB_RULE_LINUX_REAL_MODE : MKB_RULE_VALID;
	if (lx->setup_sectors < 2 || lx->setup_sectors > MKB_LINUX_SETUP_MAX ||
	    lx->setup_sectors > m->payload_sectors || m->cmdline_length > MKB_LINUX_CMDLINE_REAL_MAX)
		return MKB_RULE_LINUX_REAL_MODE;
	return MKB_RULE_VALID;
}

/* In place: the header's rules put each table inside and aligned. */
enum mkb_manifest_rule mkb_manifest_check_tables(const void *manifest, uint32_t *item)
{
	const struct mkb_manifest *m = manifest;
	const struct mkb_segment *seg = mkb_manifest_segments(m);
	const struct mkb_module *mod = mkb_manifest_modules(m);
	uint32_t bytes = m->sectors * MKB_SECTOR_SIZE;
	uint64_t payload = m->payload_sectors * MKB_SECTOR_SIZE;

	for (uint32_t i = 0; i < m->segment_count; i++) {
		const struct mkb_segment *s = &seg[i];
		*item = i;
		if (s->filesz > s->memsz)
			return MKB_RULE_SEGMENT_FILESZ;
		if ((s->payload_offset & (MKB_SECTOR_SIZE - 1)) || !within(s->payload_offset, s->filesz, payload))
			return MKB_RULE_SEGMENT_PAYLOAD;
		if (s->paddr < MiB || !within(s->paddr, s->memsz, FOUR_GIB) ||
		    (s->memsz != 0 && s->memsz - 1 > UINT64_MAX - s->vaddr))
			return MKB_RULE_SEGMENT_PLACE;
	}
	for (uint32_t i = 0; i < m->module_count; i++) {
		*item = i;
		if ((mod[i].payload_offset & (MKB_SECTOR_SIZE - 1)) ||
		    !within(mod[i].payload_offset, mod[i].size, payload))
			return MKB_RULE_MODULE_PAYLOAD;
		if (!string_within(mod[i].string_offset, mod[i].string_length, bytes))
			return MKB_RULE_MODULE_STRING;
	}
	*item = 0;
	if (m->protocol == MKB_PROTOCOL_LINUX) {
		const struct mkb_linux *lx = (const void *)((const char *)m + m->multiboot_offset);
		/* Up to the kernel_version field at least: the loader writes the fields before it. */
		if (lx->header_size < 0x20e - MKB_LINUX_HEADER_OFFSET || lx->header_size > MKB_LINUX_HEADER_MAX ||
		    lx->kernel_alignment < PAGE_SIZE || (lx->kernel_alignment & (lx->kernel_alignment - 1)))
			return MKB_RULE_LINUX_HEADER;
		if ((lx->initrd_payload_offset & (MKB_SECTOR_SIZE - 1)) ||
		    !within(lx->initrd_payload_offset, lx->initrd_size, payload) || (lx->initrd_size >> 32))
			return MKB_RULE_INITRD_PAYLOAD;
		return real_mode_rule(m, lx);
	}
	if (m->protocol == MKB_PROTOCOL_NATIVE && m->multiboot_offset != 0) {
		const struct mkb_pie *pie = (const void *)((const char *)m + m->multiboot_offset);
		if ((pie->flags & ~(MKB_PIE_RELOCATABLE | MKB_PIE_KASLR_BASE | MKB_PIE_KASLR_DIRECT_MAP)) ||
		    pie->slots == 0 || pie->slots > MKB_PIE_MAX_SLOTS || pie->count > MKB_PIE_MAX_RELOCATIONS ||
		    (pie->table_payload_offset & (MKB_SECTOR_SIZE - 1)) ||
		    !within(pie->table_payload_offset, (uint64_t)pie->count * 4, payload))
			return MKB_RULE_PIE;
		return MKB_RULE_VALID;
	}
	if (m->multiboot_offset != 0) {
		const struct mkb_multiboot *mb = (const void *)((const char *)m + m->multiboot_offset);
		if (mb->shdr_num != 0 && !within(mb->shdr_offset, (uint64_t)mb->shdr_num * mb->shdr_entsize, bytes))
			return MKB_RULE_SECTION_HEADERS;
	}
	return MKB_RULE_VALID;
}

const char *mkb_manifest_rule_text(enum mkb_manifest_rule rule)
{
	switch (rule) {
	case MKB_RULE_VALID: return "the manifest is valid";
	case MKB_RULE_MAGIC: return "no manifest magic (\"MKBM\")";
	case MKB_RULE_VERSION: return "a manifest version this loader does not read";
	case MKB_RULE_SECTORS: return "the manifest's size is not 1 to 128 sectors";
	case MKB_RULE_HEADER_SIZE: return "the manifest's header size is neither 120 nor 128 bytes";
	case MKB_RULE_NO_SEGMENTS: return "the manifest has no segments";
	case MKB_RULE_SEGMENT_COUNT: return "the manifest has more than 128 segments";
	case MKB_RULE_MODULE_COUNT: return "the manifest has more than 64 modules";
	case MKB_RULE_SEGMENT_TABLE: return "the segment table lies outside the manifest, or is not 8-byte aligned";
	case MKB_RULE_MODULE_TABLE: return "the module table lies outside the manifest, or is not 8-byte aligned";
	case MKB_RULE_CMDLINE: return "the command line lies outside the manifest";
	case MKB_RULE_MULTIBOOT_BLOCK: return "the Multiboot or Linux block lies outside the manifest, or is not 8-byte aligned";
	case MKB_RULE_PROTOCOL: return "the manifest names a protocol this loader does not know";
	case MKB_RULE_MULTIBOOT_MISSING: return "a Multiboot or Linux protocol without its block";
	case MKB_RULE_IMAGE_SECTORS: return "an image of more than 2^32 sectors";
	case MKB_RULE_PAYLOAD_OVERLAP: return "the payload overlaps the manifest";
	case MKB_RULE_PAYLOAD_END: return "the payload ends after the image";
	case MKB_RULE_STACK_SIZE: return "the stack size is not a whole number of pages from 4 KiB to 4 GiB";
	case MKB_RULE_ENTRY: return "a Multiboot entry point above 4 GiB";
	case MKB_RULE_LINUX_SEGMENTS: return "a Linux kernel of more or fewer than one segment";
	case MKB_RULE_SEGMENT_FILESZ: return "more bytes in the file than in memory";
	case MKB_RULE_SEGMENT_PAYLOAD: return "its bytes lie outside the payload";
	case MKB_RULE_SEGMENT_PLACE: return "placed outside 1 MiB to 4 GiB, or wrapping around";
	case MKB_RULE_MODULE_PAYLOAD: return "its bytes lie outside the payload";
	case MKB_RULE_MODULE_STRING: return "its string lies outside the manifest";
	case MKB_RULE_SECTION_HEADERS: return "the section headers lie outside the manifest";
	case MKB_RULE_LINUX_HEADER: return "the Linux setup header's size or kernel_alignment is wrong";
	case MKB_RULE_INITRD_PAYLOAD: return "the initrd lies outside the payload";
	case MKB_RULE_LINUX_REAL_MODE: return "the Linux real-mode part's size or place, or its command line's length, is wrong";
	case MKB_RULE_PIE: return "the relocatable kernel's block (struct mkb_pie) is wrong";
	case MKB_RULE_RULES: break;
	}
	return "an unknown rule";
}

/* One word, in memory order (little-endian), from any address. The
 * builtin, not memcpy: a freestanding build would call the function. */
#define ADD_WORD(at)                            \
	do {                                    \
		__builtin_memcpy(&w, (at), 4);  \
		a += w;                         \
		b += a;                         \
	} while (0)

void mkb_checksum_add(struct mkb_checksum *c, const void *data, size_t n)
{
	const uint8_t *p = data;
	uint32_t a = c->a, b = c->b, w;
	size_t rounds = n >> 5;

	/* Eight words a round: under emulation the loader's time is the number
	 * of instructions. Built without reassociation (bootloader.mk), gcc -m16
	 * makes this two per word and three a round, as hand-written assembly. */
	if (rounds) {
		do {
			ADD_WORD(p);
			ADD_WORD(p + 4);
			ADD_WORD(p + 8);
			ADD_WORD(p + 12);
			ADD_WORD(p + 16);
			ADD_WORD(p + 20);
			ADD_WORD(p + 24);
			ADD_WORD(p + 28);
			p += 32;
		} while (--rounds);
	}
	for (n &= 31; n >= 4; n -= 4, p += 4)
		ADD_WORD(p);
	if (n) {
		w = 0;
		memcpy(&w, p, n);
		a += w;
		b += a;
	}
	c->a = a;
	c->b = b;
}
