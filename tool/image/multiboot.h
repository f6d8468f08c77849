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

#define MB1_MAGIC        0x1badb002u
#define MB1_SEARCH       8192u
#define MB2_MAGIC        0xe85250d6u
#define MB2_SEARCH       32768u

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
	int keeps_boot_services;    /* Multiboot 2: the header asks to keep EFI boot services */
	struct mkb_multiboot info;  /* as the headers ask; the hand-off block has the final one */
	void *shdrs;                /* ELF section headers while reading, then in the hand-off block */
	size_t shdr_bytes;
};

/*
 * Called by kernel_open once the file is open: decide the protocol
 * (protocol is KERNEL_PROTOCOL_AUTO or an MKB_PROTOCOL_*) and, for Multiboot,
 * fill k: entry, segments at their physical addresses, framebuffer request,
 * the protocol's rules and hand-off block, and k->multiboot.
 * Returns 1 for a native kernel (kernel_open goes on), 0 for a Multiboot
 * kernel read, -1 with mkb_error() set.
 */
int multiboot_open(struct kernel *k, int protocol);

/* Parse --protocol native|multiboot1|multiboot2. 0, or -1 with mkb_error() set. */
int multiboot_parse_protocol(const char *arg, int *protocol);
const char *multiboot_protocol_name(uint32_t protocol);

#endif
