/*
 * BOOTX64.EFI: from the UEFI firmware to the kernel's entry point.
 *
 *   its own disk, the GOP mode the manifest asks for, CPU, tables, memory
 *   map: the facts --> the core loads the image (core_load) --> the map's
 *   buffer and the trampoline's page, out of the kernel's ranges --> the final
 *   memory map and ExitBootServices --> the core writes the boot information
 *   (core_finish) --> the trampoline: the kernel's page tables and long
 *   mode, or 32-bit protected mode for a Multiboot kernel (and Linux's
 *   32-bit entry), and the jump.
 */
#include <mkbootimg/image.h>
#include <mkbootimg/protocol.h>

#include "uefi.h"
#include "manifest.h"

struct efi_system_table *st;
struct efi_boot_services *bs;
int boot_services_exited;

static struct boot_facts facts;
static struct core_boot core; /* large: in .bss, which the firmware's loader zeroes */
static struct core_error error;
static struct core_handoff handoff;

efi_status efi_main(efi_handle image, struct efi_system_table *system_table);

/* A page below 4 GiB, identity-mapped by the firmware and by the core's
 * tables, executable in both: the trampoline and its hand-off block. */
static struct handoff *trampoline_page(void **native, void **multiboot)
{
	/* Labels in one section of entry.S: their addresses' difference is the
	 * length, at most TRAMPOLINE_DATA (entry.S checks it when assembled). */
	size_t code = (uintptr_t)trampoline_end - (uintptr_t)trampoline_start;
	uint8_t *page = (uint8_t *)(uintptr_t)allocate_pages(1, PLATFORM_BELOW_4GIB, EFI_LOADER_CODE);

	if (!page)
		fatal("no memory below 4 GiB for the loader's last step.\n"
		      "This machine's firmware is not supported.");
	memcpy(page, trampoline_start, code);
	*native = page;
	*multiboot = page + ((uintptr_t)trampoline_multiboot - (uintptr_t)trampoline_start);
	struct handoff *h = (void *)(page + TRAMPOLINE_DATA);
	memset(h, 0, sizeof *h);
	h->gdt[SEL_CODE64 / 8] = UINT64_C(0x00af9a000000ffff); /* 64-bit code */
	h->gdt[SEL_DATA / 8] = UINT64_C(0x00cf92000000ffff);   /* flat 4 GiB data */
	h->gdt[SEL_CODE32 / 8] = UINT64_C(0x00cf9a000000ffff); /* flat 4 GiB 32-bit code (Multiboot) */
	h->code_sel = SEL_CODE64;
	h->data_sel = SEL_DATA;
	h->gdt_limit = sizeof h->gdt - 1;
	h->gdt_base = (uintptr_t)h->gdt;
	h->stack_top = (uintptr_t)page + PAGE_SIZE; /* Multiboot's ESP: this page's top */
	return h;
}

/* Linux's boot.rst: code (64-bit for its 64-bit entry) at 0x10, data at
 * 0x18, boot_params in RSI (ESI), EBX zero. */
static void linux_selectors(struct handoff *h, const struct core_handoff *c)
{
	h->gdt[SEL_LINUX_CODE / 8] = c->page_tables ? UINT64_C(0x00af9a000000ffff) : UINT64_C(0x00cf9a000000ffff);
	h->gdt[SEL_LINUX_DATA / 8] = UINT64_C(0x00cf92000000ffff);
	h->code_sel = SEL_LINUX_CODE;
	h->data_sel = SEL_LINUX_DATA;
	h->rsi = c->info;
	h->info = 0;
}

/* The manifest's framebuffer request, read before the core runs: the mode
 * is set first, so the direct map core_load builds covers its framebuffer.
 * The core checks the manifest itself; a sector that is none asks for none. */
static void requested_mode(uint64_t lba, uint32_t *width, uint32_t *height)
{
	static uint64_t sector[MKB_SECTOR_SIZE / 8];
	const struct mkb_manifest *m = (const void *)sector;
	struct core_error e;

	*width = *height = 0;
	if (platform_read(lba, sector, sizeof sector, &e) == CORE_OK && m->magic == MKB_MANIFEST_MAGIC &&
	    m->version == MKB_MANIFEST_VERSION) {
		*width = m->fb_width;
		*height = m->fb_height;
	}
}

efi_status efi_main(efi_handle image, struct efi_system_table *system_table)
{
	void *native, *multiboot;
	uint32_t width, height;

	st = system_table;
	bs = st->boot_services;
	bs->set_watchdog_timer(0, 0, 0, 0); /* else the firmware resets the machine after 5 minutes */
	platform_facts(&facts);
	facts.firmware = MKBOOTIMG_FIRMWARE_UEFI;
	facts.boot_drive = 0x80; /* UEFI has no drive numbers: the first hard disk's */
	facts.loader_name = "mkbootimg " MKB_VERSION;
	facts.efi.system_table = (uintptr_t)st;
	disk_open(image, &facts.disk_sectors);
	facts.manifest_lba = disk_manifest_lba();
	requested_mode(facts.manifest_lba, &width, &height);
	video_set_mode(width, height, &facts.framebuffer);
	facts.screen_end = video_screen_end();

	memory_read_map(&facts);
	core_init(&core, &facts);
	if (core_load(&core, &error) != CORE_OK)
		fatal("%s", error.message);
	/* Allocated once core_load has kept the kernel's ranges out: none
	 * lies where a segment's virtual range hides the identity map. */
	memory_move_map();
	struct handoff *h = trampoline_page(&native, &multiboot);
	if (core.m->protocol == MKB_PROTOCOL_NATIVE && mkb_manifest_smp_stack(core.m)) {
		/* The APs' page (SIPI vector): the core starts them after ExitBootServices,
		 * as the BIOS loader does, not through the MP services protocol. */
		facts.smp_trampoline = allocate_pages(1, MiB, EFI_LOADER_CODE);
		facts.smp_code = smp_trampoline;
		facts.smp_code_size = (uint32_t)((uintptr_t)smp_trampoline_end - (uintptr_t)smp_trampoline);
	}
	memory_exit(image, &facts);
	if (core_finish(&core, &handoff, &error) != CORE_OK)
		fatal("%s", error.message);

	h->entry = handoff.entry;
	h->info = handoff.info;
	if (handoff.protocol == MKB_PROTOCOL_LINUX)
		linux_selectors(h, &handoff);
	if (handoff.protocol != MKB_PROTOCOL_NATIVE && !handoff.page_tables) {
		h->magic = handoff.magic;
		if (handoff.protocol != MKB_PROTOCOL_LINUX)
			h->code_sel = SEL_CODE32;
		((void (*)(struct handoff *))multiboot)(h);
	}
	h->page_tables = handoff.page_tables;
	h->stack_top = handoff.stack_top;
	h->nx = (uint64_t)handoff.nx;
	((void (*)(struct handoff *))native)(h);
	return EFI_UNSUPPORTED; /* not reached */
}
