/* From the image to the hand-off: see boot.h. */
#include "boot.h"

#include <mkbootimg/protocol.h>

#include "bootinfo.h"
#include "linux.h"
#include "manifest.h"
#include "multiboot.h"
#include "relocate.h"

void core_init(struct core_boot *b, const struct boot_facts *f)
{
	b->facts = f;
	b->m = 0;
	b->claims.count = 0;
	b->paging.root = 0; /* stays 0 without page tables (Linux's 32-bit entry) */
	b->real_mode = 0;
	/* struct core_boot lies in memory nobody cleared: no CPU list unless
	 * the kernel asks (prepare_smp fills it). */
	b->smp = (struct smp){ 0 };
	b->ram_count = memmap_sanitize(b->ram, CORE_MAX_RAM, f->memory_map, f->memory_map_count);
}

/* The advice of both stops for a manifest the loader cannot take. */
static const char rebuild[] = "Rebuild the image with mkbootimg.";

static enum core_status damaged(struct core_error *e)
{
	return core_fail(e, CORE_DAMAGED, "the image's manifest is damaged.\n%s", rebuild);
}

#define CLEAR 0x80000000u /* with a type: the pages are zeroed */

/* The advice of every stop for want of memory, kept once in stage 2. */
static const char more_memory[] = "Give it more memory\n(mkbootimg run --memory SIZE, QEMU's -m)";

/* Pages claimed as type for the kernel's map, ending at or below limit (at
 * most 4 GiB: every address the hand-off passes is 32-bit), zeroed when
 * type has CLEAR. */
static CORE_NOINLINE enum core_status allocate_below(struct core_boot *b, uint32_t pages, uint32_t type,
						     uint64_t limit, uint64_t *address)
{
	uint64_t bytes = (uint64_t)pages * PAGE_SIZE;
	struct mm_range r;
	void *p;

	if (platform_alloc_pages(pages, limit, &r.base) != 0 ||
	    !(p = platform_pointer(r.base, bytes)))
		return core_fail(b->err, CORE_NO_MEMORY,
				 "not enough free memory below %s for the %s (%u KiB more). %s.",
				 limit < PLATFORM_BELOW_4GIB ? "initrd_addr_max" : "4 GiB",
				 limit < PLATFORM_BELOW_4GIB ? "initrd"
				 : "modules, page tables and boot\ninformation", pages * 4, more_memory);
	r.end = r.base + bytes;
	r.type = type & ~CLEAR;
	if (mm_append(b->claims.range, &b->claims.count, MM_MAX_CLAIMS, &r) != 0)
		return core_fail(b->err, CORE_FRAGMENTED,
				 "the memory map is too fragmented (over %u regions).", MM_MAX_CLAIMS);
	if (type & CLEAR)
		memset(p, 0, (size_t)bytes);
	*address = r.base;
	return CORE_OK;
}

static enum core_status allocate(struct core_boot *b, uint32_t pages, uint32_t type, uint64_t *address)
{
	return allocate_below(b, pages, type, PLATFORM_BELOW_4GIB, address);
}

static int alloc_table(void *ctx, uint64_t *address)
{
	return allocate(ctx, 1, MKBOOTIMG_MEM_PAGE_TABLES | CLEAR, address) == CORE_OK ? 0 : -1;
}

/* The first sector, its header checked, then the rest, all of it checked. */
static enum core_status read_manifest(struct core_boot *b)
{
	const struct boot_facts *f = b->facts;
	const struct mkb_manifest *m = (const void *)b->manifest;
	enum core_status rc;
	enum mkb_manifest_rule rule;
	uint32_t item;

