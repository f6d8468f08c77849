#include "build.h"
#include "image.h"
#include "kernel.h"
#include "plan.h"
#include "util.h"

#include <mkbootimg/image.h>
#include <mkbootimg/protocol.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A stack size as --stack-size takes it: 1M, 128K, or bytes. */
static void format_size(char out[24], uint64_t n)
{
	if (n % MKB_GIB == 0)
		snprintf(out, 24, "%" PRIu64 "G", n / MKB_GIB);
	else if (n % MKB_MIB == 0)
		snprintf(out, 24, "%" PRIu64 "M", n / MKB_MIB);
	else if (n % MKB_KIB == 0)
		snprintf(out, 24, "%" PRIu64 "K", n / MKB_KIB);
	else
		snprintf(out, 24, "%" PRIu64, n);
}

static void format_framebuffer(char out[40], const struct fb_mode *fb)
{
	if (fb->width == 0 && fb->bpp == 0)
		snprintf(out, 40, "0 (text mode)");
	else
		snprintf(out, 40, "%" PRIu32 "x%" PRIu32 "x%" PRIu32, fb->width, fb->height, fb->bpp);
}

/* -v: what the kernel's notes ask for, and which flags override them. */
static void print_requests(FILE *f, const char *kernel_path, const struct kernel_requests *r,
                           const struct plan_options *o)
{
	char flag[40], note[40];

	if (r->stack_size != 0) {
		format_size(note, r->stack_size);
		format_size(flag, o->stack_size);
		if (o->stack_size != 0)
			fprintf(f, "%s: --stack-size %s overrides the kernel's note (%s)\n", kernel_path,
			        flag, note);
		else
			fprintf(f, "%s: stack size %s from the kernel's note\n", kernel_path, note);
	}
	if (r->framebuffer_given) {
		format_framebuffer(note, &r->framebuffer);
		format_framebuffer(flag, &o->framebuffer);
		if (o->framebuffer_given)
			fprintf(f, "%s: --framebuffer %s overrides the kernel's note (%s)\n", kernel_path,
			        flag, note);
		else
			fprintf(f, "%s: framebuffer %s from the kernel's note\n", kernel_path, note);
	}
	if (r->smp_stack_size != 0)
		fprintf(f, "%s: the kernel's note asks for its CPUs, %" PRIu32 " KiB of stack each\n",
		        kernel_path, r->smp_stack_size / 1024);
	if (r->info_version != 0)
		fprintf(f, "%s: the kernel's note needs boot information version %" PRIu32
		        " (this mkbootimg gives %d)\n", kernel_path, r->info_version,
		        MKBOOTIMG_INFO_VERSION);
}

/* -v: the plan, for people and for bug reports. */
static void print_plan(FILE *f, const char *kernel_path, const struct plan *p)
{
	if (p->protocol == MKB_PROTOCOL_LINUX)
		fprintf(f, "%s: Linux kernel, entered by the Linux boot protocol\n", kernel_path);
	else if (p->protocol != MKB_PROTOCOL_NATIVE)
		fprintf(f, "%s: Multiboot %u kernel, entered in 32-bit protected mode\n", kernel_path,
		        (unsigned)p->protocol);
	fprintf(f, "%s: entry 0x%" PRIx64 "\n", kernel_path, p->entry);
	for (size_t i = 0; i < p->segment_count; i++) {
		const struct plan_segment *s = &p->segments[i];
		char fl[4], name[PLAN_SEGMENT_NAME_MAX];
		plan_flags_string(fl, s->flags);
		fprintf(f, "  %s %s virt 0x%016" PRIx64 " -> phys 0x%08" PRIx64
		        " %-8s file 0x%" PRIx64 " mem 0x%" PRIx64 "\n",
		        plan_segment_name(name, s->index, p->protocol), fl, s->vaddr,
		        s->paddr, s->fixed ? "(fixed)" : "(placed)", s->filesz, s->memsz);
	}
	fprintf(f, "  stack 0x%" PRIx64 "-0x%" PRIx64 " (%" PRIu64 " KiB), direct map at 0x%" PRIx64 "\n",
	        p->stack_top - p->stack_size, p->stack_top, p->stack_size / 1024,
	        p->direct_map_offset);
	if (p->cmdline_length)
		fprintf(f, "  command line \"%s\"\n", p->cmdline);
	for (size_t i = 0; i < p->module_count; i++)
		fprintf(f, "  module %zu %s: %" PRIu64 " bytes, string \"%s\"\n", i, p->modules[i].path,
		        p->modules[i].size, p->modules[i].string);
	for (size_t i = 0; i < p->initrd_count; i++)
		fprintf(f, "  initrd %s: %" PRIu64 " bytes\n", p->initrds[i].path, p->initrds[i].size);
	if (p->framebuffer.bpp != 0)
		fprintf(f, "  framebuffer %" PRIu32 "x%" PRIu32 "x%" PRIu32 ", set by the loader\n",
		        p->framebuffer.width, p->framebuffer.height, p->framebuffer.bpp);
	fprintf(f, "  image %" PRIu64 " sectors (%" PRIu64 " KiB): stage 2 at LBA %d (%" PRIu64
	        " sectors), manifest at LBA %" PRIu64 ", payload at LBA %" PRIu64 " (%" PRIu64 " KiB)\n",
	        p->image_sectors, p->image_sectors / 2, MKB_STAGE2_LBA, p->stage2_sectors,
	        p->manifest_lba, p->payload_lba, p->payload_sectors / 2);
	if (p->layout != IMAGE_LAYOUT_BIOS)
		fprintf(f, "  firmware %s: GPT, EFI system partition at LBA %" PRIu64 " (%" PRIu64 " KiB, "
		        "FAT32, \\EFI\\BOOT\\BOOTX64.EFI)\n", plan_layout_name(p->layout), p->esp_lba,
		        p->esp_sectors / 2);
}

