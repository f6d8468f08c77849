/*
 * The parts of the UEFI specification (2.10) the loader uses, in this
 * project's spelling; each name the specification gives is in a comment.
 * Only the members the loader calls are typed; the others are placeholders
 * that keep the offsets (void pointers: every member of these tables is a
 * pointer or a 64-bit value).
 */
#ifndef MKB_UEFI_EFI_H
#define MKB_UEFI_EFI_H

#include <stddef.h>
#include <stdint.h>

/* The firmware calls and is called with the Microsoft x64 convention. */
#define EFIAPI __attribute__((ms_abi))

typedef uint64_t efi_status; /* EFI_STATUS */
typedef void *efi_handle;    /* EFI_HANDLE */
typedef void *efi_event;     /* EFI_EVENT */
typedef uint16_t char16;     /* CHAR16 */

#define EFI_ERROR_BIT (UINT64_C(1) << 63)
#define EFI_SUCCESS 0
#define EFI_INVALID_PARAMETER (EFI_ERROR_BIT | 2)
#define EFI_UNSUPPORTED (EFI_ERROR_BIT | 3)
#define EFI_BUFFER_TOO_SMALL (EFI_ERROR_BIT | 5)
#define EFI_NOT_FOUND (EFI_ERROR_BIT | 14)

struct efi_guid { /* EFI_GUID */
	uint32_t data1;
	uint16_t data2, data3;
	uint8_t data4[8];
};

struct efi_table_header { /* EFI_TABLE_HEADER */
	uint64_t signature;
	uint32_t revision;
	uint32_t header_size;
	uint32_t crc32;
	uint32_t reserved;
};

#define EFI_SYSTEM_TABLE_SIGNATURE UINT64_C(0x5453595320494249) /* "IBI SYST" */

/* EFI_SIMPLE_TEXT_OUTPUT_PROTOCOL */
struct efi_text_output {
	void *reset;
	efi_status(EFIAPI *output_string)(struct efi_text_output *self, const char16 *s); /* OutputString */
};

/* EFI_SIMPLE_TEXT_INPUT_PROTOCOL */
struct efi_text_input {
	void *reset;
	void *read_key_stroke;
	efi_event wait_for_key; /* WaitForKey */
};

/* EFI_MEMORY_TYPE */
enum {
	EFI_RESERVED_MEMORY = 0,          /* EfiReservedMemoryType */
	EFI_LOADER_CODE = 1,              /* EfiLoaderCode */
	EFI_LOADER_DATA = 2,              /* EfiLoaderData */
	EFI_BOOT_SERVICES_CODE = 3,       /* EfiBootServicesCode */
	EFI_BOOT_SERVICES_DATA = 4,       /* EfiBootServicesData */
	EFI_RUNTIME_SERVICES_CODE = 5,    /* EfiRuntimeServicesCode */
	EFI_RUNTIME_SERVICES_DATA = 6,    /* EfiRuntimeServicesData */
	EFI_CONVENTIONAL_MEMORY = 7,      /* EfiConventionalMemory */
	EFI_UNUSABLE_MEMORY = 8,          /* EfiUnusableMemory */
	EFI_ACPI_RECLAIM_MEMORY = 9,      /* EfiACPIReclaimMemory */
	EFI_ACPI_MEMORY_NVS = 10,         /* EfiACPIMemoryNVS */
	EFI_MEMORY_MAPPED_IO = 11,        /* EfiMemoryMappedIO */
	EFI_MEMORY_MAPPED_IO_PORT = 12,   /* EfiMemoryMappedIOPortSpace */
	EFI_PAL_CODE = 13,                /* EfiPalCode */
	EFI_PERSISTENT_MEMORY = 14,       /* EfiPersistentMemory */
};

/* EFI_ALLOCATE_TYPE */
enum { EFI_ALLOCATE_ANY_PAGES = 0, EFI_ALLOCATE_MAX_ADDRESS = 1, EFI_ALLOCATE_ADDRESS = 2 };

/* EFI_MEMORY_DESCRIPTOR: step through a map by the size GetMemoryMap
 * returns, never by sizeof (OVMF's are 48 bytes). */
struct efi_memory_descriptor {
	uint32_t type;
	uint64_t physical_start;
	uint64_t virtual_start;
	uint64_t number_of_pages;
	uint64_t attribute;
};

