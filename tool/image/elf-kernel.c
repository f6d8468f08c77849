#include "elf-kernel.h"
#include "kernel.h"
#include "relocations.h"
#include "requests.h"
#include "util.h"

#include <mkbootimg/protocol.h>

#include <errno.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

static const char *type_name(unsigned type)
{
	switch (type) {
	case ET_NONE: return "ET_NONE";
	case ET_REL: return "ET_REL (an object file; link it first)";
	case ET_CORE: return "ET_CORE (a core dump)";
	default: return "unknown";
	}
}

/* Every note in data; other owners' (GNU build-id, ...) are not ours to judge. */
static int read_notes(struct kernel *k, Elf_Data *data, const char *where, size_t index)
{
	const char *buf = data->d_buf;
	size_t off = 0, next, name_off, desc_off;
	GElf_Nhdr nh;

	while (off < data->d_size) {
		next = gelf_getnote(data, off, &nh, &name_off, &desc_off);
		if (next == 0)
			return mkb_fail("%s: %s %zu: malformed note at offset 0x%zx", k->path, where,
			                index, off);
		if (nh.n_namesz == sizeof MKBOOTIMG_NOTE_OWNER &&
		    memcmp(buf + name_off, MKBOOTIMG_NOTE_OWNER, sizeof MKBOOTIMG_NOTE_OWNER) == 0 &&
		    request_take_note(&k->requests, k->path, nh.n_type, buf + desc_off, nh.n_descsz) != 0)
			return -1;
		off = next;
	}
	return 0;
}

/*
 * The kernel's requests: notes in SHT_NOTE sections or, in a file without
 * section headers, PT_NOTE segments (a linker puts the same notes in both).
 */
static int read_requests(struct kernel *k, Elf *elf, const Elf64_Phdr *ph, size_t phnum)
{
	size_t shnum;
	Elf_Data *d;

	if (elf_getshdrnum(elf, &shnum) != 0)
		return mkb_fail("%s: cannot read section headers: %s", k->path, elf_errmsg(-1));
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn)) != NULL;) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) == NULL)
			return mkb_fail("%s: cannot read section headers: %s", k->path, elf_errmsg(-1));
		if (sh.sh_type != SHT_NOTE)
			continue;
		if ((d = elf_getdata(scn, NULL)) == NULL)
			return mkb_fail("%s: section %zu (SHT_NOTE): %s", k->path, elf_ndxscn(scn),
			                elf_errmsg(-1));
		if (read_notes(k, d, "section", elf_ndxscn(scn)) != 0)
			return -1;
	}
	if (shnum > 0)
		return 0;
	for (size_t i = 0; i < phnum; i++) {
		if (ph[i].p_type != PT_NOTE || ph[i].p_filesz == 0)
			continue;
		d = elf_getdata_rawchunk(elf, (int64_t)ph[i].p_offset, ph[i].p_filesz,
		                         ph[i].p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
		if (d == NULL)
			return mkb_fail("%s: segment %zu (PT_NOTE): %s", k->path, i, elf_errmsg(-1));
		if (read_notes(k, d, "segment", i) != 0)
			return -1;
	}
	return 0;
}

/*
 * Is the entry point where no function starts? 1 when the symbol table has
 * functions (or assembly labels, which have no type) but none at entry; 0
 * when one is there, or there is no symbol table to tell. A damaged symbol
 * table only means 0: the kernel loads without it.
 */
static int entry_not_function(Elf *elf, uint64_t entry)
{
	int seen = 0;

	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn)) != NULL;) {
		GElf_Shdr sh;
		Elf_Data *d;
		if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_SYMTAB ||
		    (d = elf_getdata(scn, NULL)) == NULL)
			continue;
		for (size_t i = 1; i < d->d_size / sizeof(Elf64_Sym); i++) {
			GElf_Sym sym;
			if (gelf_getsym(d, (int)i, &sym) == NULL)
				break;
			unsigned type = GELF_ST_TYPE(sym.st_info);
			if (sym.st_shndx == SHN_UNDEF || (type != STT_FUNC && type != STT_NOTYPE &&
			                                  type != STT_GNU_IFUNC))
				continue;
			if (sym.st_value == entry)
				return 0;
			seen = 1;
		}
	}
	return seen;
}

