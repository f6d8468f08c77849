/*
 * A relocatable (ET_DYN, PIE) kernel's dynamic relocations, read from its
 * PT_DYNAMIC segment and reduced to one form: the 64-bit word at a link-time
 * address gets a link-time value, plus the kernel's slide unless the value
 * is absolute. The image writer applies them for the chosen base
 * (relocations_apply); with --kaslr the loader adds its random slide to the
 * same words (the table the plan puts in the payload).
 */
#ifndef MKB_RELOCATIONS_H
#define MKB_RELOCATIONS_H

#include <stddef.h>
#include <stdint.h>

#include <gelf.h>

/* The types mkbootimg applies, for the counts info shows. */
enum pie_type { PIE_RELATIVE, PIE_64, PIE_GLOB_DAT, PIE_JUMP_SLOT, PIE_RELR, PIE_TYPES };

/* The default base of a PIE kernel linked at 0: the top 2 GiB, as -mcmodel=kernel wants. */
#define PIE_DEFAULT_BASE UINT64_C(0xffffffff80000000)

struct pie_reloc {
	uint64_t offset;  /* link-time virtual address of the 64-bit word */
	uint64_t value;   /* its link-time value (S + A, or the addend of a RELATIVE) */
	int absolute;     /* 1: a symbol with an absolute value (SHN_ABS): the slide is not added */
};

struct kernel_pie {
	uint64_t link_base;       /* the lowest PT_LOAD page as linked */
	uint64_t span;            /* bytes from link_base to the end of the highest segment */
	struct pie_reloc *relocs; /* owned, sorted by offset */
	size_t count;
	size_t by_type[PIE_TYPES];
};

struct kernel;

/*
 * Read the relocations of k (an ET_DYN file whose segments are read) into
 * k->pie. 0, or -1 with mkb_error() set to a message that starts with the
 * kernel's path (a type mkbootimg cannot apply: its name, number and offset).
 */
int pie_read(struct kernel *k, Elf *elf, const Elf64_Phdr *ph, size_t phnum);
void pie_free(struct kernel_pie *pie);

/* "R_X86_64_COPY" for 5, "an unknown type" for a number it does not know. */
const char *pie_type_name(uint32_t type);
/* "RELATIVE", "64", ... for info. */
const char *pie_count_name(enum pie_type t);

/*
 * Apply every relocation that falls in [link_vaddr, link_vaddr + size) to
 * bytes (the segment's file bytes, as read), for a kernel slid by slide.
 */
void pie_apply(const struct kernel_pie *pie, uint64_t link_vaddr, uint8_t *bytes, uint64_t size,
               uint64_t slide);

#endif