/*
 * Open every module (what: "module") or initrd now, so that a missing one
 * stops the build before anything is written.
 */
static int open_modules(struct plan_module_arg *m, size_t n, const char *what)
{
	struct stat st;

	for (size_t i = 0; i < n; i++) {
		/* O_NONBLOCK: a FIFO is refused below instead of waiting for a writer. */
		if ((m[i].fd = open(m[i].path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
			return mkb_fail("%s: cannot open %s: %s", m[i].path, what, strerror(errno));
		if (fstat(m[i].fd, &st) != 0)
			return mkb_fail("%s: %s", m[i].path, strerror(errno));
		/* image.c reads modules with pread, and a device's st_size says nothing. */
		if (!S_ISREG(st.st_mode))
			return mkb_fail("%s: %s is not a regular file", m[i].path, what);
		m[i].size = (uint64_t)st.st_size;
	}
	return 0;
}

static void close_modules(struct plan_module_arg *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].fd >= 0)
			close(m[i].fd);
	free(m);
}

/* The plan's warnings, one line each, as main.c prints errors. */
static void print_warnings(FILE *f, const char *kernel_path, const struct plan *p)
{
	for (size_t i = 0; i < p->warning_count; i++)
		fprintf(f, "mkbootimg: %s: warning: %s\n", kernel_path, p->warnings[i]);
}

/* A copy of the caller's files to open: the caller's options stay as given. NULL: no memory. */
static struct plan_module_arg *copy_files(const struct plan_module_arg *from, size_t n)
{
	struct plan_module_arg *to = calloc(n ? n : 1, sizeof *to);

	for (size_t i = 0; to != NULL && i < n; i++)
		to[i] = (struct plan_module_arg){ .path = from[i].path, .string = from[i].string, .fd = -1 };
	return to;
}

int build_plan(struct build *b, const char *kernel_path, const struct plan_options *opts,
               const struct loader_blob *loader)
{
	memset(b, 0, sizeof *b);
	b->opts = *opts;
	b->opts.modules = NULL;
	b->opts.initrds = NULL;
	if (image_check_loader(loader, &b->opts.stage2_sectors) != 0 ||
	    kernel_open_protocol(&b->kernel, kernel_path, opts->protocol_given ? (int)opts->protocol
	                                                                       : KERNEL_PROTOCOL_AUTO) != 0)
		return -1;
	b->opts.modules = copy_files(opts->modules, opts->module_count);
	b->opts.initrds = copy_files(opts->initrds, opts->initrd_count);
	if (b->opts.modules == NULL || b->opts.initrds == NULL) {
		mkb_fail("%s", strerror(ENOMEM));
		goto fail;
	}
	if (open_modules(b->opts.modules, b->opts.module_count, "module") != 0 ||
	    open_modules(b->opts.initrds, b->opts.initrd_count, "initrd") != 0 ||
	    plan_make(&b->plan, &b->kernel, &b->opts) != 0)
		goto fail;
	return 0;
fail:
	close_modules(b->opts.modules, b->opts.modules ? b->opts.module_count : 0);
	close_modules(b->opts.initrds, b->opts.initrds ? b->opts.initrd_count : 0);
	kernel_close(&b->kernel);
	return -1;
}

void build_free(struct build *b)
{
	plan_free(&b->plan);
	close_modules(b->opts.modules, b->opts.module_count);
	close_modules(b->opts.initrds, b->opts.initrd_count);
	kernel_close(&b->kernel);
}

int build_image(const char *kernel_path, const char *out, const struct plan_options *opts,
                const struct loader_blob *loader, FILE *plan_log)
{
	return build_image_warn(kernel_path, out, opts, loader, plan_log, NULL);
}

int build_image_warn(const char *kernel_path, const char *out, const struct plan_options *opts,
                     const struct loader_blob *loader, FILE *plan_log, FILE *warnings)
{
	struct build b;
	struct stat ks, os;
	int rc;

	if (build_plan(&b, kernel_path, opts, loader) != 0)
		return -1;
	if (out != NULL && fstat(b.kernel.fd, &ks) == 0 && stat(out, &os) == 0 &&
	    ks.st_dev == os.st_dev && ks.st_ino == os.st_ino) {
		build_free(&b);
		return mkb_fail("%s: the output would replace the kernel", out);
	}
	if (plan_log != NULL) {
		print_requests(plan_log, kernel_path, &b.kernel.requests, &b.opts);
		print_plan(plan_log, kernel_path, &b.plan);
	}
	if (warnings != NULL)
		print_warnings(warnings, kernel_path, &b.plan);
	rc = out != NULL ? image_write(out, &b.kernel, &b.plan, loader) : 0;
	build_free(&b);
	return rc;
}
