/*
 * Stage 2: from the BIOS to the kernel's entry point.
 *
 *   CPU check, A20, E820 --> manifest --> every planned range checked against
 *   the memory map --> segments and modules loaded and checksummed --> stack,
 *   page tables, framebuffer, boot information --> long mode and the kernel.
 */
#include <mkbootimg/image.h>
#include <mkbootimg/protocol.h>

#include "loader.h"
#include "memmap.h"
#include "physmem.h"

#define MAX_E820 256
#define MAX_MAP_INPUT (MAX_E820 + MKB_MAX_SEGMENTS + 64 + 2)
#define MAX_MAP (2 * MAX_MAP_INPUT)
#define SMAP 0x534d4150u

struct tables {
	struct mm_range e820[MAX_E820];           /* as the BIOS gave it */
	struct mm_range ram[2 * MAX_E820];        /* sanitized */
	struct mm_range map_input[MAX_MAP_INPUT]; /* E820 and the loader's claims */
	struct mm_range final_map[MAX_MAP];       /* the kernel's memory map */
};
typedef char tables_fit[sizeof(struct tables) <= SCRATCH_END - SCRATCH ? 1 : -1];

static struct mm_range *e820, *ram, *map_input, *final_map;
static size_t e820_count, ram_count;
static struct handoff handoff;

static uint64_t page_down(uint64_t x)
{
	return x & ~(uint64_t)(PAGE_SIZE - 1);
}

static uint64_t page_up(uint64_t x)
{
	return page_down(x + PAGE_SIZE - 1);
}

static void add_usable(uint64_t base, uint64_t bytes)
{
	if (bytes)
		e820[e820_count++] = (struct mm_range){ base, base + bytes, MKBOOTIMG_MEM_USABLE };
}

/* BIOSes without E820: int 12h for conventional memory, then E801 (memory
 * up to 16 MiB and above it), then 88h (memory above 1 MiB, at most 64 MiB). */
static void read_old_memory_size(void)
{
	struct bios_regs r = { 0 };

	bios_call(0x12, &r);
	add_usable(0, (uint64_t)(r.eax & 0xffff) * 1024);

	r = (struct bios_regs){ .eax = 0xe801 };
	bios_call(0x15, &r);
	if (!(r.eflags & EFLAGS_CF)) {
		/* Some BIOSes answer in AX/BX, others in CX/DX. */
		uint32_t below16 = r.ecx & 0xffff, above16 = r.edx & 0xffff;
		if (!below16 && !above16)
			below16 = r.eax & 0xffff, above16 = r.ebx & 0xffff;
		add_usable(MiB, (uint64_t)below16 * 1024);
		add_usable(16 * MiB, (uint64_t)above16 * 64 * 1024);
	} else {
		r = (struct bios_regs){ .eax = 0x8800 };
		bios_call(0x15, &r);
		if (!(r.eflags & EFLAGS_CF))
			add_usable(MiB, (uint64_t)(r.eax & 0xffff) * 1024);
	}
	if (e820_count < 2)
		fatal("the BIOS gave no memory map (int 15h E820, E801 and 88h all failed).\n"
		      "This machine's firmware is not supported.");
}

static void read_e820(void)
{
	struct {
		uint64_t base, length;
		uint32_t type, attributes;
	} e; /* on the stack: the BIOS needs it below 64 KiB */
	uint32_t next = 0;

	do {
		e.attributes = 1; /* stays "valid" when the BIOS returns 20 bytes */
		struct bios_regs r = {
			.eax = 0xe820, .ebx = next, .ecx = sizeof(e), .edx = SMAP,
			.edi = (uint32_t)(uintptr_t)&e,
		};
		bios_call(0x15, &r);
		if ((r.eflags & EFLAGS_CF) || r.eax != SMAP)
			break;
		/* ACPI 3.0: an entry with bit 0 of its attributes clear is to be ignored. */
		if (e.length && (e.attributes & 1)) {
			uint64_t end = e.base + e.length;
			e820[e820_count++] = (struct mm_range){ e.base, end < e.base ? UINT64_MAX : end, e.type };
		}
		next = r.ebx;
	} while (next && e820_count < MAX_E820);

	if (!e820_count)
		read_old_memory_size();
	ram_count = memmap_sanitize(ram, 2 * MAX_E820, e820, e820_count);
}

