/*
 * relocations.c: a PIE kernel's dynamic relocations read through
 * kernel_open (ELF files built here with the elf builder), applied for a
 * base, and every relocation mkbootimg cannot apply refused with its type
 * and offset; plan.c's placement of such a kernel and its KASLR block.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "elf-builder.h"
#include "kernel.h"
#include "plan.h"
#include "relocations.h"
#include "util.h"

#include <mkbootimg/image.h>

#include <string.h>

#define HH UINT64_C(0xffffffff80000000)
#define DATA 0x2000u      /* the data segment: dynamic, relocations, symbols, strings, words */
#define RELA 0x2100u
#define SYMTAB 0x2200u
#define STRTAB 0x2300u
#define WORDS 0x2400u

struct rela {
	uint64_t offset;
	uint32_t type, sym;
	int64_t addend;
};

static void put(struct eb_elf *e, unsigned seg, uint64_t vaddr, const void *p, size_t n)
{
	memcpy(e->data + e->ph[seg].p_offset + (vaddr - e->ph[seg].p_vaddr), p, n);
}

/*
 * A PIE linked at 0x1000: text, then data holding PT_DYNAMIC (DT_RELA with
 * n entries, DT_JMPREL over the last jmprel of them, DT_SYMTAB, DT_STRTAB),
 * symbols 1 "ext" (undefined), 2 "def" (defined, 0x1020), 3 "abs" (SHN_ABS,
 * 0x5000), 4 "tls" (STT_TLS).
 */
static void pie(struct eb_elf *e, const struct rela *r, size_t n, size_t jmprel)
{
	static const char strings[] = "\0ext\0def\0abs\0tls";
	Elf64_Sym syms[5] = {
		{ 0 },
		{ .st_name = 1, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC), .st_shndx = SHN_UNDEF },
		{ .st_name = 5, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC), .st_shndx = 1, .st_value = 0x1020 },
		{ .st_name = 9, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_NOTYPE), .st_shndx = SHN_ABS,
		  .st_value = 0x5000 },
		{ .st_name = 13, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_TLS), .st_shndx = 2 },
	};
	Elf64_Dyn dyn[9] = {
		{ DT_RELA, { RELA } }, { DT_RELASZ, { n * sizeof(Elf64_Rela) } },
		{ DT_RELAENT, { sizeof(Elf64_Rela) } }, { DT_SYMTAB, { SYMTAB } }, { DT_STRTAB, { STRTAB } },
		{ DT_STRSZ, { sizeof strings } }, { DT_NULL, { 0 } }, { DT_NULL, { 0 } }, { DT_NULL, { 0 } },
	};
	unsigned data;

	if (jmprel) { /* as GNU ld makes them with one output section for both */
		dyn[6] = (Elf64_Dyn){ DT_JMPREL, { RELA + (n - jmprel) * sizeof(Elf64_Rela) } };
		dyn[7] = (Elf64_Dyn){ DT_PLTRELSZ, { jmprel * sizeof(Elf64_Rela) } };
		dyn[8] = (Elf64_Dyn){ DT_PLTREL, { DT_RELA } };
	}
	eb_init(e, 0x1000);
	e->ehdr.e_type = ET_DYN;
	eb_add(e, PT_LOAD, PF_R | PF_X, 0x1000, 0x1000, 0x100, 0x100);
	data = eb_add(e, PT_LOAD, PF_R | PF_W, DATA, DATA, 0x1000, 0x2000);
	unsigned d = eb_add(e, PT_DYNAMIC, PF_R | PF_W, DATA, DATA, sizeof dyn, sizeof dyn);
	e->ph[d].p_offset = e->ph[data].p_offset;
	put(e, data, DATA, dyn, sizeof dyn);
	for (size_t i = 0; i < n; i++) {
		Elf64_Rela x = { r[i].offset, ELF64_R_INFO(r[i].sym, r[i].type), r[i].addend };
		put(e, data, RELA + i * sizeof x, &x, sizeof x);
	}
	put(e, data, SYMTAB, syms, sizeof syms);
	put(e, data, STRTAB, strings, sizeof strings);
}

static const char *write_file(struct eb_elf *e)
{
	const char *p = eb_scratch_file("pie.elf");
	assert_int_equal(eb_write(e, p), 0);
	eb_free(e);
	return p;
}

static void expect_refused(const struct rela *r, size_t n, const char *want)
{
	struct eb_elf e;
	struct kernel k;

	pie(&e, r, n, 0);
	const char *p = write_file(&e);
	assert_int_equal(kernel_open(&k, p), -1);
	assert_int_equal(k.fd, -1);
	if (strstr(mkb_error(), want) == NULL || strncmp(mkb_error(), p, strlen(p)) != 0)
		fail_msg("message \"%s\" lacks \"%s\" or the path", mkb_error(), want);
}

