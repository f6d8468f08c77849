/*
 * 4-level page tables for x86-64, built in pages the caller hands out, and
 * the kernel's address space as the boot protocol promises it.
 */
#ifndef MKB_CORE_PAGING_H
#define MKB_CORE_PAGING_H

#include <stdint.h>

#include <mkbootimg/image.h>

#define PTE_P (UINT64_C(1) << 0)
#define PTE_W (UINT64_C(1) << 1)
#define PTE_PS (UINT64_C(1) << 7)
#define PTE_KERNEL (UINT64_C(1) << 9) /* available bit: a kernel segment's page */
#define PTE_NX (UINT64_C(1) << 63)
#define PTE_ADDRESS UINT64_C(0x000ffffffffff000)

struct paging {
	uint64_t root;  /* the PML4's physical address: CR3 */
	int gib_pages;  /* 1 GiB pages may be used */
	/* A zeroed page for a table, which platform_pointer reaches: 0 with
	 * *address set, or -1 (the callback says why to whom it concerns). */
	int (*alloc_table)(void *ctx, uint64_t *address);
	void *ctx;
};

/* Set gib_pages, alloc_table and ctx first. 0, or -1 when an allocation failed. */
int paging_init(struct paging *p);

/* Map [va, va + len) to pa with the largest pages alignment allows, flags
 * added to PTE_P (PTE_W, PTE_NX). For the identity and direct maps, before
 * any kernel page exists in the range. 0, or -1. */
int paging_map(struct paging *p, uint64_t va, uint64_t pa, uint64_t len, uint64_t flags);

/* Map kernel pages (4 KiB). Where two segments share a page, it gets the
 * union of their rights: writable if either is, executable if either is. */
int paging_map_kernel(struct paging *p, uint64_t va, uint64_t pa, uint64_t len, uint64_t flags);

/*
 * The kernel's address space: the first 4 GiB identity-mapped, physical
 * memory up to memory_top (a multiple of 1 GiB) at m->direct_map_offset,
 * every segment at its vaddr with the rights its flags give (NX only when
 * nx), and the stack (stack_physical) below m->stack_top with its guard
 * page left unmapped. 0, or -1.
 */
int paging_build(struct paging *p, const struct mkb_manifest *m, const struct mkb_segment *seg,
		 uint64_t stack_physical, int nx, uint64_t memory_top);

#endif