/* The ELF header: a 64-bit x86-64 executable with a program header table in the file. */
static int check_header(const struct kernel *k, Elf *elf, Elf64_Ehdr **ehp, size_t *phnum)
{
	const char *path = k->path;
	const char *ident;
	Elf64_Ehdr *eh;

	if (elf_kind(elf) != ELF_K_ELF || (ident = elf_getident(elf, NULL)) == NULL)
		return mkb_fail("%s: not an ELF file, and no Multiboot 1 or 2 header nor Linux setup header: "
		                "%s", path, KERNEL_LOOKED_FOR);
	/* A Multiboot header would have made it a Multiboot kernel (multiboot_open). */
	if (ident[EI_CLASS] == ELFCLASS32)
		return mkb_fail("%s: ELF class is 32-bit (ELFCLASS32), not 64-bit: build the kernel "
		                "with -m64 (gcc, clang; ld -m elf_x86_64), or give it a Multiboot "
		                "header, with which mkbootimg boots 32-bit kernels", path);
	if (ident[EI_CLASS] != ELFCLASS64)
		return mkb_fail("%s: ELF class is invalid, not 64-bit (ELFCLASS64)", path);
	if (ident[EI_DATA] != ELFDATA2LSB)
		return mkb_fail("%s: ELF data encoding is %s, not little-endian (ELFDATA2LSB)", path,
		                ident[EI_DATA] == ELFDATA2MSB ? "big-endian" : "invalid");
	if ((eh = elf64_getehdr(elf)) == NULL)
		return mkb_fail("%s: bad ELF header: %s", path, elf_errmsg(-1));
	if (eh->e_machine != EM_X86_64)
		return mkb_fail("%s: ELF machine is %u, not x86-64 (EM_X86_64 = %u)", path,
		                (unsigned)eh->e_machine, (unsigned)EM_X86_64);
	/* ET_DYN (PIE) is read after PT_INTERP is refused: that says more about how it was linked. */
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return mkb_fail("%s: ELF type is %s, not an executable (ET_EXEC)", path,
		                type_name(eh->e_type));
	/* PN_XNUM: the real count is kept in section 0, elf_getphdrnum reads it. */
	*phnum = eh->e_phnum;
	if (*phnum == PN_XNUM && elf_getphdrnum(elf, phnum) != 0)
		return mkb_fail("%s: bad program header count: %s", path, elf_errmsg(-1));
	if (*phnum == 0)
		return mkb_fail("%s: no program headers (is it an executable?)", path);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return mkb_fail("%s: e_phentsize is %u, not %zu", path,
		                (unsigned)eh->e_phentsize, sizeof(Elf64_Phdr));
	/* Checked here so a corrupt table gets a clear message, not libelf's. */
	if (eh->e_phoff > k->file_size ||
	    *phnum > (k->file_size - eh->e_phoff) / sizeof(Elf64_Phdr))
		return mkb_fail("%s: program header table (offset 0x%" PRIx64 ", %zu entries) "
		                "lies outside the file (0x%" PRIx64 " bytes)",
		                path, (uint64_t)eh->e_phoff, *phnum, k->file_size);
	*ehp = eh;
	return 0;
}

