/* com1-filter.c: OVMF's escape sequences and routine boot lines kept off the terminal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "com1-filter.h"

#include <string.h>

static char out[8192];

/* text through a fresh filter, in pieces of step bytes (0: at once). */
static const char *filtered(const char *text, size_t step, int keep)
{
	struct com1_filter f;
	size_t n = strlen(text), o = 0;

	com1_filter_init(&f, keep);
	if (step == 0)
		step = n ? n : 1;
	for (size_t i = 0; i < n; i += step) {
		size_t len = n - i < step ? n - i : step;
		o += com1_filter_feed(&f, text + i, len, out + o, 0);
	}
	o += com1_filter_feed(&f, "", 0, out + o, 1);
	out[o] = '\0';
	return out;
}

#define OVMF_START "\x1b[2J\x1b[01;01H\x1b[=3h\x1b[2J\x1b[01;01H"
#define DVD "BdsDxe: failed to load Boot0001 \"UEFI QEMU DVD-ROM QM00005 \" from PciRoot(0x0)/Pci(0x1F,0x2)" \
            "/Sata(0x2,0xFFFF,0x0): Not Found\r\n"
#define LOADING "BdsDxe: loading Boot0002 \"UEFI QEMU HARDDISK QM00001 \" from PciRoot(0x0)\r\n"
#define STARTING "BdsDxe: starting Boot0002 \"UEFI QEMU HARDDISK QM00001 \" from PciRoot(0x0)\r\n"

static void test_com1_filter_ovmf_boot(void **state)
{
	static const size_t steps[] = { 0, 1, 2, 3, 7, 64 };
	const char *boot = OVMF_START DVD LOADING STARTING "kernel: hello\r\nBdsDxe\n";

	(void)state;
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		assert_string_equal(filtered(boot, steps[i], 0), "kernel: hello\r\nBdsDxe\n");
	/* -v: the boot manager's lines stay, its escape sequences go all the same. */
	assert_string_equal(filtered(boot, 5, 1), DVD LOADING STARTING "kernel: hello\r\nBdsDxe\n");
}

static void test_com1_filter_keeps_failures(void **state)
{
	const char *none = "BdsDxe: No bootable option or device was found.\r\n";
	const char *failed = "BdsDxe: failed to load Boot0002 \"UEFI QEMU HARDDISK QM00001 \": Not Found\r\n";

	(void)state;
	assert_string_equal(filtered(none, 4, 0), none);
	assert_string_equal(filtered(failed, 0, 0), failed);
	/* A kernel's line that only starts like it, and one cut off at the end. */
	assert_string_equal(filtered("BdsDx: loading Boot\n", 1, 0), "BdsDx: loading Boot\n");
	assert_string_equal(filtered("BdsDxe: loading Boot0003", 1, 0), "");
	assert_string_equal(filtered("BdsDxe: mine", 1, 0), "BdsDxe: mine");
}

static void test_com1_filter_escapes(void **state)
{
	(void)state;
	assert_string_equal(filtered("a\x1b[1;33mb\x1b[0mc\x1b" "7d", 1, 0), "abcd");
	assert_string_equal(filtered("\x1b[=3hX", 0, 0), "X");
}

static void test_com1_strip_escapes(void **state)
{
	char text[] = OVMF_START "mkbootimg: no memory.\r\n\x1b[0mThe machine is halted.\r\n";

	(void)state;
	com1_strip_escapes(text);
	assert_string_equal(text, "mkbootimg: no memory.\r\nThe machine is halted.\r\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_com1_filter_ovmf_boot),
		cmocka_unit_test(test_com1_filter_keeps_failures),
		cmocka_unit_test(test_com1_filter_escapes),
		cmocka_unit_test(test_com1_strip_escapes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
