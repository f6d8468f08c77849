#include "gdb.h"
#include "kernel.h"
#include "linux.h"
#include "util.h"

#include <mkbootimg/image.h>

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

/* Does the file start with the ELF magic (symbols gdb can read)? */
static int file_is_elf(int fd)
{
	unsigned char magic[4];

	return pread(fd, magic, sizeof magic, 0) == (ssize_t)sizeof magic && memcmp(magic, "\177ELF", 4) == 0;
}

void gdb_script_for_kernel(struct gdb_script *g, const struct kernel *k, const char *path)
{
	memset(g, 0, sizeof *g);
	g->entry = k->entry;
	switch (k->protocol) {
	case MKB_PROTOCOL_NATIVE:
		/*
		 * A relocatable (PIE) kernel: the caller sets slide to its base
		 * minus its link base, and with KASLR slide_at_boot with the
		 * loader's window (slide = the lowest slide, slide_step,
		 * slide_slots), from the plan (run.c). A kernel at fixed
		 * addresses has neither.
		 */
		g->kind = GDB_ENTRY_NATIVE;
		g->symbols = path;
		break;
	case MKB_PROTOCOL_MULTIBOOT1:
	case MKB_PROTOCOL_MULTIBOOT2:
		g->kind = GDB_ENTRY_MULTIBOOT;
		/* An a.out-kludge kernel may be a flat binary: no symbols then. */
		g->symbols = file_is_elf(k->fd) ? path : NULL;
		break;
	case MKB_PROTOCOL_LINUX:
		/* A bzImage carries no symbols; vmlinux's would not match a compressed kernel's start. */
		if (k->linux_kernel == NULL || k->linux_kernel->real_mode)
			g->kind = GDB_ENTRY_NONE;
		else
			g->kind = k->entry != k->linux_kernel->load_address ? GDB_ENTRY_LINUX64 : GDB_ENTRY_LINUX32;
		break;
	default:
		g->kind = GDB_ENTRY_NONE;
	}
}

const char *gdb_entry_words(enum gdb_entry kind)
{
	switch (kind) {
	case GDB_ENTRY_NATIVE:
		return "the kernel's entry";
	case GDB_ENTRY_MULTIBOOT:
		return "the Multiboot kernel's entry (32-bit, paging off)";
	case GDB_ENTRY_LINUX64:
		return "Linux's 64-bit entry (load address + 0x200)";
	case GDB_ENTRY_LINUX32:
		return "Linux's 32-bit entry (its load address)";
	case GDB_ENTRY_NONE:
		break;
	}
	return "the reset vector";
}

/* A file name as one gdb argument: in double quotes, \ and " escaped. */
static void put_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void put_header(FILE *f, const struct gdb_script *g)
{
	fprintf(f, "# gdb command file of `mkbootimg run --gdb`: gdb -x THIS-FILE\n"
	           "# QEMU waits at the reset vector; this file connects and continues to\n"
	           "# %s with a hardware breakpoint: the loader copies\n"
	           "# the kernel into place, over what a software breakpoint (int3) set before\n"
	           "# that would have written there.\n"
	           "set pagination off\n"
	           "set confirm off\n"
	           "# 64-bit before connecting: QEMU sends x86-64 registers even in real mode,\n"
	           "# and gdb taking i386 from a 32-bit ELF would say \"Remote 'g' packet reply\n"
	           "# is too long\". (Code that runs in 16- or 32-bit mode disassembles as\n"
	           "# 64-bit then.)\n"
	           "set architecture i386:x86-64\n", gdb_entry_words(g->kind));
}

/* Symbols at the addresses the kernel runs at: its link addresses plus offset. */
static void put_symbols(FILE *f, const struct gdb_script *g, const char *offset)
{
	fputs("symbol-file ", f);
	if (offset != NULL)
		fprintf(f, "-o %s ", offset);
	put_quoted(f, g->symbols);
	fputc('\n', f);
}

