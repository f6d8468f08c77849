#include "multiboot.h"
#include "kernel.h"
#include "requests.h"
#include "util.h"

#include <errno.h>
#include <stddef.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FOUR_GIB UINT64_C(0x100000000)

/* Multiboot 1 header flags (bits 0-15 are requirements, 16-31 optional features). */
#define MB1_PAGE_ALIGN   (1u << 0)  /* modules page-aligned: always so */
#define MB1_MEMORY_INFO  (1u << 1)  /* mem_* and the memory map: always given */
#define MB1_VIDEO_MODE   (1u << 2)  /* the header's mode fields: a framebuffer */
#define MB1_ADDRESS      (1u << 16) /* the header's address fields are valid */
#define MB1_KNOWN_REQUIRED (MB1_PAGE_ALIGN | MB1_MEMORY_INFO | MB1_VIDEO_MODE)

/* Multiboot 2 header tags. */
#define MB2_TAG_OPTIONAL 1u
enum {
	MB2_END = 0, MB2_INFO_REQUEST = 1, MB2_ADDRESS = 2, MB2_ENTRY = 3, MB2_CONSOLE = 4,
	MB2_FRAMEBUFFER = 5, MB2_MODULE_ALIGN = 6, MB2_EFI_BS = 7, MB2_ENTRY_EFI32 = 8,
	MB2_ENTRY_EFI64 = 9, MB2_RELOCATABLE = 10,
};

/* Default mode for a request that leaves width, height or depth open (0). */
#define DEFAULT_WIDTH 1024
#define DEFAULT_HEIGHT 768
#define DEFAULT_BPP 32

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* The spec wants each header contained completely in its window, not just begun there. */
void multiboot_scan(const uint8_t *buf, size_t n, struct multiboot_headers *h)
{
	h->mb1 = h->mb2 = -1;
	for (size_t off = 0; off + 12 <= n && off + 12 <= MB1_SEARCH; off += 4) {
		const uint8_t *p = buf + off;
		if (get32(p) == MB1_MAGIC && (uint32_t)(get32(p) + get32(p + 4) + get32(p + 8)) == 0) {
			h->mb1 = (long)off;
			break;
		}
	}
	for (size_t off = 0; off + 16 <= n && off + 16 <= MB2_SEARCH; off += 8) {
		const uint8_t *p = buf + off;
		if (get32(p) == MB2_MAGIC &&
		    (uint32_t)(get32(p) + get32(p + 4) + get32(p + 8) + get32(p + 12)) == 0) {
			h->mb2 = (long)off;
			break;
		}
	}
}

int multiboot_parse_protocol(const char *arg, int *protocol)
{
	if (strcmp(arg, "native") == 0)
		*protocol = MKB_PROTOCOL_NATIVE;
	else if (strcmp(arg, "multiboot1") == 0)
		*protocol = MKB_PROTOCOL_MULTIBOOT1;
	else if (strcmp(arg, "multiboot2") == 0)
		*protocol = MKB_PROTOCOL_MULTIBOOT2;
	else if (strcmp(arg, "linux") == 0)
		*protocol = MKB_PROTOCOL_LINUX;
	else
		return mkb_fail("--protocol: '%s' is not native, multiboot1, multiboot2 or linux", arg);
	return 0;
}

const char *multiboot_protocol_name(uint32_t protocol)
{
	switch (protocol) {
	case MKB_PROTOCOL_NATIVE: return "native";
	case MKB_PROTOCOL_MULTIBOOT1: return "multiboot1";
	case MKB_PROTOCOL_MULTIBOOT2: return "multiboot2";
	case MKB_PROTOCOL_LINUX: return "linux";
	default: return "unknown";
	}
}

static const char *mb2_tag_name(uint32_t type)
{
	static const char *const names[] = {
		"end", "information request", "address", "entry address", "console flags",
		"framebuffer", "module alignment", "EFI boot services", "EFI i386 entry address",
		"EFI amd64 entry address", "relocatable",
	};
	return type < sizeof names / sizeof names[0] ? names[type] : "unknown";
}

