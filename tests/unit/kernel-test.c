/* kernel.c: every check kernel_open makes, on ELF files built here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "elf-builder.h"
#include "kernel.h"
#include "util.h"

#include <mkbootimg/protocol.h>

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static char path[1024];

/* A file in the scratch folder; path keeps its name for the assertions. */
static const char *file(const char *name)
{
	return strcpy(path, eb_scratch_file(name));
}

#define HH UINT64_C(0xffffffff80000000)

/* A good higher-half kernel: text at 0xffffffff80100000 (AT 1 MiB), data + bss after. */
static void good(struct eb_elf *e)
{
	eb_init(e, HH + 0x100000);
	eb_add(e, PT_LOAD, PF_R | PF_X, HH + 0x100000, 0x100000, 0x1234, 0x1234);
	eb_add(e, PT_LOAD, PF_R | PF_W, HH + 0x102000, 0x102000, 0x100, 0x3000);
}

/* Write e, expect kernel_open to refuse it with a message holding both the path and want. */
static void expect_refused(struct eb_elf *e, const char *want)
{
	struct kernel k;
	const char *p = file("bad.elf");

	assert_int_equal(eb_write(e, p), 0);
	eb_free(e);
	assert_int_equal(kernel_open(&k, p), -1);
	assert_int_equal(k.fd, -1);
	assert_null(k.segments);
	if (strstr(mkb_error(), want) == NULL || strncmp(mkb_error(), p, strlen(p)) != 0)
		fail_msg("message \"%s\" lacks \"%s\" or the path", mkb_error(), want);
}

static void test_kernel_not_elf(void **state)
{
	struct kernel k;
	FILE *f = fopen(file("text.elf"), "w");

	(void)state;
	fputs("#!/bin/sh\necho this is no kernel\n", f);
	fclose(f);
	assert_int_equal(kernel_open(&k, path), -1);
	assert_non_null(strstr(mkb_error(), "not an ELF file"));
}

static void test_kernel_empty_file(void **state)
{
	struct kernel k;
	FILE *f = fopen(file("empty.elf"), "w");

	(void)state;
	fclose(f);
	assert_int_equal(kernel_open(&k, path), -1);
	assert_non_null(strstr(mkb_error(), "not an ELF file"));
}

static void test_kernel_missing_file(void **state)
{
	struct kernel k;

	(void)state;
	assert_int_equal(kernel_open(&k, file("nonexistent.elf")), -1);
	assert_non_null(strstr(mkb_error(), "nonexistent.elf: No such file or directory"));
}

static void test_kernel_directory(void **state)
{
	struct kernel k;

	(void)state;
	assert_int_equal(kernel_open(&k, eb_scratch), -1);
	assert_non_null(strstr(mkb_error(), "not a regular file"));
}

static void test_kernel_class32(void **state)
{
	struct eb_elf e;

	(void)state;
	good(&e);
	e.ehdr.e_ident[EI_CLASS] = ELFCLASS32;
	/* What to do: build for 64 bits, or boot it as a Multiboot kernel. */
	expect_refused(&e, "ELF class is 32-bit (ELFCLASS32), not 64-bit: build the kernel with -m64");
	assert_non_null(strstr(mkb_error(), "give it a Multiboot header, with which mkbootimg boots "
	                                    "32-bit kernels"));
}

static void test_kernel_big_endian(void **state)
{
	struct eb_elf e;

	(void)state;
	good(&e);
	e.ehdr.e_ident[EI_DATA] = ELFDATA2MSB;
	expect_refused(&e, "data encoding is big-endian, not little-endian");
}

static void test_kernel_machine(void **state)
{
	struct eb_elf e;

	(void)state;
	good(&e);
	e.ehdr.e_machine = EM_AARCH64;
	expect_refused(&e, "ELF machine is 183, not x86-64");
}

#define LINK_HINT ": link with -static -no-pie, or -static-pie for a relocatable kernel " \
                  "(mkbootimg applies its relocations)"
#define NO_DYNAMIC ": ELF type is ET_DYN (position-independent) but it has no PT_DYNAMIC segment"