static const struct mkb_manifest *read_manifest(void)
{
	const struct mkb_stage2_header *stage2 = (const void *)STAGE2_BASE;
	const struct mkb_manifest *m = flat(MANIFEST_BUFFER);
	uint64_t lba = MKB_STAGE2_LBA + stage2->sectors;

	disk_read_low(lba, 1, MANIFEST_BUFFER);
	if (m->magic != MKB_MANIFEST_MAGIC || m->version != MKB_MANIFEST_VERSION ||
	    m->header_size != sizeof(*m) || m->sectors == 0 ||
	    m->sectors > MKB_MANIFEST_MAX_BYTES / MKB_SECTOR_SIZE)
		fatal("the image has no valid manifest at sector %u.\n"
		      "Rebuild the image with the same version of mkbootimg.",
		      (uint32_t)lba);
	if (m->sectors > 1)
		disk_read_low(lba + 1, m->sectors - 1, MANIFEST_BUFFER + MKB_SECTOR_SIZE);

	uint32_t bytes = m->sectors * MKB_SECTOR_SIZE;
	if (m->segment_count == 0 || m->segment_count > MKB_MAX_SEGMENTS ||
	    m->segment_offset > bytes ||
	    m->segment_count * sizeof(struct mkb_segment) > bytes - m->segment_offset ||
	    m->cmdline_offset > bytes || m->cmdline_length >= bytes - m->cmdline_offset ||
	    m->module_count > MKB_MAX_MODULES || m->module_offset > bytes ||
	    m->module_count * sizeof(struct mkb_module) > bytes - m->module_offset ||
	    m->stack_size == 0 || (m->stack_size & (PAGE_SIZE - 1)))
		fatal("the image's manifest is damaged.\nRebuild the image with mkbootimg.");
	const struct mkb_module *mod = (const void *)((const char *)m + m->module_offset);
	for (uint32_t i = 0; i < m->module_count; i++)
		if (mod[i].string_offset > bytes || mod[i].string_length >= bytes - mod[i].string_offset)
			fatal("the image's manifest is damaged.\nRebuild the image with mkbootimg.");
	return m;
}

static uint32_t usable_mib(void)
{
	uint64_t total = 0;
	for (size_t i = 0; i < ram_count; i++)
		if (ram[i].type == MKBOOTIMG_MEM_USABLE)
			total += ram[i].end - ram[i].base;
	return (uint32_t)(total >> 20);
}

/* "segment N" (its program header) or "section N" (a Multiboot kernel's copy), as the tool says. */
#define SEGMENT_NAME(s) ((s).elf_index >= MKB_SECTION_INDEX ? "section" : "segment"), \
	((s).elf_index >= MKB_SECTION_INDEX ? (s).elf_index - MKB_SECTION_INDEX : (s).elf_index)

/* The end of the highest usable RAM. */
static uint64_t usable_top(void)
{
	uint64_t top = 0;
	for (size_t i = 0; i < ram_count; i++)
		if (ram[i].type == MKBOOTIMG_MEM_USABLE && ram[i].end > top)
			top = ram[i].end;
	return top;
}

/* Every planned range must be RAM before a byte is written to it. */
static void check_placement(const struct mkb_segment *seg, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint64_t base = page_down(seg[i].paddr);
		uint64_t end = page_up(seg[i].paddr + seg[i].memsz);
		if (memmap_usable(ram, ram_count, base, end))
			continue;
		/* Past the end of RAM: the machine is too small, not the link wrong. */
		if (end > usable_top())
			fatal("the kernel needs memory at 0x%lx-0x%lx (%s %u), beyond the\n"
			      "end of RAM: this machine has only %u MiB usable. Give it more memory\n"
			      "(mkbootimg run --memory SIZE, QEMU's -m), or link the kernel lower.",
			      seg[i].paddr, seg[i].paddr + seg[i].memsz - 1, SEGMENT_NAME(seg[i]),
			      usable_mib());
		fatal("the kernel needs memory at 0x%lx-0x%lx (%s %u), which is\n"
		      "not usable RAM here (this machine has %u MiB usable).\n"
		      "Give the machine more memory (mkbootimg run --memory SIZE), or link\n"
		      "the kernel at another address.",
		      seg[i].paddr, seg[i].paddr + seg[i].memsz - 1, SEGMENT_NAME(seg[i]),
		      usable_mib());
	}
}

