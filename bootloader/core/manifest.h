/*
 * The one definition of a valid manifest (include/mkbootimg/image.h), and the
 * payload checksum. The loader, the tool's image writer and `mkbootimg info`
 * all use these: an image is bootable exactly when they accept it.
 *
 * Host-compilable with no other core file: the tool builds this one alone.
 */
#ifndef MKB_CORE_MANIFEST_H
#define MKB_CORE_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include <mkbootimg/image.h>

/* Each rule a manifest must keep, in the order they are checked. */
enum mkb_manifest_rule {
	MKB_RULE_VALID = 0,
	/* The header, before anything else can be trusted. */
	MKB_RULE_MAGIC,        /* magic is MKB_MANIFEST_MAGIC */
	MKB_RULE_VERSION,      /* version is MKB_MANIFEST_VERSION */
	MKB_RULE_SECTORS,      /* 1 to MKB_MANIFEST_MAX_BYTES / 512 sectors */
	MKB_RULE_HEADER_SIZE,  /* header_size is MKB_MANIFEST_HEADER_BASE or _SMP */
	/* The rest of the header. */
	MKB_RULE_NO_SEGMENTS,  /* at least one segment */
	MKB_RULE_SEGMENT_COUNT,/* at most MKB_MAX_SEGMENTS */
	MKB_RULE_MODULE_COUNT, /* at most MKB_MAX_MODULES */
	MKB_RULE_SEGMENT_TABLE,/* the segment table inside the manifest, 8-byte aligned */
	MKB_RULE_MODULE_TABLE, /* the module table inside the manifest, 8-byte aligned */
	MKB_RULE_CMDLINE,      /* the command line and its NUL inside the manifest */
	MKB_RULE_MULTIBOOT_BLOCK,  /* the hand-off block, when there is one (struct mkb_multiboot,
	                              struct mkb_linux for Linux, struct mkb_pie for a native
	                              kernel), inside, aligned */
	MKB_RULE_PROTOCOL,     /* a protocol this loader knows */
	MKB_RULE_MULTIBOOT_MISSING, /* a Multiboot or Linux protocol has its hand-off block */
	MKB_RULE_IMAGE_SECTORS,/* at most 2^32 sectors: the partition entry's reach */
	MKB_RULE_PAYLOAD_OVERLAP,  /* the payload starts after the manifest */
	MKB_RULE_PAYLOAD_END,  /* the payload ends inside the image */
	MKB_RULE_STACK_SIZE,   /* the stack is whole pages, at least one, below 4 GiB */
	MKB_RULE_ENTRY,        /* a Multiboot entry point is below 4 GiB */
	MKB_RULE_LINUX_SEGMENTS, /* a Linux kernel is one segment, its window */
	/* The tables (mkb_manifest_check_tables), item = the entry's index. */
	MKB_RULE_SEGMENT_FILESZ,   /* filesz <= memsz */
	MKB_RULE_SEGMENT_PAYLOAD,  /* file bytes sector-aligned, inside the payload */
	MKB_RULE_SEGMENT_PLACE,/* physical range below 4 GiB, virtual one not wrapping */
	MKB_RULE_MODULE_PAYLOAD,   /* bytes sector-aligned, inside the payload */
	MKB_RULE_MODULE_STRING,/* string and its NUL inside the manifest */
	MKB_RULE_SECTION_HEADERS,  /* a Multiboot kernel's section headers inside the manifest */
	MKB_RULE_LINUX_HEADER, /* a Linux setup header of 0x12 to MKB_LINUX_HEADER_MAX bytes, a
	                          power-of-two kernel_alignment */
	MKB_RULE_INITRD_PAYLOAD,   /* a Linux initrd sector-aligned, inside the payload, below 4 GiB */
	MKB_RULE_LINUX_REAL_MODE,  /* a real-mode entry (MKB_LINUX_REAL_MODE) has 2 to
	                              MKB_LINUX_SETUP_MAX setup sectors, inside the payload (its
	                              last ones), and a command line of at most
	                              MKB_LINUX_CMDLINE_REAL_MAX bytes; other entries none */
	MKB_RULE_PIE,          /* a native kernel's block (struct mkb_pie): known flags, 1 to
	                          MKB_PIE_MAX_SLOTS slots, its relocation table sector-aligned
	                          inside the payload */
	MKB_RULE_RULES
};

/*
 * The header alone: the first sizeof(struct mkb_manifest) bytes of a manifest
 * found at sector manifest_lba. Returns the first rule it breaks, or
 * MKB_RULE_VALID.
 */
enum mkb_manifest_rule mkb_manifest_check_header(const struct mkb_manifest *m, uint64_t manifest_lba);

/*
 * The whole manifest (m->sectors * 512 bytes at m, 8-byte aligned), whose
 * header passed mkb_manifest_check_header: every segment, module and block.
 * On a broken rule, *item is the segment's or module's index (0 otherwise).
 */
enum mkb_manifest_rule mkb_manifest_check_tables(const void *manifest, uint32_t *item);

/* Bytes of stack per AP; 0: the kernel did not ask for its APs (a short
 * header, whose smp fields are the segment table's first bytes). */
static inline uint32_t mkb_manifest_smp_stack(const struct mkb_manifest *m)
{
	return m->header_size >= MKB_MANIFEST_HEADER_SMP ? m->smp_stack_size : 0;
}

/* The tables of a manifest that passed both checks. */
static inline const struct mkb_segment *mkb_manifest_segments(const struct mkb_manifest *m)
{
	return (const struct mkb_segment *)(const void *)((const char *)m + m->segment_offset);
}

static inline const struct mkb_module *mkb_manifest_modules(const struct mkb_manifest *m)
{
	return (const struct mkb_module *)(const void *)((const char *)m + m->module_offset);
}

static inline const char *mkb_manifest_string(const struct mkb_manifest *m, uint32_t offset)
{
	return (const char *)m + offset;
}

/* A sentence for each rule, without the item ("its bytes lie outside the payload"). */
const char *mkb_manifest_rule_text(enum mkb_manifest_rule rule);

/*
 * The payload checksum (image.h): add n bytes at p, any alignment. A run
 * whose length is not a multiple of 4 is padded with zero bytes, so only the
 * last run of a segment or module may have such a length.
 */
void mkb_checksum_add(struct mkb_checksum *c, const void *p, size_t n);

#endif
