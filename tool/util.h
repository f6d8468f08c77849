/*
 * Shared helpers: error messages for modules, size parsing, full reads and
 * writes. Modules report failure by returning -1 after mkb_fail(); only
 * main.c prints and exits.
 */
#ifndef MKB_UTIL_H
#define MKB_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MKB_EXIT_USAGE 2 /* a command line that is wrong: every command's status */

#define MKB_PAGE UINT64_C(4096)
#define MKB_KIB UINT64_C(1024)
#define MKB_MIB (UINT64_C(1024) * 1024)
#define MKB_GIB (UINT64_C(1024) * 1024 * 1024)

/* Round x up or down to a multiple of a, a power of two. */
#define MKB_ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
#define MKB_ALIGN_UP(x, a) MKB_ALIGN_DOWN((x) + (uint64_t)(a) - 1, (a))

/*
 * A parser's answer when getopt_long has already printed what was wrong:
 * a usage error with nothing more to say (mkb_error() is not set).
 */
#define MKB_REPORTED (-2)

/* Format the current error message; returns -1 so callers can `return mkb_fail(...)`. */
int mkb_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *mkb_error(void);

/* Parse "65536", "0x10000", "64K", "1M", "1G" (K/M/G are powers of 1024). */
int mkb_parse_size(const char *s, uint64_t *out);

/*
 * Read n bytes at off, retrying on EINTR and short reads. Returns the bytes
 * read (less than n only at end of file) or -1 with errno set.
 */
ssize_t mkb_pread_full(int fd, void *buf, size_t n, off_t off);

/* Write n bytes at off, retrying on EINTR and short writes. 0, or -1 with errno. */
int mkb_pwrite_full(int fd, const void *buf, size_t n, off_t off);

/* Milliseconds on the monotonic clock, for timeouts and durations. */
long long mkb_now_ms(void);

/* The last component of path: what follows its last '/'. */
const char *mkb_base_name(const char *path);

#endif
