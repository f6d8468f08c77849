/*
 * The UEFI front-end: BOOTX64.EFI, a PE32+ EFI application built from the
 * loader core and this folder (see bootloader/README.md).
 *
 * A first step: it says what it is and returns to the firmware.
 */
#include "efi.h"

efi_status efi_main(efi_handle image, struct efi_system_table *st);

efi_status efi_main(efi_handle image, struct efi_system_table *st)
{
	(void)image;
	st->con_out->output_string(st->con_out, u"mkbootimg: the UEFI loader is not written yet.\r\n");
	return EFI_UNSUPPORTED;
}
