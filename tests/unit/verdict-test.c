/* verdict.c: how a run ended -> exit status and message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "verdict.h"

#include <signal.h>
#include <string.h>

static char msg[256];

static int judge(enum run_end end, int code, int test, int success)
{
	struct run_outcome o = { .end = end, .code = code };
	return verdict(&o, test, success, msg, sizeof msg);
}

static void test_verdict_test_mode(void **state)
{
	(void)state;
	assert_int_equal(judge(RUN_QEMU_EXITED, 33, 1, 33), 0);
	assert_string_equal(msg, "");
	assert_int_equal(judge(RUN_QEMU_EXITED, 35, 1, 33), 1);
	assert_string_equal(msg, "test failed: the kernel wrote 0x11 to port 0xf4 (QEMU exit status 35)");
	assert_int_equal(judge(RUN_QEMU_EXITED, 35, 1, 35), 0); /* test-success-exit-code = 35 */
	assert_int_equal(judge(RUN_QEMU_EXITED, 33, 1, 35), 1);
	assert_string_equal(msg, "test failed: the kernel wrote 0x10 to port 0xf4 (QEMU exit status 33)");
	assert_int_equal(judge(RUN_QEMU_EXITED, 0, 1, 33), 1);
	assert_string_equal(msg, "test failed: QEMU exited with status 0: the machine reset or powered off "
	                         "(triple fault?)");
	assert_int_equal(judge(RUN_QEMU_EXITED, 1, 1, 33), 1);
	assert_string_equal(msg, "test failed: QEMU exited with status 1: an error in QEMU, or the kernel "
	                         "wrote 0 to port 0xf4");
	assert_int_equal(judge(RUN_QEMU_EXITED, 2, 1, 33), 1);
	assert_string_equal(msg, "test failed: QEMU exited with status 2");
	assert_int_equal(judge(RUN_RESET, 0, 1, 33), 1);
	assert_string_equal(msg, "test failed: the machine reset (triple fault?)");
	assert_int_equal(judge(RUN_HALTED, 0, 1, 33), 1);
	assert_string_equal(msg, "test failed: the kernel halted with interrupts off without a verdict on port 0xf4");
	assert_int_equal(judge(RUN_POWEROFF, 0, 1, 33), 1);
	assert_string_equal(msg, "test failed: the machine powered off without a verdict on port 0xf4");
	assert_int_equal(judge(RUN_QEMU_SIGNALED, SIGKILL, 1, 33), 1);
	assert_string_equal(msg, "test failed: QEMU was killed by signal 9");
}

static void test_verdict_timeout_and_signals(void **state)
{
	(void)state;
	assert_int_equal(judge(RUN_TIMEOUT, 5, 1, 33), RUN_EXIT_TIMEOUT);
	assert_string_equal(msg, "timeout: killed QEMU after 5 s");
	assert_int_equal(judge(RUN_TIMEOUT, 300, 0, 33), 124);
	assert_string_equal(msg, "timeout: killed QEMU after 300 s");
	assert_int_equal(judge(RUN_INTERRUPTED, SIGINT, 1, 33), 130);
	assert_string_equal(msg, "");
	assert_int_equal(judge(RUN_INTERRUPTED, SIGTERM, 0, 33), 143);
}

/* A timeout under KVM names the way out of a nested, slow KVM. */
static void test_verdict_timeout_under_kvm(void **state)
{
	struct run_outcome o = { .end = RUN_TIMEOUT, .code = 5, .kvm = 1 };

	(void)state;
	assert_int_equal(verdict(&o, 1, 33, msg, sizeof msg), RUN_EXIT_TIMEOUT);
	assert_non_null(strstr(msg, "timeout: killed QEMU after 5 s (under KVM"));
	assert_non_null(strstr(msg, "MKBOOTIMG_ACCEL=tcg"));
}

/* The loader's own stop is neither the kernel's failure nor a normal end. */
static void test_verdict_loader_stopped(void **state)
{
	struct run_outcome o = { .end = RUN_HALTED, .loader_message = "the image is truncated." };

	(void)state;
	assert_int_equal(verdict(&o, 0, 33, msg, sizeof msg), RUN_EXIT_LOADER);
	assert_string_equal(msg, "the loader stopped: the image is truncated.");
	assert_int_equal(verdict(&o, 1, 33, msg, sizeof msg), RUN_EXIT_LOADER);
	assert_string_equal(msg, "the loader stopped: the image is truncated.");
}

