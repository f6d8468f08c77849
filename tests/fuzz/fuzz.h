/* Shared by the libFuzzer targets: the input as a file the tool can open. */
#ifndef MKB_FUZZ_H
#define MKB_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Write data to this process's scratch file (under $TMPDIR or /tmp) and
 * return its path; aborts when the file cannot be written. */
const char *fuzz_file(const uint8_t *data, size_t size);

#endif