/*
 * KASLR: a hardware breakpoint on the entry at every slide the loader may
 * pick (QEMU's TCG takes any number); at the one hit, RDI holds the boot
 * information, whose kernel_slide says which it was.
 */
static void put_kaslr(FILE *f, const struct gdb_script *g)
{
	fprintf(f, "# KASLR: the loader picks the slide at boot, one of %" PRIu32 " multiples of %#" PRIx64
	           "\n# from %#" PRIx64 ": a hardware breakpoint on the entry at each.\n"
	           "set $mkb_i = 0\n"
	           "while $mkb_i < %" PRIu32 "\n"
	           "  eval \"hbreak *%%#lx\", %#" PRIx64 " + %#" PRIx64 " + $mkb_i * %#" PRIx64 "\n"
	           "  set $mkb_i = $mkb_i + 1\n"
	           "end\n"
	           "continue\n"
	           "# At the entry RDI holds the boot information: its kernel_slide (byte %d)\n"
	           "# is the slide the loader chose. The symbols go there.\n"
	           "set $mkb_slide = *(unsigned long long *)($rdi + %d)\n"
	           "delete\n",
	        g->slide_slots, g->slide_step, g->slide, g->slide_slots, g->entry, g->slide, g->slide_step,
	        GDB_INFO_KERNEL_SLIDE_OFFSET, GDB_INFO_KERNEL_SLIDE_OFFSET);
	if (g->symbols != NULL)
		put_symbols(f, g, "$mkb_slide");
	fprintf(f, "if $pc != %#" PRIx64 " + $mkb_slide\n"
	           "  printf \"mkbootimg: stopped at %%#lx, but the boot information's slide %%#lx puts the "
	           "entry elsewhere\\n\", $pc, $mkb_slide\n"
	           "end\n"
	           "printf \"mkbootimg: KASLR slide %%#lx (boot information's kernel_slide)\\n\", $mkb_slide\n"
	           "hbreak *$pc\n"
	           "frame\n", g->entry);
}

int gdb_script_write(FILE *f, const struct gdb_script *g)
{
	char offset[32];

	/* One command per line: a line break in a path would start a command of its own. */
	if ((g->symbols != NULL && strpbrk(g->symbols, "\n\r") != NULL) ||
	    (g->remote != NULL && strpbrk(g->remote, "\n\r") != NULL))
		return mkb_fail("--gdb: the kernel's path or the run's folder holds a line break, which a "
		                "gdb command file cannot quote: move the file, or set TMPDIR");
	if (g->slide_at_boot && (g->slide_slots == 0 || g->slide_slots > GDB_MAX_SLIDE_SLOTS || g->slide_step == 0))
		return mkb_fail("--gdb: a KASLR window of %" PRIu32 " slides of %#" PRIx64 " bytes is not one a "
		                "command file can cover (1..%d slides)", g->slide_slots, g->slide_step,
		                GDB_MAX_SLIDE_SLOTS);
	put_header(f, g);
	snprintf(offset, sizeof offset, "%#" PRIx64, g->slide);
	/* Known addresses: symbols first, so the stop shows the entry's name. */
	if (g->symbols != NULL && !g->slide_at_boot)
		put_symbols(f, g, g->slide != 0 ? offset : NULL);
	fprintf(f, "target remote %s\n", g->remote);
	if (g->kind == GDB_ENTRY_NONE) {
		fputs("# The entry is not known here: gdb stays at the reset vector.\n", f);
		return 0;
	}
	if (g->slide_at_boot && g->kind == GDB_ENTRY_NATIVE) {
		put_kaslr(f, g);
		return 0;
	}
	fprintf(f, "hbreak *%#" PRIx64 "\n"
	           "continue\n", g->entry + g->slide);
	return 0;
}

int gdb_script_save(const char *path, const struct gdb_script *g)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (f == NULL)
		return mkb_fail("%s: %s", path, strerror(errno));
	rc = gdb_script_write(f, g);
	if (fclose(f) != 0 && rc == 0)
		return mkb_fail("%s: %s", path, strerror(errno));
	return rc;
}
