/* A PIE kernel's dynamic relocations: see relocations.h. */
#include "relocations.h"

#include "kernel.h"
#include "util.h"

#include <mkbootimg/image.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* DT_RELR and friends: in the ELF gABI since 2022, not in every <elf.h>. */
#ifndef DT_RELRSZ
#define DT_RELRSZ 35
#define DT_RELR 36
#define DT_RELRENT 37
#endif

#define MAX_DYNAMIC 4096 /* entries of PT_DYNAMIC read at most */

/* What PT_DYNAMIC says, 0 where it says nothing. */
struct dynamic {
	uint64_t rela, relasz, relaent;
	uint64_t rel, relsz, relent;
	uint64_t jmprel, pltrelsz, pltrel;
	uint64_t relr, relrsz;
	uint64_t symtab, strtab, strsz;
};

/* The growing list and the kernel it is read from. */
struct reader {
	struct kernel *k;
	struct kernel_pie *pie;
	size_t cap;
	struct dynamic d;
};

const char *pie_type_name(uint32_t type)
{
	static const char *const names[] = {
		"R_X86_64_NONE", "R_X86_64_64", "R_X86_64_PC32", "R_X86_64_GOT32", "R_X86_64_PLT32",
		"R_X86_64_COPY", "R_X86_64_GLOB_DAT", "R_X86_64_JUMP_SLOT", "R_X86_64_RELATIVE",
		"R_X86_64_GOTPCREL", "R_X86_64_32", "R_X86_64_32S", "R_X86_64_16", "R_X86_64_PC16",
		"R_X86_64_8", "R_X86_64_PC8", "R_X86_64_DTPMOD64", "R_X86_64_DTPOFF64",
		"R_X86_64_TPOFF64", "R_X86_64_TLSGD", "R_X86_64_TLSLD", "R_X86_64_DTPOFF32",
		"R_X86_64_GOTTPOFF", "R_X86_64_TPOFF32", "R_X86_64_PC64", "R_X86_64_GOTOFF64",
		"R_X86_64_GOTPC32", "R_X86_64_GOT64", "R_X86_64_GOTPCREL64", "R_X86_64_GOTPC64",
		"R_X86_64_GOTPLT64", "R_X86_64_PLTOFF64", "R_X86_64_SIZE32", "R_X86_64_SIZE64",
		"R_X86_64_GOTPC32_TLSDESC", "R_X86_64_TLSDESC_CALL", "R_X86_64_TLSDESC",
		"R_X86_64_IRELATIVE", "R_X86_64_RELATIVE64",
	};
	if (type < sizeof names / sizeof names[0])
		return names[type];
	return type == 41 ? "R_X86_64_GOTPCRELX" : type == 42 ? "R_X86_64_REX_GOTPCRELX"
	       : "an unknown type";
}

const char *pie_count_name(enum pie_type t)
{
	static const char *const names[PIE_TYPES] = { "RELATIVE", "64", "GLOB_DAT", "JUMP_SLOT", "RELR" };
	return names[t];
}

/* The file offset of [vaddr, vaddr + size) when a segment's file bytes hold it all. */
static int file_offset(const struct kernel *k, uint64_t vaddr, uint64_t size, uint64_t *off)
{
	for (size_t i = 0; i < k->segment_count; i++) {
		const struct kernel_segment *s = &k->segments[i];
		if (vaddr >= s->vaddr && vaddr - s->vaddr <= s->filesz && size <= s->filesz - (vaddr - s->vaddr)) {
			*off = s->offset + (vaddr - s->vaddr);
			return 0;
		}
	}
	return -1;
}

/* size bytes at link-time vaddr, from the file. what names them for the message. */
static int read_at(const struct kernel *k, uint64_t vaddr, void *buf, uint64_t size, const char *what)
{
	uint64_t off;
	ssize_t r;

	if (file_offset(k, vaddr, size, &off) != 0)
		return mkb_fail("%s: %s at 0x%" PRIx64 " (0x%" PRIx64 " bytes) lies outside the "
		                "segments' file bytes", k->path, what, vaddr, size);
	r = mkb_pread_full(k->fd, buf, (size_t)size, (off_t)off);
	if (r < 0)
		return mkb_fail("%s: read: %s", k->path, strerror(errno));
	if ((uint64_t)r < size)
		return mkb_fail("%s: %s: the file ends early", k->path, what);
	return 0;
}