/* gcc's default -pie, linked higher-half or (without a script) at 0. */
static void test_kernel_pie(void **state)
{
	struct eb_elf e;

	(void)state;
	good(&e);
	e.ehdr.e_type = ET_DYN;
	expect_refused(&e, "bad.elf" NO_DYNAMIC);
	eb_init(&e, 0x1040);
	eb_add(&e, PT_LOAD, PF_R | PF_X, 0, 0, 0x2000, 0x2000);
	e.ehdr.e_type = ET_DYN;
	expect_refused(&e, "bad.elf" NO_DYNAMIC);
}

/* A dynamic loader's request, in a PIE or in an executable linked higher-half. */
static void test_kernel_interp(void **state)
{
	struct eb_elf e;

	(void)state;
	good(&e);
	eb_add(&e, PT_INTERP, PF_R, HH + 0x104000, 0x104000, 28, 28);
	expect_refused(&e, "bad.elf: dynamically linked (PT_INTERP)" LINK_HINT);
	eb_init(&e, 0x1040);
	eb_add(&e, PT_INTERP, PF_R, 0x318, 0x318, 28, 28);
	eb_add(&e, PT_LOAD, PF_R | PF_X, 0, 0, 0x2000, 0x2000);
	e.ehdr.e_type = ET_DYN;
	expect_refused(&e, "bad.elf: dynamically linked (PT_INTERP)" LINK_HINT);
}

static void test_kernel_relocatable(void **state)
{
	struct eb_elf e;

	(void)state;
	good(&e);
	e.ehdr.e_type = ET_REL;
	expect_refused(&e, "ELF type is ET_REL (an object file; link it first), not an executable");
}

static void test_kernel_no_program_headers(void **state)
{
	struct eb_elf e;

	(void)state;
	good(&e);
	e.ehdr.e_phnum = 0;
	expect_refused(&e, "no program headers");
}

static void test_kernel_phdrs_outside_file(void **state)
{
	struct eb_elf e;

	(void)state;
	good(&e);
	e.ehdr.e_phoff = 0x100000;
	expect_refused(&e, "program header table (offset 0x100000, 2 entries) lies outside the file");
}

static void test_kernel_phdrs_offset_overflow(void **state)
{
	struct eb_elf e;

	(void)state;
	good(&e);
	e.ehdr.e_phoff = UINT64_MAX - 8;
	expect_refused(&e, "lies outside the file");
}

static void test_kernel_phentsize(void **state)
{
	struct eb_elf e;

	(void)state;
	good(&e);
	e.ehdr.e_phentsize = 32;
	expect_refused(&e, "e_phentsize is 32, not 56");
}

static void test_kernel_no_load_segment(void **state)
{
	struct eb_elf e;

	(void)state;
	eb_init(&e, 0x200000);
	eb_add(&e, PT_NOTE, PF_R, 0, 0, 0x20, 0x20);
	expect_refused(&e, "no PT_LOAD segment");
}

static void test_kernel_filesz_exceeds_memsz(void **state)
{
	struct eb_elf e;

	(void)state;
	good(&e);
	e.ph[1].p_filesz = 0x2000;
	e.ph[1].p_memsz = 0x1000;
	expect_refused(&e, "bad.elf: segment 1: p_filesz 0x2000 exceeds p_memsz 0x1000");
}

static void test_kernel_segment_outside_file(void **state)
{
	struct eb_elf e;

	(void)state;
	good(&e);
	e.ph[1].p_filesz = 0x2000; /* the file ends 0x100 bytes into the segment */
	expect_refused(&e, "segment 1: file bytes at offset 0x3000, size 0x2000 lie outside the file");
}

static void test_kernel_segment_offset_overflow(void **state)
{
	struct eb_elf e;

	(void)state;
	good(&e);
	e.ph[0].p_offset = UINT64_MAX - 0x1000; /* offset + filesz wraps around */
	expect_refused(&e, "segment 0: file bytes at offset 0xffffffffffffefff");
}

static void test_kernel_virtual_wraps(void **state)
{
	struct eb_elf e;

	(void)state;
	good(&e);
	e.ph[1].p_memsz = UINT64_MAX;
	expect_refused(&e, "segment 1: virtual range 0xffffffff80102000 + 0xffffffffffffffff wraps");
}

static void test_kernel_virtual_overlap(void **state)
{
	struct eb_elf e;

	(void)state;
	good(&e);
	eb_add(&e, PT_LOAD, PF_R, HH + 0x103000, 0x200000, 0x10, 0x10);
	expect_refused(&e, "segments 1 and 2 overlap in virtual memory "
	                   "(0xffffffff80102000-0xffffffff80105000 and "
	                   "0xffffffff80103000-0xffffffff80103010)");
}

