/* 4-level page tables, built below 4 GiB from real mode. */
#include <mkbootimg/protocol.h>

#include "loader.h"
#include "physmem.h"

#define ADDR_MASK UINT64_C(0x000ffffffffff000)

static uint64_t *pml4;
static int use_gib_pages;

static uint64_t *table_at(uint64_t entry)
{
	return (uint64_t *)(uintptr_t)(uint32_t)(entry & ADDR_MASK);
}

/* Bytes covered by one entry of a table at level (4 = PML4 ... 1 = PT). */
static uint64_t entry_span(int level)
{
	return UINT64_C(1) << (12 + 9 * (level - 1));
}

static unsigned index_of(uint64_t va, int level)
{
	return (unsigned)(va >> (12 + 9 * (level - 1))) & 511;
}

/* The table an entry at level points to, made (or split out of a large
 * page, keeping its mapping) when needed. */
static uint64_t *descend(uint64_t *entry, int level)
{
	if (!(*entry & PTE_P)) {
		*entry = alloc_pages(1, MKBOOTIMG_MEM_PAGE_TABLES) | PTE_P | PTE_W;
	} else if (*entry & PTE_PS) {
		uint64_t large = *entry;
		uint64_t child = entry_span(level - 1);
		uint64_t flags = large & ~ADDR_MASK & ~PTE_PS;
		uint64_t *t = table_at(alloc_pages(1, MKBOOTIMG_MEM_PAGE_TABLES));
		for (unsigned i = 0; i < 512; i++)
			t[i] = ((large & ADDR_MASK) + i * child) | flags | (level - 1 > 1 ? PTE_PS : 0);
		*entry = (uint64_t)(uintptr_t)t | PTE_P | PTE_W;
	}
	return table_at(*entry);
}

static uint64_t *leaf(uint64_t va, int level)
{
	uint64_t *t = pml4;
	for (int l = 4; l > level; l--)
		t = descend(&t[index_of(va, l)], l);
	return &t[index_of(va, level)];
}

void paging_init(const struct cpu_features *f)
{
	use_gib_pages = f->gib_pages;
	pml4 = table_at(alloc_pages(1, MKBOOTIMG_MEM_PAGE_TABLES));
}

uint64_t paging_root(void)
{
	return (uint64_t)(uintptr_t)pml4;
}

/* Map with the largest pages alignment allows. Meant for the identity and
 * direct maps, before any 4 KiB kernel page exists in the range. Entries of
 * one table are filled in a tight loop: a walk from the root per entry made
 * these maps the slowest part of the loader under emulation. */
void map_range(uint64_t va, uint64_t pa, uint64_t len, uint64_t flags)
{
	while (len) {
		int level = 1;
		if (use_gib_pages && !((va | pa) & (GiB - 1)) && len >= GiB)
			level = 3;
		else if (!((va | pa) & (2 * MiB - 1)) && len >= 2 * MiB)
			level = 2;
		uint64_t span = entry_span(level);
		uint64_t *e = leaf(va, level);
		uint64_t entry = pa | flags | PTE_P | (level > 1 ? PTE_PS : 0);
		unsigned n = 512 - index_of(va, level);
		if (n > len / span)
			n = (unsigned)(len / span);
		for (unsigned i = 0; i < n; i++, entry += span)
			e[i] = entry;
		va += n * span;
		pa += n * span;
		len -= n * span;
	}
}

/* Map kernel pages, a page table at a time. Where two segments share a page,
 * it gets the union of their rights: writable if either is, executable if
 * either is. */
void map_kernel_range(uint64_t va, uint64_t pa, uint64_t len, uint64_t flags)
{
	while (len) {
		uint64_t *e = leaf(va, 1);
		unsigned n = 512 - index_of(va, 1);
		if (n > len / PAGE_SIZE)
			n = (unsigned)(len / PAGE_SIZE);
		for (unsigned i = 0; i < n; i++, pa += PAGE_SIZE) {
			uint64_t want = pa | flags | PTE_P | PTE_KERNEL;
			if ((e[i] & PTE_KERNEL) && (e[i] & ADDR_MASK) == pa) {
				uint64_t nx = e[i] & want & PTE_NX;
				want = ((e[i] | want) & ~PTE_NX) | nx;
			}
			e[i] = want;
		}
		va += (uint64_t)n * PAGE_SIZE;
		len -= (uint64_t)n * PAGE_SIZE;
	}
}
