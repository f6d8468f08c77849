/* run-setup.c: the command line wins over Cargo.toml, which wins over the defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cargo.h"
#include "run-options.h"
#include "run-setup.h"
#include "util.h"

#include <string.h>

static struct run_options o;
static struct cargo_config c;
static struct run_env e;
static struct run_setup s;

static int setup(void **state)
{
	(void)state;
	memset(&o, 0, sizeof o);
	o.target = "k.elf";
	o.timeout = -1;
	o.success_exit_code = -1;
	memset(&e, 0, sizeof e);
	return cargo_config_parse(&c, "Cargo.toml", "", 0);
}

static int teardown(void **state)
{
	(void)state;
	cargo_config_free(&c);
	return 0;
}

static void resolve(void)
{
	if (run_setup_resolve(&s, &o, &c, &e) != 0)
		fail_msg("refused: %s", mkb_error());
}

static void test_run_setup_defaults(void **state)
{
	(void)state;
	resolve();
	assert_int_equal(s.test, 0);
	assert_int_equal(s.headless, 1); /* no DISPLAY */
	assert_int_equal(s.watch, 1);
	assert_int_equal(s.no_reboot, 1);
	assert_int_equal(s.timeout, 0);
	assert_int_equal(s.success_exit_code, 33);
	assert_string_equal(s.qemu, "qemu-system-x86_64");
	assert_string_equal(s.machine, "q35");
	assert_int_equal(s.memory_mib, 256);
	assert_string_equal(s.accel, "tcg");
	e.display = 1;
	resolve();
	assert_int_equal(s.headless, 0);
	assert_int_equal(s.watch, 0);
	assert_int_equal(s.no_reboot, 0); /* with a window, a reset reboots as on a PC */
}

static void test_run_setup_test_mode(void **state)
{
	(void)state;
	e.display = 1;
	o.test = 1;
	resolve();
	assert_int_equal(s.test, 1);
	assert_int_equal(s.headless, 1);
	assert_int_equal(s.no_reboot, 1);
	assert_int_equal(s.timeout, 300);
	o.test = 0;
	e.test_binary = 1; /* a cargo test binary needs no --test */
	resolve();
	assert_int_equal(s.test, 1);
	o.gdb_port = 1234; /* waiting for a debugger is not a hang */
	resolve();
	assert_int_equal(s.timeout, 0);
	assert_int_equal(s.watch, 0);
}

static void test_run_setup_cargo_and_flags(void **state)
{
	const char *toml = "[package.metadata.bootimage]\ntest-timeout = 60\ntest-success-exit-code = 35\n"
	                   "test-no-reboot = false\nrun-command = [\"/opt/qemu\", \"-hda\", \"{}\"]\n";

	(void)state;
	cargo_config_free(&c);
	assert_int_equal(cargo_config_parse(&c, "Cargo.toml", toml, strlen(toml)), 0);
	o.test = 1;
	resolve();
	assert_int_equal(s.timeout, 60);
	assert_int_equal(s.success_exit_code, 35);
	assert_int_equal(s.no_reboot, 0);
	assert_string_equal(s.qemu, "/opt/qemu");
	o.timeout = 7;
	o.success_exit_code = 33;
	o.qemu = "qemu-system-x86_64";
	resolve();
	assert_int_equal(s.timeout, 7);
	assert_int_equal(s.success_exit_code, 33);
	assert_string_equal(s.qemu, "qemu-system-x86_64");
	o.test = 0;
	resolve();
	assert_int_equal(s.no_reboot, 1); /* test-no-reboot is for tests only */
}

static void test_run_setup_accel(void **state)
{
	(void)state;
	e.kvm_usable = 1;
	resolve();
	assert_string_equal(s.accel, "kvm");
	e.accel = "tcg";
	resolve();
	assert_string_equal(s.accel, "tcg");
	o.accel = RUN_ACCEL_AUTO; /* the flag wins over the environment */
	resolve();
	assert_string_equal(s.accel, "kvm");
	o.accel = RUN_ACCEL_TCG;
	resolve();
	assert_string_equal(s.accel, "tcg");
	e.kvm_usable = 0;
	o.accel = RUN_ACCEL_KVM;
	resolve();
	assert_string_equal(s.accel, "kvm"); /* asked for: QEMU will say why it cannot */
	o.accel = RUN_ACCEL_UNSET;
	e.accel = "xen";
	assert_int_equal(run_setup_resolve(&s, &o, &c, &e), -1);
	assert_string_equal(mkb_error(), "MKBOOTIMG_ACCEL: 'xen' is not auto, kvm or tcg");
}