static void test_kernel_entry_not_executable(void **state)
{
	struct eb_elf e;

	(void)state;
	good(&e);
	e.ehdr.e_entry = HH + 0x102010; /* inside the data segment */
	expect_refused(&e, "entry point 0xffffffff80102010 is not inside an executable (PF_X) "
	                   "segment: segment 1 is not executable");
}

/* ENTRY() names a symbol the linker discarded: e_entry is garbage. */
static void test_kernel_entry_outside(void **state)
{
	struct eb_elf e;

	(void)state;
	good(&e);
	e.ehdr.e_entry = HH + 0x101234; /* one past the text segment */
	expect_refused(&e, "bad.elf: entry point 0xffffffff80101234 is outside every PT_LOAD segment: "
	                   "the symbol named by ENTRY() in the linker script (or by the linker's -e "
	                   "option, or _start without either) is missing, discarded or garbage-collected");
}

/* ENTRY() names a symbol that does not exist: ld.lld leaves e_entry 0. */
static void test_kernel_entry_zero(void **state)
{
	struct eb_elf e;

	(void)state;
	good(&e);
	e.ehdr.e_entry = 0;
	expect_refused(&e, "bad.elf: entry point is 0, in no PT_LOAD segment: the linker found no "
	                   "entry symbol; name the entry function with ENTRY() in the linker script, "
	                   "or with the linker's -e option (without either it looks for _start)");
}

/* Whether a function starts at the entry point, when the symbol table can tell. */
static void test_kernel_entry_function(void **state)
{
	struct eb_elf e;
	struct kernel k;
	const char *p = file("symbols.elf");

	(void)state;
	good(&e); /* no symbol table: nothing to tell */
	assert_int_equal(eb_write(&e, p), 0);
	eb_free(&e);
	assert_int_equal(kernel_open(&k, p), 0);
	assert_int_equal(k.entry_not_function, 0);
	kernel_close(&k);

	good(&e);
	eb_symbol(&e, "data", HH + 0x102000, STT_OBJECT);
	eb_symbol(&e, "kmain", HH + 0x100000, STT_FUNC);
	assert_int_equal(eb_write(&e, p), 0);
	eb_free(&e);
	assert_int_equal(kernel_open(&k, p), 0);
	assert_int_equal(k.entry_not_function, 0);
	kernel_close(&k);

	good(&e); /* an assembly label has no type */
	eb_symbol(&e, "_start", HH + 0x100000, STT_NOTYPE);
	assert_int_equal(eb_write(&e, p), 0);
	eb_free(&e);
	assert_int_equal(kernel_open(&k, p), 0);
	assert_int_equal(k.entry_not_function, 0);
	kernel_close(&k);

	good(&e); /* -e 0x... or ENTRY(kmain + 4): functions, none at the entry */
	e.ehdr.e_entry = HH + 0x100004;
	eb_symbol(&e, "kmain", HH + 0x100000, STT_FUNC);
	eb_symbol(&e, "table", HH + 0x100004, STT_OBJECT);
	assert_int_equal(eb_write(&e, p), 0);
	eb_free(&e);
	assert_int_equal(kernel_open(&k, p), 0);
	assert_int_equal(k.entry_not_function, 1);
	kernel_close(&k);
}

static void test_kernel_higher_half(void **state)
{
	struct eb_elf e;
	struct kernel k;
	const char *p = file("hh.elf");

	(void)state;
	good(&e);
	assert_int_equal(eb_write(&e, p), 0);
	assert_int_equal(kernel_open(&k, p), 0);
	assert_true(k.fd >= 0);
	assert_string_equal(k.path, p);
	assert_int_equal(k.file_size, e.size);
	assert_int_equal(k.entry, HH + 0x100000);
	assert_int_equal(k.segment_count, 2);
	assert_int_equal(k.segments[0].index, 0);
	assert_int_equal(k.segments[0].vaddr, HH + 0x100000);
	assert_int_equal(k.segments[0].paddr, 0x100000);
	assert_int_equal(k.segments[0].filesz, 0x1234);
	assert_int_equal(k.segments[0].memsz, 0x1234);
	assert_int_equal(k.segments[0].offset, e.ph[0].p_offset);
	assert_int_equal(k.segments[0].flags, PF_R | PF_X);
	assert_int_equal(k.segments[1].vaddr, HH + 0x102000);
	assert_int_equal(k.segments[1].filesz, 0x100);
	assert_int_equal(k.segments[1].memsz, 0x3000);
	assert_int_equal(k.segments[1].flags, PF_R | PF_W);
	kernel_close(&k);
	assert_int_equal(k.fd, -1);
	eb_free(&e);
}

