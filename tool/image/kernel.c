#include "kernel.h"
#include "relocations.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int kernel_add_segment(struct kernel *k, const struct kernel_segment *s)
{
	struct kernel_segment *more = realloc(k->segments, (k->segment_count + 1) * sizeof *more);

	if (more == NULL)
		return mkb_fail("%s: %s", k->path, strerror(ENOMEM));
	k->segments = more;
	k->segments[k->segment_count++] = *s;
	return 0;
}

int kernel_set_handoff(struct kernel *k, void *bytes, uint32_t size, uint32_t fixup)
{
	free(k->handoff.bytes);
	k->handoff = (struct kernel_handoff){ bytes, size, fixup };
	if (bytes == NULL)
		return mkb_fail("%s: %s", k->path, strerror(ENOMEM));
	if (fixup != KERNEL_NO_FIXUP && (size < 4 || fixup > size - 4))
		return mkb_fail("%s: hand-off fixup at %" PRIu32 " outside its %" PRIu32 " bytes: "
		                "a bug in mkbootimg", k->path, fixup, size);
	return 0;
}

int kernel_dynamic_error(const char *path, int interp)
{
	if (interp)
		return mkb_fail("%s: dynamically linked (PT_INTERP): link with -static -no-pie, or "
		                "-static-pie for a relocatable kernel (mkbootimg applies its "
		                "relocations)", path);
	return mkb_fail("%s: dynamically linked (position-independent ET_DYN): a Multiboot kernel "
	                "runs at its physical addresses: link with -static -no-pie", path);
}

int kernel_entry_error(const char *path, uint64_t entry)
{
	if (entry == 0)
		return mkb_fail("%s: entry point is 0, in no PT_LOAD segment: the linker found no "
		                "entry symbol; name the entry function with ENTRY() in the linker "
		                "script, or with the linker's -e option (without either it looks "
		                "for _start)", path);
	return mkb_fail("%s: entry point 0x%" PRIx64 " is outside every PT_LOAD segment: the "
	                "symbol named by ENTRY() in the linker script (or by the linker's -e "
	                "option, or _start without either) is missing, discarded or "
	                "garbage-collected", path, entry);
}

void kernel_close(struct kernel *k)
{
	if (k->fd >= 0)
		close(k->fd);
	free(k->segments);
	free(k->path);
	free(k->multiboot);
	free(k->linux_kernel);
	k->linux_kernel = NULL;
	pie_free(k->pie);
	k->pie = NULL;
	free(k->handoff.bytes);
	k->handoff = (struct kernel_handoff){ NULL, 0, KERNEL_NO_FIXUP };
	k->multiboot = NULL;
	k->fd = -1;
	k->path = NULL;
	k->segments = NULL;
	k->segment_count = 0;
}
