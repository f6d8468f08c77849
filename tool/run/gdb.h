/*
 * `mkbootimg run --gdb`: the gdb command file that takes a debugger from
 * QEMU's reset vector to the kernel's entry, with the kernel's symbols at
 * the addresses it runs at. Written into the run's temporary folder beside
 * the image; `gdb -x FILE` attaches. Pure text generation, unit-tested.
 */
#ifndef MKB_GDB_H
#define MKB_GDB_H

#include <stdint.h>
#include <stdio.h>

struct kernel;

/* Where the command file stops: what the loader jumps to, for each protocol. */
enum gdb_entry {
	GDB_ENTRY_NONE,      /* not known (a ready image; Linux's real-mode entry): stay at reset */
	GDB_ENTRY_NATIVE,    /* long mode, at the ELF's virtual entry (plus the slide) */
	GDB_ENTRY_MULTIBOOT, /* 32-bit protected mode, paging off: the physical entry */
	GDB_ENTRY_LINUX64,   /* Linux's 64-bit entry: load address + 0x200 */
	GDB_ENTRY_LINUX32,   /* Linux's 32-bit entry: the load address */
};

/* The offset of kernel_slide in struct mkbootimg_info (protocol.h checks it too). */
#define GDB_INFO_KERNEL_SLIDE_OFFSET 216

struct gdb_script {
	const char *remote;   /* QEMU's gdbstub: "127.0.0.1:PORT", or a unix socket's path */
	const char *symbols;  /* an ELF file with the kernel's symbols (absolute path), or NULL */
	enum gdb_entry kind;
	uint64_t entry;       /* as linked (native), or physical (Multiboot, Linux) */
	/*
	 * A relocatable (PIE) kernel: slide is what the tool placed it at
	 * beyond its link addresses. With slide_at_boot (KASLR) the loader adds
	 * a random slide at boot instead, one of slide_slots values slide,
	 * slide + slide_step, ...: the file sets a hardware breakpoint on the
	 * entry at each, and once one is hit reads the slide the loader chose
	 * from the boot information (RDI at the entry) before loading symbols.
	 */
	uint64_t slide;
	int slide_at_boot;
	uint64_t slide_step;
	uint32_t slide_slots;
};

/* The most candidate slides a command file sets breakpoints for (each one costs QEMU's TCG a check). */
#define GDB_MAX_SLIDE_SLOTS 4096

/*
 * What to stop at for kernel k (opened from path): the entry, the kind of
 * entry and whether path's ELF symbols fit it. symbols gets path when they
 * do (the caller makes it absolute).
 */
void gdb_script_for_kernel(struct gdb_script *g, const struct kernel *k, const char *path);

/* Write the command file to f. 0, or -1 with mkb_error() set (bad slide window). */
int gdb_script_write(FILE *f, const struct gdb_script *g);

/* Write it to path. 0, or -1 with mkb_error() set. */
int gdb_script_save(const char *path, const struct gdb_script *g);

/* The entry's kind in words, for run's message: "the kernel's entry (long mode)". */
const char *gdb_entry_words(enum gdb_entry kind);

#endif
