/*
 * A small ELF64 writer for tests: start from a valid x86-64 executable
 * header, add program headers with patterned file bytes, notes, corrupt any
 * field in e->ehdr or e->ph[] and write the file.
 */
#ifndef ELF_BUILDER_H
#define ELF_BUILDER_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

#define EB_MAX_PH 16

struct eb_elf {
	Elf64_Ehdr ehdr;         /* e_phoff 64, e_phnum kept up to date by eb_add */
	Elf64_Phdr ph[EB_MAX_PH];
	uint8_t *data;           /* the whole file; headers are filled in by eb_write */
	size_t size;
	uint8_t notes[1024];     /* note bytes, in a SHT_NOTE section or a PT_NOTE segment */
	size_t note_size;
	int notes_in_segment;    /* 1: a PT_NOTE segment and no section headers (without symbols) */
	Elf64_Sym syms[16];      /* a .symtab after the null symbol; names in strtab */
	size_t sym_count;
	char strtab[512];
	size_t strtab_size;
};

/* A valid ELFCLASS64, little-endian, EM_X86_64, ET_EXEC header and no segments. */
void eb_init(struct eb_elf *e, uint64_t entry);

/*
 * Add a program header; its filesz bytes go on a fresh file page at the
 * offset congruent to vaddr, filled with eb_pattern(file offset).
 * Returns the program header index.
 */
unsigned eb_add(struct eb_elf *e, uint32_t type, uint32_t flags, uint64_t vaddr,
                uint64_t paddr, uint64_t filesz, uint64_t memsz);

/* Append n bytes that no segment covers (like debug info), filled with fill. Returns their offset. */
size_t eb_append(struct eb_elf *e, size_t n, uint8_t fill);

/*
 * Add a note: namesz, descsz, type, owner and descriptor, each padded to 4
 * bytes. eb_write puts them in section .note.mkbootimg (with .shstrtab and a
 * section header table) or, with e->notes_in_segment, in a PT_NOTE segment.
 */
void eb_note(struct eb_elf *e, const char *owner, uint32_t type, const void *desc, uint32_t descsz);

/*
 * Add a global symbol of type (STT_FUNC, STT_OBJECT, ...) at value, absolute.
 * eb_write then adds .symtab and .strtab sections (after the notes' section).
 */
void eb_symbol(struct eb_elf *e, const char *name, uint64_t value, unsigned type);

/* eb_note with owner "mkbootimg" and 32-bit words. */
void eb_mkb_note(struct eb_elf *e, uint32_t type, size_t words, const uint32_t *desc);

/* The byte at file offset off of a segment's data. */
uint8_t eb_pattern(uint64_t off);

/* Write the file; returns 0 or -1. */
int eb_write(struct eb_elf *e, const char *path);
void eb_free(struct eb_elf *e);

/* A fresh directory under $TMPDIR (or /tmp); path into buf. Returns 0 or -1. */
int eb_temp_dir(char *buf, size_t size);

/* A scratch folder for a test group (or a test): eb_scratch_create and
 * eb_scratch_remove are cmocka setup and teardown functions. */
extern char eb_scratch[512];
int eb_scratch_create(void **state);
int eb_scratch_remove(void **state);
/* eb_scratch/name, in a buffer the next call reuses. */
const char *eb_scratch_file(const char *name);
/* Remove dir and the files directly inside it. */
void eb_remove_dir(const char *dir);
/* Number of entries in dir whose names start with prefix. */
int eb_count_entries(const char *dir, const char *prefix);

/*
 * A stand-in for BOOTX64.EFI: EB_EFI_SIZE bytes with the PE32+ EFI
 * application's marks image_check_efi_loader looks for, the rest
 * eb_pattern bytes (not a sector multiple, so a FAT chain's tail is tested).
 */
#define EB_EFI_SIZE 1300
void eb_fake_efi(uint8_t out[EB_EFI_SIZE]);

#endif