	if ((rc = platform_read(f->manifest_lba, b->manifest, MKB_SECTOR_SIZE, b->err)) != CORE_OK)
		return rc;
	rule = mkb_manifest_check_header(m, f->manifest_lba);
	if (rule >= MKB_RULE_MAGIC && rule <= MKB_RULE_HEADER_SIZE)
		return core_fail(b->err, CORE_NO_MANIFEST,
				 "the image has no valid manifest at sector %u.\n%s",
				 (uint32_t)f->manifest_lba, rebuild);
	if (rule != MKB_RULE_VALID)
		return damaged(b->err);
	if (m->sectors > 1 &&
	    (rc = platform_read(f->manifest_lba + 1, (uint8_t *)b->manifest + MKB_SECTOR_SIZE,
				(m->sectors - 1) * MKB_SECTOR_SIZE, b->err)) != CORE_OK)
		return rc;
	if (mkb_manifest_check_tables(m, &item) != MKB_RULE_VALID)
		return damaged(b->err);
	b->m = m;
	return CORE_OK;
}

/* MiB of usable RAM, and *top the end of the highest (the map is sorted). */
static uint32_t usable_mib(const struct core_boot *b, uint64_t *top)
{
	uint64_t total = 0;

	*top = 0;
	for (size_t i = 0; i < b->ram_count; i++)
		if (b->ram[i].type == MKBOOTIMG_MEM_USABLE) {
			total += b->ram[i].end - b->ram[i].base;
			*top = b->ram[i].end;
		}
	return (uint32_t)(total >> 20);
}

/* "segment N" (its program header) or "section N" (a Multiboot kernel's copy), as the tool says. */
#define SEGMENT_NAME(s) ((s).elf_index >= MKB_SECTION_INDEX ? "section" : "segment"), \
	((s).elf_index >= MKB_SECTION_INDEX ? (s).elf_index - MKB_SECTION_INDEX : (s).elf_index)

/* A native kernel none of whose segments is identity-linked runs at its
 * virtual addresses wherever its bytes are: its physical image may move.
 * So may a relocatable Linux kernel, to another multiple of its alignment. */
static int movable(const struct mkb_manifest *m, const struct mkb_segment *seg)
{
	if (m->protocol == MKB_PROTOCOL_LINUX)
		return (linux_block(m)->flags & MKB_LINUX_RELOCATABLE) != 0;
	if (m->protocol != MKB_PROTOCOL_NATIVE)
		return 0;
	for (uint32_t i = 0; i < m->segment_count; i++)
		if (seg[i].vaddr == seg[i].paddr)
			return 0;
	return 1;
}

/* Where a moved Linux kernel may go: its decompressor raises a load address
 * below pref_address (LOAD_PHYSICAL_ADDR) to it and decompresses there, over
 * what the loader placed; 16 MiB at least. */
static uint64_t linux_floor(const struct mkb_manifest *m)
{
	const struct mkb_linux *lx = linux_block(m);
	const unsigned at = 0x258 - MKB_LINUX_HEADER_OFFSET; /* pref_address */
	uint64_t pref = 0;

	if (lx->version >= 0x20a && lx->header_size >= at + 8)
		memcpy(&pref, lx->header + at, 8);
	return pref > 16 * MiB ? pref : 16 * MiB;
}

/*
 * Move the kernel's physical image, from its lowest page to its highest
 * end, as one block to free pages below 4 GiB: each segment keeps its
 * offset in the block, and the block its offset in align (a power of two)
 * when there is room for that, or always when strict (a Linux kernel's
 * kernel_alignment). The segment table (the copy read from the disk) then
 * says where each segment is, for the loading, the page tables, the
 * memory map and the boot information alike. 0, or -1 when no free block
 * is large enough. Never below floor.
 */
static int move_kernel(struct mkb_segment *seg, uint32_t n, uint64_t align, int strict, uint64_t floor)
{
	uint64_t low = UINT64_MAX, high = 0, base, end, to;
	char line[96];

	for (uint32_t i = 0; i < n; i++) {
		segment_pages(&seg[i], &base, &end);
		low = base < low ? base : low;
		high = end > high ? end : high;
	}
	uint64_t pages = (high - low) / PAGE_SIZE, slack = align / PAGE_SIZE - 1;
	if (platform_alloc_pages_above(pages + slack, floor, PLATFORM_BELOW_4GIB, &to) == 0)
		to += (low - to) & (align - 1);
	else if (strict || platform_alloc_pages_above(pages, floor, PLATFORM_BELOW_4GIB, &to) != 0)
		return -1;
	for (uint32_t i = 0; i < n; i++)
		seg[i].paddr = seg[i].paddr - low + to;
	core_format(line, sizeof line, "the kernel's memory at 0x%lx-0x%lx is in use: moved to 0x%lx",
		    low, high - 1, to);
	platform_log(line);
	return 0;
}