/* Copy n bytes out of the bounce buffer and add them to the checksum. A
 * partial last word is summed with the zero padding the image has after it,
 * but only its n % 4 real bytes are copied. */
static void copy_and_sum(uint8_t *dst, const uint32_t *src, uint32_t n, struct mkb_checksum *c)
{
	uint32_t words = n / 4;

	copy_sum_words((uint32_t *)dst, src, words, c);
	if (n & 3) {
		c->a += src[words];
		c->b += c->a;
		memcpy(dst + words * 4, &src[words], n & 3);
	}
}

/* Read size payload bytes at payload_offset to dst, adding them to the sum. */
static void load_bytes(const struct mkb_manifest *m, uint64_t payload_offset, uint64_t size,
		       uint8_t *dst, struct mkb_checksum *sum)
{
	uint64_t lba = m->payload_lba + payload_offset / MKB_SECTOR_SIZE;

	while (size) {
		uint32_t most = disk_transfer_sectors() * MKB_SECTOR_SIZE;
		uint32_t chunk = size < most ? (uint32_t)size : most;
		uint32_t sectors = (chunk + MKB_SECTOR_SIZE - 1) / MKB_SECTOR_SIZE;
		disk_read_low(lba, sectors, BOUNCE_BUFFER);
		copy_and_sum(dst, flat(BOUNCE_BUFFER), chunk, sum);
		lba += sectors;
		dst += chunk;
		size -= chunk;
	}
}

/* Segments to their planned places (.bss zeroed), modules to fresh pages
 * marked as modules; then the checksum over all of it. */
static void load_payload(const struct mkb_manifest *m, const struct mkb_segment *seg,
			 const struct mkb_module *mod, uint64_t *module_address)
{
	struct mkb_checksum sum;

	mkb_checksum_init(&sum);
	for (uint32_t i = 0; i < m->segment_count; i++) {
		uint8_t *dst = (uint8_t *)(uintptr_t)seg[i].paddr;
		load_bytes(m, seg[i].payload_offset, seg[i].filesz, dst, &sum);
		memset(dst + seg[i].filesz, 0, (size_t)(seg[i].memsz - seg[i].filesz));
	}
	for (uint32_t i = 0; i < m->module_count; i++) {
		uint64_t bytes = page_up(mod[i].size);
		module_address[i] = alloc_pages_uncleared(bytes / PAGE_SIZE, MKBOOTIMG_MEM_MODULES);
		uint8_t *dst = (uint8_t *)(uintptr_t)module_address[i];
		load_bytes(m, mod[i].payload_offset, mod[i].size, dst, &sum);
		memset(dst + mod[i].size, 0, (size_t)(bytes - mod[i].size));
	}
	if (mkb_checksum_value(&sum) != m->payload_checksum)
		fatal("the kernel in this image is damaged: payload checksum mismatch\n"
		      "(expected 0x%lx, read 0x%lx). Write the image again.",
		      m->payload_checksum, mkb_checksum_value(&sum));
}

/* Highest end of anything that is memory rather than a hole or MMIO. */
static uint64_t memory_top(void)
{
	uint64_t top = 4 * GiB;
	for (size_t i = 0; i < ram_count; i++)
		if (ram[i].type != MKBOOTIMG_MEM_RESERVED && ram[i].end > top)
			top = ram[i].end;
	return (top + GiB - 1) & ~(GiB - 1);
}

static void build_page_tables(const struct mkb_manifest *m, const struct mkb_segment *seg,
			      const struct cpu_features *cpu, uint64_t stack)
{
	uint64_t nx = cpu->nx ? PTE_NX : 0;

	paging_init(cpu);
	map_range(0, 0, 4 * GiB, PTE_W);
	map_range(m->direct_map_offset, 0, memory_top(), PTE_W | nx);
	for (uint32_t i = 0; i < m->segment_count; i++) {
		uint64_t flags = (seg[i].flags & MKB_SEG_W ? PTE_W : 0) |
				 (seg[i].flags & MKB_SEG_X ? 0 : nx);
		uint64_t va = page_down(seg[i].vaddr);
		map_kernel_range(va, page_down(seg[i].paddr), page_up(seg[i].vaddr + seg[i].memsz) - va,
				 flags);
	}
	/* The page below the stack stays unmapped: an overflow faults. */
	map_kernel_range(m->stack_top - m->stack_size, stack, m->stack_size, PTE_W | nx);
}

