/* 4-level page tables: see paging.h. */
#include "paging.h"

#include "core.h"
#include "platform.h"

/* Tables are pages the loader allocated: the platform reaches them. */
static CORE_NOINLINE uint64_t *table_at(uint64_t entry)
{
	return platform_pointer(entry & PTE_ADDRESS, PAGE_SIZE);
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
 * page, keeping its mapping) when needed; null when an allocation failed. */
static uint64_t *descend(struct paging *p, uint64_t *entry, int level)
{
	uint64_t table;

	if (!(*entry & PTE_P) || (*entry & PTE_PS)) {
		if (p->alloc_table(p->ctx, &table) != 0)
			return 0;
		if (*entry & PTE_PS) {
			/* The same rights in 512 pages of the next size (PS stays
			 * on but for 4 KiB pages, where the bit means PAT). */
			uint64_t child = entry_span(level - 1);
			uint64_t e = level - 1 > 1 ? *entry : *entry & ~PTE_PS;
			uint64_t *t = table_at(table);
			for (unsigned i = 0; i < 512; i++, e += child)
				t[i] = e;
		}
		*entry = table | PTE_P | PTE_W;
	}
	return table_at(*entry);
}

static uint64_t *leaf(struct paging *p, uint64_t va, int level)
{
	uint64_t *t = table_at(p->root);
	for (int l = 4; l > level && t; l--)
		t = descend(p, &t[index_of(va, l)], l);
	return t ? &t[index_of(va, level)] : 0;
}

int paging_init(struct paging *p)
{
	return p->alloc_table(p->ctx, &p->root);
}

/*
 * Map [va, va + len) to pa. Not kernel: with the largest pages alignment
 * allows. Kernel: 4 KiB pages, and where two segments share a page it gets
 * the union of their rights. Entries of one table are filled in a tight
 * loop: a walk from the root per entry made these maps the slowest part of
 * the loader under emulation.
 */
static int map(struct paging *p, uint64_t va, uint64_t pa, uint64_t len, uint64_t flags, int kernel)
{
	while (len) {
		int level = 1;
		if (!kernel && p->gib_pages && !((va | pa) & (GiB - 1)) && len >= GiB)
			level = 3;
		else if (!kernel && !((va | pa) & (2 * MiB - 1)) && len >= 2 * MiB)
			level = 2;
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t span = UINT64_C(1) << shift;
		uint64_t *e = leaf(p, va, level);
		if (!e)
			return -1;
		uint64_t entry = pa | flags | PTE_P | (level > 1 ? PTE_PS : 0) | (kernel ? PTE_KERNEL : 0);
		unsigned n = 512 - index_of(va, level);
		if (n > len >> shift)
			n = (unsigned)(len >> shift);
		for (unsigned i = 0; i < n; i++, entry += span) {
			uint64_t want = entry;
			if (kernel && (e[i] & PTE_KERNEL) && (e[i] & PTE_ADDRESS) == (entry & PTE_ADDRESS)) {
				uint64_t nx = e[i] & want & PTE_NX;
				want = ((e[i] | want) & ~PTE_NX) | nx;
			}
			e[i] = want;
		}
		va += n * span;
		pa += n * span;
		len -= n * span;
	}
	return 0;
}

int paging_map(struct paging *p, uint64_t va, uint64_t pa, uint64_t len, uint64_t flags)
{
	return map(p, va, pa, len, flags, 0);
}

int paging_map_kernel(struct paging *p, uint64_t va, uint64_t pa, uint64_t len, uint64_t flags)
{
	return map(p, va, pa, len, flags, 1);
}

int paging_build(struct paging *p, const struct mkb_manifest *m, const struct mkb_segment *seg,
		 uint64_t stack_physical, int nx, uint64_t memory_top)
{
	uint64_t no_exec = nx ? PTE_NX : 0;

	if (paging_init(p) != 0 || paging_map(p, 0, 0, 4 * GiB, PTE_W) != 0 ||
	    paging_map(p, m->direct_map_offset, 0, memory_top, PTE_W | no_exec) != 0)
		return -1;
	for (uint32_t i = 0; i < m->segment_count; i++) {
		uint64_t flags = (seg[i].flags & MKB_SEG_W ? PTE_W : 0) |
				 (seg[i].flags & MKB_SEG_X ? 0 : no_exec);
		uint64_t va = page_down(seg[i].vaddr);
		if (paging_map_kernel(p, va, page_down(seg[i].paddr),
				      page_up(seg[i].vaddr + seg[i].memsz) - va, flags) != 0)
			return -1;
	}
	/* The page below the stack stays unmapped: an overflow faults. */
	return paging_map_kernel(p, m->stack_top - m->stack_size, stack_physical, m->stack_size,
				 PTE_W | no_exec);
}
