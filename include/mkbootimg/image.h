/*
 * mkbootimg image format: what the tool writes and the loaders read.
 *
 *   LBA 0                 MBR: stage 1, disk signature, partition table, 0x55AA
 *   LBA 1..33             zero (room for a GPT)
 *   LBA 34                stage 2 (MKB_STAGE2_LBA), a whole number of sectors
 *   after stage 2         the manifest: struct mkb_manifest, the segment table,
 *                         the module table, the command line, module strings
 *   after the manifest    the payload: each segment's file bytes, then each
 *                         module's, every one starting on a sector boundary and
 *                         zero-padded to the next one; a Linux kernel's initrd
 *                         last (struct mkb_linux), its files back to back
 *
 * All integers are little-endian. The loader never parses ELF: the tool has
 * checked and planned everything, and the manifest says where each byte goes.
 */
#ifndef MKBOOTIMG_IMAGE_H
#define MKBOOTIMG_IMAGE_H

#include <stdint.h>

#define MKB_SECTOR_SIZE 512
#define MKB_STAGE2_LBA 34

/*
 * Three layouts (mkbootimg --firmware). "bios" is the one drawn above.
 * "hybrid" (the default) and "uefi" are GPT disks:
 *
 *   LBA 0        protective MBR: stage 1's code, entry 1 type 0xEE (not
 *                active) over the disk, entry 2 active, type 0, LBA 0, 1 sector
 *   LBA 1        GPT header; LBA 2..33 its 128 partition entries
 *   LBA 34       hybrid: stage 2, manifest, payload, as above;
 *                uefi: the manifest (no stage 2), then the payload.
 *                GPT partition 1 covers these sectors (hybrid: a BIOS boot
 *                partition; uefi: type MKB_GPT_TYPE_PAYLOAD)
 *   1 MiB-aligned  partition 2: the EFI system partition, FAT32, holding
 *                \EFI\BOOT\BOOTX64.EFI
 *   last 33      backup partition entries and GPT header
 *
 * Every loader finds the manifest the same way: at MKB_STAGE2_LBA when a
 * manifest starts there, else after the stage 2 that starts there.
 */

/*
 * GPT partition type GUIDs, as text (the UEFI specification's order; on disk
 * the first three fields are little-endian). MKB_GPT_TYPE_PAYLOAD is
 * mkbootimg's own, chosen at random once: a "uefi" image's partition 1,
 * manifest and payload without stage 2, which no other program owns.
 */
#define MKB_GPT_TYPE_BIOS_BOOT "21686148-6449-6E6F-744E-656564454649"
#define MKB_GPT_TYPE_ESP       "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
#define MKB_GPT_TYPE_PAYLOAD   "D43EF8BC-8F11-40A8-A383-52FCB3630215"
#define MKB_GPT_ENTRIES 128     /* entries of 128 bytes: LBA 2..33 */
#define MKB_GPT_ENTRY_SIZE 128
#define MKB_MBR_TYPE_PROTECTIVE 0xee

#define MKB_STAGE2_MAGIC   0x32424b4du /* "MKB2", first dword of stage 2 */
#define MKB_MANIFEST_MAGIC 0x4d424b4du /* "MKBM" */
#define MKB_MANIFEST_VERSION 2
#define MKB_MANIFEST_MAX_BYTES 0x10000 /* the loader reads it into one 64 KiB buffer */
#define MKB_MAX_SEGMENTS 128            /* the loader's tables hold this many */
#define MKB_MAX_MODULES 64

/*
 * Images are padded to whole cylinders of the geometry BIOSes guess for a
 * disk (16 heads x 63 sectors): SeaBIOS refuses a disk under one cylinder,
 * and CHS reads reach only whole cylinders.
 */
#define MKB_CYLINDER_SECTORS (16 * 63)

/* Offsets inside the MBR (LBA 0). */
#define MKB_MBR_BPB_START 0x03 /* 0x03..0x59 may be overwritten by BIOSes: no code there */
#define MKB_MBR_BPB_END 0x5a
#define MKB_MBR_SIGNATURE 0x1b8 /* 32-bit disk signature */
#define MKB_MBR_PARTITIONS 0x1be /* four 16-byte entries */
#define MKB_MBR_BOOT_SIGNATURE 0x1fe /* 0x55, 0xAA */
#define MKB_PARTITION_TYPE 0xda /* "non-filesystem data" */