static void test_verdict_loader_message_found(void **state)
{
	char out[256];

	(void)state;
	/* The screen: lines joined, padding dropped, the closing line left out. */
	assert_int_equal(verdict_loader_message("SeaBIOS (version 1.16.2)\nBooting from Hard Disk...\n"
	                                        "mkbootimg: the kernel needs memory at 0x4000000-0x4001fff "
	                                        "(segment 1), which is\nnot usable RAM here.\n"
	                                        "The machine is halted.\n", out, sizeof out), 1);
	assert_string_equal(out, "the kernel needs memory at 0x4000000-0x4001fff (segment 1), which is "
	                         "not usable RAM here.");
	/* COM1: CR LF line ends. */
	assert_int_equal(verdict_loader_message("mkbootimg: payload checksum mismatch\r\nRebuild it.\r\n"
	                                        "The machine is halted.\r\n", out, sizeof out), 1);
	assert_string_equal(out, "payload checksum mismatch Rebuild it.");
	/* Stage 1 has no closing line: its paragraph. */
	assert_int_equal(verdict_loader_message("mkbootimg: cannot read the boot disk.\n\nmore", out, sizeof out), 1);
	assert_string_equal(out, "cannot read the boot disk.");
	/* Not the loader's: not at a line start, or not there at all. */
	assert_int_equal(verdict_loader_message("kernel says mkbootimg: hi\n", out, sizeof out), 0);
	assert_int_equal(verdict_loader_message("Hello World!\n", out, sizeof out), 0);
	assert_int_equal(verdict_loader_message("", out, sizeof out), 0);
	/* A kernel's line that only starts like the loader's: no closing line, not stage 1's. */
	assert_int_equal(verdict_loader_message("mkbootimg: my kernel says hello\n", out, sizeof out), 0);
	assert_int_equal(verdict_loader_message("mkbootimg: no BIOS loader: boot with UEFI, or rebuild with "
	                                        "--firmware hybrid.\r\n", out, sizeof out), 1);
	assert_string_equal(out, "no BIOS loader: boot with UEFI, or rebuild with --firmware hybrid.");
	/* Cut to the buffer, still terminated. */
	assert_int_equal(verdict_loader_message("mkbootimg: 0123456789\nThe machine is halted.\n", out, 5), 1);
	assert_string_equal(out, "0123");
}

/* Without --test a halt or a power-off is the normal end; a reset is not. */
static void test_verdict_plain_run(void **state)
{
	(void)state;
	assert_int_equal(judge(RUN_QEMU_EXITED, 0, 0, 33), 0);
	assert_string_equal(msg, "");
	assert_int_equal(judge(RUN_HALTED, 0, 0, 33), 0);
	assert_string_equal(msg, "");
	assert_int_equal(judge(RUN_POWEROFF, 0, 0, 33), 0);
	assert_int_equal(judge(RUN_RESET, 0, 0, 33), 1);
	assert_string_equal(msg, "the machine reset (triple fault?)");
	assert_int_equal(judge(RUN_QEMU_EXITED, 33, 0, 33), 1); /* a success code means nothing here */
	assert_string_equal(msg, "the kernel wrote 0x10 to port 0xf4 (QEMU exit status 33)");
	assert_int_equal(judge(RUN_QEMU_SIGNALED, SIGSEGV, 0, 33), 1);
	assert_string_equal(msg, "QEMU was killed by signal 11");
	assert_int_equal(judge(RUN_QEMU_SIGNALED, 0, 0, 33), 1);
	assert_string_equal(msg, "QEMU was stopped by a signal");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict_test_mode),
		cmocka_unit_test(test_verdict_timeout_and_signals),
		cmocka_unit_test(test_verdict_plain_run),
		cmocka_unit_test(test_verdict_timeout_under_kvm),
		cmocka_unit_test(test_verdict_loader_stopped),
		cmocka_unit_test(test_verdict_loader_message_found),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