static void test_kernel_flat(void **state)
{
	struct eb_elf e;
	struct kernel k;
	const char *p = file("flat.elf");

	(void)state;
	eb_init(&e, 0x200000);
	eb_add(&e, PT_LOAD, PF_R | PF_X, 0x200000, 0x200000, 0x3000, 0x3000);
	eb_add(&e, PT_LOAD, PF_R | PF_W, 0x203000, 0x203000, 0x10, 0x10000);
	assert_int_equal(eb_write(&e, p), 0);
	assert_int_equal(kernel_open(&k, p), 0);
	assert_int_equal(k.segment_count, 2);
	assert_int_equal(k.segments[1].vaddr, 0x203000);
	assert_int_equal(k.segments[1].memsz, 0x10000);
	kernel_close(&k);
	eb_free(&e);
}

static void test_kernel_shared_page(void **state)
{
	struct eb_elf e;
	struct kernel k;
	const char *p = file("shared.elf");

	(void)state;
	eb_init(&e, 0x200000);
	eb_add(&e, PT_LOAD, PF_R | PF_X, 0x200000, 0x200000, 0x800, 0x800);
	eb_add(&e, PT_LOAD, PF_R | PF_W, 0x200800, 0x200800, 0x100, 0x200);
	assert_int_equal(eb_write(&e, p), 0);
	assert_int_equal(kernel_open(&k, p), 0);
	assert_int_equal(k.segment_count, 2);
	assert_int_equal(k.segments[1].vaddr, 0x200800);
	kernel_close(&k);
	eb_free(&e);
}

/* Non-LOAD headers and empty PT_LOADs are not segments; indexes stay program header numbers. */
static void test_kernel_skips_empty_and_other(void **state)
{
	struct eb_elf e;
	struct kernel k;
	const char *p = file("mixed.elf");

	(void)state;
	eb_init(&e, 0x200000);
	eb_add(&e, PT_GNU_EH_FRAME, PF_R, 0, 0, 0x20, 0x20); /* bytes, but no notes */
	eb_add(&e, PT_LOAD, PF_R | PF_W, 0x300000, 0x300000, 0, 0); /* empty */
	eb_add(&e, PT_LOAD, PF_R | PF_X, 0x200000, 0x200000, 0x100, 0x100);
	eb_add(&e, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0);
	assert_int_equal(eb_write(&e, p), 0);
	assert_int_equal(kernel_open(&k, p), 0);
	assert_int_equal(k.segment_count, 1);
	assert_int_equal(k.segments[0].index, 2);
	kernel_close(&k);
	eb_free(&e);
}

/* An unstripped kernel: megabytes of debug info the model does not cover. */
static void test_kernel_unstripped(void **state)
{
	struct eb_elf e;
	struct kernel k;
	const char *p = file("debug.elf");

	(void)state;
	good(&e);
	eb_append(&e, 8 << 20, 0xdb);
	assert_int_equal(eb_write(&e, p), 0);
	assert_int_equal(kernel_open(&k, p), 0);
	assert_int_equal(k.file_size, e.size);
	assert_int_equal(k.segment_count, 2);
	assert_int_equal(k.segments[1].filesz, 0x100);
	kernel_close(&k);
	eb_free(&e);
}

/* --- Notes of owner mkbootimg --- */

/* good() with notes in a SHT_NOTE section (or a PT_NOTE segment); returns the opened kernel. */
static void open_with_notes(struct eb_elf *e, struct kernel *k)
{
	const char *p = file("notes.elf");

	assert_int_equal(eb_write(e, p), 0);
	eb_free(e);
	if (kernel_open(k, p) != 0)
		fail_msg("%s", mkb_error());
}