/* Segment flags, as ELF p_flags. */
#define MKB_SEG_X 1u
#define MKB_SEG_W 2u
#define MKB_SEG_R 4u

#define MKB_LOADER_NAME_MAX 24

/* Stage 2 begins with this header (stage 1 checks the magic). */
struct mkb_stage2_header {
	uint32_t magic;         /* MKB_STAGE2_MAGIC */
	uint16_t sectors;       /* size of stage 2 in sectors */
	uint16_t version;       /* MKB_MANIFEST_VERSION the loader understands */
	char loader_version[MKB_LOADER_NAME_MAX]; /* "mkbootimg 0.1", NUL-padded */
};

struct mkb_manifest {
	uint32_t magic;             /* MKB_MANIFEST_MAGIC */
	uint16_t version;           /* MKB_MANIFEST_VERSION */
	uint16_t header_size;       /* sizeof(struct mkb_manifest) */
	uint32_t sectors;           /* sectors of header + segment table + command line */
	uint32_t segment_count;
	uint32_t segment_offset;    /* bytes from the manifest's start to the segment table */
	uint32_t cmdline_offset;    /* bytes from the manifest's start to the command line */
	uint32_t cmdline_length;    /* bytes, without a NUL (one follows all the same) */
	uint32_t multiboot_offset;  /* bytes from the manifest's start to the protocol's hand-off
	                               block (struct mkb_multiboot or struct mkb_linux); 0: none */
	uint64_t entry;             /* kernel entry point (virtual; physical for Multiboot) */
	uint64_t stack_top;         /* virtual address just above the stack */
	uint64_t stack_size;        /* bytes, a multiple of 4096 */
	uint64_t direct_map_offset; /* all physical memory is mapped at this virtual offset */
	uint64_t payload_lba;       /* first sector of the payload */
	uint64_t payload_sectors;   /* sectors of payload */
	uint64_t payload_checksum;  /* mkb_checksum over every segment's file bytes, in order */
	uint64_t image_sectors;     /* the whole image, for a truncation check */
	/* Version 2 */
	uint32_t module_count;
	uint32_t module_offset;     /* bytes from the manifest's start to the module table */
	uint32_t fb_width;          /* requested framebuffer; 0: stay in text mode */
	uint32_t fb_height;
	uint32_t fb_bpp;
	uint32_t protocol;          /* MKB_PROTOCOL_*: how the loader enters the kernel */
	/* Only in a header of MKB_MANIFEST_HEADER_SMP bytes (a kernel that asked
	 * for its APs); in one of MKB_MANIFEST_HEADER_BASE bytes, read as 0. */
	uint32_t smp_stack_size;    /* bytes of stack per AP, a multiple of 4096; 0: APs untouched */
	uint32_t smp_reserved;      /* zero */
};

/* header_size: the tool writes the short header unless the kernel asks for
 * SMP, so images of other kernels are what they were. */
#define MKB_MANIFEST_HEADER_BASE 120u
#define MKB_MANIFEST_HEADER_SMP 128u

/* How the kernel is entered (manifest field protocol; 0 in older images). */
#define MKB_PROTOCOL_NATIVE     0u /* long mode, struct mkbootimg_info (protocol.h) */
#define MKB_PROTOCOL_MULTIBOOT1 1u /* 32-bit protected mode, Multiboot 1 information */
#define MKB_PROTOCOL_MULTIBOOT2 2u /* 32-bit protected mode, Multiboot 2 information */
#define MKB_PROTOCOL_LINUX      3u /* Linux boot protocol: boot_params, 64- or 32-bit entry */

/*
 * What a Multiboot kernel's header asked for, as the tool planned it; in the
 * manifest at multiboot_offset (8-byte aligned). Segments are loaded at
 * their physical addresses (vaddr == paddr in the segment table) and the
 * manifest's entry is physical. The framebuffer request is fb_width/height/bpp.
 */
struct mkb_multiboot {
	uint32_t flags;          /* MKB_MB_* */
	uint32_t load_base;      /* lowest physical address loaded (Multiboot 2 tag 21) */
	uint32_t shdr_offset;    /* bytes from the manifest's start to the ELF section headers */
	uint32_t shdr_num;       /* 0: no ELF section information */
	uint32_t shdr_entsize;
	uint32_t shdr_shndx;     /* the section name string table's index */
	uint32_t reserved[2];
};

#define MKB_MB_VIDEO_INFO 1u /* give framebuffer (and VBE) information, text mode included */

