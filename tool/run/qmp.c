#include "qmp.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* then SIGPIPE is ignored by the caller */
#endif

int qmp_connect(struct qmp *q, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	q->fd = -1;
	q->len = 0;
	q->shutdown_reason[0] = '\0';
	if (strlen(path) >= sizeof sa.sun_path) {
		errno = ENAMETOOLONG;
		return mkb_fail("%s: path too long for a unix socket (set TMPDIR to a shorter folder)", path);
	}
	memcpy(sa.sun_path, path, strlen(path) + 1); /* fits: checked above */
	q->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (q->fd < 0)
		return mkb_fail("socket: %s", strerror(errno));
	if (connect(q->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		int e = errno;
		close(q->fd);
		q->fd = -1;
		errno = e;
		return mkb_fail("%s: %s", path, strerror(e));
	}
	return 0;
}

void qmp_close(struct qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
}

int qmp_json_string(const char *line, const char *key, char *out, size_t n)
{
	size_t klen = strlen(key);

	for (const char *p = strchr(line, '"'); p != NULL; p = strchr(p + 1, '"')) {
		size_t i = 0;
		if (strncmp(p + 1, key, klen) != 0 || p[1 + klen] != '"')
			continue;
		p += klen + 2;
		p += strspn(p, " ");
		if (*p++ != ':')
			continue;
		p += strspn(p, " ");
		if (*p++ != '"')
			continue;
		while (*p != '\0' && *p != '"') {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (i + 1 < n)
				out[i++] = *p;
			p++;
		}
		if (n > 0)
			out[i] = '\0';
		return 0;
	}
	return -1;
}

int qmp_json_escape(const char *s, char *out, size_t n)
{
	size_t i = 0;

	for (; *s != '\0'; s++) {
		char tmp[8];
		size_t k;
		if (*s == '"' || *s == '\\')
			k = (size_t)snprintf(tmp, sizeof tmp, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			k = (size_t)snprintf(tmp, sizeof tmp, "\\u%04x", (unsigned char)*s);
		else
			k = (size_t)snprintf(tmp, sizeof tmp, "%c", *s);
		if (i + k >= n)
			return -1;
		memcpy(out + i, tmp, k);
		i += k;
	}
	if (n == 0)
		return -1;
	out[i] = '\0';
	return 0;
}

/* The first key of a JSON object line: "return", "error", "event", "QMP", ... */
static int first_key_is(const char *line, const char *key)
{
	size_t k = strlen(key);
	line += strspn(line, " {");
	return line[0] == '"' && strncmp(line + 1, key, k) == 0 && line[1 + k] == '"';
}

static void note_event(struct qmp *q, const char *line)
{
	char name[32];

	if (qmp_json_string(line, "event", name, sizeof name) == 0 && strcmp(name, "SHUTDOWN") == 0 &&
	    qmp_json_string(line, "reason", q->shutdown_reason, sizeof q->shutdown_reason) != 0)
		strcpy(q->shutdown_reason, "unknown");
}

/*
 * Take the next complete line out of the buffer into line; 1 if there was
 * one, 0 if more bytes are needed.
 */
static int take_line(struct qmp *q, char *line, size_t n)
{
	char *nl = memchr(q->buf, '\n', q->len);
	size_t k;

	if (nl == NULL)
		return 0;
	k = (size_t)(nl - q->buf);
	if (k > 0 && q->buf[k - 1] == '\r')
		k--;
	if (k >= n)
		k = n - 1;
	memcpy(line, q->buf, k);
	line[k] = '\0';
	q->len -= (size_t)(nl + 1 - q->buf);
	memmove(q->buf, nl + 1, q->len);
	return 1;
}

/* Read more bytes, waiting up to timeout_ms (0: not at all). 1 read, 0 nothing yet, -1 error or EOF. */
static int fill(struct qmp *q, int timeout_ms)
{
	struct pollfd p = { q->fd, POLLIN, 0 };
	ssize_t r;
	int ready;

	if (q->len == sizeof q->buf)
		return mkb_fail("QMP: a message longer than %zu bytes", sizeof q->buf);
	ready = poll(&p, 1, timeout_ms);
	if (ready < 0 && errno == EINTR)
		return 0;
	if (ready < 0)
		return mkb_fail("QMP: poll: %s", strerror(errno));
	if (ready == 0)
		return 0;
	r = read(q->fd, q->buf + q->len, sizeof q->buf - q->len);
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (r < 0)
		return mkb_fail("QMP: read: %s", strerror(errno));
	if (r == 0)
		return mkb_fail("QMP: QEMU closed the connection");
	q->len += (size_t)r;
	return 1;
}

/* The next line that is not an event (events are noted on the way). */
static int read_reply(struct qmp *q, char *line, size_t n, int timeout_ms)
{
	long long deadline = mkb_now_ms() + timeout_ms;

	for (;;) {
		while (take_line(q, line, n)) {
			if (!first_key_is(line, "event") && !first_key_is(line, "timestamp"))
				return 0;
			note_event(q, line);
		}
		long long left = deadline - mkb_now_ms();
		if (left <= 0)
			return mkb_fail("QMP: no answer from QEMU within %d ms", timeout_ms);
		if (fill(q, (int)left) < 0)
			return -1;
	}
}

int qmp_handshake(struct qmp *q, int timeout_ms)
{
	char line[512];

	if (read_reply(q, line, sizeof line, timeout_ms) != 0)
		return -1;
	if (!first_key_is(line, "QMP"))
		return mkb_fail("QMP: unexpected greeting: %.80s", line);
	return qmp_command(q, "{\"execute\":\"qmp_capabilities\"}", NULL, 0, timeout_ms);
}

int qmp_command(struct qmp *q, const char *json, char *reply, size_t n, int timeout_ms)
{
	static char line[QMP_LINE_MAX];
	size_t len = strlen(json), done = 0;
	char desc[256];

	while (done < len) {
		ssize_t w = send(q->fd, json + done, len - done, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return mkb_fail("QMP: send: %s", strerror(errno));
		done += (size_t)w;
	}
	if (read_reply(q, line, sizeof line, timeout_ms) != 0)
		return -1;
	if (first_key_is(line, "error")) {
		if (qmp_json_string(line, "desc", desc, sizeof desc) != 0)
			snprintf(desc, sizeof desc, "%.200s", line);
		return mkb_fail("QMP: %s", desc);
	}
	if (reply != NULL && n > 0)
		snprintf(reply, n, "%s", line);
	return 0;
}

int qmp_read_events(struct qmp *q)
{
	char line[1024];

	for (;;) {
		int r = fill(q, 0);
		while (take_line(q, line, sizeof line))
			note_event(q, line);
		if (r <= 0)
			return r;
	}
}

int qmp_registers_show_dead_halt(const char *reply)
{
	/* RFL= in long mode, EFL= in 32-bit modes */
	const char *fl = strstr(reply, "RFL=") ? strstr(reply, "RFL=") : strstr(reply, "EFL=");
	unsigned long flags;

	if (strstr(reply, "HLT=1") == NULL || fl == NULL)
		return 0;
	flags = strtoul(fl + 4, NULL, 16);
	return !(flags & 0x200); /* IF */
}
