/* The kernel-note reader: the input becomes the notes of an otherwise valid
 * kernel, in a .note section or (first byte odd) a PT_NOTE segment. */
#include <string.h>

#include "elf-builder.h"
#include "fuzz.h"
#include "kernel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eb_elf e;
	struct kernel k;

	if (size < 1 || size - 1 > sizeof e.notes)
		return -1; /* not worth keeping in the corpus */
	eb_init(&e, 0xffffffff80100000);
	eb_add(&e, PT_LOAD, PF_R | PF_X, 0xffffffff80100000, 0x100000, 0x1000, 0x1000);
	e.notes_in_segment = data[0] & 1;
	memcpy(e.notes, data + 1, size - 1);
	e.note_size = size - 1;
	const char *path = fuzz_file((const uint8_t *)"", 0);
	if (eb_write(&e, path) == 0 && kernel_open(&k, path) == 0)
		kernel_close(&k);
	eb_free(&e);
	return 0;
}