/* Boot information tags the loader gives (Multiboot 2, section 3.6). */
static const char *mb2_info_name(uint32_t type, int *supported)
{
	static const struct { uint32_t type; int supported; const char *name; } t[] = {
		{ 1, 1, "boot command line" }, { 2, 1, "boot loader name" }, { 3, 1, "modules" },
		{ 4, 1, "basic memory information" }, { 5, 1, "BIOS boot device" },
		{ 6, 1, "memory map" }, { 7, 1, "VBE info" }, { 8, 1, "framebuffer info" },
		{ 9, 1, "ELF-symbols" }, { 10, 0, "APM table" }, { 11, 0, "EFI 32-bit system table" },
		{ 12, 0, "EFI 64-bit system table" }, { 13, 0, "SMBIOS tables" },
		{ 14, 1, "ACPI old RSDP" }, { 15, 1, "ACPI new RSDP" }, { 16, 0, "networking information" },
		{ 17, 0, "EFI memory map" }, { 18, 0, "EFI boot services not terminated" },
		{ 19, 0, "EFI 32-bit image handle" }, { 20, 0, "EFI 64-bit image handle" },
		{ 21, 1, "image load base physical address" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (t[i].type == type) {
			*supported = t[i].supported;
			return t[i].name;
		}
	*supported = 0;
	return "unknown";
}

/* The header's address fields, as both versions have them. */
struct address_fields {
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr;
	int whole_file; /* Multiboot 2 load_addr -1: load from the file's start */
};

/* What the header asks for, before the segments are read. */
struct header_requests {
	int address_given, entry_given;
	struct address_fields address;
	uint32_t entry;
};

static void request_framebuffer(struct kernel *k, uint32_t w, uint32_t h, uint32_t bpp)
{
	k->requests.framebuffer = (struct fb_mode){
		w ? w : DEFAULT_WIDTH, h ? h : DEFAULT_HEIGHT, bpp ? bpp : DEFAULT_BPP
	};
	k->requests.framebuffer_given = 1;
	if (request_check_framebuffer(&k->requests.framebuffer) != 0) /* asked for what VBE cannot be */
		k->requests.framebuffer = (struct fb_mode){ DEFAULT_WIDTH, DEFAULT_HEIGHT,
		                                                     DEFAULT_BPP };
}

static int check_mb1(struct kernel *k, const uint8_t *h, size_t avail, struct header_requests *r)
{
	struct multiboot_kernel *mb = k->multiboot;
	uint32_t flags = get32(h + 4), unknown = flags & 0xffff & ~MB1_KNOWN_REQUIRED;

	mb->mb1_flags = flags;
	if (unknown)
		return mkb_fail("%s: Multiboot 1 header: flag bit %d is required by the kernel and "
		                "not supported by mkbootimg (it knows bits 0, 1, 2 and 16)", k->path,
		                __builtin_ctz(unknown));
	if (flags & MB1_ADDRESS) {
		if (avail < 32)
			return mkb_fail("%s: Multiboot 1 header: the address fields (flag 16) lie past "
			                "the end of the file", k->path);
		r->address_given = r->entry_given = 1;
		r->address = (struct address_fields){ get32(h + 12), get32(h + 16), get32(h + 20),
		                                      get32(h + 24), 0 };
		r->entry = get32(h + 28);
	}
	if (flags & MB1_VIDEO_MODE) {
		if (avail < 48)
			return mkb_fail("%s: Multiboot 1 header: the video mode fields (flag 2) lie past "
			                "the end of the file", k->path);
		mb->info.flags |= MKB_MB_VIDEO_INFO;
		if (get32(h + 32) == 0) /* 0: linear graphics mode; 1: EGA text, as we are */
			request_framebuffer(k, get32(h + 36), get32(h + 40), get32(h + 44));
	}
	return 0;
}

static int check_mb2(struct kernel *k, const uint8_t *h, size_t avail, struct header_requests *r)
{
	struct multiboot_kernel *mb = k->multiboot;
	uint32_t arch = get32(h + 4), length = get32(h + 8);

	if (arch != 0)
		return mkb_fail("%s: Multiboot 2 header: architecture %" PRIu32 " is not i386 (0)",
		                k->path, arch);
	if (length < 24 || length > avail)
		return mkb_fail("%s: Multiboot 2 header: header_length %" PRIu32 " is outside 24..%zu",
		                k->path, length, avail);
	for (uint32_t off = 16; off + 8 <= length;) {
		const uint8_t *t = h + off;
		uint32_t type = get16(t), optional = get16(t + 2) & MB2_TAG_OPTIONAL, size = get32(t + 4);
		const char *name = mb2_tag_name(type);
		if (size < 8 || size > length - off)
			return mkb_fail("%s: Multiboot 2 header: %s tag (type %" PRIu32 ") at offset %" PRIu32
			                " has size %" PRIu32 ", beyond the header", k->path, name, type,
			                off, size);
		switch (type) {
		case MB2_END:
			return 0;
		case MB2_INFO_REQUEST:
			for (uint32_t i = 8; i + 4 <= size; i += 4) {
				int ok;
				uint32_t want = get32(t + i);
				const char *what = mb2_info_name(want, &ok);
				if (!ok && !optional)
					return mkb_fail("%s: Multiboot 2 header: the information request tag "
					                "requires type %" PRIu32 " (%s), which mkbootimg's BIOS "
					                "loader cannot give", k->path, want, what);
			}
			break;
		case MB2_ADDRESS:
			if (size < 24)
				return mkb_fail("%s: Multiboot 2 header: address tag of %" PRIu32 " bytes, "
				                "not 24", k->path, size);
			r->address_given = 1;
			r->address = (struct address_fields){ get32(t + 8), get32(t + 12), get32(t + 16),
			                                      get32(t + 20), get32(t + 12) == 0xffffffffu };
			break;
		case MB2_ENTRY:
			if (size < 12)
				return mkb_fail("%s: Multiboot 2 header: entry address tag of %" PRIu32
				                " bytes, not 12", k->path, size);
			r->entry_given = 1;
			r->entry = get32(t + 8);
			break;
		case MB2_CONSOLE:
			/* EGA text is what the loader leaves: a kernel that requires a console but
			 * cannot use EGA text gets a framebuffer. */
			if (size >= 12 && (get32(t + 8) & 1) && !(get32(t + 8) & 2) &&
			    !k->requests.framebuffer_given)
				request_framebuffer(k, 0, 0, 0);
			mb->info.flags |= MKB_MB_VIDEO_INFO;
			break;
		case MB2_FRAMEBUFFER:
			if (size < 20)
				return mkb_fail("%s: Multiboot 2 header: framebuffer tag of %" PRIu32
				                " bytes, not 20", k->path, size);
			request_framebuffer(k, get32(t + 8), get32(t + 12), get32(t + 16));
			mb->info.flags |= MKB_MB_VIDEO_INFO;
			break;
		case MB2_MODULE_ALIGN: /* modules are always page-aligned */
		case MB2_RELOCATABLE:  /* loaded where linked, which is inside its range */
		case MB2_EFI_BS:       /* EFI only: nothing to do on a BIOS */
		case MB2_ENTRY_EFI32:
		case MB2_ENTRY_EFI64:
			break;
		default:
			if (!optional)
				return mkb_fail("%s: Multiboot 2 header: tag type %" PRIu32 " (%s) is "
				                "required by the kernel and not supported by mkbootimg",
				                k->path, type, name);
		}
		off += (size + 7) & ~7u;
	}
	return mkb_fail("%s: Multiboot 2 header: no end tag within header_length", k->path);
}

/* A Multiboot kernel runs without paging: its segments are where they are loaded. */
static int add_segment(struct kernel *k, unsigned index, uint64_t paddr, uint64_t filesz,
                       uint64_t memsz, uint64_t offset, uint32_t flags)
{
	return kernel_add_segment(k, &(struct kernel_segment){
		.index = index, .vaddr = paddr, .paddr = paddr, .filesz = filesz, .memsz = memsz,
		.offset = offset, .flags = flags,
	});
}

/* The a.out kludge: one segment from the header's address fields. */
static int load_by_address(struct kernel *k, const struct header_requests *r)
{
	const struct address_fields *a = &r->address;
	uint64_t load = a->load_addr, offset, filesz, memsz;

	if (a->whole_file)
		load = (uint64_t)a->header_addr - (uint64_t)k->multiboot->header_offset;
	if (load > a->header_addr || a->header_addr - load > (uint64_t)k->multiboot->header_offset)
		return mkb_fail("%s: Multiboot header: load_addr 0x%" PRIx64 " and header_addr 0x%" PRIx32
		                " put the load before the file's start", k->path, load, a->header_addr);
	offset = (uint64_t)k->multiboot->header_offset - (a->header_addr - load);
	filesz = a->load_end_addr ? (uint64_t)a->load_end_addr - load : k->file_size - offset;
	if (a->load_end_addr && a->load_end_addr < load)
		return mkb_fail("%s: Multiboot header: load_end_addr 0x%" PRIx32 " is below load_addr",
		                k->path, a->load_end_addr);
	if (filesz > k->file_size - offset)
		return mkb_fail("%s: Multiboot header: load_end_addr 0x%" PRIx32 " lies past the "
		                "file's end", k->path, a->load_end_addr);
	memsz = filesz;
	if (a->bss_end_addr) {
		if (a->bss_end_addr < load + filesz)
			return mkb_fail("%s: Multiboot header: bss_end_addr 0x%" PRIx32 " is below "
			                "load_end_addr", k->path, a->bss_end_addr);
		memsz = a->bss_end_addr - load;
	}
	if (!r->entry_given)
		return mkb_fail("%s: Multiboot 2 header: an address tag without an entry address tag",
		                k->path);
	k->multiboot->address_fields = 1;
	k->entry = r->entry;
	return add_segment(k, 0, load, filesz, memsz, offset, 7);
}

/*
 * ELF section headers for the kernel: non-allocated sections with bytes
 * (symbol and string tables) become extra segments after the kernel, so
 * sh_addr can point at them, as GRUB loads them.
 */
static int load_sections(struct kernel *k, Elf *elf, int class)
{
	struct multiboot_kernel *mb = k->multiboot;
	size_t shnum, shstrndx, entsize = class == ELFCLASS32 ? sizeof(Elf32_Shdr) : sizeof(Elf64_Shdr);
	uint64_t next = 0;

	if (elf_getshdrnum(elf, &shnum) != 0 || shnum == 0 || elf_getshdrstrndx(elf, &shstrndx) != 0)
		return 0; /* no section headers: no ELF-symbols information */
	if (shnum * entsize > 0x8000)
		return 0; /* more than the manifest should carry: leave the information out */
	for (size_t i = 0; i < k->segment_count; i++)
		if (k->segments[i].paddr + k->segments[i].memsz > next)
			next = k->segments[i].paddr + k->segments[i].memsz;
	next = MKB_ALIGN_UP(next, MKB_PAGE);
	mb->shdrs = calloc(shnum, entsize);
	if (mb->shdrs == NULL)
		return mkb_fail("%s: %s", k->path, strerror(ENOMEM));
	for (size_t i = 0; i < shnum; i++) {
		Elf_Scn *scn = elf_getscn(elf, i);
		GElf_Shdr sh;
		if (scn == NULL || gelf_getshdr(scn, &sh) == NULL)
			return mkb_fail("%s: section %zu: %s", k->path, i, elf_errmsg(-1));
		if (i > 0 && !(sh.sh_flags & SHF_ALLOC) && sh.sh_type != SHT_NOBITS && sh.sh_size > 0 &&
		    sh.sh_offset <= k->file_size && sh.sh_size <= k->file_size - sh.sh_offset &&
		    k->segment_count < MKB_MAX_SEGMENTS) {
			if (add_segment(k, MKB_SECTION_INDEX + (unsigned)i, next, sh.sh_size, sh.sh_size,
			                sh.sh_offset, 4) != 0)
				return -1;
			sh.sh_addr = next;
			next = MKB_ALIGN_UP(next + sh.sh_size, 16);
		}
		if (class == ELFCLASS32) {
			Elf32_Shdr s = { (Elf32_Word)sh.sh_name, (Elf32_Word)sh.sh_type,
			                 (Elf32_Word)sh.sh_flags, (Elf32_Addr)sh.sh_addr,
			                 (Elf32_Off)sh.sh_offset, (Elf32_Word)sh.sh_size,
			                 (Elf32_Word)sh.sh_link, (Elf32_Word)sh.sh_info,
			                 (Elf32_Word)sh.sh_addralign, (Elf32_Word)sh.sh_entsize };
			memcpy((char *)mb->shdrs + i * entsize, &s, sizeof s);
		} else {
			memcpy((char *)mb->shdrs + i * entsize, &sh, sizeof sh); /* GElf_Shdr is Elf64_Shdr */
		}
	}
	mb->shdr_bytes = shnum * entsize;
	mb->info.shdr_num = (uint32_t)shnum;
	mb->info.shdr_entsize = (uint32_t)entsize;
	mb->info.shdr_shndx = (uint32_t)shstrndx;
	return 0;
}

/* ELF32 or ELF64: PT_LOAD segments at p_paddr; the entry made physical as GRUB does. */
static int load_elf(struct kernel *k, const struct header_requests *r)
{
	Elf *elf = elf_begin(k->fd, ELF_C_READ, NULL);
	GElf_Ehdr eh;
	size_t phnum;
	int class, rc = -1, entry_loaded = 0;

	if (elf == NULL || elf_kind(elf) != ELF_K_ELF || gelf_getehdr(elf, &eh) == NULL) {
		rc = mkb_fail("%s: a Multiboot kernel that is not ELF needs the header's address "
		              "fields (%s)", k->path, k->multiboot->version == 1 ? "flag 16" :
		              "address and entry address tags");
		goto out;
	}
	class = gelf_getclass(elf);
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB || (eh.e_machine != EM_386 && eh.e_machine != EM_X86_64)) {
		rc = mkb_fail("%s: ELF machine %u is not x86 (EM_386 or EM_X86_64, little-endian)",
		              k->path, (unsigned)eh.e_machine);
		goto out;
	}
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
		rc = mkb_fail("%s: ELF type %u is not an executable (ET_EXEC)", k->path,
		              (unsigned)eh.e_type);
		goto out;
	}
	if (elf_getphdrnum(elf, &phnum) != 0 || phnum == 0) {
		rc = mkb_fail("%s: no program headers", k->path);
		goto out;
	}
	/* Copies of sections are numbered from MKB_SECTION_INDEX: program headers stay below. */
	if (phnum > MKB_SECTION_INDEX) {
		rc = mkb_fail("%s: %zu program headers, more than the %u a Multiboot kernel may have",
		              k->path, phnum, MKB_SECTION_INDEX);
		goto out;
	}
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(elf, (int)i, &ph) != NULL && ph.p_type == PT_INTERP) {
			rc = kernel_dynamic_error(k->path, 1);
			goto out;
		}
	}
	if (eh.e_type == ET_DYN) {
		rc = kernel_dynamic_error(k->path, 0);
		goto out;
	}
	k->entry = eh.e_entry;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(elf, (int)i, &ph) == NULL) {
			rc = mkb_fail("%s: program header %zu: %s", k->path, i, elf_errmsg(-1));
			goto out;
		}
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		/* e_entry is virtual, or (as some linker scripts make it) already physical. */
		if ((eh.e_entry >= ph.p_vaddr && eh.e_entry - ph.p_vaddr < ph.p_memsz) ||
		    (eh.e_entry >= ph.p_paddr && eh.e_entry - ph.p_paddr < ph.p_memsz))
			entry_loaded = 1;
		if (ph.p_filesz > ph.p_memsz || ph.p_offset > k->file_size ||
		    ph.p_filesz > k->file_size - ph.p_offset) {
			rc = mkb_fail("%s: segment %zu: file bytes outside the file, or p_filesz above "
			              "p_memsz", k->path, i);
			goto out;
		}
		if (ph.p_paddr >= FOUR_GIB || ph.p_memsz > FOUR_GIB - ph.p_paddr) {
			rc = mkb_fail("%s: segment %zu: physical range 0x%" PRIx64 " + 0x%" PRIx64 " is not "
			              "below 4 GiB", k->path, i, (uint64_t)ph.p_paddr, (uint64_t)ph.p_memsz);
			goto out;
		}
		if (eh.e_entry >= ph.p_vaddr && eh.e_entry - ph.p_vaddr < ph.p_memsz)
			k->entry = eh.e_entry - ph.p_vaddr + ph.p_paddr;
		if (add_segment(k, (unsigned)i, ph.p_paddr, ph.p_filesz, ph.p_memsz, ph.p_offset,
		                ph.p_flags & 7) != 0)
			goto out;
	}
	if (k->segment_count == 0) {
		rc = mkb_fail("%s: no PT_LOAD segment: nothing to load", k->path);
		goto out;
	}
	if (r->entry_given) {
		k->entry = r->entry;
	} else if (!entry_loaded) {
		rc = kernel_entry_error(k->path, eh.e_entry);
		goto out;
	}
	rc = load_sections(k, elf, class);