static int add(struct reader *r, uint64_t offset, uint64_t value, int absolute, enum pie_type t)
{
	struct kernel_pie *pie = r->pie;
	uint64_t off;

	if (file_offset(r->k, offset, 8, &off) != 0)
		return mkb_fail("%s: relocation at 0x%" PRIx64 " lies outside the segments' file bytes: "
		                "mkbootimg relocates only words the file holds", r->k->path, offset);
	if (pie->count >= MKB_PIE_MAX_RELOCATIONS)
		return mkb_fail("%s: more than %u relocations", r->k->path, MKB_PIE_MAX_RELOCATIONS);
	if (pie->count == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 256;
		struct pie_reloc *n = realloc(pie->relocs, cap * sizeof *n);
		if (n == NULL)
			return mkb_fail("%s: %s", r->k->path, strerror(ENOMEM));
		pie->relocs = n;
		r->cap = cap;
	}
	pie->relocs[pie->count++] = (struct pie_reloc){ offset, value, absolute };
	pie->by_type[t]++;
	return 0;
}

/* The symbol's name from DT_STRTAB, for a message; "?" when it has none to give. */
static void symbol_name(const struct reader *r, uint32_t name, char *out, size_t cap)
{
	uint64_t n = r->d.strsz - name < cap - 1 ? r->d.strsz - name : cap - 1;

	memset(out, 0, cap);
	if (!r->d.strtab || name >= r->d.strsz ||
	    read_at(r->k, r->d.strtab + name, out, n, "the string table") != 0)
		snprintf(out, cap, "?");
}

static int refuse(const struct reader *r, uint32_t type, uint64_t offset)
{
	return mkb_fail("%s: relocation %s (%" PRIu32 ") at 0x%" PRIx64 ": mkbootimg applies "
	                "R_X86_64_RELATIVE, and R_X86_64_64, GLOB_DAT and JUMP_SLOT against symbols "
	                "the kernel defines: build the kernel with -fpie (no thread-local storage, "
	                "no copy relocations, no IFUNCs) and link it with -static-pie",
	                r->k->path, pie_type_name(type), type, offset);
}

/* The value of symbol index for a relocation of type at offset: defined in the kernel. */
static int symbol_value(struct reader *r, uint32_t index, uint32_t type, uint64_t offset,
                        uint64_t *value, int *absolute)
{
	Elf64_Sym sym;
	char name[64];

	if (index == 0 || !r->d.symtab)
		return mkb_fail("%s: relocation %s (%" PRIu32 ") at 0x%" PRIx64 " names no symbol "
		                "(DT_SYMTAB)", r->k->path, pie_type_name(type), type, offset);
	if (read_at(r->k, r->d.symtab + (uint64_t)index * sizeof sym, &sym, sizeof sym,
	            "the dynamic symbol table") != 0)
		return -1;
	if (sym.st_shndx == SHN_UNDEF) {
		symbol_name(r, sym.st_name, name, sizeof name);
		return mkb_fail("%s: relocation %s (%" PRIu32 ") at 0x%" PRIx64 " against symbol %s, "
		                "which the kernel does not define: no dynamic loader will find it for "
		                "a kernel; define it, or link with -static-pie", r->k->path,
		                pie_type_name(type), type, offset, name);
	}
	if (GELF_ST_TYPE(sym.st_info) == STT_TLS || GELF_ST_TYPE(sym.st_info) == STT_GNU_IFUNC)
		return refuse(r, type, offset);
	*value = sym.st_value;
	*absolute = sym.st_shndx == SHN_ABS;
	return 0;
}

/* One relocation, RELA or REL (addend 0: the addend is the word in place). */
static int take(struct reader *r, uint64_t offset, uint64_t info, int64_t addend, int rela)
{
	uint32_t type = (uint32_t)ELF64_R_TYPE(info), sym = (uint32_t)ELF64_R_SYM(info);
	uint64_t value = 0, in_place = 0;
	int absolute = 0;

	if (type == R_X86_64_NONE)
		return 0;
	if (type != R_X86_64_RELATIVE && type != R_X86_64_64 && type != R_X86_64_GLOB_DAT &&
	    type != R_X86_64_JUMP_SLOT)
		return refuse(r, type, offset);
	if (!rela && read_at(r->k, offset, &in_place, 8, "a relocated word") != 0)
		return -1;
	if (rela)
		in_place = (uint64_t)addend;
	if (type == R_X86_64_RELATIVE)
		return add(r, offset, in_place, 0, PIE_RELATIVE);
	if (symbol_value(r, sym, type, offset, &value, &absolute) != 0)
		return -1;
	if (type == R_X86_64_64)
		return add(r, offset, value + in_place, absolute, PIE_64);
	return add(r, offset, value, absolute, type == R_X86_64_GLOB_DAT ? PIE_GLOB_DAT : PIE_JUMP_SLOT);
}

