/* The Cargo.toml reader, on the input as text (not NUL-terminated). */
#include "cargo.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cargo_config c;

	if (cargo_config_parse(&c, "Cargo.toml", (const char *)data, size) == 0)
		cargo_config_free(&c);
	return 0;
}
