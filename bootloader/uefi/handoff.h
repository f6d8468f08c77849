/*
 * The hand-off block the trampoline (entry.S) reads: its layout as
 * numbers, for the assembly, and as a struct, for the C (uefi.h checks
 * that the two agree). It lies in the trampoline's page, below 4 GiB.
 */
#ifndef MKB_UEFI_HANDOFF_H
#define MKB_UEFI_HANDOFF_H

#define H_GDT 0x00          /* 4 descriptors: null, 64-bit code, data, 32-bit code; for
                               Linux: null, null, code (64- or 32-bit), data */
#define H_GDTR 0x26         /* lgdt operand: 16-bit limit, then the 64-bit base */
#define H_IDTR 0x36         /* lidt operand: a null IDT */
#define H_PAGE_TABLES 0x40  /* native: CR3 */
#define H_ENTRY 0x48        /* native: virtual; Multiboot: physical */
#define H_STACK_TOP 0x50    /* native: RSP before the null return address; Multiboot: ESP */
#define H_INFO 0x58         /* native: RDI; Multiboot: EBX */
#define H_NX 0x60           /* native: set EFER.NXE when not 0 */
#define H_MAGIC 0x68        /* Multiboot: EAX */
#define H_CODE_SEL 0x70     /* CS at the kernel's entry */
#define H_DATA_SEL 0x78     /* DS, ES, FS, GS, SS */
#define H_RSI 0x80          /* RSI (ESI): Linux's boot_params; 0 for the others */
#define H_SIZE 0x88

#define SEL_CODE64 0x08
#define SEL_DATA 0x10
#define SEL_CODE32 0x18
#define SEL_LINUX_CODE 0x10 /* boot.rst's __BOOT_CS and __BOOT_DS */
#define SEL_LINUX_DATA 0x18

#define TRAMPOLINE_DATA 0x800 /* the block's offset in the trampoline's page */

#endif