static const struct rela good[] = {
	{ WORDS, R_X86_64_RELATIVE, 0, 0x1010 },
	{ WORDS + 8, R_X86_64_64, 2, 8 },
	{ 0, R_X86_64_NONE, 0, 0 },
	{ WORDS + 16, R_X86_64_GLOB_DAT, 2, 0 },
	{ WORDS + 24, R_X86_64_64, 3, 4 },
	{ WORDS + 32, R_X86_64_JUMP_SLOT, 2, 0 },
};

/* Every type it applies, each reduced to a link-time value; an absolute symbol stays put. */
static void test_pie_read(void **state)
{
	struct eb_elf e;
	struct kernel k;

	(void)state;
	pie(&e, good, 6, 0);
	assert_int_equal(kernel_open(&k, write_file(&e)), 0);
	assert_non_null(k.pie);
	assert_int_equal(k.pie->link_base, 0x1000);
	assert_int_equal(k.pie->span, 0x3000);
	assert_int_equal(k.pie->count, 5);
	assert_int_equal(k.pie->by_type[PIE_RELATIVE], 1);
	assert_int_equal(k.pie->by_type[PIE_64], 2);
	assert_int_equal(k.pie->by_type[PIE_GLOB_DAT], 1);
	assert_int_equal(k.pie->by_type[PIE_JUMP_SLOT], 1);
	const struct pie_reloc *x = k.pie->relocs;
	assert_int_equal(x[0].offset, WORDS);
	assert_int_equal(x[0].value, 0x1010);
	assert_int_equal(x[1].value, 0x1028);
	assert_int_equal(x[2].value, 0x1020);
	assert_int_equal(x[3].value, 0x5004);
	assert_true(x[3].absolute);
	assert_int_equal(x[4].value, 0x1020);

	uint8_t bytes[0x1000] = { 0 };
	uint64_t w[5];
	pie_apply(k.pie, DATA, bytes, sizeof bytes, HH);
	memcpy(w, bytes + (WORDS - DATA), sizeof w);
	assert_int_equal(w[0], HH + 0x1010);
	assert_int_equal(w[1], HH + 0x1028);
	assert_int_equal(w[2], HH + 0x1020);
	assert_int_equal(w[3], 0x5004);
	assert_int_equal(w[4], HH + 0x1020);
	kernel_close(&k);
}

/* DT_JMPREL inside DT_RELA (one output section for both): each read once. */
static void test_pie_jmprel_inside_rela(void **state)
{
	struct eb_elf e;
	struct kernel k;

	(void)state;
	pie(&e, good, 6, 1);
	assert_int_equal(kernel_open(&k, write_file(&e)), 0);
	assert_int_equal(k.pie->count, 5);
	assert_int_equal(k.pie->by_type[PIE_JUMP_SLOT], 1);
	kernel_close(&k);
}

/* What it cannot apply: named with its number and offset. */
static void test_pie_refused_types(void **state)
{
	(void)state;
	const struct rela copy[] = { { WORDS, R_X86_64_COPY, 2, 0 } };
	expect_refused(copy, 1, "relocation R_X86_64_COPY (5) at 0x2400: mkbootimg applies "
	                        "R_X86_64_RELATIVE, and R_X86_64_64, GLOB_DAT and JUMP_SLOT");
	const struct rela pc32[] = { { WORDS, R_X86_64_PC32, 1, -4 } };
	expect_refused(pc32, 1, "relocation R_X86_64_PC32 (2) at 0x2400");
	const struct rela tpoff[] = { { WORDS, R_X86_64_TPOFF64, 4, 0 } };
	expect_refused(tpoff, 1, "relocation R_X86_64_TPOFF64 (18) at 0x2400");
	const struct rela irel[] = { { WORDS, R_X86_64_IRELATIVE, 0, 0x1000 } };
	expect_refused(irel, 1, "relocation R_X86_64_IRELATIVE (37) at 0x2400");
	const struct rela tls[] = { { WORDS, R_X86_64_64, 4, 0 } }; /* a thread-local symbol */
	expect_refused(tls, 1, "relocation R_X86_64_64 (1) at 0x2400");
	const struct rela unknown[] = { { WORDS, 99, 0, 0 } };
	expect_refused(unknown, 1, "relocation an unknown type (99) at 0x2400");
}