/*
 * The stop for a segment whose planned range, up to end (a page boundary),
 * the kernel cannot have, and which could not move; taken: the platform
 * said the firmware uses it. One sentence names the range, then why and
 * what to do: linking it higher-half only helps an identity-linked one.
 */
static enum core_status misplaced(struct core_boot *b, const struct mkb_segment *s, uint64_t end, int taken)
{
	char why[224];
	uint64_t top;
	uint32_t mib = usable_mib(b, &top);

	/* What is not usable RAM in a UEFI map, below its top, the firmware uses. */
	if (!CORE_BIOS_ONLY && (taken || (end <= top && b->facts->firmware == MKBOOTIMG_FIRMWARE_UEFI)))
		core_format(why, sizeof why, "which the\nfirmware uses on this machine. Link the kernel at another "
			    "physical address%s", b->m->protocol == MKB_PROTOCOL_NATIVE &&
			    !movable(b->m, mkb_manifest_segments(b->m)) ?
			    ",\nor higher-half: the loader places such a kernel where memory is free" : "");
	else /* Past the end of RAM: the machine is too small, not the link wrong. */
		core_format(why, sizeof why, "%s: this machine\nhas %s%u MiB usable. %s, or link the kernel %s",
			    end > top ? "beyond the\nend of RAM" : "which is\nnot usable RAM here",
			    end > top ? "only " : "", mib, more_memory, end > top ? "lower" : "elsewhere");
	return core_fail(b->err, CORE_PLACEMENT, "the kernel needs memory at 0x%lx-0x%lx (%s %u), %s.",
			 s->paddr, s->paddr + s->memsz - 1, SEGMENT_NAME(*s), why);
}

/*
 * Every planned range must be RAM that nothing uses before a byte is
 * written to it. A kernel whose place is not (the firmware's memory on
 * UEFI, a hole, past the end of RAM) is moved when it can be
 * (move_kernel), and stops with a message naming the range when it
 * cannot. Then the identity-mapped addresses a segment's virtual range
 * takes over are kept out of the loader's allocations too.
 */
static enum core_status check_placement(struct core_boot *b)
{
	const struct mkb_manifest *m = b->m;
	struct mkb_segment *seg = (struct mkb_segment *)(void *)((uint8_t *)b->manifest + m->segment_offset);
	uint64_t base = 0, end = 0;
	uint32_t i;
	int rc = 0;

	for (i = 0; i < m->segment_count; i++) {
		segment_pages(&seg[i], &base, &end);
		if (!memmap_usable(b->ram, b->ram_count, base, end) ||
		    (rc = platform_reserve(base, end)) == PLATFORM_TAKEN)
			break;
		if (rc != 0)
			goto too_many;
	}
	int is_linux = m->protocol == MKB_PROTOCOL_LINUX;
	if (i < m->segment_count &&
	    (!movable(m, seg) || move_kernel(seg, m->segment_count, is_linux ? linux_block(m)->kernel_alignment
					     : 2 * MiB, is_linux, is_linux ? linux_floor(m) : 0) != 0))
		return misplaced(b, &seg[i], end, rc == PLATFORM_TAKEN);
	/* A virtual range the firmware uses in part is fine: the firmware's
	 * pages are not the loader's to hand out, and platform_reserve keeps
	 * the free rest out of the loader's allocations all the same. Only a
	 * native kernel's virtual ranges differ from its physical ones. */
	for (i = 0; m->protocol == MKB_PROTOCOL_NATIVE && i < m->segment_count; i++)
		if (seg[i].vaddr < 4 * GiB &&
		    (rc = platform_reserve(page_down(seg[i].vaddr), page_up(seg[i].vaddr + seg[i].memsz))) != 0 &&
		    rc != PLATFORM_TAKEN)
			goto too_many;
	return CORE_OK;
too_many:
	return core_fail(b->err, CORE_TOO_MANY, "too many kernel segments (at most %u).", MKB_MAX_SEGMENTS);
}

