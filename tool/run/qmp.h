/*
 * A minimal QMP client (QEMU's JSON monitor protocol) on a unix socket:
 * enough to start a machine, ask for its registers, save its memory to a
 * file and watch for the SHUTDOWN event. One command at a time.
 */
#ifndef MKB_QMP_H
#define MKB_QMP_H

#include <stddef.h>

#define QMP_LINE_MAX 65536

struct qmp {
	int fd;
	size_t len;                 /* bytes in buf not yet taken as lines */
	char shutdown_reason[32];   /* of the last SHUTDOWN event, "" before one */
	char buf[QMP_LINE_MAX];
};

/*
 * Connect to the socket QEMU listens on. 0; or -1 with errno set and
 * mkb_error() (ENOENT or ECONNREFUSED: QEMU has not made it yet).
 */
int qmp_connect(struct qmp *q, const char *path);

/* Read QEMU's greeting and leave negotiation mode. 0, or -1 with mkb_error(). */
int qmp_handshake(struct qmp *q, int timeout_ms);

/*
 * Send one command (a JSON object) and wait for its reply, noting events
 * that arrive first. reply, when not NULL, gets the reply's line. 0, or -1
 * with mkb_error() (QEMU's own error message for an error reply).
 */
int qmp_command(struct qmp *q, const char *json, char *reply, size_t n, int timeout_ms);

/* Take in whatever events have arrived, without waiting. 0, or -1 once the connection is gone. */
int qmp_read_events(struct qmp *q);

void qmp_close(struct qmp *q);

/*
 * Does this reply to "info registers" show a CPU halted with interrupts
 * off (HLT=1, IF clear in RFL= or EFL=)? Nothing but an NMI or a reset wakes it.
 */
int qmp_registers_show_dead_halt(const char *reply);

/* The string value of "key" in a JSON line, unescaped (\" and \\ only); -1 if absent. */
int qmp_json_string(const char *line, const char *key, char *out, size_t n);

/* s as the inside of a JSON string; 0, or -1 when out is too small. */
int qmp_json_escape(const char *s, char *out, size_t n);

#endif
