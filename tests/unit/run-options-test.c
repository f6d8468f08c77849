/* run-options.c: the command line of `mkbootimg run`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "run-options.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

#define MAX_ARGS 32

/* Parse words (NULL-terminated after "run"); returns run_options_parse's result. */
static int parse(struct run_options *o, const char *const *words)
{
	static char *argv[MAX_ARGS + 2];
	static char storage[MAX_ARGS][128];
	int argc = 0;

	argv[argc++] = (char *)"mkbootimg run";
	for (; *words != NULL && argc <= MAX_ARGS; words++, argc++) {
		snprintf(storage[argc - 1], sizeof storage[0], "%s", *words);
		argv[argc] = storage[argc - 1];
	}
	argv[argc] = NULL;
	return run_options_parse(o, argc, argv);
}

#define PARSE(o, ...) parse(o, (const char *const[]){ __VA_ARGS__, NULL })

static void test_run_options_defaults(void **state)
{
	struct run_options o;

	(void)state;
	assert_int_equal(PARSE(&o, "kernel.elf"), 0);
	assert_string_equal(o.target, "kernel.elf");
	assert_int_equal(o.qemu_arg_count, 0);
	assert_int_equal(o.test, 0);
	assert_int_equal(o.timeout, -1);
	assert_int_equal(o.success_exit_code, -1);
	assert_null(o.machine);
	assert_int_equal(o.memory, 0);
	assert_int_equal(o.accel, RUN_ACCEL_UNSET);
	assert_null(o.qemu);
	assert_int_equal(o.gdb_port, 0);
	assert_int_equal(o.headless + o.verbose + o.quiet + o.dry_run + o.help, 0);
}

static void test_run_options_all(void **state)
{
	struct run_options o;

	(void)state;
	assert_int_equal(PARSE(&o, "--test", "--timeout", "5", "--success-exit-code", "35", "--machine", "pc",
	                       "--memory", "1G", "--accel", "kvm", "--qemu", "/opt/qemu", "--gdb=4321",
	                       "--headless", "--cmdline", "a b", "--stack-size", "1M", "-v", "-q",
	                       "--dry-run", "k.elf"), 0);
	assert_int_equal(o.test, 1);
	assert_int_equal(o.timeout, 5);
	assert_int_equal(o.success_exit_code, 35);
	assert_string_equal(o.machine, "pc");
	assert_int_equal(o.memory, MKB_GIB);
	assert_int_equal(o.accel, RUN_ACCEL_KVM);
	assert_string_equal(o.qemu, "/opt/qemu");
	assert_int_equal(o.gdb_port, 4321);
	assert_int_equal(o.headless, 1);
	assert_string_equal(o.plan.cmdline, "a b");
	assert_int_equal(o.plan.stack_size, MKB_MIB);
	assert_int_equal(o.verbose, 1);
	assert_int_equal(o.quiet, 1);
	assert_int_equal(o.dry_run, 1);
	assert_string_equal(o.target, "k.elf");
}

/* Options may follow the target; only what follows "--" goes to QEMU. */
static void test_run_options_qemu_args(void **state)
{
	struct run_options o;

	(void)state;
	assert_int_equal(PARSE(&o, "k.elf", "--test", "--", "-debugcon", "file:x", "--test", "--"), 0);
	assert_int_equal(o.test, 1);
	assert_string_equal(o.target, "k.elf");
	assert_int_equal(o.qemu_arg_count, 4);
	assert_string_equal(o.qemu_args[0], "-debugcon");
	assert_string_equal(o.qemu_args[1], "file:x");
	assert_string_equal(o.qemu_args[2], "--test");
	assert_string_equal(o.qemu_args[3], "--");
	/* cargo test --quiet appends --quiet after the binary */
	assert_int_equal(PARSE(&o, "deps/k-123", "--quiet"), 0);
	assert_int_equal(o.quiet, 1);
	assert_int_equal(o.qemu_arg_count, 0);
}

static void test_run_options_gdb_default(void **state)
{
	struct run_options o;

	(void)state;
	assert_int_equal(PARSE(&o, "--gdb", "k.elf"), 0);
	assert_int_equal(o.gdb_port, RUN_GDB_SOCKET);
	assert_string_equal(o.target, "k.elf"); /* --gdb takes no separate argument */
	assert_int_equal(PARSE(&o, "--timeout", "0", "k.elf"), 0);
	assert_int_equal(o.timeout, 0);
	assert_int_equal(PARSE(&o, "--accel", "auto", "--memory", "64M", "k.elf"), 0);
	assert_int_equal(o.accel, RUN_ACCEL_AUTO);
	assert_int_equal(o.memory, 64 * MKB_MIB);
	/* A plain number is MiB, as QEMU's -m reads it. */
	assert_int_equal(PARSE(&o, "--memory", "600", "k.elf"), 0);
	assert_int_equal(o.memory, 600 * MKB_MIB);
	assert_int_equal(PARSE(&o, "--smp", "4", "--serial", "out.txt", "k.elf"), 0);
	assert_int_equal(o.smp, 4);
	assert_string_equal(o.serial, "out.txt");
	assert_int_equal(PARSE(&o, "-h"), 0);
	assert_int_equal(o.help, 1);
}