/* size payload bytes at payload_offset (a whole sector) to dst, summed,
 * and the rest of dst's room bytes zeroed (.bss, a module's last page).
 * Below 4 GiB: size_t holds the sizes. */
static CORE_NOINLINE enum core_status load_bytes(struct core_boot *b, uint64_t payload_offset, size_t size,
						 uint8_t *dst, size_t room, struct mkb_checksum *sum)
{
	enum core_status rc;

	rc = platform_read(b->m->payload_lba + (payload_offset >> 9), dst, size, b->err);
	if (rc == CORE_OK) {
		mkb_checksum_add(sum, dst, size);
		memset(dst + size, 0, room - size);
	}
	return rc;
}

/* A Linux kernel's initrd, page-aligned below initrd_addr_max: pages of its
 * own, clear of the kernel's window (reserved before). */
static enum core_status load_initrd(struct core_boot *b, struct mkb_checksum *sum)
{
	const struct mkb_linux *lx = linux_block(b->m);
	uint64_t bytes = page_up(lx->initrd_size), limit = (uint64_t)lx->initrd_addr_max + 1;
	enum core_status rc;

	b->initrd = 0;
	if (!bytes)
		return CORE_OK;
	if ((rc = allocate_below(b, (uint32_t)(bytes / PAGE_SIZE), MKBOOTIMG_MEM_MODULES,
				 limit < PLATFORM_BELOW_4GIB ? page_down(limit) : PLATFORM_BELOW_4GIB, &b->initrd)))
		return rc;
	return load_bytes(b, lx->initrd_payload_offset, (size_t)lx->initrd_size,
			  platform_pointer(b->initrd, bytes), (size_t)bytes, sum);
}

/* A Linux kernel with no protected-mode entry (iPXE's .lkrn): the BIOS runs its setup code. */
static int real_mode(const struct mkb_manifest *m)
{
	return m->protocol == MKB_PROTOCOL_LINUX && (linux_block(m)->flags & MKB_LINUX_REAL_MODE);
}

/*
 * The 64 KiB segment of a real-mode entry (boot.rst: the real-mode part at
 * X, its stack and heap below X+0x10000): at 0x90000 as is traditional, or
 * lower so that it ends below the EBDA, and above the front-end's own
 * memory. UEFI has no real mode: its loader stops here.
 */
static enum core_status place_real_mode(struct core_boot *b)
{
	const struct boot_facts *f = b->facts;
	uint32_t top = (uint32_t)f->conventional_end, x = LINUX_REAL_HIGHEST, own = 0; /* below 1 MiB */

	if (!CORE_BIOS_ONLY && f->firmware == MKBOOTIMG_FIRMWARE_UEFI)
		return core_fail(b->err, CORE_NEEDS_BIOS,
				 "this Linux kernel starts only through its real-mode setup code\n"
				 "(code32_start 0, as iPXE's .lkrn), which needs a BIOS: UEFI has no real mode.\n"
				 "Boot this image on a BIOS (QEMU without OVMF), or iPXE's ipxe.efi on UEFI.");
	for (size_t i = 0; i < f->own_count; i++)
		own = (uint32_t)f->own[i].end > own ? (uint32_t)f->own[i].end : own;
	if (top < x + LINUX_REAL_BYTES)
		x = (top - LINUX_REAL_BYTES) & ~(PAGE_SIZE - 1); /* wraps when top is tiny: too high then */
	if (x < own || x >= top || !memmap_usable(b->ram, b->ram_count, x, x + LINUX_REAL_BYTES))
		return core_fail(b->err, CORE_LOW_MEMORY,
				 "conventional memory ends at 0x%x: the kernel's real-mode setup code\n"
				 "needs 64 KiB of it free above the loader's (0x%x), below the EBDA.",
				 top, own);
	b->real_mode = x; /* below 1 MiB: the allocator hands out none of it */
	return CORE_OK;
}