/*
 * A Linux boot protocol kernel (a bzImage), in the manifest at
 * multiboot_offset (8-byte aligned). The manifest has one segment, the
 * kernel window: the protected-mode code (the file after its setup
 * sectors) at the planned load address, memsz the whole window the kernel
 * needs there (init_size). The loader does not zero the window past the
 * file bytes: the kernel clears what it uses. A relocatable kernel may be
 * moved to another multiple of kernel_alignment when its window is not
 * free. The initrd (every --initrd file, concatenated) is one run of
 * payload bytes, after the segment's; the loader puts it in pages of its
 * own below initrd_addr_max. Linux's boot.rst names the setup header's
 * fields; header holds its bytes from offset 0x1f1, as the loader copies
 * them into boot_params.
 *
 * A kernel with no protected-mode entry (code32_start 0 and no 64-bit
 * entry: iPXE's .lkrn) has MKB_LINUX_REAL_MODE: its real-mode part (the
 * file's first setup_sectors sectors: boot sector and setup code) is the
 * payload's last setup_sectors sectors, after the initrd and summed last.
 * A BIOS loader puts it in conventional memory, fills its header there and
 * jumps to its setup code in real mode (boot.rst, "Running the kernel");
 * UEFI has no real mode, and its loader refuses such a manifest.
 */
#define MKB_LINUX_HEADER_OFFSET 0x1f1
#define MKB_LINUX_HEADER_MAX 160   /* 0x1f1 up to 0x290, where boot_params' header area ends */
struct mkb_linux {
	uint64_t initrd_payload_offset; /* byte offset in the payload, a multiple of 512 */
	uint64_t initrd_size;           /* bytes; 0: no initrd */
	uint32_t kernel_alignment;      /* a power of two, at least 4 KiB (relocatable kernels) */
	uint32_t initrd_addr_max;       /* the highest address an initrd byte may have */
	uint32_t cmdline_size;          /* the longest command line, without its NUL */
	uint16_t version;               /* the boot protocol, 0x20f for 2.15 */
	uint16_t xloadflags;            /* MKB_LINUX_XLF_*, 0 before protocol 2.12 */
	uint16_t flags;                 /* MKB_LINUX_* */
	uint16_t header_size;           /* bytes of header used, at most MKB_LINUX_HEADER_MAX */
	uint16_t setup_sectors;         /* MKB_LINUX_REAL_MODE: (setup_sects + 1), 2 to
	                                   MKB_LINUX_SETUP_MAX; 0 otherwise */
	uint16_t reserved;              /* zero: the same size for every ABI */
	uint8_t header[MKB_LINUX_HEADER_MAX];
};

#define MKB_LINUX_RELOCATABLE 1u   /* may be loaded at another multiple of kernel_alignment */
#define MKB_LINUX_ENTRY64     2u   /* entered at the 64-bit entry (load address + 0x200) */
#define MKB_LINUX_REAL_MODE   4u   /* entered at its real-mode setup code: BIOS only */
#define MKB_LINUX_SETUP_MAX   64u  /* sectors of a real-mode part: 32 KiB, boot.rst's X+0x8000 */
#define MKB_LINUX_CMDLINE_REAL_MAX 0x1fffu /* a real-mode entry's command line, at X+0xe000 */
#define MKB_LINUX_XLF_KERNEL_64 1u /* xloadflags: the 64-bit entry exists */

/*
 * A relocatable (PIE) kernel, or one that asked for a random direct map
 * (MKBOOTIMG_REQUEST_KASLR), in the manifest at multiboot_offset (8-byte
 * aligned) of a native kernel; 0 there (older images, fixed kernels without
 * KASLR): none. Loaders older than this block never read a native kernel's
 * multiboot_offset: they boot a relocatable kernel without KASLR at base, as
 * built; one with a table fails their checksum, which does not sum it (an
 * image carries its own loaders, so only a loader put there by hand meets it).
 *
 * The tool applied every relocation for base when it wrote the payload. With
 * MKB_PIE_KASLR_BASE, the loader picks slide = k * 2 MiB, k uniform in
 * [0, slots), adds it to the 64-bit word at base + offset for each offset of
 * the relocation table (count uint32 offsets in the payload at
 * table_payload_offset, a multiple of 512, after the modules, summed after
 * them), and to every segment's vaddr and the entry point (the stack, at
 * its fixed address, does not move). With MKB_PIE_KASLR_DIRECT_MAP it moves
 * direct_map_offset by a random multiple of 1 GiB, the map staying below
 * MKB_PIE_DIRECT_MAP_END.
 */
