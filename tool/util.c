#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char error_message[1024];

int mkb_fail(const char *fmt, ...)
{
	/* Format aside first: callers may pass mkb_error() as an argument. */
	char tmp[sizeof error_message];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	memcpy(error_message, tmp, sizeof error_message);
	return -1;
}

const char *mkb_error(void)
{
	return error_message;
}

int mkb_parse_size(const char *s, uint64_t *out)
{
	const char *p = s;
	unsigned base = 10;
	uint64_t v = 0, unit = 1;
	int digits = 0;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (;; p++) {
		unsigned d;
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return mkb_fail("size '%s' is too large", s);
		v = v * base + d;
		digits++;
	}
	switch (*p) {
	case 'k': case 'K': unit = MKB_KIB; p++; break;
	case 'm': case 'M': unit = MKB_MIB; p++; break;
	case 'g': case 'G': unit = MKB_GIB; p++; break;
	}
	if (digits == 0 || *p != '\0')
		return mkb_fail("invalid size '%s' (use bytes, or a number followed by K, M or G)", s);
	if (v > UINT64_MAX / unit)
		return mkb_fail("size '%s' is too large", s);
	*out = v * unit;
	return 0;
}

ssize_t mkb_pread_full(int fd, void *buf, size_t n, off_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = pread(fd, (char *)buf + done, n - done, off + (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

int mkb_pwrite_full(int fd, const void *buf, size_t n, off_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = pwrite(fd, (const char *)buf + done, n - done, off + (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			/* No progress and no error: treat as a full disk rather than spin. */
			errno = ENOSPC;
			return -1;
		}
		done += (size_t)r;
	}
	return 0;
}

long long mkb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *mkb_base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}
