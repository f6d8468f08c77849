/*
 * mkbootimg boot protocol: what a 64-bit kernel is handed at entry.
 *
 * The one header a kernel needs. Freestanding C99 or C++11, no includes but
 * <stddef.h> and <stdint.h>. Layouts are fixed: every field has a fixed size
 * and offset, checked below, so kernels in other languages can mirror them.
 *
 * Entry state (see mkbootimg-protocol(7) for the full list):
 *   long mode, 4-level paging, interrupts off, SSE on;
 *   RDI = physical address of struct mkbootimg_info (identity-mapped, below 4 GiB);
 *   RSP + 8 16-byte aligned, RBP = 0, the stack has an unmapped guard page below it.
 * The GDT, like the rest of the loader, lives in memory the map marks
 * LOADER_RECLAIMABLE: load your own before reusing that memory.
 * On UEFI, boot services are over (ExitBootServices) and runtime services
 * keep their memory (reserved in the map); field firmware says which.
 * They are callable at their physical addresses only below 4 GiB (the
 * identity map); above, only the direct map reaches them: call
 * SetVirtualAddressMap first, or map them to themselves.
 *
 * Addresses in the boot information are physical and below 4 GiB unless a
 * field says otherwise; the first 4 GiB are identity-mapped, so they are
 * usable as pointers as they are, or after adding direct_map_offset.
 */
#ifndef MKBOOTIMG_PROTOCOL_H
#define MKBOOTIMG_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define MKBOOTIMG_INFO_MAGIC   UINT64_C(0x4f464e49424b4d21) /* "!MKBINFO" */
#define MKBOOTIMG_INFO_VERSION 4

/* Memory map entry types. Values 1-5 are those of the BIOS E820 call. */
enum mkbootimg_memory_type {
	MKBOOTIMG_MEM_USABLE = 1,             /* free RAM, page-aligned */
	MKBOOTIMG_MEM_RESERVED = 2,           /* firmware, MMIO, or unknown */
	MKBOOTIMG_MEM_ACPI_RECLAIMABLE = 3,   /* ACPI tables; free once read */
	MKBOOTIMG_MEM_ACPI_NVS = 4,           /* ACPI non-volatile storage */
	MKBOOTIMG_MEM_BAD = 5,                /* defective RAM */
	MKBOOTIMG_MEM_LOADER_RECLAIMABLE = 0x1000, /* loader code and buffers; free after entry */
	MKBOOTIMG_MEM_KERNEL = 0x1001,        /* the kernel's segments */
	MKBOOTIMG_MEM_KERNEL_STACK = 0x1002,  /* the initial stack, and each AP's (SMP request) */
	MKBOOTIMG_MEM_PAGE_TABLES = 0x1003,   /* the page tables CR3 points to */
	MKBOOTIMG_MEM_BOOT_INFO = 0x1004,     /* this structure, its map and strings */
	MKBOOTIMG_MEM_MODULES = 0x1005        /* the modules' bytes */
};

struct mkbootimg_memory_region {
	uint64_t base;   /* physical start */
	uint64_t length; /* bytes */
	uint32_t type;   /* enum mkbootimg_memory_type */
	uint32_t reserved; /* zero */
};

/* A file loaded with the kernel (mkbootimg --module FILE[=STRING]). */
struct mkbootimg_module {
	uint64_t address; /* physical, page-aligned, below 4 GiB */
	uint64_t size;    /* bytes */
	uint64_t string;  /* address of the module's NUL-terminated string ("" if none) */
};

/* One loaded segment of the kernel, as placed. */
struct mkbootimg_segment {
	uint64_t virtual_address;  /* p_vaddr */
	uint64_t physical_address; /* where it was loaded */
	uint64_t size;             /* p_memsz */
	uint32_t flags;            /* ELF p_flags: 1 execute, 2 write, 4 read */
	uint32_t reserved;         /* zero */
};

/* A linear framebuffer: the VBE mode the loader set on a BIOS; on UEFI,
 * which has no text mode, the GOP mode in use, whether the kernel asked for
 * one or not (32 bits per pixel, or 16 or 24 in a GOP bit-mask mode). */
struct mkbootimg_framebuffer {
	uint64_t address;          /* physical; 0 when the screen is in text mode */
	uint32_t width, height;    /* pixels */
	uint32_t pitch;            /* bytes per line */
	uint16_t bpp;              /* bits per pixel */
	uint8_t red_size, red_shift;     /* a pixel's red bits: their count and lowest bit */
	uint8_t green_size, green_shift; /* the same for green */
	uint8_t blue_size, blue_shift;   /* the same for blue */
	uint8_t reserved[4];             /* zero */
};

