/*
 * The platform interface (core/platform.h) on UEFI, but for reading
 * (disk.c) and allocating (memory.c): pointers that are addresses (the
 * firmware identity-maps memory), the log, and the machine's facts: CPU
 * features and the firmware's configuration tables.
 */
#include <mkbootimg/protocol.h>

#include "uefi.h"
#include "../entropy.h"

void *platform_pointer(uint64_t address, uint64_t bytes)
{
	if (bytes > UINT64_MAX - address)
		return 0;
	return (void *)(uintptr_t)address;
}

void platform_log(const char *line)
{
	print("%s\n", line);
}

int guid_equal(const struct efi_guid *a, const struct efi_guid *b)
{
	const uint8_t *x = (const void *)a, *y = (const void *)b;

	for (size_t i = 0; i < sizeof *a; i++)
		if (x[i] != y[i])
			return 0;
	return 1;
}

static void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

/* The configuration table's entry for guid, or 0. */
static uint64_t table(const struct efi_guid *guid)
{
	for (uint64_t i = 0; i < st->number_of_table_entries; i++)
		if (guid_equal(&st->configuration_table[i].vendor_guid, guid))
			return (uintptr_t)st->configuration_table[i].vendor_table;
	return 0;
}

/* An RSDP whose ACPI 1.0 part sums to 0 (the firmware's table, but the
 * kernel is promised checked checksums). */
static uint64_t checked_rsdp(uint64_t address)
{
	const uint8_t *p = (const void *)(uintptr_t)address;
	uint8_t sum = 0;

	if (!address)
		return 0;
	for (int i = 0; i < 20; i++)
		sum = (uint8_t)(sum + p[i]);
	return sum ? 0 : address;
}

/* The trampoline switches CR3 to 4-level tables (the core's): under
 * 5-level paging that would crash, and LA57 cannot change while paging is on. */
static void refuse_five_level_paging(void)
{
	uint64_t cr4;

	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	if (cr4 & (1 << 12)) /* LA57 */
		fatal("the firmware runs with 5-level paging (CR4.LA57), which the loader's\n"
		      "4-level page tables cannot replace. Turn 5-level paging off in the firmware setup.");
}

void platform_facts(struct boot_facts *f)
{
	static const struct efi_guid acpi20 = EFI_ACPI_20_TABLE_GUID, acpi10 = EFI_ACPI_10_TABLE_GUID;
	static const struct efi_guid smbios3 = EFI_SMBIOS3_TABLE_GUID, smbios = EFI_SMBIOS_TABLE_GUID;
	uint32_t a, b, c, d;

	refuse_five_level_paging();
	cpuid(0x80000000, &a, &b, &c, &d);
	if (a >= 0x80000001) {
		cpuid(0x80000001, &a, &b, &c, &d);
		f->long_mode = (d >> 29) & 1;
		f->nx = (d >> 20) & 1;
		f->gib_pages = (d >> 26) & 1;
	}
	f->entropy = entropy_gather();
	f->rsdp = checked_rsdp(table(&acpi20));
	if (!f->rsdp)
		f->rsdp = checked_rsdp(table(&acpi10));
	f->smbios = table(&smbios3);
	if (!f->smbios)
		f->smbios = table(&smbios);
}
