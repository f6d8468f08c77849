/*
 * The kernel model: what the rest of the tool needs from a kernel file.
 * The readers (elf-kernel.c for native ELF kernels, multiboot.c, linux.c) fill it
 * through the functions below; the planner reads it. What differs between
 * boot protocols is data here (placement, checks, strings, the hand-off
 * block), not code paths in the planner. Segment bytes stay in the file;
 * the image writer reads them through fd.
 */
#ifndef MKB_KERNEL_H
#define MKB_KERNEL_H

#include "requests.h"

#include <stddef.h>
#include <stdint.h>

/* What kernel_open looked for, for the message that refuses a file with none of it. */
#define KERNEL_LOOKED_FOR "mkbootimg boots x86-64 ELF kernels, Multiboot 1 or 2 kernels (a header " \
	"in the first 8 or 32 KiB) and Linux bzImages (0xAA55 at 0x1FE, \"HdrS\" at 0x202)"

/* --protocol not given: the kernel's headers choose. */
#define KERNEL_PROTOCOL_AUTO (-1)

struct kernel_segment {
	unsigned index;  /* program header number, as messages name it (or MKB_SECTION_INDEX + N) */
	uint64_t vaddr;
	uint64_t paddr;
	uint64_t filesz;
	uint64_t memsz;
	uint64_t offset; /* in the file */
	uint32_t flags;  /* p_flags: PF_R/PF_W/PF_X, the same bits as MKB_SEG_* */
};

/*
 * A block the loader gets in the manifest, for the protocol's hand-off (a
 * Multiboot kernel's struct mkb_multiboot and section headers). An offset
 * inside the block that the loader must find in the manifest is stored
 * relative to the block, in the 32-bit field at fixup; the image writer,
 * which decides where the block goes, adds the block's manifest offset.
 */
#define KERNEL_NO_FIXUP UINT32_MAX
struct kernel_handoff {
	void *bytes;        /* owned; NULL: none */
	uint32_t size;
	uint32_t fixup;     /* or KERNEL_NO_FIXUP */
};

struct multiboot_kernel;
struct linux_kernel;
struct kernel_pie;

struct kernel {
	char *path;       /* a copy of the path as given, for messages */
	int fd;
	uint64_t file_size;
	uint64_t entry;
	struct kernel_segment *segments; /* non-empty PT_LOAD segments, in file order */
	size_t segment_count;
	struct kernel_requests requests;
	uint32_t protocol;  /* MKB_PROTOCOL_*: native, Multiboot 1 or 2, or Linux */
	/* The protocol's rules, set by its reader: */
	int physical;     /* 1: entered without paging: each segment at its physical address, which
	                     must be at or above 1 MiB; no virtual-address rules apply */
	int name_first;   /* 1: the command line and module strings start with the file's name */
	struct kernel_handoff handoff;
	/* What the Multiboot reader found (multiboot.h), for info and the tests; owned, or NULL. */
	struct multiboot_kernel *multiboot;
	/* What the Linux reader found (linux.h): the setup header and the window; owned, or NULL. */
	struct linux_kernel *linux_kernel;
	/*
	 * Native kernels: 1 when the symbol table has functions but none starts
	 * at the entry point (plan.c warns); 0 when one does, or there is no
	 * symbol table to tell (stripped, or a Multiboot kernel).
	 */
	int entry_not_function;
	/* A relocatable (ET_DYN) native kernel's relocations (relocations.h); owned, or NULL.
	 * Its segments and entry stay at their link-time addresses here: the plan moves them. */
	struct kernel_pie *pie;
};

/*
 * Open and check path, with the reader its headers call for (read-kernel.c).
 * On failure returns -1 with mkb_error() set to a message naming the file,
 * and leaves nothing open.
 */
int kernel_open(struct kernel *k, const char *path);
/* The same with --protocol: KERNEL_PROTOCOL_AUTO (by the headers) or an MKB_PROTOCOL_*. */
int kernel_open_protocol(struct kernel *k, const char *path, int protocol);
void kernel_close(struct kernel *k);

/* For the readers: append a segment. 0, or -1 with mkb_error() set. */
int kernel_add_segment(struct kernel *k, const struct kernel_segment *s);
/* For the readers: the hand-off block (bytes is taken, even on failure). 0, or -1. */
int kernel_set_handoff(struct kernel *k, void *bytes, uint32_t size, uint32_t fixup);

/*
 * Linker mistakes, refused with what to do about them; the native and the
 * Multiboot readers share the wording. Each returns -1 with mkb_error() set
 * to a message that starts with path.
 *
 * kernel_dynamic_error: the kernel was linked for a dynamic loader. interp
 * is 1 for a PT_INTERP segment, 0 for an ET_DYN (position-independent) file
 * (a Multiboot kernel: native ELF kernels may be ET_DYN, relocations.h).
 * kernel_entry_error: the entry point is 0 or lies in no PT_LOAD segment.
 */
int kernel_dynamic_error(const char *path, int interp);
int kernel_entry_error(const char *path, uint64_t entry);

#endif