struct mkb_pie {
	uint64_t base;                 /* the kernel's virtual base as built (its lowest page) */
	uint64_t link_base;            /* its lowest page as linked: the slide is from here */
	uint64_t table_payload_offset; /* the relocation table; 0 when count is 0 */
	uint32_t count;                /* uint32 offsets from base, each of a 64-bit word */
	uint32_t flags;                /* MKB_PIE_* */
	uint32_t slots;                /* 2 MiB steps the base may take, 1 to MKB_PIE_MAX_SLOTS */
	uint32_t reserved;             /* zero */
};

#define MKB_PIE_RELOCATABLE      1u /* an ET_DYN kernel: the boot information reports its base */
#define MKB_PIE_KASLR_BASE       2u /* slide the kernel at each boot */
#define MKB_PIE_KASLR_DIRECT_MAP 4u /* move the direct map at each boot */
#define MKB_PIE_SLIDE_STEP       (UINT64_C(2) << 20)  /* 2 MiB */
#define MKB_PIE_MAX_SLOTS        512u                 /* a 1 GiB window */
#define MKB_PIE_DIRECT_MAP_STEP  (UINT64_C(1) << 30)  /* 1 GiB */
#define MKB_PIE_DIRECT_MAP_END   UINT64_C(0xffffc00000000000)
#define MKB_PIE_MAX_RELOCATIONS  (1u << 22) /* 16 MiB of table at most */

struct mkb_module {
	uint64_t size;           /* bytes in the payload and in memory */
	uint64_t payload_offset; /* byte offset in the payload, a multiple of 512 */
	uint32_t string_offset;  /* bytes from the manifest's start to the string */
	uint32_t string_length;  /* bytes, without a NUL (one follows all the same) */
};

/* Segments numbered from here are section copies, not program headers. */
#define MKB_SECTION_INDEX 1000u

struct mkb_segment {
	uint64_t vaddr;          /* where the kernel sees it */
	uint64_t paddr;          /* where it is loaded, >= 1 MiB, below 4 GiB */
	uint64_t filesz;         /* bytes from the payload */
	uint64_t memsz;          /* bytes in memory; the rest after filesz is zeroed */
	uint64_t payload_offset; /* byte offset in the payload, a multiple of 512 */
	uint32_t flags;          /* MKB_SEG_R | MKB_SEG_W | MKB_SEG_X */
	uint32_t elf_index;      /* program header number, so messages name segments alike;
	                            MKB_SECTION_INDEX + N: a Multiboot kernel's copy of section N */
};

/*
 * Payload checksum: Fletcher-style over little-endian 32-bit words, each
 * segment's file bytes in segment order, then each module's bytes in module
 * order, then a KASLR relocation table (struct mkb_pie), then a Linux
 * kernel's initrd (one run), the last word of each
 * padded with zero bytes. a starts at 1 so that
 * runs of zeros still change b: for each word w, a += w, then b += a.
 * Result: (b << 32) | a. The one loop that computes it, for the loader and
 * the tool alike, is mkb_checksum_add (bootloader/core/manifest.c).
 */
struct mkb_checksum {
	uint32_t a, b;
};

static inline void mkb_checksum_init(struct mkb_checksum *c)
{
	c->a = 1;
	c->b = 0;
}

static inline uint64_t mkb_checksum_value(const struct mkb_checksum *c)
{
	return (uint64_t)c->b << 32 | c->a;
}

typedef char mkb_check_manifest_size[sizeof(struct mkb_manifest) == 128 ? 1 : -1];
typedef char mkb_check_module_size[sizeof(struct mkb_module) == 24 ? 1 : -1];
typedef char mkb_check_multiboot_size[sizeof(struct mkb_multiboot) == 32 ? 1 : -1];
typedef char mkb_check_pie_size[sizeof(struct mkb_pie) == 40 ? 1 : -1];
typedef char mkb_check_linux_size[sizeof(struct mkb_linux) == 200 ? 1 : -1];
typedef char mkb_check_segment_size[sizeof(struct mkb_segment) == 48 ? 1 : -1];
typedef char mkb_check_stage2_size[sizeof(struct mkb_stage2_header) == 32 ? 1 : -1];

#endif