/* A native kernel's struct mkb_pie (relocate.h), or null. */
static CORE_NOINLINE const struct mkb_pie *pie_block(const struct mkb_manifest *m)
{
	if (m->protocol != MKB_PROTOCOL_NATIVE || !m->multiboot_offset)
		return 0;
	return (const void *)((const uint8_t *)m + m->multiboot_offset);
}

/* A KASLR kernel's relocation table, after the modules: pages of its own. */
static CORE_NOINLINE enum core_status load_table(struct core_boot *b, struct mkb_checksum *sum)
{
	const struct mkb_pie *pie = pie_block(b->m);
	uint32_t size = pie ? pie->count * 4 : 0; /* at most 16 MiB: a rule */
	enum core_status rc;

	b->pie_table = 0;
	if (!size)
		return CORE_OK;
	if ((rc = allocate(b, (uint32_t)(page_up(size) / PAGE_SIZE), MKBOOTIMG_MEM_LOADER_RECLAIMABLE,
			   &b->pie_table)))
		return rc;
	return load_bytes(b, pie->table_payload_offset, size, platform_pointer(b->pie_table, size), size, sum);
}

/* Segments to their planned places (.bss zeroed), modules to fresh pages
 * marked as modules, a Linux kernel's initrd; then the checksum over all of it. */
static enum core_status load_payload(struct core_boot *b)
{
	const struct mkb_manifest *m = b->m;
	const struct mkb_segment *seg = mkb_manifest_segments(m);
	const struct mkb_module *mod = mkb_manifest_modules(m);
	struct mkb_checksum sum;
	enum core_status rc;

	mkb_checksum_init(&sum);
	for (uint32_t i = 0; i < m->segment_count; i++) {
		/* The manifest's rules put it below 4 GiB, where every loader reaches. A
		 * Linux kernel's window is not zeroed: it clears what it uses itself. */
		uint8_t *dst = platform_pointer(seg[i].paddr, seg[i].memsz);
		uint64_t room = m->protocol == MKB_PROTOCOL_LINUX ? seg[i].filesz : seg[i].memsz;
		if ((rc = load_bytes(b, seg[i].payload_offset, (size_t)seg[i].filesz, dst, (size_t)room,
				     &sum)) != CORE_OK)
			return rc;
	}
	for (uint32_t i = 0; i < m->module_count; i++) {
		uint64_t bytes = page_up(mod[i].size);
		b->module_address[i] = 0; /* an empty module has no pages */
		if (!bytes)
			continue;
		if ((rc = allocate(b, (uint32_t)(bytes / PAGE_SIZE), MKBOOTIMG_MEM_MODULES, &b->module_address[i])))
			return rc;
		uint8_t *dst = platform_pointer(b->module_address[i], bytes);
		if ((rc = load_bytes(b, mod[i].payload_offset, (size_t)mod[i].size, dst, (size_t)bytes,
				     &sum)) != CORE_OK)
			return rc;
	}
	if ((rc = load_table(b, &sum)) != CORE_OK)
		return rc;
	if (m->protocol == MKB_PROTOCOL_LINUX && (rc = load_initrd(b, &sum)) != CORE_OK)
		return rc;
	/* A real-mode entry's boot sector and setup code: the payload's last sectors. */
	if (real_mode(m)) {
		uint32_t sectors = linux_block(m)->setup_sectors;
		if ((rc = load_bytes(b, (m->payload_sectors - sectors) * MKB_SECTOR_SIZE, sectors * MKB_SECTOR_SIZE,
				     platform_pointer(b->real_mode, LINUX_REAL_BYTES), sectors * MKB_SECTOR_SIZE,
				     &sum)) != CORE_OK)
			return rc;
	}
	if (mkb_checksum_value(&sum) != m->payload_checksum)
		return core_fail(b->err, CORE_CHECKSUM,
				 "the kernel in this image is damaged: payload checksum mismatch\n"
				 "(expected 0x%lx, read 0x%lx). Write the image again.",
				 m->payload_checksum, mkb_checksum_value(&sum));
	return CORE_OK;
}

