/*
 * Multiboot 1 and Multiboot 2 kernels: finding their headers, checking what
 * they ask for, and reading what to load (ELF32 or ELF64 segments at their
 * physical addresses, or the header's address fields). The loader gets the
 * result as plain segments plus struct mkb_multiboot (image.h); it parses
 * neither ELF nor Multiboot headers.
 */
#ifndef MKB_MULTIBOOT_H
#define MKB_MULTIBOOT_H

#include <mkbootimg/image.h>

#include <stddef.h>
#include <stdint.h>

struct kernel;
struct plan;

#define MB1_MAGIC        0x1badb002u
#define MB1_BOOT_MAGIC   0x2badb002u /* in EAX at entry */
#define MB1_SEARCH       8192u
#define MB2_MAGIC        0xe85250d6u
#define MB2_BOOT_MAGIC   0x36d76289u
#define MB2_SEARCH       32768u

/* --protocol, and what a kernel's headers choose. */
#define KERNEL_PROTOCOL_AUTO (-1)

/* Where the headers are: file offsets, -1 when absent. */
struct multiboot_headers {
	long mb1, mb2;
};

/*
 * Look for valid headers (magic, alignment, checksum) in the first n bytes
 * of a kernel file. Pure, for the unit tests.
 */
void multiboot_scan(const uint8_t *buf, size_t n, struct multiboot_headers *h);

/* A Multiboot kernel as the tool reads it; owned by struct kernel. */
struct multiboot_kernel {
	uint32_t version;           /* 1 or 2 */
	long header_offset;
	uint32_t mb1_flags;         /* Multiboot 1: the header's flags */
	int address_fields;         /* 1: loaded by the header's address fields (a.out kludge) */
	struct mkb_multiboot info;  /* shdr_offset is the plan's to fill */
	void *shdrs;                /* ELF section headers, sh_addr set where loaded; NULL: none */
	size_t shdr_bytes;
};

/*
 * Called by kernel_open once the file is open: decide the protocol
 * (protocol is KERNEL_PROTOCOL_AUTO or an MKB_PROTOCOL_*) and, for Multiboot,
 * fill k's entry, segments, framebuffer request and k->multiboot.
 * Returns 1 for a native kernel (kernel.c goes on), 0 for a Multiboot
 * kernel read, -1 with mkb_error() set.
 */
int multiboot_open(struct kernel *k, int protocol);
void multiboot_free(struct multiboot_kernel *mb);

/* Parse --protocol native|multiboot1|multiboot2. 0, or -1 with mkb_error() set. */
int multiboot_parse_protocol(const char *arg, int *protocol);
const char *multiboot_protocol_name(uint32_t protocol);

/*
 * The plan for a Multiboot kernel: segments at their physical addresses,
 * the command line and module strings as Multiboot kernels expect them
 * (the file's name first, see mkbootimg(1)), and the manifest's
 * struct mkb_multiboot. plan_make calls it; 0, or -1 with mkb_error() set.
 */
int multiboot_plan_segments(struct plan *p, const struct kernel *k);
int multiboot_plan_strings(struct plan *p, const struct kernel *k, const char *cmdline);

#endif