/* EFI_LOCATE_SEARCH_TYPE */
enum { EFI_BY_PROTOCOL = 2 };

struct efi_device_path; /* EFI_DEVICE_PATH_PROTOCOL */

/* EFI_BOOT_SERVICES */
struct efi_boot_services {
	struct efi_table_header hdr;
	void *raise_tpl, *restore_tpl;
	efi_status(EFIAPI *allocate_pages)(uint32_t type, uint32_t memory_type, uint64_t pages,
					   uint64_t *address); /* AllocatePages */
	efi_status(EFIAPI *free_pages)(uint64_t address, uint64_t pages); /* FreePages */
	efi_status(EFIAPI *get_memory_map)(uint64_t *size, struct efi_memory_descriptor *map, uint64_t *key,
					   uint64_t *descriptor_size, uint32_t *version); /* GetMemoryMap */
	efi_status(EFIAPI *allocate_pool)(uint32_t type, uint64_t size, void **buffer); /* AllocatePool */
	void *free_pool;
	void *create_event, *set_timer;
	efi_status(EFIAPI *wait_for_event)(uint64_t count, efi_event *events, uint64_t *index); /* WaitForEvent */
	void *signal_event, *close_event, *check_event;
	void *install_protocol_interface, *reinstall_protocol_interface, *uninstall_protocol_interface;
	efi_status(EFIAPI *handle_protocol)(efi_handle handle, const struct efi_guid *protocol,
					    void **interface); /* HandleProtocol */
	void *reserved;
	void *register_protocol_notify, *locate_handle;
	efi_status(EFIAPI *locate_device_path)(const struct efi_guid *protocol, struct efi_device_path **path,
					       efi_handle *device); /* LocateDevicePath */
	void *install_configuration_table;
	void *load_image, *start_image, *exit, *unload_image;
	efi_status(EFIAPI *exit_boot_services)(efi_handle image, uint64_t map_key); /* ExitBootServices */
	void *get_next_monotonic_count, *stall;
	efi_status(EFIAPI *set_watchdog_timer)(uint64_t timeout, uint64_t code, uint64_t data_size,
					       const char16 *data); /* SetWatchdogTimer */
	void *connect_controller, *disconnect_controller;
	void *open_protocol, *close_protocol, *open_protocol_information;
	void *protocols_per_handle, *locate_handle_buffer;
	efi_status(EFIAPI *locate_protocol)(const struct efi_guid *protocol, void *registration,
					    void **interface); /* LocateProtocol */
};

/* EFI_CONFIGURATION_TABLE */
struct efi_configuration_table {
	struct efi_guid vendor_guid;
	void *vendor_table;
};

/* EFI_SYSTEM_TABLE */
struct efi_system_table {
	struct efi_table_header hdr;
	char16 *firmware_vendor;
	uint32_t firmware_revision;
	efi_handle console_in_handle;
	struct efi_text_input *con_in;       /* ConIn */
	efi_handle console_out_handle;
	struct efi_text_output *con_out;     /* ConOut */
	efi_handle standard_error_handle;
	struct efi_text_output *std_err;
	void *runtime_services;
	struct efi_boot_services *boot_services; /* BootServices */
	uint64_t number_of_table_entries;    /* NumberOfTableEntries */
	struct efi_configuration_table *configuration_table; /* ConfigurationTable */
};

/* EFI_LOADED_IMAGE_PROTOCOL (the members up to DeviceHandle) */
#define EFI_LOADED_IMAGE_GUID { 0x5b1b31a1, 0x9562, 0x11d2, { 0x8e, 0x3f, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b } }
struct efi_loaded_image {
	uint32_t revision;
	efi_handle parent_handle;
	struct efi_system_table *system_table;
	efi_handle device_handle; /* DeviceHandle: the volume the image was loaded from */
};

/* EFI_DEVICE_PATH_PROTOCOL: nodes of type, subtype and length (bytes,
 * this header included), up to an end node. */
#define EFI_DEVICE_PATH_GUID { 0x09576e91, 0x6d3f, 0x11d2, { 0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b } }
struct efi_device_path {
	uint8_t type, subtype;
	uint8_t length[2];
};
#define EFI_MEDIA_DEVICE_PATH 4  /* MEDIA_DEVICE_PATH: HD(), CDROM(), file paths */
#define EFI_END_DEVICE_PATH 0x7f /* END_DEVICE_PATH_TYPE */
#define EFI_END_ENTIRE_DEVICE_PATH 0xff /* END_ENTIRE_DEVICE_PATH_SUBTYPE */

