#include "elf-builder.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGE 4096

void eb_init(struct eb_elf *e, uint64_t entry)
{
	memset(e, 0, sizeof *e);
	memcpy(e->ehdr.e_ident, ELFMAG, SELFMAG);
	e->ehdr.e_ident[EI_CLASS] = ELFCLASS64;
	e->ehdr.e_ident[EI_DATA] = ELFDATA2LSB;
	e->ehdr.e_ident[EI_VERSION] = EV_CURRENT;
	e->ehdr.e_type = ET_EXEC;
	e->ehdr.e_machine = EM_X86_64;
	e->ehdr.e_version = EV_CURRENT;
	e->ehdr.e_entry = entry;
	e->ehdr.e_phoff = sizeof(Elf64_Ehdr);
	e->ehdr.e_ehsize = sizeof(Elf64_Ehdr);
	e->ehdr.e_phentsize = sizeof(Elf64_Phdr);
	/* Headers live in the first page; segment data starts after it. */
	e->size = PAGE;
	e->data = calloc(1, e->size);
}

static void grow(struct eb_elf *e, size_t size)
{
	e->data = realloc(e->data, size);
	memset(e->data + e->size, 0, size - e->size);
	e->size = size;
}

uint8_t eb_pattern(uint64_t off)
{
	return (uint8_t)(off * 31 + (off >> 8) + (off >> 16) + 7);
}

unsigned eb_add(struct eb_elf *e, uint32_t type, uint32_t flags, uint64_t vaddr,
                uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
	unsigned i = e->ehdr.e_phnum++;
	size_t off = (e->size + PAGE - 1) / PAGE * PAGE + vaddr % PAGE;

	grow(e, off + filesz);
	for (size_t b = 0; b < filesz; b++)
		e->data[off + b] = eb_pattern(off + b);
	e->ph[i] = (Elf64_Phdr){
		.p_type = type, .p_flags = flags, .p_offset = off, .p_vaddr = vaddr,
		.p_paddr = paddr, .p_filesz = filesz, .p_memsz = memsz, .p_align = PAGE,
	};
	return i;
}

size_t eb_append(struct eb_elf *e, size_t n, uint8_t fill)
{
	size_t off = e->size;

	grow(e, off + n);
	memset(e->data + off, fill, n);
	return off;
}

static void put_note_bytes(struct eb_elf *e, const void *p, size_t n)
{
	memcpy(e->notes + e->note_size, p, n);
	e->note_size = (e->note_size + n + 3) / 4 * 4; /* the buffer is zeroed: padding is 0 */
}

void eb_note(struct eb_elf *e, const char *owner, uint32_t type, const void *desc, uint32_t descsz)
{
	uint32_t h[3] = { (uint32_t)strlen(owner) + 1, descsz, type };

	put_note_bytes(e, h, sizeof h);
	put_note_bytes(e, owner, h[0]);
	put_note_bytes(e, desc, descsz);
}

void eb_mkb_note(struct eb_elf *e, uint32_t type, size_t words, const uint32_t *desc)
{
	eb_note(e, "mkbootimg", type, desc, (uint32_t)(4 * words));
}

void eb_symbol(struct eb_elf *e, const char *name, uint64_t value, unsigned type)
{
	size_t n = strlen(name) + 1;

	if (e->strtab_size == 0)
		e->strtab_size = 1; /* name 0 is "" */
	memcpy(e->strtab + e->strtab_size, name, n);
	e->syms[e->sym_count++] = (Elf64_Sym){
		.st_name = (Elf64_Word)e->strtab_size, .st_info = ELF64_ST_INFO(STB_GLOBAL, type),
		.st_shndx = SHN_ABS, .st_value = value,
	};
	e->strtab_size += n;
}

static size_t put_bytes(struct eb_elf *e, const void *p, size_t n, size_t align)
{
	size_t off = (e->size + align - 1) / align * align;

	grow(e, off + n);
	memcpy(e->data + off, p, n);
	return off;
}

/*
 * The notes and symbols after everything else: the notes as a section or a
 * segment, then .symtab and .strtab, .shstrtab and the section header table
 * (sections only when there is one besides .shstrtab).
 */