/* The CPUs' list (BOOT_INFO) and each AP's stack (KERNEL_STACK): the kernel
 * asked for its APs. */
static enum core_status prepare_smp(struct core_boot *b)
{
	uint32_t stack = mkb_manifest_smp_stack(b->m);
	uint64_t stacks = 0;
	enum core_status rc;

	smp_init(&b->smp, b->facts->rsdp);
	if ((rc = allocate(b, (uint32_t)(page_up(b->smp.count * (sizeof(struct mkbootimg_cpu) + 8)) / PAGE_SIZE),
			   MKBOOTIMG_MEM_BOOT_INFO | CLEAR, &b->smp.cpus)) != CORE_OK)
		return rc;
	if (b->smp.aps &&
	    (rc = allocate(b, b->smp.aps * (stack / PAGE_SIZE), MKBOOTIMG_MEM_KERNEL_STACK, &stacks)) != CORE_OK)
		return rc;
	smp_list(&b->smp, stacks, stack);
	return CORE_OK;
}

/* Highest end of anything that is memory rather than a hole or MMIO, and
 * of a framebuffer the map lacks (UEFI's GOP: a VBE framebuffer's address
 * is 32-bit), rounded up to whole GiB, and at least 4 GiB: what the direct
 * map covers. */
static CORE_NOINLINE uint64_t memory_top(const struct core_boot *b)
{
	uint64_t top = !CORE_BIOS_ONLY && b->facts->screen_end > 4 * GiB ? b->facts->screen_end : 4 * GiB;
	for (size_t i = 0; i < b->ram_count; i++)
		if (b->ram[i].type != MKBOOTIMG_MEM_RESERVED && b->ram[i].end > top)
			top = b->ram[i].end;
	return (top + GiB - 1) & ~(GiB - 1);
}

/*
 * A relocatable kernel (struct mkb_pie), its bytes verified: with KASLR,
 * a random slide applied to its relocations, segments and entry, and a
 * random direct map; then the boot information's slide and base. The
 * manifest is the loader's copy: what it says now is where things are.
 */
static CORE_NOINLINE enum core_status relocate_kernel(struct core_boot *b)
{
	struct mkb_manifest *m = (struct mkb_manifest *)(void *)b->manifest;
	const struct mkb_pie *pie = pie_block(m);
	uint64_t slide = 0;

	if (!pie)
		return CORE_OK;
	if (pie->flags & MKB_PIE_KASLR_BASE) {
		slide = relocate_pick((uint32_t)b->facts->entropy, pie->slots, MKB_PIE_SLIDE_STEP);
		if (relocate_apply((struct mkb_segment *)(void *)((uint8_t *)m + m->segment_offset), m->segment_count,
				   pie->base, platform_pointer(b->pie_table, pie->count * 4), pie->count, slide) !=
		    pie->count)
			return damaged(b->err);
		m->entry += slide;
	}
	if (pie->flags & MKB_PIE_KASLR_DIRECT_MAP)
		m->direct_map_offset = relocate_direct_map(m->direct_map_offset, memory_top(b),
							   (uint32_t)(b->facts->entropy >> 32));
	if (pie->flags & MKB_PIE_RELOCATABLE) {
		b->request.kernel_slide = pie->base - pie->link_base + slide;
		b->request.kernel_virtual_base = pie->base + slide;
	}
	return CORE_OK;
}

/* What the boot information will say, as far as it is known: the stack
 * comes next, the kernel's memory map and the screen in core_finish. */
static void fill_request(struct core_boot *b)
{
	const struct boot_facts *f = b->facts;
	struct info_request *r = &b->request;

	r->m = b->m;
	r->module_address = b->module_address;
	r->boot_drive = f->boot_drive;
	r->loader_name = f->loader_name;
	r->framebuffer = &f->framebuffer;
	r->rsdp = f->rsdp;
	r->firmware = f->firmware;
	r->smbios = f->smbios;
	r->efi = &f->efi; /* its memory map is final only in core_finish */
	r->map = b->map;
	r->smp = &b->smp;
	r->ram = b->ram;
	r->ram_count = b->ram_count;
	r->kernel_slide = r->kernel_virtual_base = 0; /* relocate_kernel sets them */
	/* Its length is at most 4 KiB (multiboot.c reads no more). */
	r->rsdp_bytes = f->rsdp ? platform_pointer(f->rsdp, 4096) : 0;
}