/* message NULL: getopt_long has printed the reason, and the parser says so (MKB_REPORTED). */
static void expect_usage_error(const char *const *words, const char *message)
{
	struct run_options o;
	int rc = parse(&o, words);

	if (rc == 0)
		fail_msg("accepted: %s ...", words[0]);
	if (message != NULL) {
		assert_int_equal(rc, -1);
		assert_string_equal(mkb_error(), message);
	} else {
		assert_int_equal(rc, MKB_REPORTED);
	}
	run_options_free(&o);
}

#define BAD(message, ...) expect_usage_error((const char *const[]){ __VA_ARGS__, NULL }, message)

static void test_run_options_errors(void **state)
{
	(void)state;
	BAD("no kernel or image given", "--test");
	BAD("no kernel or image given", "--", "k.elf");
	BAD("too many arguments: 'b' (QEMU arguments go after --)", "a", "b");
	BAD("--timeout: '5s' is not a number of seconds", "--timeout", "5s", "k");
	BAD("--timeout: '-1' is not a number of seconds", "--timeout", "-1", "k");
	BAD("--success-exit-code: '256' is not an exit status (0..255)", "--success-exit-code", "256", "k");
	BAD("--success-exit-code: 'x' is not an exit status (0..255)", "--success-exit-code", "x", "k");
	BAD("--machine: 'isapc' is not pc or q35", "--machine", "isapc", "k");
	BAD("--memory: '1000000K' is not a whole number of MiB (for example 256M or 1G)", "--memory", "1000000K", "k");
	BAD("--memory: '0' is not a whole number of MiB (for example 256M or 1G)", "--memory", "0", "k");
	BAD("--smp: '0' is not a number of CPUs (1..255)", "--smp", "0", "k");
	BAD("--smp: 'two' is not a number of CPUs (1..255)", "--smp", "two", "k");
	BAD("--serial: give a FILE, stdio or none", "--serial", "", "k");
	BAD("--memory: invalid size '1T' (use bytes, or a number followed by K, M or G)", "--memory", "1T", "k");
	BAD("--accel: 'hvf' is not auto, kvm or tcg", "--accel", "hvf", "k");
	BAD("--gdb: '0' is not a TCP port (1..65535)", "--gdb=0", "k");
	BAD("--gdb: '65536' is not a TCP port (1..65535)", "--gdb=65536", "k");
	BAD("--stack-size: 4K is outside 64K..1G", "--stack-size", "4K", "k");
	BAD("--module: '=x' names no file (FILE or FILE=STRING)", "--module", "=x", "k");
	BAD("--framebuffer: 12 bits per pixel is not 8, 15, 16, 24 or 32", "--framebuffer", "1024x768x12", "k");
	BAD("--firmware efi: not bios, hybrid or uefi", "--firmware", "efi", "k");
	BAD(NULL, "--bogus", "k"); /* getopt has printed the reason */
	BAD(NULL, "k", "--timeout");
}

/* Everything a kernel's image takes, in the options build_image reads. */
static void test_run_options_image(void **state)
{
	struct run_options o;

	(void)state;
	assert_int_equal(PARSE(&o, "--module", "initrd=root=ram", "k.elf", "--module", "font.psf",
	                       "--framebuffer", "800x600x32"), 0);
	assert_int_equal(o.plan.module_count, 2);
	assert_string_equal(o.plan.modules[0].path, "initrd");
	assert_string_equal(o.plan.modules[0].string, "root=ram");
	assert_string_equal(o.plan.modules[1].path, "font.psf");
	assert_string_equal(o.plan.modules[1].string, "");
	assert_int_equal(o.plan.framebuffer_given, 1);
	assert_int_equal(o.plan.framebuffer.width, 800);
	assert_int_equal(o.plan.framebuffer.height, 600);
	assert_int_equal(o.plan.framebuffer.bpp, 32);
	run_options_free(&o);
	assert_int_equal(o.plan.module_count, 0);
	assert_int_equal(PARSE(&o, "--framebuffer", "0", "k.elf"), 0);
	assert_int_equal(o.plan.framebuffer_given, 1);
	assert_int_equal(o.plan.framebuffer.bpp, 0);
}

static void test_run_options_firmware(void **state)
{
	struct run_options o;

	(void)state;
	assert_int_equal(PARSE(&o, "k.elf"), 0);
	assert_int_equal(o.firmware, RUN_FIRMWARE_UNSET);
	assert_int_equal(o.firmware_given, 0);
	assert_int_equal(PARSE(&o, "--firmware", "uefi", "k.elf"), 0);
	assert_int_equal(o.firmware, RUN_FIRMWARE_UEFI);
	assert_int_equal(o.plan.layout, IMAGE_LAYOUT_UEFI); /* a kernel's image: UEFI only */
	assert_int_equal(PARSE(&o, "--firmware=bios", "k.elf"), 0);
	assert_int_equal(o.firmware, RUN_FIRMWARE_BIOS);
	assert_int_equal(o.plan.layout, IMAGE_LAYOUT_BIOS);
	assert_int_equal(PARSE(&o, "--firmware", "hybrid", "k.elf"), 0);
	assert_int_equal(o.firmware, RUN_FIRMWARE_UNSET); /* the layout that boots on both */
	assert_int_equal(o.firmware_given, 1);
	run_options_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_options_firmware),
		cmocka_unit_test(test_run_options_defaults),
		cmocka_unit_test(test_run_options_all),
		cmocka_unit_test(test_run_options_qemu_args),
		cmocka_unit_test(test_run_options_gdb_default),
		cmocka_unit_test(test_run_options_errors),
		cmocka_unit_test(test_run_options_image),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
