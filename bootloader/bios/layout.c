/*
 * The numbers the assembly and the linker script share with the C code,
 * taken from the C headers so that there is one source for each. Never
 * linked: the build compiles this file to assembly (gcc -S, with stage 2's
 * flags, so offsets are those of the -m16 ABI), and each DEFINE leaves a
 * line "->NAME value" there, which it turns into layout.inc (NASM: entry.asm,
 * stage1.asm) and layout.ld (stage2.ld). See bootloader.mk.
 */
#include <stddef.h>

#include <mkbootimg/image.h>

#include "bios.h"
#include "linux.h"

#define DEFINE(name, value) __asm__ volatile("\n.ascii \"->" #name " %c0\"" : : "i"(value))

/* stage2.ld writes struct mkb_stage2_header as LONG, SHORT, SHORT, then the
 * loader's name from entry.asm: the struct must be laid out that way. */
_Static_assert(offsetof(struct mkb_stage2_header, magic) == 0, "stage 2 header: magic at 0");
_Static_assert(offsetof(struct mkb_stage2_header, sectors) == 4, "stage 2 header: sectors at 4");
_Static_assert(offsetof(struct mkb_stage2_header, version) == 6, "stage 2 header: version at 6");
_Static_assert(offsetof(struct mkb_stage2_header, loader_version) == 8, "stage 2 header: name at 8");
_Static_assert(sizeof(((struct mkb_stage2_header *)0)->sectors) == 2, "stage 2 header: 16-bit sectors");

void layout(void);
void layout(void)
{
	/* Stage 1 and stage 2's header (include/mkbootimg/image.h, bios.h) */
	DEFINE(STAGE2_LBA, MKB_STAGE2_LBA);
	DEFINE(STAGE2_BASE, STAGE2_BASE);
	DEFINE(STAGE2_HEADER_SIZE, sizeof(struct mkb_stage2_header));
	DEFINE(STAGE2_MAGIC, MKB_STAGE2_MAGIC);
	DEFINE(STAGE2_VERSION, MKB_MANIFEST_VERSION);
	DEFINE(LOADER_NAME_MAX, MKB_LOADER_NAME_MAX);
	DEFINE(LOW_STACK_TOP, LOW_STACK_TOP);
	DEFINE(BSS_BASE, BSS_BASE);
	DEFINE(LINUX_REAL_STACK, LINUX_REAL_STACK);

	/* struct bios_regs (bios_call) */
	DEFINE(REGS_EAX, offsetof(struct bios_regs, eax));
	DEFINE(REGS_EBX, offsetof(struct bios_regs, ebx));
	DEFINE(REGS_ECX, offsetof(struct bios_regs, ecx));
	DEFINE(REGS_EDX, offsetof(struct bios_regs, edx));
	DEFINE(REGS_ESI, offsetof(struct bios_regs, esi));
	DEFINE(REGS_EDI, offsetof(struct bios_regs, edi));
	DEFINE(REGS_EBP, offsetof(struct bios_regs, ebp));
	DEFINE(REGS_EFLAGS, offsetof(struct bios_regs, eflags));
	DEFINE(REGS_DS, offsetof(struct bios_regs, ds));
	DEFINE(REGS_ES, offsetof(struct bios_regs, es));

	/* struct core_handoff (enter_kernel, enter_multiboot) */
	DEFINE(HANDOFF_MAGIC, offsetof(struct core_handoff, magic));
	DEFINE(HANDOFF_ENTRY, offsetof(struct core_handoff, entry));
	DEFINE(HANDOFF_INFO, offsetof(struct core_handoff, info));
	DEFINE(HANDOFF_PAGE_TABLES, offsetof(struct core_handoff, page_tables));
	DEFINE(HANDOFF_STACK_TOP, offsetof(struct core_handoff, stack_top));
	DEFINE(HANDOFF_NX, offsetof(struct core_handoff, nx));
}
