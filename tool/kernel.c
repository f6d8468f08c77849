#include "kernel.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *type_name(unsigned type)
{
	switch (type) {
	case ET_NONE: return "ET_NONE";
	case ET_REL: return "ET_REL (an object file; link it first)";
	case ET_CORE: return "ET_CORE (a core dump)";
	default: return "unknown";
	}
}

/* Checks the ELF header and program headers; fills k->segments. */
static int check_elf(struct kernel *k, Elf *elf)
{
	const char *path = k->path;
	char *ident;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
	size_t phnum, n = 0;

	if (elf_kind(elf) != ELF_K_ELF || (ident = elf_getident(elf, NULL)) == NULL)
		return mkb_fail("%s: not an ELF file", path);
	if (ident[EI_CLASS] != ELFCLASS64)
		return mkb_fail("%s: ELF class is %s, not 64-bit (ELFCLASS64)", path,
		                ident[EI_CLASS] == ELFCLASS32 ? "32-bit" : "invalid");
	if (ident[EI_DATA] != ELFDATA2LSB)
		return mkb_fail("%s: ELF data encoding is %s, not little-endian (ELFDATA2LSB)", path,
		                ident[EI_DATA] == ELFDATA2MSB ? "big-endian" : "invalid");
	if ((eh = elf64_getehdr(elf)) == NULL)
		return mkb_fail("%s: bad ELF header: %s", path, elf_errmsg(-1));
	if (eh->e_machine != EM_X86_64)
		return mkb_fail("%s: ELF machine is %u, not x86-64 (EM_X86_64 = %u)", path,
		                (unsigned)eh->e_machine, (unsigned)EM_X86_64);
	if (eh->e_type == ET_DYN)
		return mkb_fail("%s: ELF type is ET_DYN (position-independent); PIE kernels are "
		                "not supported, link with -no-pie or -static", path);
	if (eh->e_type != ET_EXEC)
		return mkb_fail("%s: ELF type is %s, not an executable (ET_EXEC)", path,
		                type_name(eh->e_type));
	/* PN_XNUM: the real count is kept in section 0, elf_getphdrnum reads it. */
	phnum = eh->e_phnum;
	if (phnum == PN_XNUM && elf_getphdrnum(elf, &phnum) != 0)
		return mkb_fail("%s: bad program header count: %s", path, elf_errmsg(-1));
	if (phnum == 0)
		return mkb_fail("%s: no program headers (is it an executable?)", path);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return mkb_fail("%s: e_phentsize is %u, not %zu", path,
		                (unsigned)eh->e_phentsize, sizeof(Elf64_Phdr));
	/* Checked here so a corrupt table gets a clear message, not libelf's. */
	if (eh->e_phoff > k->file_size ||
	    phnum > (k->file_size - eh->e_phoff) / sizeof(Elf64_Phdr))
		return mkb_fail("%s: program header table (offset 0x%" PRIx64 ", %zu entries) "
		                "lies outside the file (0x%" PRIx64 " bytes)",
		                path, (uint64_t)eh->e_phoff, phnum, k->file_size);
	if ((ph = elf64_getphdr(elf)) == NULL)
		return mkb_fail("%s: cannot read program headers: %s", path, elf_errmsg(-1));

	k->entry = eh->e_entry;
	k->segments = calloc(phnum, sizeof *k->segments);
	if (k->segments == NULL)
		return mkb_fail("%s: %s", path, strerror(errno));

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
		k->segments[n++] = (struct kernel_segment){
			.index = (unsigned)i, .vaddr = p->p_vaddr, .paddr = p->p_paddr,
			.filesz = p->p_filesz, .memsz = p->p_memsz, .offset = p->p_offset,
			.flags = p->p_flags & (PF_R | PF_W | PF_X),
		};
	}
	k->segment_count = n;
	if (n == 0)
		return mkb_fail("%s: no PT_LOAD segment: nothing to load", path);

	/* A few segments at most: pairwise is simplest. */
	for (size_t i = 0; i < n; i++) {
		const struct kernel_segment *a = &k->segments[i];
		for (size_t j = i + 1; j < n; j++) {
			const struct kernel_segment *b = &k->segments[j];
			if (a->vaddr < b->vaddr + b->memsz && b->vaddr < a->vaddr + a->memsz)
				return mkb_fail("%s: segments %u and %u overlap in virtual memory "
				                "(0x%" PRIx64 "-0x%" PRIx64 " and 0x%" PRIx64 "-0x%" PRIx64 ")",
				                path, a->index, b->index, a->vaddr, a->vaddr + a->memsz,
				                b->vaddr, b->vaddr + b->memsz);
		}
	}

	for (size_t i = 0; i < n; i++) {
		const struct kernel_segment *s = &k->segments[i];
		if ((s->flags & PF_X) && k->entry >= s->vaddr && k->entry - s->vaddr < s->memsz)
			return 0;
	}
	return mkb_fail("%s: entry point 0x%" PRIx64 " is not inside an executable (PF_X) segment",
	                path, k->entry);
}

int kernel_open(struct kernel *k, const char *path)
{
	struct stat st;
	Elf *elf;
	int r;

	*k = (struct kernel){ .fd = -1 };
	if (elf_version(EV_CURRENT) == EV_NONE)
		return mkb_fail("libelf: %s", elf_errmsg(-1));
	k->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (k->fd < 0)
		return mkb_fail("%s: %s", path, strerror(errno));
	if ((k->path = strdup(path)) == NULL) {
		r = mkb_fail("%s: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(k->fd, &st) != 0) {
		r = mkb_fail("%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		/* image.c reads segments with pread: pipes and directories won't do. */
		r = mkb_fail("%s: not a regular file", path);
		goto fail;
	}
	k->file_size = (uint64_t)st.st_size;

	/* ELF_C_READ reads headers on demand; segment bytes are never read here. */
	elf = elf_begin(k->fd, ELF_C_READ, NULL);
	if (elf == NULL) {
		r = mkb_fail("%s: not an ELF file (%s)", path, elf_errmsg(-1));
		goto fail;
	}
	r = check_elf(k, elf);
	elf_end(elf);
	if (r == 0)
		return 0;
fail:
	kernel_close(k);
	return r;
}

void kernel_close(struct kernel *k)
{
	if (k->fd >= 0)
		close(k->fd);
	free(k->segments);
	free(k->path);
	k->fd = -1;
	k->path = NULL;
	k->segments = NULL;
	k->segment_count = 0;
}
