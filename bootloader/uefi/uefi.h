/*
 * The UEFI front-end's internals: BOOTX64.EFI, a PE32+ application built
 * with clang for the firmware's (Microsoft x64) calling convention. The
 * firmware identity-maps memory, so a physical address is a pointer.
 */
#ifndef MKB_UEFI_H
#define MKB_UEFI_H

#include <stddef.h>
#include <stdint.h>

#include "boot.h"
#include "core.h"
#include "efi.h"
#include "handoff.h"
#include "platform.h"
#include "say.h"

/* main.c: the firmware's tables, for every file */
extern struct efi_system_table *st;
extern struct efi_boot_services *bs;
extern int boot_services_exited;

int guid_equal(const struct efi_guid *a, const struct efi_guid *b);

/* console.c: say_write (common/say.h) on ConOut while boot services last, COM1 after */

/* disk.c: the boot disk, and platform_read */
/* The whole disk the loader was loaded from; its size in 512-byte sectors. */
void disk_open(efi_handle image, uint64_t *sectors);
/* Where the manifest starts: LBA 34 when it is there, else after stage 2. */
uint64_t disk_manifest_lba(void);

/* memory.c: the memory map, allocations, ExitBootServices */
/* Pages of EFI_LOADER_DATA (or code) ending at or below limit; 0 on failure. */
uint64_t allocate_pages(uint64_t pages, uint64_t limit, uint32_t type);
/* The firmware's map now, converted (conventional memory usable, the rest
 * as its type says) into the facts' map. */
void memory_read_map(struct boot_facts *f);
/* The map's buffer moved to pages allocated after core_load, which avoid
 * every range platform_reserve kept out: a segment's virtual range below
 * 4 GiB takes over the identity map there, where the kernel reads it. */
void memory_move_map(void);
/* ExitBootServices with the final map, converted into the facts; what the
 * kernel's map shows of the loader's own. Failing, it halts. */
void memory_exit(efi_handle image, struct boot_facts *f);

/* video.c: GOP */
/* The current mode's framebuffer's end (0: no GOP), before the core runs. */
uint64_t video_screen_end(void);
/* The mode closest to width x height (0: keep the current one), described;
 * set before the core runs, so video_screen_end is the mode's own. */
void video_set_mode(uint32_t width, uint32_t height, struct mkbootimg_framebuffer *fb);

/* platform.c: CPU features and the firmware's configuration tables */
void platform_facts(struct boot_facts *f);

/* entry.S: the trampoline, copied below 4 GiB before it runs */
extern const char trampoline_start[], trampoline_multiboot[], trampoline_end[];
/* entry.S: the APs' start-up code (smp/trampoline.asm), copied below 1 MiB by the core */
extern const char smp_trampoline[], smp_trampoline_end[];

struct handoff {
	uint64_t gdt[4];
	uint16_t pad0[3];
	uint16_t gdt_limit;
	uint64_t gdt_base;
	uint16_t pad1[3];
	uint16_t idt_limit;
	uint64_t idt_base;
	uint64_t page_tables, entry, stack_top, info, nx, magic;
	uint64_t code_sel, data_sel, rsi;
};
_Static_assert(offsetof(struct handoff, gdt) == H_GDT && offsetof(struct handoff, gdt_limit) == H_GDTR &&
	       offsetof(struct handoff, idt_limit) == H_IDTR &&
	       offsetof(struct handoff, page_tables) == H_PAGE_TABLES && offsetof(struct handoff, entry) == H_ENTRY &&
	       offsetof(struct handoff, stack_top) == H_STACK_TOP && offsetof(struct handoff, info) == H_INFO &&
	       offsetof(struct handoff, nx) == H_NX && offsetof(struct handoff, magic) == H_MAGIC &&
	       offsetof(struct handoff, code_sel) == H_CODE_SEL && offsetof(struct handoff, data_sel) == H_DATA_SEL &&
	       offsetof(struct handoff, rsi) == H_RSI &&
	       sizeof(struct handoff) == H_SIZE, "handoff.h describes struct handoff");

#endif