struct mkbootimg_info {
	uint64_t magic;             /* MKBOOTIMG_INFO_MAGIC */
	uint32_t version;           /* MKBOOTIMG_INFO_VERSION; later versions only append fields */
	uint32_t size;              /* bytes of this structure as the loader filled it */
	uint64_t direct_map_offset; /* virtual = physical + this, for all physical memory */
	uint64_t memory_map;        /* address of the struct mkbootimg_memory_region array */
	uint32_t memory_map_count;  /* entries: sorted by base, not overlapping */
	uint32_t boot_drive;        /* BIOS drive number the image was read from; UEFI: 0x80 */
	uint64_t cmdline;           /* address of the NUL-terminated command line ("" if none) */
	uint64_t cmdline_length;    /* bytes, without the NUL */
	uint64_t loader_name;       /* address of "mkbootimg <version>", NUL-terminated */
	uint64_t stack_top;         /* virtual address one past the stack's highest byte */
	uint64_t stack_size;        /* bytes mapped below stack_top; one unmapped page below that */
	/* Version 2 */
	uint64_t stack_physical;    /* physical address of the stack's lowest byte */
	uint64_t segments;          /* address of the struct mkbootimg_segment array */
	uint32_t segment_count;     /* entries, in program header order */
	uint32_t module_count;      /* entries of the modules array */
	uint64_t modules;           /* address of the struct mkbootimg_module array (0 if none) */
	uint64_t rsdp;              /* physical address of the ACPI RSDP, 0 when there is none */
	struct mkbootimg_framebuffer framebuffer; /* address 0: text mode at 0xB8000 */
	/* Version 3 */
	uint32_t firmware;          /* MKBOOTIMG_FIRMWARE_*: which firmware started the loader */
	uint32_t efi_memory_map_descriptor_version; /* UEFI: as GetMemoryMap gave it; BIOS: 0 */
	uint64_t efi_system_table;  /* UEFI: physical address of the EFI system table; BIOS: 0 */
	uint64_t efi_memory_map;    /* UEFI: the firmware's final memory map, the one ExitBootServices
	                               took (EFI_MEMORY_DESCRIPTORs, in BOOT_INFO memory); BIOS: 0 */
	uint64_t efi_memory_map_size;            /* bytes of it */
	uint64_t efi_memory_map_descriptor_size; /* step between descriptors (not their sizeof) */
	uint64_t smbios;            /* physical address of the SMBIOS entry point ("_SM3_" when
	                               the firmware has one, else "_SM_"); 0 when there is none */
	/* Version 4 */
	uint64_t cpus;              /* address of the struct mkbootimg_cpu array; 0 unless the
	                               kernel asked for MKBOOTIMG_REQUEST_SMP */
	uint32_t cpu_count;         /* entries of cpus, the BSP among them */
	uint32_t smp_flags;         /* MKBOOTIMG_SMP_* */
	uint64_t kernel_slide;      /* bytes added to every virtual address of a relocatable (PIE)
	                               kernel: its base minus its link base; 0 otherwise */
	uint64_t kernel_virtual_base; /* a PIE kernel's virtual base as loaded; 0 for a kernel
	                                 linked at fixed addresses */
};

/* One CPU (field cpus, version 4). An AP waits, in long mode on the kernel's
 * page tables with its own stack and interrupts off, until the kernel stores
 * a non-zero goto_address (one atomic 64-bit store); it then jumps there with
 * RDI = the address of its own struct mkbootimg_cpu, RSP its own stack's top
 * as after a call (RSP + 8 16-byte aligned), RBP = 0, SSE on, the loader's GDT.
 * The list is the MADT's enabled and online-capable local APIC and x2APIC
 * entries, the BSP among them. An AP without MKBOOTIMG_CPU_STARTED was
 * either never sent an IPI (online-capable only, an x2APIC ID the
 * xAPIC cannot reach, or every AP when UEFI had no free page below 1 MiB),
 * or silent 100 ms after its second SIPI: that one was sent INIT last and
 * waits for a SIPI. A parked AP runs in a page
 * below 1 MiB the map marks LOADER_RECLAIMABLE: keep that memory (and the
 * GDT) until every AP has left. The array is in BOOT_INFO memory, the AP
 * stacks in KERNEL_STACK memory. */
