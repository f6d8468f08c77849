/* qemu-command.c: the QEMU command line of a run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cargo.h"
#include "qemu-command.h"
#include "run-options.h"
#include "run-setup.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct run_options o;
static struct cargo_config c;
static struct run_setup s;
static struct qemu_command cmd;
static char line[4096];

static int setup(void **state)
{
	(void)state;
	memset(&o, 0, sizeof o);
	o.target = "k.elf";
	memset(&s, 0, sizeof s);
	s.qemu = "qemu-system-x86_64";
	s.machine = "q35";
	s.memory_mib = 256;
	s.accel = "tcg";
	return cargo_config_parse(&c, "Cargo.toml", "", 0);
}

static int teardown(void **state)
{
	(void)state;
	cargo_config_free(&c);
	return 0;
}

static void use_cargo(const char *toml)
{
	cargo_config_free(&c);
	if (cargo_config_parse(&c, "Cargo.toml", toml, strlen(toml)) != 0)
		fail_msg("%s", mkb_error());
}

/* The command for the files, its words joined by spaces. */
static const char *gdb_socket; /* qemu_files.gdb_socket of the next build */

static const char *build_with_log(const char *image, const char *socket, const char *com1_log)
{
	struct qemu_files f = { image, socket, com1_log, NULL, NULL, gdb_socket };
	size_t n = 0;

	if (qemu_command_build(&cmd, &s, &o, &c, &f) != 0)
		fail_msg("%s", mkb_error());
	assert_null(cmd.argv[cmd.argc]);
	line[0] = '\0';
	for (size_t i = 0; i < cmd.argc; i++)
		n += (size_t)snprintf(line + n, sizeof line - n, "%s%s", i ? " " : "", cmd.argv[i]);
	qemu_command_free(&cmd);
	return line;
}

static const char *build(const char *image, const char *socket)
{
	return build_with_log(image, socket, NULL);
}

static void test_qemu_command_window(void **state)
{
	(void)state;
	assert_string_equal(build("/tmp/d/kernel.img", NULL),
	                    "qemu-system-x86_64 -M q35 -m 256M -accel tcg -drive format=raw,file=/tmp/d/kernel.img "
	                    "-serial stdio");
}

static void test_qemu_command_test_mode(void **state)
{
	(void)state;
	s.test = s.headless = s.watch = s.no_reboot = 1;
	assert_string_equal(build("/tmp/d/kernel.img", "/tmp/d/qmp.sock"),
	                    "qemu-system-x86_64 -M q35 -m 256M -accel tcg -drive format=raw,file=/tmp/d/kernel.img "
	                    "-display none -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 -no-reboot "
	                    "-qmp unix:/tmp/d/qmp.sock,server=on,wait=off -S -no-shutdown");
}

static void test_qemu_command_user_args_last(void **state)
{
	char *args[] = { (char *)"-debugcon", (char *)"file:x.log" };

	(void)state;
	s.headless = 1;
	o.qemu_args = args;
	o.qemu_arg_count = 2;
	use_cargo("[package.metadata.bootimage]\nrun-args = [\"-cpu\", \"max\"]\ntest-args = [\"-smp\", \"2\"]\n");
	/* run-args without --test, a relative image path made safe from protocol prefixes */
	assert_string_equal(build("disk.img", NULL),
	                    "qemu-system-x86_64 -M q35 -m 256M -accel tcg -drive format=raw,file=./disk.img "
	                    "-display none -serial stdio -cpu max -debugcon file:x.log");
	s.test = 1;
	assert_non_null(strstr(build("disk.img", NULL), "iosize=0x04 -smp 2 -debugcon file:x.log"));
}

/* What the user gives is not added twice: a bootimage configuration works unchanged. */
static void test_qemu_command_no_duplicates(void **state)
{
	char *args[] = { (char *)"--machine", (char *)"pc", (char *)"-m", (char *)"1G", (char *)"-enable-kvm",
	                 (char *)"-nographic" };

	(void)state;
	s.test = s.headless = s.no_reboot = 1;
	use_cargo("[package.metadata.bootimage]\ntest-args = [\"-device\", \"isa-debug-exit,iobase=0xf4,iosize=0x04\","
	          " \"-serial\", \"stdio\", \"-display\", \"none\", \"-no-reboot\"]\n");
	assert_string_equal(build("/k.img", NULL),
	                    "qemu-system-x86_64 -M q35 -m 256M -accel tcg -drive format=raw,file=/k.img "
	                    "-device isa-debug-exit,iobase=0xf4,iosize=0x04 -serial stdio -display none -no-reboot");
	o.qemu_args = args;
	o.qemu_arg_count = 6;
	assert_string_equal(build("/k.img", NULL),
	                    "qemu-system-x86_64 -drive format=raw,file=/k.img "
	                    "-device isa-debug-exit,iobase=0xf4,iosize=0x04 -serial stdio -display none -no-reboot "
	                    "--machine pc -m 1G -enable-kvm -nographic");
}