/* Every PT_LOAD segment with bytes to load or map, checked against the file, into k. */
static int read_segments(struct kernel *k, const Elf64_Phdr *ph, size_t phnum)
{
	const char *path = k->path;

	for (size_t i = 0; i < phnum; i++) {
		const Elf64_Phdr *p = &ph[i];
		if (p->p_type != PT_LOAD)
			continue;
		if (p->p_filesz > p->p_memsz)
			return mkb_fail("%s: segment %zu: p_filesz 0x%" PRIx64 " exceeds p_memsz 0x%" PRIx64,
			                path, i, (uint64_t)p->p_filesz, (uint64_t)p->p_memsz);
		if (p->p_memsz == 0)
			continue; /* nothing to load or map */
		if (p->p_offset > k->file_size || p->p_filesz > k->file_size - p->p_offset)
			return mkb_fail("%s: segment %zu: file bytes at offset 0x%" PRIx64 ", size 0x%" PRIx64
			                " lie outside the file (0x%" PRIx64 " bytes)", path, i,
			                (uint64_t)p->p_offset, (uint64_t)p->p_filesz, k->file_size);
		if (p->p_vaddr + p->p_memsz < p->p_vaddr)
			return mkb_fail("%s: segment %zu: virtual range 0x%" PRIx64 " + 0x%" PRIx64
			                " wraps around the address space", path, i,
			                (uint64_t)p->p_vaddr, (uint64_t)p->p_memsz);
		if (kernel_add_segment(k, &(struct kernel_segment){
			.index = (unsigned)i, .vaddr = p->p_vaddr, .paddr = p->p_paddr,
			.filesz = p->p_filesz, .memsz = p->p_memsz, .offset = p->p_offset,
			.flags = p->p_flags & (PF_R | PF_W | PF_X),
		    }) != 0)
			return -1;
	}
	if (k->segment_count == 0)
		return mkb_fail("%s: no PT_LOAD segment: nothing to load", path);
	return 0;
}

/* No two segments share a virtual address, and the entry point is in an executable one. */
static int check_segments(const struct kernel *k)
{
	const struct kernel_segment *at = NULL;
	size_t n = k->segment_count;

	/* A few segments at most: pairwise is simplest. */
	for (size_t i = 0; i < n; i++) {
		const struct kernel_segment *a = &k->segments[i];
		for (size_t j = i + 1; j < n; j++) {
			const struct kernel_segment *b = &k->segments[j];
			if (a->vaddr < b->vaddr + b->memsz && b->vaddr < a->vaddr + a->memsz)
				return mkb_fail("%s: segments %u and %u overlap in virtual memory "
				                "(0x%" PRIx64 "-0x%" PRIx64 " and 0x%" PRIx64 "-0x%" PRIx64 ")",
				                k->path, a->index, b->index, a->vaddr, a->vaddr + a->memsz,
				                b->vaddr, b->vaddr + b->memsz);
		}
		if (k->entry >= a->vaddr && k->entry - a->vaddr < a->memsz)
			at = a;
	}
	if (at == NULL)
		return kernel_entry_error(k->path, k->entry);
	if (!(at->flags & PF_X))
		return mkb_fail("%s: entry point 0x%" PRIx64 " is not inside an executable (PF_X) "
		                "segment: segment %u is not executable", k->path, k->entry, at->index);
	return 0;
}

int elf_kernel_read(struct kernel *k, Elf *elf)
{
	Elf64_Ehdr *eh = NULL;
	Elf64_Phdr *ph;
	size_t phnum = 0;

	if (check_header(k, elf, &eh, &phnum) != 0)
		return -1;
	if ((ph = elf64_getphdr(elf)) == NULL)
		return mkb_fail("%s: cannot read program headers: %s", k->path, elf_errmsg(-1));
	/* Before any address check: a dynamic link breaks them all, and says why. */
	for (size_t i = 0; i < phnum; i++)
		if (ph[i].p_type == PT_INTERP)
			return kernel_dynamic_error(k->path, 1);
	k->entry = eh->e_entry;
	if (read_segments(k, ph, phnum) != 0 || check_segments(k) != 0 ||
	    read_requests(k, elf, ph, phnum) != 0)
		return -1;
	/* Position-independent: its relocations, which the plan applies for its base. */
	if (eh->e_type == ET_DYN && pie_read(k, elf, ph, phnum) != 0)
		return -1;
	k->entry_not_function = entry_not_function(elf, k->entry);
	return 0;
}
