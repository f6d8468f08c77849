/* The ELF reader: kernel_open on the input as a file, with every protocol. */
#include "fuzz.h"
#include "kernel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kernel k;
	const char *path = fuzz_file(data, size);

	if (kernel_open(&k, path) == 0)
		kernel_close(&k);
	return 0;
}