/* A debug-exit device elsewhere is the user's; a different -device is not. */
static void test_qemu_command_other_device(void **state)
{
	char *args[] = { (char *)"-device", (char *)"virtio-rng-pci" };

	(void)state;
	s.test = 1;
	o.qemu_args = args;
	o.qemu_arg_count = 2;
	assert_non_null(strstr(build("/k.img", NULL), "-device isa-debug-exit,iobase=0xf4,iosize=0x04"));
}

static void test_qemu_command_run_command(void **state)
{
	(void)state;
	use_cargo("[package.metadata.bootimage]\nrun-command = [\"/opt/qemu\", \"-drive\", \"format=raw,file={}\", "
	          "\"-name\", \"{}-x\"]\n");
	s.qemu = "/opt/qemu";
	assert_string_equal(build("/t/a,b.img", NULL),
	                    "/opt/qemu -drive format=raw,file=/t/a,,b.img -name /t/a,,b.img-x "
	                    "-M q35 -m 256M -accel tcg -serial stdio");
}

static void test_qemu_command_gdb_and_commas(void **state)
{
	(void)state;
	s.gdb_port = 4321;
	s.headless = 1;
	assert_string_equal(build("/t/x,y/k.img", NULL),
	                    "qemu-system-x86_64 -M q35 -m 256M -accel tcg -drive format=raw,file=/t/x,,y/k.img "
	                    "-display none -serial stdio -gdb tcp:127.0.0.1:4321 -S");
	s.gdb_port = 0;
	assert_non_null(strstr(build("/k.img", "/t/a,b/qmp.sock"), "-qmp unix:/t/a,,b/qmp.sock,server=on,wait=off"));
}

/* --gdb without a port: QEMU's gdbstub on a unix socket in the run's folder, the CPU held. */
static void test_qemu_command_gdb_socket(void **state)
{
	(void)state;
	s.gdb_port = RUN_GDB_SOCKET;
	gdb_socket = "/t/r,1/gdb.sock";
	assert_non_null(strstr(build("/k.img", NULL), " -gdb unix:/t/r,,1/gdb.sock,server=on,wait=off -S"));
	gdb_socket = NULL;
	s.gdb_port = 0;
}

/* KVM gets the host's CPU model, unless the user names one. */
static void test_qemu_command_kvm_cpu_host(void **state)
{
	char *args[] = { (char *)"-cpu", (char *)"qemu64" };

	(void)state;
	s.accel = "kvm";
	assert_non_null(strstr(build("/k.img", NULL), "-accel kvm -cpu host,-arch-capabilities -drive"));
	o.qemu_args = args;
	o.qemu_arg_count = 2;
	assert_null(strstr(build("/k.img", NULL), "-cpu host"));
	s.accel = "tcg";
	o.qemu_arg_count = 0;
	assert_null(strstr(build("/k.img", NULL), "-cpu"));
}

static void test_qemu_command_smp_and_device(void **state)
{
	(void)state;
	s.smp = 4;
	s.read_only_disk = 1;
	assert_string_equal(build("/dev/sdb", NULL),
	                    "qemu-system-x86_64 -M q35 -m 256M -accel tcg -smp 4 "
	                    "-drive format=raw,file=/dev/sdb,snapshot=on -serial stdio");
}