static size_t add_range(size_t n, uint64_t base, uint64_t end, uint32_t type)
{
	map_input[n] = (struct mm_range){ base, end, type };
	return n + 1;
}

/* The kernel's map: the BIOS's, with everything the loader placed marked. */
static size_t build_memory_map(const struct mkb_manifest *m, const struct mkb_segment *seg,
			       struct mkbootimg_memory_region *out, size_t cap)
{
	size_t n = 0, claim_count;
	const struct mm_range *claims = physmem_claims(&claim_count);

	for (size_t i = 0; i < e820_count; i++)
		n = add_range(n, e820[i].base, e820[i].end, e820[i].type);
	n = add_range(n, 0, PAGE_SIZE, MKBOOTIMG_MEM_RESERVED); /* real-mode IVT and BIOS data */
	n = add_range(n, PAGE_SIZE, LOADER_END, MKBOOTIMG_MEM_LOADER_RECLAIMABLE);
	for (uint32_t i = 0; i < m->segment_count; i++)
		n = add_range(n, page_down(seg[i].paddr), page_up(seg[i].paddr + seg[i].memsz),
			      MKBOOTIMG_MEM_KERNEL);
	for (size_t i = 0; i < claim_count; i++)
		n = add_range(n, claims[i].base, claims[i].end, claims[i].type);

	size_t count = memmap_sanitize(final_map, cap < MAX_MAP ? cap : MAX_MAP, map_input, n);
	for (size_t i = 0; i < count; i++)
		out[i] = (struct mkbootimg_memory_region){
			final_map[i].base, final_map[i].end - final_map[i].base, final_map[i].type, 0
		};
	return count;
}

/* The boot information block: the structure, then its arrays and strings. */
struct info_layout {
	struct mkbootimg_info *info;
	struct mkbootimg_memory_region *regions;
	struct mkbootimg_segment *segments;
	struct mkbootimg_module *modules;
	char *strings;
};

static uint64_t allocate_boot_info(const struct mkb_manifest *m, const struct mkb_module *mod,
				   struct info_layout *l)
{
	uint64_t strings = m->cmdline_length + 1 + MKB_LOADER_NAME_MAX + 1;
	for (uint32_t i = 0; i < m->module_count; i++)
		strings += mod[i].string_length + 1;
	uint64_t bytes = sizeof(struct mkbootimg_info) + MAX_MAP * sizeof(struct mkbootimg_memory_region) +
			 m->segment_count * sizeof(struct mkbootimg_segment) +
			 m->module_count * sizeof(struct mkbootimg_module) + strings;
	uint64_t address = alloc_pages(page_up(bytes) / PAGE_SIZE, MKBOOTIMG_MEM_BOOT_INFO);

	l->info = (struct mkbootimg_info *)(uintptr_t)address;
	l->regions = (void *)(l->info + 1);
	l->segments = (void *)(l->regions + MAX_MAP);
	l->modules = (void *)(l->segments + m->segment_count);
	l->strings = (char *)(l->modules + m->module_count);
	return address;
}

/* Append a NUL-terminated copy of n bytes to the strings area. */
static uint64_t add_string(struct info_layout *l, const char *src, uint32_t n)
{
	char *dst = l->strings;
	memcpy(dst, src, n);
	dst[n] = 0;
	l->strings += n + 1;
	return (uintptr_t)dst;
}

