/*
 * The load plan: where every segment goes in physical memory and where
 * every byte goes on the disk. Pure computation on the kernel model, so
 * every rule can be unit-tested without files.
 */
#ifndef MKB_PLAN_H
#define MKB_PLAN_H

#include "requests.h"

#include <mkbootimg/image.h>

#include <stddef.h>
#include <stdint.h>

struct kernel;

#define PLAN_STACK_TOP         UINT64_C(0xffffff0000000000)
#define PLAN_STACK_DEFAULT     (64 * UINT64_C(1024))
#define PLAN_DIRECT_MAP        UINT64_C(0xffff800000000000)
#define PLAN_DIRECT_MAP_END    UINT64_C(0xffffc00000000000)
#define PLAN_LOW_LIMIT         UINT64_C(0x100000)    /* 1 MiB: loader and BIOS below */
#define PLAN_HIGH_LIMIT        UINT64_C(0x100000000) /* 4 GiB: the loader's reach */

/*
 * Segments are numbered by their ELF program header everywhere: in
 * messages, the -v plan, info and the manifest's elf_index (which the
 * loader's messages show). The one exception has no program header: a
 * Multiboot kernel's copy of section N (its symbol and string tables) is
 * numbered PLAN_SECTION_INDEX + N; such kernels have fewer program headers.
 */
#define PLAN_SECTION_INDEX     MKB_SECTION_INDEX
#define PLAN_SEGMENT_NAME_MAX  24

/*
 * The disk layouts of --firmware (include/mkbootimg/image.h draws them):
 * which firmware can boot the image. 0, the default, is the hybrid.
 */
enum image_layout {
	IMAGE_LAYOUT_HYBRID = 0, /* GPT: stage 2 in a BIOS boot partition, and an ESP */
	IMAGE_LAYOUT_BIOS,       /* MBR only: stage 2, manifest, payload; the smallest image */
	IMAGE_LAYOUT_UEFI,       /* GPT: manifest and payload, and an ESP; no stage 2 */
};

/* One --module FILE[=STRING], in the order given. */
struct plan_module_arg {
	char *path;         /* FILE: a copy, as the argument goes on with '=' */
	const char *string; /* everything after the first '=', "" without one; in the argument */
	int fd;             /* -1 until build_image opens the file */
	uint64_t size;      /* bytes, once opened */
};

struct plan_options {
	const char *cmdline;    /* NULL for none */
	uint64_t stack_size;    /* 0: the kernel's note, or the default; at least REQUEST_STACK_MIN */
	struct fb_mode framebuffer;
	int framebuffer_given;  /* 1: framebuffer overrides the kernel's note (all zero: text mode) */
	struct plan_module_arg *modules; /* owned: plan_options_free */
	size_t module_count;
	struct plan_module_arg *initrds; /* --initrd FILE, in order (Linux kernels); owned too */
	size_t initrd_count;
	uint64_t stage2_sectors; /* size of the loader's stage 2, decides where the manifest goes */
	int protocol_given;     /* 1: --protocol chose protocol (MKB_PROTOCOL_*); 0: the headers do */
	uint32_t protocol;
	enum image_layout layout; /* --firmware; a ready image keeps its own */
	int layout_given;       /* 1: --firmware was given */
	uint64_t base;          /* --base: a relocatable kernel's virtual base */
	int base_given;
	int kaslr;              /* --kaslr: randomise a relocatable kernel's base at each boot */
};

struct plan_segment {
	unsigned index;          /* program header number */
	uint64_t vaddr;
	uint64_t paddr;          /* planned physical address */
	uint64_t filesz;
	uint64_t memsz;
	uint64_t file_offset;    /* in the kernel file */
	uint64_t payload_offset; /* in the payload, a multiple of 512 */
	uint32_t flags;          /* MKB_SEG_* */
	int fixed;               /* 1: loaded at p_paddr; 0: placed by the planner */
};

struct plan_module {
	const char *path;        /* not owned */
	const char *string;      /* not owned */
	size_t string_length;
	uint32_t string_offset;  /* from the manifest's start */
	int fd;                  /* the open file image_write reads; not owned */
	uint64_t size;
	uint64_t payload_offset; /* in the payload, a multiple of 512 */
};