/* COM1: on stdout with a copy run reads back, to a file, or nowhere; the user's -serial wins. */
static void test_qemu_command_serial(void **state)
{
	char *args[] = { (char *)"-serial", (char *)"mon:stdio" };
	struct qemu_files f = { "/k.img", "/t/qmp.sock", "/t/c,1.log", NULL, NULL, NULL };

	(void)state;
	s.headless = s.watch = 1;
	assert_non_null(strstr(build_with_log("/k.img", "/t/qmp.sock", "/t/c,1.log"),
	                       "-chardev stdio,id=com1,logfile=/t/c,,1.log -serial chardev:com1"));
	assert_int_equal(qemu_command_build(&cmd, &s, &o, &c, &f), 0);
	assert_string_equal(cmd.com1_readback, "/t/c,1.log");
	qemu_command_free(&cmd);

	s.serial = RUN_SERIAL_FILE;
	s.serial_file = "out,1.txt";
	assert_non_null(strstr(build_with_log("/k.img", NULL, "/t/c.log"), "-serial file:out,,1.txt"));
	assert_int_equal(qemu_command_build(&cmd, &s, &o, &c, &f), 0);
	assert_string_equal(cmd.com1_readback, "out,1.txt");
	qemu_command_free(&cmd);

	s.serial = RUN_SERIAL_NONE;
	assert_non_null(strstr(build_with_log("/k.img", NULL, "/t/c.log"), "-serial none"));
	assert_int_equal(qemu_command_build(&cmd, &s, &o, &c, &f), 0);
	assert_null(cmd.com1_readback);
	assert_int_equal(cmd.com1_discarded, 1);
	qemu_command_free(&cmd);

	s.serial = RUN_SERIAL_STDIO;
	o.qemu_args = args;
	o.qemu_arg_count = 2;
	assert_null(strstr(build_with_log("/k.img", NULL, "/t/c.log"), "chardev"));
	assert_int_equal(qemu_command_build(&cmd, &s, &o, &c, &f), 0);
	assert_null(cmd.com1_readback);
	assert_int_equal(cmd.com1_discarded, 0);
	qemu_command_free(&cmd);
}

static void test_qemu_command_print_quotes(void **state)
{
	char *words[] = { (char *)"qemu", (char *)"-append", (char *)"a b", (char *)"it's", (char *)"", (char *)"x=1,y:2", NULL };
	struct qemu_command q = { .argv = words, .argc = 6, .cap = 7 };
	char buf[256] = "";
	FILE *f = fmemopen(buf, sizeof buf, "w");

	(void)state;
	assert_non_null(f);
	qemu_command_print(f, &q);
	fclose(f);
	assert_string_equal(buf, "qemu -append 'a b' 'it'\\''s' '' x=1,y:2\n");
}

/* UEFI: OVMF's code read-only and the run's copy of its variables, as pflash; never -bios. */
static void test_qemu_command_uefi(void **state)
{
	struct qemu_files f = { "/t/kernel.img", NULL, NULL, "/usr/share/OVMF/OVMF_CODE_4M.fd", "/t/ovmf-vars.fd", NULL };
	char *words[] = { (char *)"-smp", (char *)"4" };

	(void)state;
	s.firmware = RUN_FIRMWARE_UEFI;
	if (qemu_command_build(&cmd, &s, &o, &c, &f) != 0)
		fail_msg("%s", mkb_error());
	line[0] = '\0';
	for (size_t i = 0, n = 0; i < cmd.argc; i++)
		n += (size_t)snprintf(line + n, sizeof line - n, "%s%s", i ? " " : "", cmd.argv[i]);
	qemu_command_free(&cmd);
	assert_string_equal(line, "qemu-system-x86_64 -M q35 -m 256M -accel tcg "
	                    "-drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd "
	                    "-drive if=pflash,format=raw,unit=1,file=/t/ovmf-vars.fd "
	                    "-drive format=raw,file=/t/kernel.img -serial stdio");
	/* A firmware of the user's own, given after --, replaces OVMF's. */
	o.qemu_args = words;
	o.qemu_arg_count = 2;
	words[0] = (char *)"-bios";
	words[1] = (char *)"my.fd";
	if (qemu_command_build(&cmd, &s, &o, &c, &f) != 0)
		fail_msg("%s", mkb_error());
	for (size_t i = 0; i < cmd.argc; i++)
		assert_null(strstr(cmd.argv[i], "pflash"));
	qemu_command_free(&cmd);
	/* BIOS: none of it. */
	o.qemu_arg_count = 0;
	s.firmware = RUN_FIRMWARE_BIOS;
	assert_null(strstr(build("/t/kernel.img", NULL), "pflash"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_qemu_command_uefi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qemu_command_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qemu_command_test_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qemu_command_user_args_last, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qemu_command_no_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qemu_command_other_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qemu_command_run_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qemu_command_gdb_and_commas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qemu_command_gdb_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qemu_command_kvm_cpu_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qemu_command_smp_and_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qemu_command_serial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qemu_command_print_quotes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
