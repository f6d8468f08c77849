/*
 * The parts of the UEFI specification (2.10) the loader uses, named as
 * the specification names them, in this project's spelling. Only the
 * members the loader calls are typed; the others are placeholders that
 * keep the offsets.
 */
#ifndef MKB_UEFI_EFI_H
#define MKB_UEFI_EFI_H

#include <stddef.h>
#include <stdint.h>

#define EFIAPI __attribute__((ms_abi))

typedef uint64_t efi_status;
typedef void *efi_handle;
typedef uint16_t char16;

#define EFI_ERROR_BIT (UINT64_C(1) << 63)
#define EFI_SUCCESS 0
#define EFI_UNSUPPORTED (EFI_ERROR_BIT | 3)

struct efi_table_header {
	uint64_t signature;
	uint32_t revision;
	uint32_t header_size;
	uint32_t crc32;
	uint32_t reserved;
};

struct efi_simple_text_output {
	void *reset;
	efi_status(EFIAPI *output_string)(struct efi_simple_text_output *self, const char16 *s);
};

struct efi_system_table {
	struct efi_table_header hdr;
	char16 *firmware_vendor;
	uint32_t firmware_revision;
	efi_handle console_in_handle;
	void *con_in;
	efi_handle console_out_handle;
	struct efi_simple_text_output *con_out;
};

#endif