struct plan {
	struct plan_segment *segments; /* in program header order */
	size_t segment_count;
	uint64_t entry;
	uint64_t stack_top;
	uint64_t stack_size;
	uint32_t smp_stack_size;       /* bytes per AP; 0: the kernel leaves the APs alone */
	uint64_t direct_map_offset;
	const char *cmdline;           /* "" when none; not owned */
	size_t cmdline_length;
	struct plan_module *modules;   /* in the order given */
	size_t module_count;
	/* A Linux kernel's initrd: every --initrd file back to back, after the modules. */
	struct plan_module *initrds;   /* in the order given; no strings */
	size_t initrd_count;
	uint64_t initrd_size;          /* bytes, all files together */
	uint64_t initrd_payload_offset;
	/* A Linux kernel entered in real mode: its real-mode part, the file's first
	 * setup_size bytes, the payload's last sectors; 0 for other entries. */
	uint64_t setup_size;
	uint64_t setup_payload_offset;
	struct fb_mode framebuffer; /* all zero: text mode */
	uint32_t protocol;             /* MKB_PROTOCOL_* */
	char *strings;                 /* owned: the strings with names first (kernel.h's name_first) */
	void *handoff;                 /* owned: a copy of the kernel's hand-off block, or NULL */
	uint32_t handoff_size;
	uint32_t handoff_offset;       /* from the manifest's start, 8-byte aligned */
	uint32_t handoff_fixup;        /* kernel.h's struct kernel_handoff: the image writer's to do */
	/*
	 * A relocatable (PIE) kernel: its segments and entry above are at base,
	 * which is link_base + slide; the image writer applies its relocations
	 * for that (relocations.h). With KASLR the loader slides it again by
	 * the table's words (struct mkb_pie, in handoff).
	 */
	const struct kernel_pie *pie;  /* the kernel's; NULL: not relocatable */
	uint64_t pie_base;
	uint64_t pie_slide;
	uint32_t kaslr_flags;          /* MKB_PIE_* of the block; 0: no block */
	uint32_t *kaslr_table;         /* owned: offsets from pie_base of the words the loader slides */
	uint32_t kaslr_count;
	uint64_t kaslr_payload_offset; /* the table in the payload, after the modules */
	/*
	 * What is legal but likely a mistake (plan_make finds them): sentences
	 * without the kernel's name, for info's report and the build's stderr.
	 */
	char **warnings;               /* owned */
	size_t warning_count;
	/* The manifest: header, segment table, module table, command line, module strings. */
	uint32_t module_table_offset;
	uint32_t cmdline_offset;
	uint64_t stage2_sectors;
	uint64_t manifest_lba;
	uint64_t manifest_sectors;
	uint64_t payload_lba;
	uint64_t payload_sectors;
	uint64_t image_sectors;
	/* GPT layouts: partition 1 is LBA MKB_STAGE2_LBA to the payload's end; the ESP follows. */
	enum image_layout layout;
	uint64_t esp_lba;              /* 0 in the BIOS layout */
	uint64_t esp_sectors;
};

/* "bios", "hybrid" or "uefi", as --firmware takes them. */
const char *plan_layout_name(enum image_layout layout);

/* Parse a --firmware argument. 0, or -1 with mkb_error() set. */
int plan_parse_layout(const char *arg, enum image_layout *layout);

/* Parse a --base argument: a canonical, page-aligned address. 0, or -1 with mkb_error() set. */
int plan_parse_base(const char *arg, uint64_t *base);

/* Parse a --stack-size argument (64K..1G). 0, or -1 with mkb_error() set. */
int plan_parse_stack_size(const char *arg, uint64_t *size);

/* The manifest header's size: the short one unless the kernel asked for SMP. */
static inline uint32_t plan_manifest_header(const struct plan *p)
{
	return p->smp_stack_size ? MKB_MANIFEST_HEADER_SMP : MKB_MANIFEST_HEADER_BASE;
}

/*
 * Parse a --framebuffer argument: WIDTHxHEIGHTxBPP, or 0 for text mode.
 * 0, or -1 with mkb_error() set.
 */
int plan_parse_framebuffer(const char *arg, struct fb_mode *fb);

/* Append --module FILE[=STRING] to o->modules. 0, or -1 with mkb_error() set. */
int plan_options_add_module(struct plan_options *o, const char *arg);
/* Append --initrd FILE to o->initrds. 0, or -1 with mkb_error() set. */
int plan_options_add_initrd(struct plan_options *o, const char *arg);
void plan_options_free(struct plan_options *o);

/*
 * Command-line options win over the kernel's notes. The sizes of o->modules
 * must be known (build_image opens them). Returns 0, or -1 with mkb_error()
 * set (messages start with the kernel's path).
 */
int plan_make(struct plan *p, const struct kernel *k, const struct plan_options *o);
void plan_free(struct plan *p);

/*
 * How messages name the segment numbered index (struct plan_segment's
 * index, the manifest's elf_index) of a kernel booted with protocol
 * (MKB_PROTOCOL_*): "segment 2", or "section 5" for a Multiboot kernel's
 * section copy. Returns out.
 */
const char *plan_segment_name(char out[PLAN_SEGMENT_NAME_MAX], uint32_t index, uint32_t protocol);
/* "RWX" with '-' for each of MKB_SEG_R, _W, _X not in flags, as info and -v show them. */
void plan_flags_string(char out[4], uint32_t flags);

/* Is that a Multiboot kernel's section copy (section index - PLAN_SECTION_INDEX)? */
int plan_is_section_copy(uint32_t index, uint32_t protocol);

#endif