static void place_sections(struct eb_elf *e)
{
	static const char names[] = "\0.note.mkbootimg\0.symtab\0.strtab\0.shstrtab";
	Elf64_Shdr sh[5] = { { 0 } };
	size_t n = 1, off;

	if (e->note_size != 0) {
		off = put_bytes(e, e->notes, e->note_size, 8);
		if (e->notes_in_segment)
			e->ph[e->ehdr.e_phnum++] = (Elf64_Phdr){
				.p_type = PT_NOTE, .p_flags = PF_R, .p_offset = off, .p_filesz = e->note_size,
				.p_memsz = e->note_size, .p_align = 4,
			};
		else
			sh[n++] = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_NOTE, .sh_flags = SHF_ALLOC,
			                        .sh_offset = off, .sh_size = e->note_size,
			                        .sh_addralign = 4 };
		e->note_size = 0; /* placed once, however often the file is written */
	}
	if (e->sym_count != 0) {
		Elf64_Sym table[17] = { { 0 } };
		memcpy(table + 1, e->syms, e->sym_count * sizeof table[0]);
		off = put_bytes(e, table, (e->sym_count + 1) * sizeof table[0], 8);
		sh[n] = (Elf64_Shdr){ .sh_name = 17, .sh_type = SHT_SYMTAB, .sh_offset = off,
		                      .sh_size = (e->sym_count + 1) * sizeof table[0],
		                      .sh_link = (Elf64_Word)n + 1, .sh_info = 1, .sh_addralign = 8,
		                      .sh_entsize = sizeof table[0] };
		n++;
		off = put_bytes(e, e->strtab, e->strtab_size, 1);
		sh[n++] = (Elf64_Shdr){ .sh_name = 25, .sh_type = SHT_STRTAB, .sh_offset = off,
		                        .sh_size = e->strtab_size, .sh_addralign = 1 };
		e->sym_count = 0;
	}
	if (n == 1)
		return;
	off = put_bytes(e, names, sizeof names, 1);
	sh[n] = (Elf64_Shdr){ .sh_name = 33, .sh_type = SHT_STRTAB, .sh_offset = off,
	                      .sh_size = sizeof names, .sh_addralign = 1 };
	e->ehdr.e_shstrndx = (Elf64_Half)n++;
	e->ehdr.e_shoff = put_bytes(e, sh, n * sizeof sh[0], 8);
	e->ehdr.e_shentsize = sizeof(Elf64_Shdr);
	e->ehdr.e_shnum = (Elf64_Half)n;
}

int eb_write(struct eb_elf *e, const char *path)
{
	FILE *f;
	size_t ok;

	place_sections(e);

	/* Headers at their usual places, whatever the test did to e_phoff. */
	memcpy(e->data, &e->ehdr, sizeof e->ehdr);
	memcpy(e->data + sizeof e->ehdr, e->ph, sizeof e->ph);
	f = fopen(path, "wb");
	if (f == NULL)
		return -1;
	ok = fwrite(e->data, 1, e->size, f);
	return fclose(f) == 0 && ok == e->size ? 0 : -1;
}

void eb_free(struct eb_elf *e)
{
	free(e->data);
	e->data = NULL;
}

int eb_temp_dir(char *buf, size_t size)
{
	const char *t = getenv("TMPDIR");
	if (snprintf(buf, size, "%s/mkbootimg-test.XXXXXX", t && *t ? t : "/tmp") >= (int)size)
		return -1;
	return mkdtemp(buf) ? 0 : -1;
}

char eb_scratch[512];

int eb_scratch_create(void **state)
{
	(void)state;
	return eb_temp_dir(eb_scratch, sizeof eb_scratch);
}

int eb_scratch_remove(void **state)
{
	(void)state;
	eb_remove_dir(eb_scratch);
	return 0;
}

const char *eb_scratch_file(const char *name)
{
	static char path[1024];
	snprintf(path, sizeof path, "%s/%s", eb_scratch, name);
	return path;
}

void eb_remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[4096];

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

int eb_count_entries(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

void eb_fake_efi(uint8_t out[EB_EFI_SIZE])
{
	for (size_t i = 0; i < EB_EFI_SIZE; i++)
		out[i] = eb_pattern(i);
	memcpy(out, "MZ", 2);
	memcpy(out + 0x3c, "\x80\0\0\0", 4); /* e_lfanew */
	memcpy(out + 0x80, "PE\0\0\x64\x86", 6); /* signature, machine x86-64 */
	memcpy(out + 0x98, "\x0b\x02", 2);     /* optional header: PE32+ */
	memcpy(out + 0x98 + 68, "\x0a\0", 2);  /* subsystem: EFI application */
}
