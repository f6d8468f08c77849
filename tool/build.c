#include "build.h"
#include "image.h"
#include "kernel.h"
#include "plan.h"
#include "util.h"

#include <mkbootimg/image.h>

#include <inttypes.h>
#include <sys/stat.h>

static void flag_string(char out[4], uint32_t f)
{
	out[0] = f & 4 ? 'R' : '-';
	out[1] = f & 2 ? 'W' : '-';
	out[2] = f & 1 ? 'X' : '-';
	out[3] = '\0';
}

/* -v: the plan, for people and for bug reports. */
static void print_plan(FILE *f, const char *kernel_path, const struct plan *p)
{
	fprintf(f, "%s: entry 0x%" PRIx64 "\n", kernel_path, p->entry);
	for (size_t i = 0; i < p->segment_count; i++) {
		const struct plan_segment *s = &p->segments[i];
		char fl[4];
		flag_string(fl, s->flags);
		fprintf(f, "  segment %u %s virt 0x%016" PRIx64 " -> phys 0x%08" PRIx64
		        " %-8s file 0x%" PRIx64 " mem 0x%" PRIx64 "\n", s->index, fl, s->vaddr,
		        s->paddr, s->fixed ? "(fixed)" : "(placed)", s->filesz, s->memsz);
	}
	fprintf(f, "  stack 0x%" PRIx64 "-0x%" PRIx64 " (%" PRIu64 " KiB), direct map at 0x%" PRIx64 "\n",
	        p->stack_top - p->stack_size, p->stack_top, p->stack_size / 1024,
	        p->direct_map_offset);
	if (p->cmdline_length)
		fprintf(f, "  command line \"%s\"\n", p->cmdline);
	fprintf(f, "  image %" PRIu64 " sectors (%" PRIu64 " KiB): stage 2 at LBA %d (%" PRIu64
	        " sectors), manifest at LBA %" PRIu64 ", payload at LBA %" PRIu64 " (%" PRIu64 " KiB)\n",
	        p->image_sectors, p->image_sectors / 2, MKB_STAGE2_LBA, p->stage2_sectors,
	        p->manifest_lba, p->payload_lba, p->payload_sectors / 2);
}

int build_image(const char *kernel_path, const char *out, const struct plan_options *opts,
                const struct loader_blob *loader, FILE *plan_log)
{
	struct plan_options o = *opts;
	struct kernel k;
	struct plan p;
	struct stat ks, os;
	int rc = -1;

	if (image_check_loader(loader, &o.stage2_sectors) != 0 || kernel_open(&k, kernel_path) != 0)
		return -1;
	if (out != NULL && fstat(k.fd, &ks) == 0 && stat(out, &os) == 0 &&
	    ks.st_dev == os.st_dev && ks.st_ino == os.st_ino) {
		mkb_fail("%s: the output would replace the kernel", out);
		goto close_kernel;
	}
	if (plan_make(&p, &k, &o) != 0)
		goto close_kernel;
	if (plan_log != NULL)
		print_plan(plan_log, kernel_path, &p);
	rc = out != NULL ? image_write(out, &k, &p, loader) : 0;
	plan_free(&p);
close_kernel:
	kernel_close(&k);
	return rc;
}