void loader_main(uint32_t drive)
{
	struct cpu_features cpu = { 0 };
	struct tables *t = flat(SCRATCH);
	static uint64_t module_address[MKB_MAX_MODULES];
	struct mkbootimg_framebuffer framebuffer = { 0 };
	struct info_layout l;

	e820 = t->e820;
	ram = t->ram;
	map_input = t->map_input;
	final_map = t->final_map;
	console_init();
	cpu_detect(&cpu);
	a20_enable();
	read_e820();
	disk_init((uint8_t)drive);

	const struct mkb_manifest *m = read_manifest();
	const struct mkb_segment *seg = (const void *)((const char *)m + m->segment_offset);
	const struct mkb_module *mod = (const void *)((const char *)m + m->module_offset);
	const struct mkb_stage2_header *stage2 = (const void *)STAGE2_BASE;

	/* Nothing the loader allocates may sit under the kernel's physical pages,
	 * nor where its segments take over the identity map. */
	if (disk_sectors() && disk_sectors() < m->payload_lba + m->payload_sectors)
		fatal("the image is truncated: the disk ends at sector %u, but the kernel's\n"
		      "payload ends at sector %u. Write the whole image again.",
		      (uint32_t)disk_sectors(), (uint32_t)(m->payload_lba + m->payload_sectors));
	check_placement(seg, m->segment_count);
	physmem_init(ram, ram_count);
	for (uint32_t i = 0; i < m->segment_count; i++) {
		physmem_avoid(page_down(seg[i].paddr), page_up(seg[i].paddr + seg[i].memsz));
		if (seg[i].vaddr < 4 * GiB)
			physmem_avoid(page_down(seg[i].vaddr), page_up(seg[i].vaddr + seg[i].memsz));
	}
	if (m->protocol == MKB_PROTOCOL_NATIVE)
		cpu_require_long_mode(&cpu);
	load_payload(m, seg, mod, module_address);
	if (m->protocol != MKB_PROTOCOL_NATIVE) /* 32-bit, paging off: no stack or page tables */
		multiboot_boot(m, module_address, drive, ram, ram_count);
	uint64_t stack = alloc_pages(m->stack_size / PAGE_SIZE, MKBOOTIMG_MEM_KERNEL_STACK);
	uint64_t info_address = allocate_boot_info(m, mod, &l);
	build_page_tables(m, seg, &cpu, stack);
	/* The last BIOS call: after it the screen may be graphics, where the
	 * loader's messages would not show. */
	if (m->fb_width)
		vbe_set_mode(m->fb_width, m->fb_height, m->fb_bpp, &framebuffer);

	struct mkbootimg_info *info = l.info;
	info->magic = MKBOOTIMG_INFO_MAGIC;
	info->version = MKBOOTIMG_INFO_VERSION;
	info->size = sizeof(*info);
	info->direct_map_offset = m->direct_map_offset;
	info->boot_drive = drive;
	info->cmdline = add_string(&l, (const char *)m + m->cmdline_offset, m->cmdline_length);
	info->cmdline_length = m->cmdline_length;
	info->loader_name = add_string(&l, stage2->loader_version, MKB_LOADER_NAME_MAX);
	info->stack_top = m->stack_top;
	info->stack_size = m->stack_size;
	info->stack_physical = stack;
	info->segments = (uintptr_t)l.segments;
	info->segment_count = m->segment_count;
	for (uint32_t i = 0; i < m->segment_count; i++)
		l.segments[i] = (struct mkbootimg_segment){ seg[i].vaddr, seg[i].paddr, seg[i].memsz,
							    seg[i].flags, 0 };
	info->modules = m->module_count ? (uintptr_t)l.modules : 0;
	info->module_count = m->module_count;
	for (uint32_t i = 0; i < m->module_count; i++)
		l.modules[i] = (struct mkbootimg_module){
			module_address[i], mod[i].size,
			add_string(&l, (const char *)m + mod[i].string_offset, mod[i].string_length)
		};
	info->rsdp = find_rsdp();
	info->framebuffer = framebuffer;
	/* Last: every allocation is done, so the map shows them all. */
	info->memory_map = (uintptr_t)l.regions;
	info->memory_map_count = (uint32_t)build_memory_map(m, seg, l.regions, MAX_MAP);

	handoff.cr3 = paging_root();
	handoff.entry = m->entry;
	handoff.stack_top = m->stack_top;
	handoff.info = info_address;
	handoff.efer_bits = (1u << 8) | (cpu.nx ? 1u << 11 : 0); /* LME, NXE */
	enter_kernel(&handoff);
}