enum core_status core_load(struct core_boot *b, struct core_error *err)
{
	const struct boot_facts *f = b->facts;
	enum core_status rc;

	b->err = err;
	if ((rc = read_manifest(b)) != CORE_OK)
		return rc;
	const struct mkb_manifest *m = b->m;
	uint32_t end = (uint32_t)(m->payload_lba + m->payload_sectors); /* below 2^32: a rule */
	if (f->disk_sectors && f->disk_sectors < end)
		return core_fail(err, CORE_TRUNCATED,
				 "the image is truncated: the disk ends at sector %u, but the kernel's\n"
				 "payload ends at sector %u. Write the whole image again.",
				 (uint32_t)f->disk_sectors, end);
	if (real_mode(m) && (rc = place_real_mode(b)) != CORE_OK)
		return rc;
	if ((rc = check_placement(b)) != CORE_OK)
		return rc;
	if (m->protocol == MKB_PROTOCOL_NATIVE && !f->long_mode)
		return core_fail(err, CORE_NO_LONG_MODE,
				 "this CPU does not support 64-bit long mode, which the kernel needs.\n"
				 "Boot it on an x86-64 machine (QEMU: a 64-bit -cpu).");
	if ((rc = load_payload(b)) != CORE_OK)
		return rc;

	fill_request(b);
	if ((rc = relocate_kernel(b)) != CORE_OK)
		return rc;
	if (real_mode(m)) /* its setup code makes boot_params and leaves paging off */
		return CORE_OK;
	if (m->protocol == MKB_PROTOCOL_NATIVE) {
		if ((rc = allocate(b, (uint32_t)(m->stack_size / PAGE_SIZE), MKBOOTIMG_MEM_KERNEL_STACK | CLEAR,
				   &b->stack)))
			return rc;
		b->request.stack_physical = b->stack;
		b->info_size = bootinfo_size(m, CORE_MAX_MAP);
		if (mkb_manifest_smp_stack(m) && (rc = prepare_smp(b)) != CORE_OK)
			return rc;
	} else if (m->protocol == MKB_PROTOCOL_LINUX) {
		b->info_size = linux_size(m);
	} else {
		b->info_size = multiboot_size(&b->request);
	}
	if ((rc = allocate(b, (uint32_t)(page_up(b->info_size) / PAGE_SIZE), MKBOOTIMG_MEM_BOOT_INFO | CLEAR,
			   &b->info)))
		return rc;
	/* Without long mode, a 64-bit Linux kernel's 32-bit entry says what it needs. */
	int linux64 = m->protocol == MKB_PROTOCOL_LINUX && (linux_block(m)->flags & MKB_LINUX_ENTRY64) &&
		      f->long_mode;
	if (m->protocol != MKB_PROTOCOL_NATIVE && !linux64) /* 32-bit, paging off: no page tables */
		return CORE_OK;
	b->paging.gib_pages = f->gib_pages;
	b->paging.alloc_table = alloc_table;
	b->paging.ctx = b;
	/* Linux's 64-bit entry: the first 4 GiB identity-mapped hold the kernel,
	 * boot_params, the command line and the initrd. */
	if (linux64 ? paging_init(&b->paging) != 0 || paging_map(&b->paging, 0, 0, 4 * GiB, PTE_W) != 0
		    : paging_build(&b->paging, m, mkb_manifest_segments(m), b->stack, f->nx, memory_top(b)) != 0)
		return err->code;
	return CORE_OK;
}