static void test_kernel_notes_none(void **state)
{
	struct eb_elf e;
	struct kernel k;

	(void)state;
	good(&e);
	open_with_notes(&e, &k);
	assert_int_equal(k.requests.stack_size, 0);
	assert_int_equal(k.requests.framebuffer_given, 0);
	assert_int_equal(k.requests.info_version, 0);
	kernel_close(&k);
}

static void add_requests(struct eb_elf *e)
{
	static const uint8_t build_id[20] = { 1, 2, 3 };
	static const uint32_t stack = 1 << 20, fb[3] = { 1024, 768, 32 }, version = 2;

	eb_note(e, "GNU", 3 /* NT_GNU_BUILD_ID */, build_id, sizeof build_id);
	eb_mkb_note(e, MKBOOTIMG_NOTE_STACK_SIZE, 1, &stack);
	eb_mkb_note(e, MKBOOTIMG_NOTE_FRAMEBUFFER, 3, fb);
	eb_mkb_note(e, MKBOOTIMG_NOTE_INFO_VERSION, 1, &version);
}

static void expect_requests(const struct kernel *k)
{
	assert_int_equal(k->requests.stack_size, 1 << 20);
	assert_int_equal(k->requests.framebuffer_given, 1);
	assert_int_equal(k->requests.framebuffer.width, 1024);
	assert_int_equal(k->requests.framebuffer.height, 768);
	assert_int_equal(k->requests.framebuffer.bpp, 32);
	assert_int_equal(k->requests.info_version, 2);
}

static void test_kernel_notes_in_section(void **state)
{
	struct eb_elf e;
	struct kernel k;

	(void)state;
	good(&e);
	add_requests(&e);
	open_with_notes(&e, &k);
	expect_requests(&k);
	kernel_close(&k);
}

/* A file without section headers: the PT_NOTE segment is read instead. */
static void test_kernel_notes_in_segment(void **state)
{
	struct eb_elf e;
	struct kernel k;

	(void)state;
	good(&e);
	add_requests(&e);
	e.notes_in_segment = 1;
	open_with_notes(&e, &k);
	expect_requests(&k);
	kernel_close(&k);
}

/* Other owners' notes are theirs, whatever their type and size. */
static void test_kernel_notes_foreign_owner(void **state)
{
	static const uint32_t odd[5] = { 7, 7, 7, 7, 7 };
	struct eb_elf e;
	struct kernel k;

	(void)state;
	good(&e);
	eb_note(&e, "GNU", 7, odd, 5);
	eb_note(&e, "Xen", MKBOOTIMG_NOTE_STACK_SIZE, odd, sizeof odd);
	eb_note(&e, "mkbootim", MKBOOTIMG_NOTE_STACK_SIZE, odd, 8);
	eb_note(&e, "mkbootimgx", 99, odd, 4);
	open_with_notes(&e, &k);
	assert_int_equal(k.requests.stack_size, 0);
	assert_int_equal(k.requests.framebuffer_given, 0);
	kernel_close(&k);
}

/* Requests repeated by several objects: the largest stack and version win; equal modes agree. */
static void test_kernel_notes_repeated(void **state)
{
	static const uint32_t small = 128 << 10, big = 2 << 20, one = 1, fb[3] = { 800, 600, 16 };
	struct eb_elf e;
	struct kernel k;

	(void)state;
	good(&e);
	eb_mkb_note(&e, MKBOOTIMG_NOTE_STACK_SIZE, 1, &big);
	eb_mkb_note(&e, MKBOOTIMG_NOTE_STACK_SIZE, 1, &small);
	eb_mkb_note(&e, MKBOOTIMG_NOTE_INFO_VERSION, 1, &one);
	eb_mkb_note(&e, MKBOOTIMG_NOTE_FRAMEBUFFER, 3, fb);
	eb_mkb_note(&e, MKBOOTIMG_NOTE_FRAMEBUFFER, 3, fb);
	open_with_notes(&e, &k);
	assert_int_equal(k.requests.stack_size, 2 << 20);
	assert_int_equal(k.requests.info_version, 1);
	assert_int_equal(k.requests.framebuffer.width, 800);
	kernel_close(&k);
}

static void refused_note(uint32_t type, size_t words, const uint32_t *desc, const char *want)
{
	struct eb_elf e;

	good(&e);
	eb_mkb_note(&e, type, words, desc);
	expect_refused(&e, want);
}

