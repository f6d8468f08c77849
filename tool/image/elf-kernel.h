/*
 * The reader of native kernels: a 64-bit x86 ELF executable, every check
 * made at build time, its PT_LOAD segments and the requests in its notes.
 */
#ifndef MKB_ELF_KERNEL_H
#define MKB_ELF_KERNEL_H

#include <libelf.h>

struct kernel;

/* Read elf (k's open file) into k. 0, or -1 with mkb_error() set to a message naming the file. */
int elf_kernel_read(struct kernel *k, Elf *elf);

#endif