/* The kernel's map: the firmware's, with everything the loader placed marked. */
static void build_memory_map(struct core_boot *b)
{
	const struct boot_facts *f = b->facts;
	const struct mkb_segment *seg = mkb_manifest_segments(b->m);
	struct mm_range *in = b->map_input;
	size_t i;

	memcpy(in, f->memory_map, f->memory_map_count * sizeof *in);
	in += f->memory_map_count;
	memcpy(in, f->own, f->own_count * sizeof *in);
	in += f->own_count;
	for (i = 0; i < b->m->segment_count; i++, in++) {
		segment_pages(&seg[i], &in->base, &in->end);
		in->type = MKBOOTIMG_MEM_KERNEL;
	}
	memcpy(in, b->claims.range, b->claims.count * sizeof *in);
	in += b->claims.count;
	b->map_count = memmap_sanitize(b->map, CORE_MAX_MAP, b->map_input, (size_t)(in - b->map_input));
}

/* Multiboot's map: the firmware's, as it is now (UEFI: the final one), with
 * the loader's memory usable as GRUB reports it: the kernel knows where its
 * information and modules are. */
static void multiboot_ram(struct core_boot *b)
{
	const struct boot_facts *f = b->facts;

	memcpy(b->map_input, f->memory_map, f->memory_map_count * sizeof *b->map_input);
	for (size_t i = 0; i < f->memory_map_count; i++)
		if (b->map_input[i].type >= MKBOOTIMG_MEM_LOADER_RECLAIMABLE &&
		    b->map_input[i].type <= MKBOOTIMG_MEM_MODULES)
			b->map_input[i].type = MKBOOTIMG_MEM_USABLE;
	b->request.ram_count = b->ram_count = memmap_sanitize(b->ram, CORE_MAX_RAM, b->map_input,
							      f->memory_map_count);
}

enum core_status core_finish(struct core_boot *b, struct core_handoff *h, struct core_error *err)
{
	const struct boot_facts *f = b->facts;
	const struct mkb_manifest *m = b->m;
	struct info_request *r = &b->request;
	void *area = platform_pointer(b->info, b->info_size);
	uint64_t used;

	memset(h, 0, sizeof *h);
	h->protocol = m->protocol;
	h->entry = m->entry;
	h->info = b->info;
	if (real_mode(m)) {
		linux_build_real_mode(platform_pointer(b->real_mode, LINUX_REAL_BYTES), b->real_mode, r,
				      mkb_manifest_segments(m)->paddr, b->initrd);
		h->segment = (uint32_t)(b->real_mode >> 4);
		return CORE_OK;
	}
	if (m->protocol == MKB_PROTOCOL_LINUX) {
		uint64_t kernel = mkb_manifest_segments(m)->paddr; /* where it is, moved or not */
		multiboot_ram(b);
		linux_build(area, b->info, r, kernel, b->initrd);
		h->page_tables = b->paging.root; /* 0 for the 32-bit entry: paging off */
		h->entry = kernel + (h->page_tables ? LINUX_ENTRY64_OFFSET : 0);
		h->stack_top = b->info + b->info_size;
		return CORE_OK;
	}
	if (m->protocol != MKB_PROTOCOL_NATIVE) {
		multiboot_ram(b);
		r->vbe_mode = f->vbe_mode;
		r->vbe_control = f->vbe_control;
		r->vbe_mode_info = f->vbe_mode_info;
		h->magic = m->protocol == MKB_PROTOCOL_MULTIBOOT1 ? MB1_BOOT_MAGIC : MB2_BOOT_MAGIC;
		if (multiboot_build(area, b->info, b->info_size, r, &used) != 0)
			return core_fail(err, CORE_BUDGET,
					 "the Multiboot information outgrew %u bytes.",
					 (uint32_t)b->info_size);
		return CORE_OK;
	}
	/* Last: every allocation is done, so the map shows them all. */
	build_memory_map(b);
	r->map_count = b->map_count;
	bootinfo_build(area, b->info, CORE_MAX_MAP, r);
	h->page_tables = b->paging.root;
	h->stack_top = m->stack_top;
	h->nx = f->nx;
	if (b->smp.count) /* after the last firmware call; the page tables are built */
		smp_start(&b->smp, f->smp_trampoline, f->smp_code, f->smp_code_size, h->page_tables, f->nx);
	return CORE_OK;
}
