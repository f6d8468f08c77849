/* verdict.c: how a run ended -> exit status and message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "verdict.h"

#include <signal.h>

static char msg[256];

static int judge(enum run_end end, int code, int test, int success)
{
	struct run_outcome o = { end, code };
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
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict_test_mode),
		cmocka_unit_test(test_verdict_timeout_and_signals),
		cmocka_unit_test(test_verdict_plain_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