/* Against a symbol the kernel lacks, or a word the file does not hold. */
static void test_pie_refused_places(void **state)
{
	(void)state;
	const struct rela undefined[] = { { WORDS, R_X86_64_64, 1, 0 } };
	expect_refused(undefined, 1, "relocation R_X86_64_64 (1) at 0x2400 against symbol ext, which the "
	                             "kernel does not define");
	const struct rela glob[] = { { WORDS, R_X86_64_GLOB_DAT, 1, 0 } };
	expect_refused(glob, 1, "R_X86_64_GLOB_DAT (6) at 0x2400 against symbol ext");
	const struct rela bss[] = { { 0x3800, R_X86_64_RELATIVE, 0, 0 } }; /* past filesz */
	expect_refused(bss, 1, "relocation at 0x3800 lies outside the segments' file bytes");
	const struct rela nowhere[] = { { 0x90000, R_X86_64_RELATIVE, 0, 0 } };
	expect_refused(nowhere, 1, "relocation at 0x90000 lies outside the segments' file bytes");
	/* One word given two values, or two words that overlap: KASLR would slide it twice. */
	const struct rela twice[] = { { WORDS, R_X86_64_RELATIVE, 0, 0x1010 },
	                              { WORDS, R_X86_64_RELATIVE, 0, 0x1018 } };
	expect_refused(twice, 2, "relocations at 0x2400 and 0x2400 write the same bytes with different values");
	const struct rela overlap[] = { { WORDS, R_X86_64_RELATIVE, 0, 0x1010 },
	                                { WORDS + 4, R_X86_64_RELATIVE, 0, 0x1010 } };
	expect_refused(overlap, 2, "relocations at 0x2400 and 0x2404 write the same bytes: relink");
}

/* No PT_DYNAMIC: no relocations to find. */
static void test_pie_no_dynamic(void **state)
{
	struct eb_elf e;
	struct kernel k;

	(void)state;
	eb_init(&e, 0x1000);
	e.ehdr.e_type = ET_DYN;
	eb_add(&e, PT_LOAD, PF_R | PF_X, 0x1000, 0x1000, 0x100, 0x100);
	assert_int_equal(kernel_open(&k, write_file(&e)), -1);
	assert_non_null(strstr(mkb_error(), "has no PT_DYNAMIC segment, so mkbootimg cannot find its "
	                                    "relocations: link the kernel with -static-pie"));
}

/* The plan moves it to --base, and with --kaslr makes the block and the table. */
static void test_pie_plan(void **state)
{
	struct eb_elf e;
	struct kernel k;
	struct plan p;
	struct plan_options o = { .base = HH, .base_given = 1, .kaslr = 1, .stage2_sectors = 50 };
	struct mkb_pie block;

	(void)state;
	pie(&e, good, 6, 0);
	assert_int_equal(kernel_open(&k, write_file(&e)), 0);
	assert_int_equal(plan_make(&p, &k, &o), 0);
	assert_int_equal(p.pie_base, HH);
	assert_int_equal(p.pie_slide, HH - 0x1000);
	assert_int_equal(p.entry, HH);
	assert_int_equal(p.segments[0].vaddr, HH);
	assert_int_equal(p.segments[1].vaddr, HH + 0x1000);
	assert_int_equal(p.kaslr_count, 4); /* not the absolute one */
	assert_int_equal(p.kaslr_table[0], WORDS - 0x1000);
	assert_int_equal(p.handoff_size, sizeof block);
	memcpy(&block, p.handoff, sizeof block);
	assert_int_equal(block.base, HH);
	assert_int_equal(block.link_base, 0x1000);
	assert_int_equal(block.flags, MKB_PIE_RELOCATABLE | MKB_PIE_KASLR_BASE);
	assert_int_equal(block.slots, MKB_PIE_MAX_SLOTS);
	assert_int_equal(block.count, 4);
	assert_int_equal(block.table_payload_offset % MKB_SECTOR_SIZE, 0);
	assert_int_equal(block.table_payload_offset, p.kaslr_payload_offset);
	plan_free(&p);
	/* Near the top of the address space: fewer steps. */
	o.base = UINT64_C(0xfffffffffe000000);
	assert_int_equal(plan_make(&p, &k, &o), 0);
	memcpy(&block, p.handoff, sizeof block);
	assert_int_equal(block.slots, 16); /* 32 MiB minus the kernel's 12 KiB: 15 whole steps, and 0 */
	plan_free(&p);
	/* Below the top 2 GiB: refused. */
	o.base = UINT64_C(0x40000000);
	assert_int_equal(plan_make(&p, &k, &o), -1);
	assert_non_null(strstr(mkb_error(), "KASLR keeps the kernel in the top 2 GiB"));
	kernel_close(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pie_read),
		cmocka_unit_test(test_pie_jmprel_inside_rela),
		cmocka_unit_test(test_pie_refused_types),
		cmocka_unit_test(test_pie_refused_places),
		cmocka_unit_test(test_pie_no_dynamic),
		cmocka_unit_test(test_pie_plan),
	};
	return cmocka_run_group_tests(tests, eb_scratch_create, eb_scratch_remove);
}