out:
	if (elf != NULL)
		elf_end(elf);
	return rc;
}

/*
 * The loader's hand-off block: struct mkb_multiboot, then the section
 * headers (their offset relative to the block, for the image writer to
 * complete), with the lowest load address, where the kernel's image starts.
 */
static int set_handoff(struct kernel *k)
{
	struct multiboot_kernel *mb = k->multiboot;
	struct mkb_multiboot info = mb->info;
	uint32_t size = (uint32_t)(sizeof info + mb->shdr_bytes);
	uint64_t base = UINT64_MAX;
	uint8_t *block;

	for (size_t i = 0; i < k->segment_count; i++)
		if (k->segments[i].paddr < base)
			base = k->segments[i].paddr;
	info.load_base = (uint32_t)base;
	info.shdr_offset = (uint32_t)sizeof info;
	if ((block = calloc(1, size)) != NULL) {
		memcpy(block, &info, sizeof info);
		if (mb->shdr_bytes)
			memcpy(block + sizeof info, mb->shdrs, mb->shdr_bytes);
	}
	free(mb->shdrs); /* the block has them now */
	mb->shdrs = NULL;
	return kernel_set_handoff(k, block, size, (uint32_t)offsetof(struct mkb_multiboot, shdr_offset));
}

int multiboot_open(struct kernel *k, int protocol)
{
	uint8_t buf[MB2_SEARCH];
	struct multiboot_headers h;
	struct header_requests r = { 0 };
	ssize_t n = mkb_pread_full(k->fd, buf, sizeof buf, 0);
	long at;
	int rc;

	if (n < 0)
		return mkb_fail("%s: read: %s", k->path, strerror(errno));
	multiboot_scan(buf, (size_t)n, &h);
	if (protocol == KERNEL_PROTOCOL_AUTO)
		protocol = h.mb2 >= 0 ? MKB_PROTOCOL_MULTIBOOT2 : h.mb1 >= 0 ? MKB_PROTOCOL_MULTIBOOT1
		         : MKB_PROTOCOL_NATIVE;
	k->protocol = (uint32_t)protocol;
	if (protocol == MKB_PROTOCOL_NATIVE)
		return 1;
	at = protocol == MKB_PROTOCOL_MULTIBOOT2 ? h.mb2 : h.mb1;
	if (at < 0)
		return mkb_fail("%s: --protocol %s: no Multiboot %d header (magic, alignment and "
		                "checksum) in the first %u KiB", k->path, multiboot_protocol_name(
		                (uint32_t)protocol), protocol, protocol == 2 ? 32 : 8);
	if ((k->multiboot = calloc(1, sizeof *k->multiboot)) == NULL)
		return mkb_fail("%s: %s", k->path, strerror(ENOMEM));
	k->multiboot->version = (uint32_t)protocol;
	k->multiboot->header_offset = at;
	rc = protocol == MKB_PROTOCOL_MULTIBOOT2 ? check_mb2(k, buf + at, (size_t)(n - at), &r)
	                                         : check_mb1(k, buf + at, (size_t)(n - at), &r);
	if (rc != 0)
		return -1;
	rc = r.address_given ? load_by_address(k, &r) : load_elf(k, &r);
	if (rc == 0 && k->entry >= FOUR_GIB)
		rc = mkb_fail("%s: entry point 0x%" PRIx64 " is not below 4 GiB", k->path, k->entry);
	if (rc != 0) {
		free(k->multiboot->shdrs); /* kernel_close frees the rest */
		k->multiboot->shdrs = NULL;
		return -1;
	}
	k->physical = 1;
	k->name_first = 1;
	return set_handoff(k);
}