/* MKBOOTIMG_REQUEST_SMP: the largest stack wins, rounded up to pages;
 * outside 4K..1G refused; none: 0, the APs left alone. */
static void test_kernel_note_smp(void **state)
{
	static const uint32_t small = 10000, big = 16384, tiny = 100, huge = (1u << 30) + 1;
	struct eb_elf e;
	struct kernel k;

	(void)state;
	good(&e);
	open_with_notes(&e, &k);
	assert_int_equal(k.requests.smp_stack_size, 0);
	kernel_close(&k);
	good(&e);
	eb_mkb_note(&e, MKBOOTIMG_NOTE_SMP, 1, &small);
	eb_mkb_note(&e, MKBOOTIMG_NOTE_SMP, 1, &big);
	open_with_notes(&e, &k);
	assert_int_equal(k.requests.smp_stack_size, 16384);
	kernel_close(&k);
	good(&e);
	eb_mkb_note(&e, MKBOOTIMG_NOTE_SMP, 1, &small);
	open_with_notes(&e, &k);
	assert_int_equal(k.requests.smp_stack_size, 12288);
	kernel_close(&k);
	refused_note(MKBOOTIMG_NOTE_SMP, 1, &tiny, ": note mkbootimg smp: 100 bytes of stack per CPU is outside 4K..1G");
	refused_note(MKBOOTIMG_NOTE_SMP, 1, &huge, "smp: 1073741825 bytes of stack per CPU is outside");
}

static void test_kernel_note_unknown_type(void **state)
{
	static const uint32_t w = 1;

	(void)state;
	refused_note(7, 1, &w, ": note mkbootimg type 7 (unknown): this mkbootimg knows types 1 to 5");
	refused_note(0, 1, &w, ": note mkbootimg type 0 (unknown)");
}

static void test_kernel_note_bad_descsz(void **state)
{
	static const uint32_t w[4] = { 1 << 20, 0, 32, 0 };

	(void)state;
	refused_note(MKBOOTIMG_NOTE_STACK_SIZE, 2, w,
	             ": note mkbootimg stack size: descriptor of 8 bytes, expected 4");
	refused_note(MKBOOTIMG_NOTE_FRAMEBUFFER, 2, w,
	             ": note mkbootimg framebuffer: descriptor of 8 bytes, expected 12");
	refused_note(MKBOOTIMG_NOTE_INFO_VERSION, 0, w,
	             ": note mkbootimg info version: descriptor of 0 bytes, expected 4");
}

static void test_kernel_note_out_of_range(void **state)
{
	static const uint32_t small = 4096, big = (1u << 30) + 4096, min = 64 << 10;
	static const uint32_t bpp12[3] = { 1024, 768, 12 }, wide[3] = { 16385, 768, 32 },
	                      flat[3] = { 1024, 0, 32 };
	struct eb_elf e;
	struct kernel k;

	(void)state;
	refused_note(MKBOOTIMG_NOTE_STACK_SIZE, 1, &small,
	             ": note mkbootimg stack size: 4096 bytes is outside 64K..1G");
	refused_note(MKBOOTIMG_NOTE_STACK_SIZE, 1, &big, "stack size: 1073745920 bytes is outside");
	refused_note(MKBOOTIMG_NOTE_FRAMEBUFFER, 3, bpp12,
	             ": note mkbootimg framebuffer: 12 bits per pixel is not 8, 15, 16, 24 or 32");
	refused_note(MKBOOTIMG_NOTE_FRAMEBUFFER, 3, wide,
	             ": note mkbootimg framebuffer: width 16385 is outside 1..16384");
	refused_note(MKBOOTIMG_NOTE_FRAMEBUFFER, 3, flat,
	             ": note mkbootimg framebuffer: height 0 is outside 1..16384");
	good(&e); /* the limits themselves are fine */
	eb_mkb_note(&e, MKBOOTIMG_NOTE_STACK_SIZE, 1, &min);
	open_with_notes(&e, &k);
	assert_int_equal(k.requests.stack_size, 64 << 10);
	kernel_close(&k);
}

