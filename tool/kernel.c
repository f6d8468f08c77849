#include "kernel.h"
#include "multiboot.h"
#include "util.h"

#include <mkbootimg/protocol.h>

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

static const char *note_name(uint32_t type)
{
	switch (type) {
	case MKBOOTIMG_NOTE_STACK_SIZE: return "stack size";
	case MKBOOTIMG_NOTE_FRAMEBUFFER: return "framebuffer";
	case MKBOOTIMG_NOTE_INFO_VERSION: return "info version";
	default: return NULL;
	}
}

/*
 * One note of owner mkbootimg: check it and record the request. Notes from
 * several objects may repeat a request: the largest stack and version win,
 * but two framebuffer modes cannot both be had.
 */
static int take_note(struct kernel *k, uint32_t type, const void *desc, uint32_t descsz)
{
	struct kernel_requests *r = &k->requests;
	const char *name = note_name(type);
	size_t words = type == MKBOOTIMG_NOTE_FRAMEBUFFER ? 3 : 1;
	uint32_t w[3];

	if (name == NULL)
		return mkb_fail("%s: note mkbootimg type %" PRIu32 " (unknown): this mkbootimg knows "
		                "types 1 to 3 (stack size, framebuffer, info version); is the kernel "
		                "built for a newer one?", k->path, type);
	if (descsz != 4 * words)
		return mkb_fail("%s: note mkbootimg %s: descriptor of %" PRIu32 " bytes, expected %zu",
		                k->path, name, descsz, 4 * words);
	memcpy(w, desc, descsz); /* little-endian words, as the host's (see image.c) */
	switch (type) {
	case MKBOOTIMG_NOTE_STACK_SIZE:
		if (w[0] < PLAN_STACK_MIN || w[0] > PLAN_STACK_MAX)
			return mkb_fail("%s: note mkbootimg stack size: %" PRIu32 " bytes is outside "
			                "64K..1G", k->path, w[0]);
		if (w[0] > r->stack_size)
			r->stack_size = w[0];
		break;
	case MKBOOTIMG_NOTE_FRAMEBUFFER: {
		struct plan_framebuffer fb = { w[0], w[1], w[2] }, *old = &r->framebuffer;
		if (plan_check_framebuffer(&fb) != 0)
			return mkb_fail("%s: note mkbootimg framebuffer: %s", k->path, mkb_error());
		if (r->framebuffer_given && memcmp(old, &fb, sizeof fb) != 0)
			return mkb_fail("%s: note mkbootimg framebuffer: given twice, as %" PRIu32 "x%"
			                PRIu32 "x%" PRIu32 " and %" PRIu32 "x%" PRIu32 "x%" PRIu32,
			                k->path, old->width, old->height, old->bpp, fb.width, fb.height,
			                fb.bpp);
		*old = fb;
		r->framebuffer_given = 1;
		break;
	}
	case MKBOOTIMG_NOTE_INFO_VERSION:
		if (w[0] > MKBOOTIMG_INFO_VERSION)
			return mkb_fail("%s: note mkbootimg info version: the kernel needs boot information "
			                "version %" PRIu32 ", this mkbootimg gives version %d; use a newer "
			                "mkbootimg", k->path, w[0], MKBOOTIMG_INFO_VERSION);
		if (w[0] > r->info_version)
			r->info_version = w[0];
		break;
	}
	return 0;
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
		    take_note(k, nh.n_type, buf + desc_off, nh.n_descsz) != 0)
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

int kernel_dynamic_error(const char *path, int interp)
{
	return mkb_fail("%s: dynamically linked (%s): link with -static -no-pie (or -static-pie, "
	                "with an mkbootimg that loads position-independent kernels)", path,
	                interp ? "PT_INTERP" : "position-independent ET_DYN");
}

int kernel_entry_error(const char *path, uint64_t entry)
{
	if (entry == 0)
		return mkb_fail("%s: entry point is 0, in no PT_LOAD segment: the linker found no "
		                "entry symbol; name the entry function with ENTRY() in the linker "
		                "script, or with the linker's -e option (without either it looks "
		                "for _start)", path);
	return mkb_fail("%s: entry point 0x%" PRIx64 " is outside every PT_LOAD segment: the "
	                "symbol named by ENTRY() in the linker script (or by the linker's -e "
	                "option, or _start without either) is missing, discarded or "
	                "garbage-collected", path, entry);
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

/* Checks the ELF header and program headers; fills k->segments and k->requests. */
static int check_elf(struct kernel *k, Elf *elf)
{
	const char *path = k->path;
	const struct kernel_segment *at = NULL;
	char *ident;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
	size_t phnum, n = 0;

	if (elf_kind(elf) != ELF_K_ELF || (ident = elf_getident(elf, NULL)) == NULL)
		return mkb_fail("%s: not an ELF file", path);
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
	/* ET_DYN is refused below, after PT_INTERP: that says more about how it was linked. */
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
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
	/* Before any address check: a dynamic link breaks them all, and says why. */
	for (size_t i = 0; i < phnum; i++)
		if (ph[i].p_type == PT_INTERP)
			return kernel_dynamic_error(path, 1);
	if (eh->e_type == ET_DYN)
		return kernel_dynamic_error(path, 0);

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
		if (k->entry >= s->vaddr && k->entry - s->vaddr < s->memsz)
			at = s;
	}
	if (at == NULL)
		return kernel_entry_error(path, k->entry);
	if (!(at->flags & PF_X))
		return mkb_fail("%s: entry point 0x%" PRIx64 " is not inside an executable (PF_X) "
		                "segment: segment %u is not executable", path, k->entry, at->index);
	if (read_requests(k, elf, ph, phnum) != 0)
		return -1;
	k->entry_not_function = entry_not_function(elf, k->entry);
	return 0;
}

int kernel_open(struct kernel *k, const char *path)
{
	return kernel_open_protocol(k, path, KERNEL_PROTOCOL_AUTO);
}

int kernel_open_protocol(struct kernel *k, const char *path, int protocol)
{
	struct stat st;
	Elf *elf;
	int r;

	*k = (struct kernel){ .fd = -1 };
	if (elf_version(EV_CURRENT) == EV_NONE)
		return mkb_fail("libelf: %s", elf_errmsg(-1));
	/* O_NONBLOCK: a FIFO must be refused below, not wait for a writer. */
	k->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
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

	/* A Multiboot header makes it a Multiboot kernel (multiboot.c reads it whole). */
	r = multiboot_open(k, protocol);
	if (r == 0)
		return 0;
	if (r < 0)
		goto fail;

	/* ELF_C_READ reads headers and notes on demand; segment bytes are never read here. */
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
	multiboot_free(k->multiboot);
	k->multiboot = NULL;
	k->fd = -1;
	k->path = NULL;
	k->segments = NULL;
	k->segment_count = 0;
}
