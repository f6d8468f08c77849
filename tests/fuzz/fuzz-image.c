/* The image recognition of `mkbootimg run`: a kernel, an image or neither. */
#include "fuzz.h"
#include "run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum run_target kind;

	run_identify_target(fuzz_file(data, size), &kind);
	return 0;
}