static void test_kernel_note_info_version_too_new(void **state)
{
	static const uint32_t v = MKBOOTIMG_INFO_VERSION + 1;
	char want[128];

	(void)state;
	snprintf(want, sizeof want, ": note mkbootimg info version: the kernel needs boot information "
	         "version %d, this mkbootimg gives version %d", MKBOOTIMG_INFO_VERSION + 1,
	         MKBOOTIMG_INFO_VERSION);
	refused_note(MKBOOTIMG_NOTE_INFO_VERSION, 1, &v, want);
}

static void test_kernel_note_framebuffer_twice(void **state)
{
	static const uint32_t a[3] = { 1024, 768, 32 }, b[3] = { 800, 600, 32 };
	struct eb_elf e;

	(void)state;
	good(&e);
	eb_mkb_note(&e, MKBOOTIMG_NOTE_FRAMEBUFFER, 3, a);
	eb_mkb_note(&e, MKBOOTIMG_NOTE_FRAMEBUFFER, 3, b);
	expect_refused(&e, ": note mkbootimg framebuffer: given twice, as 1024x768x32 and 800x600x32");
}

/* A descriptor size that runs past the section's end. */
static void test_kernel_note_malformed(void **state)
{
	static const uint32_t w = 1 << 20, huge = 4096;
	struct eb_elf e;

	(void)state;
	good(&e);
	eb_mkb_note(&e, MKBOOTIMG_NOTE_STACK_SIZE, 1, &w);
	memcpy(e.notes + 4, &huge, 4);
	expect_refused(&e, ": section 1: malformed note at offset 0x0");
	good(&e);
	eb_mkb_note(&e, MKBOOTIMG_NOTE_STACK_SIZE, 1, &w);
	memcpy(e.notes + 4, &huge, 4);
	e.notes_in_segment = 1;
	expect_refused(&e, ": segment 2: malformed note at offset 0x0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_not_elf),
		cmocka_unit_test(test_kernel_empty_file),
		cmocka_unit_test(test_kernel_missing_file),
		cmocka_unit_test(test_kernel_directory),
		cmocka_unit_test(test_kernel_class32),
		cmocka_unit_test(test_kernel_big_endian),
		cmocka_unit_test(test_kernel_machine),
		cmocka_unit_test(test_kernel_pie),
		cmocka_unit_test(test_kernel_interp),
		cmocka_unit_test(test_kernel_relocatable),
		cmocka_unit_test(test_kernel_no_program_headers),
		cmocka_unit_test(test_kernel_phdrs_outside_file),
		cmocka_unit_test(test_kernel_phdrs_offset_overflow),
		cmocka_unit_test(test_kernel_phentsize),
		cmocka_unit_test(test_kernel_no_load_segment),
		cmocka_unit_test(test_kernel_filesz_exceeds_memsz),
		cmocka_unit_test(test_kernel_segment_outside_file),
		cmocka_unit_test(test_kernel_segment_offset_overflow),
		cmocka_unit_test(test_kernel_virtual_wraps),
		cmocka_unit_test(test_kernel_virtual_overlap),
		cmocka_unit_test(test_kernel_entry_not_executable),
		cmocka_unit_test(test_kernel_entry_outside),
		cmocka_unit_test(test_kernel_entry_zero),
		cmocka_unit_test(test_kernel_entry_function),
		cmocka_unit_test(test_kernel_higher_half),
		cmocka_unit_test(test_kernel_flat),
		cmocka_unit_test(test_kernel_shared_page),
		cmocka_unit_test(test_kernel_skips_empty_and_other),
		cmocka_unit_test(test_kernel_unstripped),
		cmocka_unit_test(test_kernel_notes_none),
		cmocka_unit_test(test_kernel_notes_in_section),
		cmocka_unit_test(test_kernel_notes_in_segment),
		cmocka_unit_test(test_kernel_notes_foreign_owner),
		cmocka_unit_test(test_kernel_notes_repeated),
		cmocka_unit_test(test_kernel_note_unknown_type),
		cmocka_unit_test(test_kernel_note_smp),
		cmocka_unit_test(test_kernel_note_bad_descsz),
		cmocka_unit_test(test_kernel_note_out_of_range),
		cmocka_unit_test(test_kernel_note_info_version_too_new),
		cmocka_unit_test(test_kernel_note_framebuffer_twice),
		cmocka_unit_test(test_kernel_note_malformed),
	};
	return cmocka_run_group_tests(tests, eb_scratch_create, eb_scratch_remove);
}