struct mkbootimg_cpu {
	uint32_t acpi_uid;          /* ACPI processor UID (MADT) */
	uint32_t lapic_id;          /* local APIC ID (x2APIC ID in x2APIC mode) */
	uint32_t flags;             /* MKBOOTIMG_CPU_* */
	uint32_t reserved;          /* zero */
	uint64_t goto_address;      /* written by the kernel: where this AP goes; 0 while parked */
	uint64_t extra_argument;    /* free for the kernel (read by the AP through RDI) */
};

#define MKBOOTIMG_CPU_BSP     1u /* the CPU that ran the loader and enters the kernel */
#define MKBOOTIMG_CPU_STARTED 2u /* parked and waiting on goto_address (the BSP: always) */
#define MKBOOTIMG_SMP_X2APIC  1u /* the BSP's local APIC is in x2APIC mode (lapic_id: x2APIC
                                    IDs); the loader never enables it: the firmware did */

/* Which firmware booted (field firmware, version 3). */
#define MKBOOTIMG_FIRMWARE_BIOS 1u
#define MKBOOTIMG_FIRMWARE_UEFI 2u

/*
 * Requests a kernel makes inside itself: ELF notes (a section of type
 * SHT_NOTE, or a PT_NOTE segment) whose owner is "mkbootimg". Each
 * descriptor is an array of 32-bit words; the tool reads them when it builds
 * the image, and command-line flags override them. An unknown type or a
 * wrong size is refused. Byte layout of one note, all little-endian:
 *   uint32 namesz = 10, uint32 descsz, uint32 type, "mkbootimg\0" + 2 zero
 *   bytes, then descsz bytes of descriptor.
 */
#define MKBOOTIMG_NOTE_OWNER "mkbootimg"

enum mkbootimg_note_type {
	MKBOOTIMG_NOTE_STACK_SIZE = 1,   /* desc: uint32 bytes (64 KiB .. 1 GiB) */
	MKBOOTIMG_NOTE_FRAMEBUFFER = 2,  /* desc: uint32 width, height, bits per pixel */
	MKBOOTIMG_NOTE_INFO_VERSION = 3, /* desc: uint32 oldest boot-information version the kernel reads */
	MKBOOTIMG_NOTE_SMP = 4,          /* desc: uint32 bytes of stack per AP (4 KiB .. 1 GiB) */
	MKBOOTIMG_NOTE_KASLR = 5         /* desc: uint32 MKBOOTIMG_KASLR_* flags */
};

struct mkbootimg_note_header {
	uint32_t namesz;  /* 10: "mkbootimg" and its NUL */
	uint32_t descsz;  /* bytes of descriptor that follow the name */
	uint32_t type;    /* enum mkbootimg_note_type */
	char name[12];    /* "mkbootimg", NUL-padded to a multiple of 4 */
};

/* The macros place one note in section .note.mkbootimg (keep it in your
 * linker script: a /DISCARD/ of .note* would drop it). */
#define MKBOOTIMG_NOTE_(id, type, words, ...)                                       \
	__attribute__((section(".note.mkbootimg"), used, aligned(4))) static const struct { \
		struct mkbootimg_note_header header;                                        \
		uint32_t desc[words];                                                       \
	} mkbootimg_note_##id = { { 10, 4 * (words), (type), "mkbootimg" }, { __VA_ARGS__ } }

/* Ask for a bigger stack: MKBOOTIMG_REQUEST_STACK_SIZE(1024 * 1024); */
#define MKBOOTIMG_REQUEST_STACK_SIZE(bytes) \
	MKBOOTIMG_NOTE_(stack_size, MKBOOTIMG_NOTE_STACK_SIZE, 1, (uint32_t)(bytes))
/* Ask for a linear framebuffer: MKBOOTIMG_REQUEST_FRAMEBUFFER(1024, 768, 32); */
#define MKBOOTIMG_REQUEST_FRAMEBUFFER(width, height, bpp)                          \
	MKBOOTIMG_NOTE_(framebuffer, MKBOOTIMG_NOTE_FRAMEBUFFER, 3, (uint32_t)(width), \
			(uint32_t)(height), (uint32_t)(bpp))
/* Start the other CPUs (APs), each parked on its struct mkbootimg_cpu with a
 * stack of stack_bytes (rounded up to pages): MKBOOTIMG_REQUEST_SMP(64 * 1024);
 * without it the loader never touches the APs and cpus stays 0. */
#define MKBOOTIMG_REQUEST_SMP(stack_bytes) \
	MKBOOTIMG_NOTE_(smp, MKBOOTIMG_NOTE_SMP, 1, (uint32_t)(stack_bytes))