/* --accel auto (or nothing) is a choice run announces; a given accelerator is not. */
static void test_run_setup_accel_chosen(void **state)
{
	(void)state;
	resolve();
	assert_int_equal(s.accel_chosen, 1);
	o.accel = RUN_ACCEL_AUTO;
	resolve();
	assert_int_equal(s.accel_chosen, 1);
	o.accel = RUN_ACCEL_TCG;
	resolve();
	assert_int_equal(s.accel_chosen, 0);
	o.accel = RUN_ACCEL_UNSET;
	e.accel = "kvm";
	resolve();
	assert_int_equal(s.accel_chosen, 0);
}

/* A display, but a QEMU that cannot open a window: headless, and said. */
static void test_run_setup_no_gui(void **state)
{
	(void)state;
	e.display = 1;
	e.no_gui = 1;
	resolve();
	assert_int_equal(s.headless, 1);
	assert_int_equal(s.watch, 1);
	assert_int_equal(s.no_gui_fallback, 1);
	o.headless = 1; /* asked for: nothing to fall back from */
	resolve();
	assert_int_equal(s.no_gui_fallback, 0);
	e.no_gui = 0;
	o.headless = 0;
	resolve();
	assert_int_equal(s.headless, 0);
}

static void test_run_setup_serial_smp_device(void **state)
{
	(void)state;
	resolve();
	assert_int_equal(s.serial, RUN_SERIAL_STDIO);
	assert_int_equal(s.smp, 0);
	assert_int_equal(s.read_only_disk, 0);
	o.serial = "none";
	o.smp = 2;
	e.block_device = 1;
	resolve();
	assert_int_equal(s.serial, RUN_SERIAL_NONE);
	assert_int_equal(s.smp, 2);
	assert_int_equal(s.read_only_disk, 1);
	o.serial = "com1.txt";
	resolve();
	assert_int_equal(s.serial, RUN_SERIAL_FILE);
	assert_string_equal(s.serial_file, "com1.txt");
}

static void test_run_setup_machine_memory(void **state)
{
	(void)state;
	o.machine = "pc";
	o.memory = 2 * MKB_GIB;
	resolve();
	assert_string_equal(s.machine, "pc");
	assert_int_equal(s.memory_mib, 2048);
}

/* --firmware, then MKBOOTIMG_FIRMWARE, then what a ready image boots on, then BIOS. */
static void test_run_setup_firmware(void **state)
{
	(void)state;
	resolve();
	assert_int_equal(s.firmware, RUN_FIRMWARE_BIOS);
	e.firmware = "uefi";
	resolve();
	assert_int_equal(s.firmware, RUN_FIRMWARE_UEFI);
	o.firmware = RUN_FIRMWARE_BIOS;
	resolve();
	assert_int_equal(s.firmware, RUN_FIRMWARE_BIOS);
	o.firmware = RUN_FIRMWARE_UNSET;
	e.firmware = "efi";
	assert_int_equal(run_setup_resolve(&s, &o, &c, &e), -1);
	assert_string_equal(mkb_error(), "MKBOOTIMG_FIRMWARE: 'efi' is not bios or uefi");
	e.firmware = "";
	resolve();
	assert_int_equal(s.firmware, RUN_FIRMWARE_BIOS);
}

static void test_run_setup_firmware_of_image(void **state)
{
	(void)state;
	o.target = "d.img";
	e.image_known = 1;
	e.image.bios = e.image.uefi = 1; /* hybrid: BIOS unless asked, which is faster */
	resolve();
	assert_int_equal(s.firmware, RUN_FIRMWARE_BIOS);
	assert_int_equal(s.firmware_from_image, 0);
	e.image.bios = 0; /* --firmware uefi: nothing else would boot it */
	resolve();
	assert_int_equal(s.firmware, RUN_FIRMWARE_UEFI);
	assert_int_equal(s.firmware_from_image, 1);
	o.firmware = RUN_FIRMWARE_BIOS;
	assert_int_equal(run_setup_resolve(&s, &o, &c, &e), -1);
	assert_string_equal(mkb_error(), "d.img: this image has no BIOS loader (it was made with --firmware uefi), "
	                    "and --firmware asks for BIOS: run it with --firmware uefi, or make the image with "
	                    "--firmware hybrid (the default)");
	o.firmware = RUN_FIRMWARE_UNSET;
	e.firmware = "uefi";
	e.image.bios = 1;
	e.image.uefi = 0; /* --firmware bios */
	assert_int_equal(run_setup_resolve(&s, &o, &c, &e), -1);
	assert_string_equal(mkb_error(), "d.img: this image has no UEFI loader (it was made with --firmware bios), "
	                    "and MKBOOTIMG_FIRMWARE=uefi asks for UEFI: run it with --firmware bios, or make the "
	                    "image with --firmware hybrid (the default)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_run_setup_firmware, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_setup_firmware_of_image, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_setup_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_setup_test_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_setup_cargo_and_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_setup_accel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_setup_machine_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_setup_accel_chosen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_setup_no_gui, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_setup_serial_smp_device, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
