/*
 * Stage 2: from the BIOS to the kernel's entry point.
 *
 *   CPU, A20, E820, disk, RSDP: the facts --> the core loads the image
 *   (core_load) --> VBE, the last BIOS call --> the core writes the boot
 *   information (core_finish) --> long mode, or 32-bit protected mode for
 *   a Multiboot kernel, or Linux's 64- or 32-bit entry, and the jump; or,
 *   for a Linux kernel with no protected-mode entry, its real-mode setup
 *   code, with the BIOS still there for it.
 */
#include <mkbootimg/image.h>
#include <mkbootimg/protocol.h>

#include "bios.h"
#include "manifest.h"

/* Low memory the kernel's map shows as the loader's (see README.md). */
static const struct mm_range own[CORE_MAX_OWN] = {
	{ 0, PAGE_SIZE, MKBOOTIMG_MEM_RESERVED }, /* real-mode IVT and BIOS data */
	{ PAGE_SIZE, LOADER_END, MKBOOTIMG_MEM_LOADER_RECLAIMABLE },
};

static struct boot_facts facts;
static struct core_error error;
static struct core_handoff handoff;

static __attribute__((noreturn)) void stop(void)
{
	fatal("%s", error.message);
}

void loader_main(uint32_t drive)
{
	struct bios_memory *mem = flat(WORKSPACE);
	const struct mkb_stage2_header *stage2 = (const void *)STAGE2_BASE;

	com1_init();
	cpu_detect(&facts);
	a20_enable();
	facts.memory_map = mem->firmware_map;
	facts.memory_map_count = read_memory_map(mem->firmware_map, CORE_MAX_FIRMWARE_RANGES);
	disk_init((uint8_t)drive);
	facts.own = own;
	facts.own_count = CORE_MAX_OWN;
	facts.manifest_lba = MKB_STAGE2_LBA + stage2->sectors;
	facts.disk_sectors = disk_sectors();
	facts.boot_drive = drive;
	facts.loader_name = stage2->loader_version;
	facts.rsdp = find_rsdp();
	facts.firmware = MKBOOTIMG_FIRMWARE_BIOS;
	facts.conventional_end = conventional_end();

	core_init(&mem->core, &facts);
	physmem_init(&mem->allocator, mem->core.ram, mem->core.ram_count);
	physmem_reserve(&mem->allocator, 0, MiB); /* the BIOS and the loader */
	bios_platform_init(&mem->allocator);
	if (core_load(&mem->core, &error) != CORE_OK)
		stop();
	/* The last BIOS call: after it the screen may be graphics, where the
	 * loader's messages would not show. */
	const struct mkb_manifest *m = mem->core.m;
	if (mkb_manifest_smp_stack(m)) { /* started in core_finish, after the last BIOS call */
		facts.smp_trampoline = SMP_PAGE;
		facts.smp_code = smp_trampoline;
		facts.smp_code_size = (uint32_t)((uintptr_t)smp_trampoline_end - (uintptr_t)smp_trampoline);
	}
	if (m->fb_width)
		vbe_set_mode(m->fb_width, m->fb_height, m->fb_bpp, &facts.framebuffer);
	facts.vbe_mode = vbe_blocks(&facts.vbe_control, &facts.vbe_mode_info);
	if (core_finish(&mem->core, &handoff, &error) != CORE_OK)
		stop();
	if (handoff.segment)
		enter_linux16(handoff.segment);
	if (handoff.protocol == MKB_PROTOCOL_LINUX)
		enter_linux(&handoff);
	if (handoff.protocol != MKB_PROTOCOL_NATIVE)
		enter_multiboot(&handoff);
	enter_kernel(&handoff);
}
