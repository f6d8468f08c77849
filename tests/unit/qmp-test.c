/* qmp.c: the QMP client, against canned answers on a socket pair. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "qmp.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct qmp *q;
static int peer; /* QEMU's end */

static int setup(void **state)
{
	int sv[2];

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	q = calloc(1, sizeof *q);
	if (q == NULL || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return -1;
	q->fd = sv[0];
	peer = sv[1];
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	qmp_close(q);
	close(peer);
	free(q);
	return 0;
}

/* QEMU's side says text. */
static void qemu_says(const char *text)
{
	assert_int_equal(write(peer, text, strlen(text)), (ssize_t)strlen(text));
}

/* What the client sent, as one string. */
static const char *client_sent(void)
{
	static char buf[4096];
	ssize_t n = recv(peer, buf, sizeof buf - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void test_qmp_handshake(void **state)
{
	(void)state;
	qemu_says("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}}, "
	          "\"capabilities\": [\"oob\"]}}\r\n{\"return\": {}}\r\n");
	assert_int_equal(qmp_handshake(q, 1000), 0);
	assert_string_equal(client_sent(), "{\"execute\":\"qmp_capabilities\"}");
}

/* Events that come before a reply are noted, not taken for the reply. */
static void test_qmp_events_before_reply(void **state)
{
	char reply[256];

	(void)state;
	qemu_says("{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"RESUME\"}\r\n"
	          "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 3}, \"event\": \"SHUTDOWN\", "
	          "\"data\": {\"guest\": true, \"reason\": \"guest-reset\"}}\r\n"
	          "{\"return\": \"HLT=0\"}\r\n");
	assert_int_equal(qmp_command(q, "{\"execute\":\"x\"}", reply, sizeof reply, 1000), 0);
	assert_string_equal(reply, "{\"return\": \"HLT=0\"}");
	assert_string_equal(q->shutdown_reason, "guest-reset");
}

static void test_qmp_read_events(void **state)
{
	(void)state;
	assert_int_equal(qmp_read_events(q), 0);
	assert_string_equal(q->shutdown_reason, "");
	qemu_says("{\"timestamp\": {\"seconds\": 1, \"microseconds\": 3}, \"event\": \"SHUTDOWN\", "
	          "\"data\": {\"guest\": true, \"reason\": \"guest-shutdown\"}}\r\n{\"timestamp\": {},");
	assert_int_equal(qmp_read_events(q), 0);
	assert_string_equal(q->shutdown_reason, "guest-shutdown");
	close(peer);
	peer = -1;
	assert_int_equal(qmp_read_events(q), -1);
	assert_string_equal(mkb_error(), "QMP: QEMU closed the connection");
}

static void test_qmp_error_reply(void **state)
{
	(void)state;
	qemu_says("{\"error\": {\"class\": \"GenericError\", \"desc\": \"Could not open '/x': \\\"denied\\\"\"}}\r\n");
	assert_int_equal(qmp_command(q, "{\"execute\":\"pmemsave\"}", NULL, 0, 1000), -1);
	assert_string_equal(mkb_error(), "QMP: Could not open '/x': \"denied\"");
}

static void test_qmp_no_answer(void **state)
{
	(void)state;
	assert_int_equal(qmp_command(q, "{\"execute\":\"x\"}", NULL, 0, 50), -1);
	assert_string_equal(mkb_error(), "QMP: no answer from QEMU within 50 ms");
	close(peer);
	peer = -1;
	assert_int_equal(qmp_command(q, "{\"execute\":\"x\"}", NULL, 0, 1000), -1);
	/* QEMU gone: the command cannot even be sent. */
	assert_string_equal(mkb_error(), "QMP: send: Broken pipe");
}

static void test_qmp_connect_missing(void **state)
{
	struct qmp *other = calloc(1, sizeof *other);

	(void)state;
	assert_int_equal(qmp_connect(other, "/nonexistent/qmp.sock"), -1);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(mkb_error(), "/nonexistent/qmp.sock: No such file or directory");
	free(other);
}

static void test_qmp_registers(void **state)
{
	(void)state;
	assert_true(qmp_registers_show_dead_halt(
		"{\"return\": \"RIP=ffffffff80100009 RFL=00000046 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=1\\r\\n\"}"));
	assert_false(qmp_registers_show_dead_halt( /* interrupts on: a timer may wake it */
		"{\"return\": \"RIP=ffffffff80100009 RFL=00000246 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=1\\r\\n\"}"));
	assert_false(qmp_registers_show_dead_halt(
		"{\"return\": \"RIP=ffffffff80100009 RFL=00000046 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=0\\r\\n\"}"));
	assert_true(qmp_registers_show_dead_halt( /* 32-bit protected mode */
		"{\"return\": \"EIP=00007c00 EFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=1\\r\\n\"}"));
	assert_false(qmp_registers_show_dead_halt("{\"return\": \"\"}"));
}

static void test_qmp_json_helpers(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(qmp_json_string("{\"a\": 1, \"key\" :  \"v\\\"al\"}", "key", out, sizeof out), 0);
	assert_string_equal(out, "v\"al");
	assert_int_equal(qmp_json_string("{\"keys\": \"x\"}", "key", out, sizeof out), -1);
	assert_int_equal(qmp_json_string("{\"key\": 5}", "key", out, sizeof out), -1);
	assert_int_equal(qmp_json_escape("/tmp/a\"b\\c\n", out, sizeof out), 0);
	assert_string_equal(out, "/tmp/a\\\"b\\\\c\\u000a");
	assert_int_equal(qmp_json_escape("abcdef", out, 6), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_qmp_handshake, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qmp_events_before_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qmp_read_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qmp_error_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qmp_no_answer, setup, teardown),
		cmocka_unit_test(test_qmp_connect_missing),
		cmocka_unit_test(test_qmp_registers),
		cmocka_unit_test(test_qmp_json_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
