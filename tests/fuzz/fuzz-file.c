/* The scratch file of a fuzz target: one per process, removed at exit. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char path[4096];

static void remove_file(void)
{
	unlink(path);
}

const char *fuzz_file(const uint8_t *data, size_t size)
{
	if (!path[0]) {
		const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
		snprintf(path, sizeof path, "%s/mkb-fuzz-XXXXXX", tmp);
		int fd = mkstemp(path);
		if (fd < 0) {
			perror(path);
			abort();
		}
		close(fd);
		atexit(remove_file);
	}
	FILE *f = fopen(path, "wb");
	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
		perror(path);
		abort();
	}
	return path;
}
