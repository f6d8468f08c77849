/*
 * The loaders, embedded so that build/mkbootimg is one self-contained file.
 * MKB_LOADER_BIN (from tool.mk) is the path of loader.bin: stage 1, then
 * stage 2 in whole sectors; MKB_UEFI_LOADER the path of BOOTX64.EFI, which
 * the GPT layouts put in their ESP.
 */
	.section .rodata
	.balign 16
	.globl mkb_loader_bin
	.globl mkb_loader_bin_end
	.type mkb_loader_bin, @object
mkb_loader_bin:
	.incbin MKB_LOADER_BIN
mkb_loader_bin_end:
	.size mkb_loader_bin, mkb_loader_bin_end - mkb_loader_bin

	.balign 16
	.globl mkb_uefi_loader
	.globl mkb_uefi_loader_end
	.type mkb_uefi_loader, @object
mkb_uefi_loader:
	.incbin MKB_UEFI_LOADER
mkb_uefi_loader_end:
	.size mkb_uefi_loader, mkb_uefi_loader_end - mkb_uefi_loader

	/* No executable stack for the tool. */
	.section .note.GNU-stack,"",@progbits