/* A table of size bytes at vaddr, of RELA (24-byte) or REL (16-byte) entries of entsize. */
static int read_table(struct reader *r, uint64_t vaddr, uint64_t size, uint64_t entsize, int rela)
{
	uint64_t want = rela ? sizeof(Elf64_Rela) : sizeof(Elf64_Rel);
	const char *what = rela ? "DT_RELA" : "DT_REL";

	if (size == 0)
		return 0;
	if (entsize != 0 && entsize != want)
		return mkb_fail("%s: %s entries of %" PRIu64 " bytes, not %" PRIu64, r->k->path, what,
		                entsize, want);
	if (size % want != 0)
		return mkb_fail("%s: %s table of %" PRIu64 " bytes is not a whole number of entries",
		                r->k->path, what, size);
	for (uint64_t at = 0; at < size; at += want) {
		Elf64_Rela e = { 0, 0, 0 };
		if (read_at(r->k, vaddr + at, &e, want, what) != 0 ||
		    take(r, e.r_offset, e.r_info, rela ? e.r_addend : 0, rela) != 0)
			return -1;
	}
	return 0;
}

/* DT_RELR: packed RELATIVE relocations, their addends in place. */
static int read_relr(struct reader *r)
{
	uint64_t where = 0, e = 0, v = 0;

	if (r->d.relrsz % 8 != 0)
		return mkb_fail("%s: DT_RELR table of %" PRIu64 " bytes is not whole entries", r->k->path,
		                r->d.relrsz);
	for (uint64_t at = 0; at < r->d.relrsz; at += 8) {
		if (read_at(r->k, r->d.relr + at, &e, 8, "DT_RELR") != 0)
			return -1;
		if (!(e & 1)) { /* an address: relocate it, the bitmaps go on after it */
			if (read_at(r->k, e, &v, 8, "a relocated word") != 0 || add(r, e, v, 0, PIE_RELR) != 0)
				return -1;
			where = e + 8;
			continue;
		}
		for (unsigned bit = 1; bit < 64; bit++) {
			uint64_t a = where + (bit - 1) * 8;
			if (((e >> bit) & 1) && (read_at(r->k, a, &v, 8, "a relocated word") != 0 ||
			                         add(r, a, v, 0, PIE_RELR) != 0))
				return -1;
		}
		where += 63 * 8;
	}
	return 0;
}

static int read_dynamic(struct reader *r, const Elf64_Phdr *dyn)
{
	uint64_t n = dyn->p_filesz / sizeof(Elf64_Dyn);

	if (n > MAX_DYNAMIC)
		n = MAX_DYNAMIC;
	for (uint64_t i = 0; i < n; i++) {
		Elf64_Dyn e;
		ssize_t got = mkb_pread_full(r->k->fd, &e, sizeof e, (off_t)(dyn->p_offset + i * sizeof e));
		if (got != (ssize_t)sizeof e)
			return mkb_fail("%s: PT_DYNAMIC lies outside the file", r->k->path);
		uint64_t v = e.d_un.d_val;
		switch (e.d_tag) {
		case DT_NULL: return 0;
		case DT_RELA: r->d.rela = v; break;
		case DT_RELASZ: r->d.relasz = v; break;
		case DT_RELAENT: r->d.relaent = v; break;
		case DT_REL: r->d.rel = v; break;
		case DT_RELSZ: r->d.relsz = v; break;
		case DT_RELENT: r->d.relent = v; break;
		case DT_JMPREL: r->d.jmprel = v; break;
		case DT_PLTRELSZ: r->d.pltrelsz = v; break;
		case DT_PLTREL: r->d.pltrel = v; break;
		case DT_RELR: r->d.relr = v; break;
		case DT_RELRSZ: r->d.relrsz = v; break;
		case DT_SYMTAB: r->d.symtab = v; break;
		case DT_STRTAB: r->d.strtab = v; break;
		case DT_STRSZ: r->d.strsz = v; break;
		case DT_NEEDED:
			return mkb_fail("%s: PT_DYNAMIC names a shared library (DT_NEEDED): a kernel has no "
			                "dynamic loader; link it with -static-pie", r->k->path);
		default: break;
		}
	}
	return 0;
}

/*
 * A linker script that puts .rela.plt inside .rela.dyn makes DT_JMPREL a
 * part of the DT_RELA table, or the other way round (GNU ld with one
 * output section for both): read the union once, as glibc's loader does.
 */
