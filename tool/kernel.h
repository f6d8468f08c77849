/*
 * The kernel model: what the rest of the tool needs from the ELF file, read
 * and checked once with libelf. Segment bytes stay in the file; image.c
 * reads them through fd.
 */
#ifndef MKB_KERNEL_H
#define MKB_KERNEL_H

#include "plan.h"

struct multiboot_kernel;

#include <stddef.h>
#include <stdint.h>

struct kernel_segment {
	unsigned index;  /* program header number, as messages name it */
	uint64_t vaddr;
	uint64_t paddr;
	uint64_t filesz;
	uint64_t memsz;
	uint64_t offset; /* in the file */
	uint32_t flags;  /* p_flags: PF_R/PF_W/PF_X, the same bits as MKB_SEG_* */
};

/* What the kernel asks for in its notes of owner "mkbootimg"; 0 where it asks nothing. */
struct kernel_requests {
	uint64_t stack_size;
	struct plan_framebuffer framebuffer;
	int framebuffer_given;  /* 1: a framebuffer note (all zero: text mode) */
	uint32_t info_version;  /* the oldest boot-information version it reads */
};

struct kernel {
	char *path;       /* a copy of the path as given, for messages */
	int fd;
	uint64_t file_size;
	uint64_t entry;
	struct kernel_segment *segments; /* non-empty PT_LOAD segments, in file order */
	size_t segment_count;
	struct kernel_requests requests;
	uint32_t protocol;  /* MKB_PROTOCOL_*: native, or the Multiboot version it boots as */
	struct multiboot_kernel *multiboot; /* Multiboot kernels only (multiboot.h); owned */
	/*
	 * Native kernels: 1 when the symbol table has functions but none starts
	 * at the entry point (plan.c warns); 0 when one does, or there is no
	 * symbol table to tell (stripped, or a Multiboot kernel).
	 */
	int entry_not_function;
};

/*
 * Open and check path. On failure returns -1 with mkb_error() set to a
 * message naming the file, and leaves nothing open.
 */
int kernel_open(struct kernel *k, const char *path);
/* The same with --protocol: KERNEL_PROTOCOL_AUTO (by the headers) or an MKB_PROTOCOL_*. */
int kernel_open_protocol(struct kernel *k, const char *path, int protocol);
void kernel_close(struct kernel *k);

/*
 * Linker mistakes, refused with what to do about them; the native and the
 * Multiboot readers share the wording. Each returns -1 with mkb_error() set
 * to a message that starts with path.
 *
 * kernel_dynamic_error: the kernel was linked for a dynamic loader. interp
 * is 1 for a PT_INTERP segment, 0 for an ET_DYN (position-independent) file.
 * kernel_entry_error: the entry point is 0 or lies in no PT_LOAD segment.
 */
int kernel_dynamic_error(const char *path, int interp);
int kernel_entry_error(const char *path, uint64_t entry);

#endif