/* Refuse to build with a loader older than this boot-information version. */
#define MKBOOTIMG_REQUIRE_INFO_VERSION(version) \
	MKBOOTIMG_NOTE_(info_version, MKBOOTIMG_NOTE_INFO_VERSION, 1, (uint32_t)(version))

/*
 * Randomise the kernel's place at each boot (KASLR): MKBOOTIMG_REQUEST_KASLR(
 * MKBOOTIMG_KASLR_BASE | MKBOOTIMG_KASLR_DIRECT_MAP); mkbootimg --kaslr asks
 * for MKBOOTIMG_KASLR_BASE too. MKBOOTIMG_KASLR_BASE needs a relocatable
 * kernel (ET_DYN: -fpie -pie, -static-pie) whose base is in the top 2 GiB:
 * the loader adds slide = k * 2 MiB, k uniform in [0, 512) or fewer steps
 * where the kernel would pass the top of the address space, so the base
 * stays in [base, base + 1 GiB) (mkbootimg-protocol(7)). Every virtual
 * address of the kernel moves by it, the entry point too; the stack (at
 * stack_top, outside the kernel) does not. The boot information reports
 * kernel_slide and kernel_virtual_base. MKBOOTIMG_KASLR_DIRECT_MAP moves
 * direct_map_offset to 0xffff800000000000 + j GiB, the map of all memory
 * still ending below 0xffffc00000000000. The randomness is RDRAND when
 * CPUID says the CPU has it (retried up to 10 times), else RDSEED, else
 * the time-stamp counter mixed: see mkbootimg-protocol(7) for what each
 * leaves an attacker to guess.
 */
#define MKBOOTIMG_KASLR_BASE       1u /* slide the kernel's base */
#define MKBOOTIMG_KASLR_DIRECT_MAP 2u /* randomise direct_map_offset */
#define MKBOOTIMG_REQUEST_KASLR(flags) \
	MKBOOTIMG_NOTE_(kaslr, MKBOOTIMG_NOTE_KASLR, 1, (uint32_t)(flags))

/* Layout checks that work in C99 and C++ alike. */
#define MKBOOTIMG_CHECK_(name, cond) typedef char mkbootimg_check_##name[(cond) ? 1 : -1]
MKBOOTIMG_CHECK_(region_size, sizeof(struct mkbootimg_memory_region) == 24);
MKBOOTIMG_CHECK_(module_size, sizeof(struct mkbootimg_module) == 24);
MKBOOTIMG_CHECK_(segment_size, sizeof(struct mkbootimg_segment) == 32);
MKBOOTIMG_CHECK_(framebuffer_size, sizeof(struct mkbootimg_framebuffer) == 32);
MKBOOTIMG_CHECK_(info_size, sizeof(struct mkbootimg_info) == 232);
MKBOOTIMG_CHECK_(info_cpus, offsetof(struct mkbootimg_info, cpus) == 200);
MKBOOTIMG_CHECK_(info_kernel_slide, offsetof(struct mkbootimg_info, kernel_slide) == 216);
MKBOOTIMG_CHECK_(cpu_size, sizeof(struct mkbootimg_cpu) == 32);
MKBOOTIMG_CHECK_(info_firmware, offsetof(struct mkbootimg_info, firmware) == 152);
MKBOOTIMG_CHECK_(info_efi_system_table, offsetof(struct mkbootimg_info, efi_system_table) == 160);
MKBOOTIMG_CHECK_(info_smbios, offsetof(struct mkbootimg_info, smbios) == 192);
MKBOOTIMG_CHECK_(note_header_size, sizeof(struct mkbootimg_note_header) == 24);
MKBOOTIMG_CHECK_(info_memory_map, offsetof(struct mkbootimg_info, memory_map) == 24);
MKBOOTIMG_CHECK_(info_cmdline, offsetof(struct mkbootimg_info, cmdline) == 40);
MKBOOTIMG_CHECK_(info_stack_top, offsetof(struct mkbootimg_info, stack_top) == 64);
MKBOOTIMG_CHECK_(info_stack_physical, offsetof(struct mkbootimg_info, stack_physical) == 80);
MKBOOTIMG_CHECK_(info_modules, offsetof(struct mkbootimg_info, modules) == 104);
MKBOOTIMG_CHECK_(info_rsdp, offsetof(struct mkbootimg_info, rsdp) == 112);
MKBOOTIMG_CHECK_(info_framebuffer, offsetof(struct mkbootimg_info, framebuffer) == 120);
MKBOOTIMG_CHECK_(framebuffer_bpp, offsetof(struct mkbootimg_framebuffer, bpp) == 20);
#undef MKBOOTIMG_CHECK_

#endif