static void merge_plt(struct dynamic *d)
{
	uint64_t start, end;

	if (!d->jmprel || !d->rela || d->pltrel == DT_REL || d->jmprel > d->rela + d->relasz ||
	    d->rela > d->jmprel + d->pltrelsz)
		return;
	start = d->rela < d->jmprel ? d->rela : d->jmprel;
	end = d->rela + d->relasz > d->jmprel + d->pltrelsz ? d->rela + d->relasz : d->jmprel + d->pltrelsz;
	d->rela = start;
	d->relasz = end - start;
	d->jmprel = d->pltrelsz = 0;
}

/* The same word relocated twice to the same value (overlapping tables): once is enough. */
/* Sorted by offset: the same relocation twice (RELA and REL tables may
 * overlap) is kept once; two that disagree about a word, or words that
 * overlap, would be slid twice or half by the loader: refused. */
static int drop_duplicates(struct kernel_pie *pie, const char *path)
{
	size_t kept = 0;

	for (size_t i = 0; i < pie->count; i++) {
		const struct pie_reloc *x = &pie->relocs[i], *last = kept ? &pie->relocs[kept - 1] : NULL;
		if (last && last->offset == x->offset && last->value == x->value && last->absolute == x->absolute)
			continue;
		if (last && x->offset - last->offset < 8)
			return mkb_fail("%s: relocations at 0x%" PRIx64 " and 0x%" PRIx64 " write the same "
			                "bytes%s: relink the kernel", path, last->offset, x->offset,
			                last->offset == x->offset ? " with different values" : "");
		pie->relocs[kept++] = *x;
	}
	pie->count = kept;
	return 0;
}

static int by_offset(const void *a, const void *b)
{
	const struct pie_reloc *x = a, *y = b;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

int pie_read(struct kernel *k, Elf *elf, const Elf64_Phdr *ph, size_t phnum)
{
	const Elf64_Phdr *dyn = NULL;
	struct reader r = { .k = k };
	uint64_t low = UINT64_MAX, high = 0;

	(void)elf;
	for (size_t i = 0; i < phnum; i++)
		if (ph[i].p_type == PT_DYNAMIC)
			dyn = &ph[i];
	if (dyn == NULL)
		return mkb_fail("%s: ELF type is ET_DYN (position-independent) but it has no PT_DYNAMIC "
		                "segment, so mkbootimg cannot find its relocations: link the kernel with "
		                "-static-pie (or -pie), or at fixed addresses with -static -no-pie", k->path);
	if ((r.pie = calloc(1, sizeof *r.pie)) == NULL)
		return mkb_fail("%s: %s", k->path, strerror(ENOMEM));
	k->pie = r.pie;
	for (size_t i = 0; i < k->segment_count; i++) {
		const struct kernel_segment *s = &k->segments[i];
		low = s->vaddr < low ? s->vaddr : low;
		high = s->vaddr + s->memsz > high ? s->vaddr + s->memsz : high;
	}
	r.pie->link_base = low & ~(uint64_t)(MKB_PAGE - 1);
	r.pie->span = high - r.pie->link_base;
	if (r.pie->span > (UINT64_C(1) << 31))
		return mkb_fail("%s: the kernel spans 0x%" PRIx64 " bytes of virtual memory: a "
		                "relocatable kernel must fit in 2 GiB", k->path, r.pie->span);
	if (read_dynamic(&r, dyn) != 0)
		return -1;
	merge_plt(&r.d);
	if (read_table(&r, r.d.rela, r.d.relasz, r.d.relaent, 1) != 0 ||
	    read_table(&r, r.d.rel, r.d.relsz, r.d.relent, 0) != 0 ||
	    read_table(&r, r.d.jmprel, r.d.pltrelsz, 0, r.d.pltrel != DT_REL) != 0 ||
	    (r.d.relr && read_relr(&r) != 0))
		return -1;
	if (r.pie->count > 1) /* qsort's array may not be null, and a kernel may have none */
		qsort(r.pie->relocs, r.pie->count, sizeof *r.pie->relocs, by_offset);
	return drop_duplicates(r.pie, k->path);
}

void pie_free(struct kernel_pie *pie)
{
	if (pie != NULL)
		free(pie->relocs);
	free(pie);
}

void pie_apply(const struct kernel_pie *pie, uint64_t link_vaddr, uint8_t *bytes, uint64_t size,
               uint64_t slide)
{
	for (size_t i = 0; i < pie->count; i++) {
		const struct pie_reloc *x = &pie->relocs[i];
		if (x->offset < link_vaddr || x->offset - link_vaddr > size || size - (x->offset - link_vaddr) < 8)
			continue;
		uint64_t v = x->value + (x->absolute ? 0 : slide);
		memcpy(bytes + (x->offset - link_vaddr), &v, 8); /* little-endian, as the host (image.c) */
	}
}