/* EFI_BLOCK_IO_PROTOCOL and its EFI_BLOCK_IO_MEDIA */
#define EFI_BLOCK_IO_GUID { 0x964e5b21, 0x6459, 0x11d2, { 0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b } }
struct efi_block_io_media {
	uint32_t media_id;       /* MediaId */
	uint8_t removable_media, media_present, logical_partition, read_only, write_caching;
	uint32_t block_size;     /* BlockSize */
	uint32_t io_align;
	uint64_t last_block;     /* LastBlock */
};
struct efi_block_io {
	uint64_t revision;
	struct efi_block_io_media *media; /* Media */
};

/* EFI_DISK_IO_PROTOCOL: reads at byte offsets, whatever the block size */
#define EFI_DISK_IO_GUID { 0xce345171, 0xba0b, 0x11d2, { 0x8e, 0x4f, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b } }
struct efi_disk_io {
	uint64_t revision;
	efi_status(EFIAPI *read_disk)(struct efi_disk_io *self, uint32_t media_id, uint64_t offset,
				      uint64_t size, void *buffer); /* ReadDisk */
};

/* EFI_GRAPHICS_OUTPUT_PROTOCOL */
#define EFI_GRAPHICS_OUTPUT_GUID { 0x9042a9de, 0x23dc, 0x4a38, { 0x96, 0xfb, 0x7a, 0xde, 0xd0, 0x80, 0x51, 0x6a } }
enum { /* EFI_GRAPHICS_PIXEL_FORMAT */
	EFI_PIXEL_RGB8 = 0,  /* PixelRedGreenBlueReserved8BitPerColor */
	EFI_PIXEL_BGR8 = 1,  /* PixelBlueGreenRedReserved8BitPerColor */
	EFI_PIXEL_MASK = 2,  /* PixelBitMask */
	EFI_PIXEL_BLT_ONLY = 3, /* PixelBltOnly: no framebuffer */
};
struct efi_pixel_bitmask { /* EFI_PIXEL_BITMASK */
	uint32_t red, green, blue, reserved;
};
struct efi_gop_mode_info { /* EFI_GRAPHICS_OUTPUT_MODE_INFORMATION */
	uint32_t version;
	uint32_t horizontal_resolution, vertical_resolution;
	uint32_t pixel_format;
	struct efi_pixel_bitmask pixel_information;
	uint32_t pixels_per_scan_line; /* PixelsPerScanLine */
};
struct efi_gop_mode { /* EFI_GRAPHICS_OUTPUT_PROTOCOL_MODE */
	uint32_t max_mode, mode;
	struct efi_gop_mode_info *info;
	uint64_t size_of_info;
	uint64_t frame_buffer_base; /* FrameBufferBase */
	uint64_t frame_buffer_size; /* FrameBufferSize */
};
struct efi_gop {
	efi_status(EFIAPI *query_mode)(struct efi_gop *self, uint32_t mode, uint64_t *size,
				       struct efi_gop_mode_info **info); /* QueryMode */
	efi_status(EFIAPI *set_mode)(struct efi_gop *self, uint32_t mode); /* SetMode */
	void *blt;
	struct efi_gop_mode *mode; /* Mode */
};

/* Configuration table entries (EFI_ACPI_20_TABLE_GUID, ACPI_TABLE_GUID,
 * SMBIOS3_TABLE_GUID, SMBIOS_TABLE_GUID) */
#define EFI_ACPI_20_TABLE_GUID { 0x8868e871, 0xe4f1, 0x11d3, { 0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81 } }
#define EFI_ACPI_10_TABLE_GUID { 0xeb9d2d30, 0x2d88, 0x11d3, { 0x9a, 0x16, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d } }
#define EFI_SMBIOS3_TABLE_GUID { 0xf2fd1544, 0x9794, 0x4a2c, { 0x99, 0x2e, 0xe5, 0xbb, 0xcf, 0x20, 0xe3, 0x94 } }
#define EFI_SMBIOS_TABLE_GUID  { 0xeb9d2d31, 0x2d88, 0x11d3, { 0x9a, 0x16, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d } }

#endif
