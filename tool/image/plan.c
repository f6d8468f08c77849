#include "plan.h"
#include "fat.h"
#include "gpt.h"
#include "kernel.h"
#include "multiboot.h"
#include "linux.h"
#include "relocations.h"
#include "util.h"

#include <mkbootimg/image.h>
#include <mkbootimg/protocol.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_SHIFT 12
#define PLAN_PARTITION_ALIGN 2048 /* sectors: 1 MiB */
#define NONCANONICAL_START UINT64_C(0x0000800000000000)
#define NONCANONICAL_END   UINT64_C(0xffff800000000000)

static uint64_t first_page(const struct plan_segment *s)
{
	return s->vaddr >> PAGE_SHIFT;
}

/* Page numbers avoid overflow at the very top of the address space. */
static uint64_t last_page(const struct plan_segment *s)
{
	return (s->vaddr + s->memsz - 1) >> PAGE_SHIFT;
}

static int overlaps(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end)
{
	return a < b_end && b < a_end;
}

static int check_virtual(const char *path, const struct plan_segment *s, uint64_t stack_low)
{
	uint64_t start = s->vaddr, end = s->vaddr + s->memsz;

	/* Both ends in one canonical half (kernel.c rejected wrapping ranges). */
	if ((start >= NONCANONICAL_START && start < NONCANONICAL_END) ||
	    (end - 1 >= NONCANONICAL_START && end - 1 < NONCANONICAL_END) ||
	    (start < NONCANONICAL_START) != (end - 1 < NONCANONICAL_START))
		return mkb_fail("%s: segment %u: virtual range 0x%" PRIx64 "-0x%" PRIx64 " is not "
		                "canonical (x86-64 addresses lie below 0x%" PRIx64 " or from 0x%" PRIx64 ")",
		                path, s->index, start, end, NONCANONICAL_START, NONCANONICAL_END);
	if (start < PLAN_LOW_LIMIT)
		return mkb_fail("%s: segment %u: virtual address 0x%" PRIx64 " is below 1 MiB, "
		                "where the loader and the BIOS live", path, s->index, start);
	if (overlaps(start, end, PLAN_DIRECT_MAP, PLAN_DIRECT_MAP_END))
		return mkb_fail("%s: segment %u: virtual range 0x%" PRIx64 "-0x%" PRIx64 " overlaps "
		                "the direct map of physical memory at 0x%" PRIx64 "-0x%" PRIx64,
		                path, s->index, start, end, PLAN_DIRECT_MAP, PLAN_DIRECT_MAP_END);
	if (overlaps(start, end, stack_low, PLAN_STACK_TOP))
		return mkb_fail("%s: segment %u: virtual range 0x%" PRIx64 "-0x%" PRIx64 " overlaps "
		                "the stack and its guard page at 0x%" PRIx64 "-0x%" PRIx64,
		                path, s->index, start, end, stack_low, PLAN_STACK_TOP);
	return 0;
}

static int by_vaddr(const void *a, const void *b)
{
	const struct plan_segment *x = *(struct plan_segment *const *)a;
	const struct plan_segment *y = *(struct plan_segment *const *)b;
	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

struct range {
	uint64_t start, end;
};

/* MiB of physical memory the segments' pages take, for the "does not fit" message. */
static uint64_t needed_mib(const struct plan *p)
{
	uint64_t pages = 0;
	for (size_t i = 0; i < p->segment_count; i++) {
		uint64_t n = last_page(&p->segments[i]) - first_page(&p->segments[i]) + 1;
		pages = pages + n < pages ? UINT64_MAX : pages + n;
	}
	return pages / 256 + (pages % 256 != 0);
}

/*
 * Segments with a usable p_paddr stay there. The others, sorted by vaddr,
 * are grouped where they share a virtual page (a page maps to one physical
 * page, so a group moves as a whole) and each group goes first-fit from
 * 1 MiB, page-aligned, around what is already placed.
 */
static int place_physical(struct plan *p, const char *path)
{
	size_t n = p->segment_count, m = 0, used = 0;
	struct plan_segment **todo = calloc(n, sizeof *todo);
	struct range *taken = calloc(n, sizeof *taken);
	int r = 0;

	if (todo == NULL || taken == NULL) {
		r = mkb_fail("%s: %s", path, strerror(ENOMEM));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct plan_segment *s = &p->segments[i];
		if (s->paddr >= PLAN_LOW_LIMIT && s->paddr <= PLAN_HIGH_LIMIT &&
		    s->memsz <= PLAN_HIGH_LIMIT - s->paddr) {
			s->fixed = 1;
			taken[used++] = (struct range){ MKB_ALIGN_DOWN(s->paddr, MKB_PAGE),
			                                MKB_ALIGN_UP(s->paddr + s->memsz, MKB_PAGE) };
		} else {
			todo[m++] = s;
		}
	}
	qsort(todo, m, sizeof *todo, by_vaddr);

	for (size_t i = 0; i < m;) {
		uint64_t first = first_page(todo[i]), last = last_page(todo[i]);
		size_t j = i + 1;
		while (j < m && first_page(todo[j]) <= last) {
			if (last_page(todo[j]) > last)
				last = last_page(todo[j]);
			j++;
		}
		uint64_t span = (last - first + 1) << PAGE_SHIFT;
		uint64_t at = PLAN_LOW_LIMIT;
	retry:
		if (last - first >= PLAN_HIGH_LIMIT >> PAGE_SHIFT || span > PLAN_HIGH_LIMIT - at) {
			r = mkb_fail("%s: kernel needs %" PRIu64 " MiB of physical memory below 4 GiB: "
			             "segment %u (0x%" PRIx64 " bytes) finds no room between 1 MiB and "
			             "4 GiB", path, needed_mib(p), todo[i]->index, todo[i]->memsz);
			goto out;
		}
		for (size_t t = 0; t < used; t++) {
			if (overlaps(at, at + span, taken[t].start, taken[t].end)) {
				at = taken[t].end;
				goto retry;
			}
		}
		for (; i < j; i++)
			todo[i]->paddr = at + (todo[i]->vaddr - (first << PAGE_SHIFT));
		taken[used++] = (struct range){ at, at + span };
	}
out:
	free(todo);
	free(taken);
	return r;
}

static int check_physical(const struct plan *p, const char *path)
{
	for (size_t i = 0; i < p->segment_count; i++) {
		const struct plan_segment *a = &p->segments[i];
		/* Paging maps whole pages: the offset in the page must match. */
		if ((a->paddr ^ a->vaddr) & (MKB_PAGE - 1))
			return mkb_fail("%s: segment %u: p_paddr 0x%" PRIx64 " and p_vaddr 0x%" PRIx64
			                " differ modulo 4096, so no page mapping can place it",
			                path, a->index, a->paddr, a->vaddr);
	}
	for (size_t i = 0; i < p->segment_count; i++) {
		const struct plan_segment *a = &p->segments[i];
		for (size_t j = i + 1; j < p->segment_count; j++) {
			const struct plan_segment *b = &p->segments[j];
			if (overlaps(a->paddr, a->paddr + a->memsz, b->paddr, b->paddr + b->memsz))
				return mkb_fail("%s: segments %u and %u overlap in physical memory "
				                "(0x%" PRIx64 "-0x%" PRIx64 " and 0x%" PRIx64 "-0x%" PRIx64 ")",
				                path, a->index, b->index, a->paddr, a->paddr + a->memsz,
				                b->paddr, b->paddr + b->memsz);
			if (first_page(a) <= last_page(b) && first_page(b) <= last_page(a) &&
			    a->paddr - a->vaddr != b->paddr - b->vaddr)
				return mkb_fail("%s: segments %u and %u share the virtual page 0x%" PRIx64
				                " but not a physical page (p_paddr 0x%" PRIx64 " and 0x%" PRIx64 ")",
				                path, a->index, b->index,
				                (first_page(a) > first_page(b) ? first_page(a) : first_page(b))
				                        << PAGE_SHIFT, a->paddr, b->paddr);
		}
	}
	return 0;
}

static uint32_t seg_flags(uint32_t pf)
{
	/* ELF PF_X/PF_W/PF_R and MKB_SEG_X/W/R are the same bits; say so explicitly. */
	return (pf & 1 ? MKB_SEG_X : 0) | (pf & 2 ? MKB_SEG_W : 0) | (pf & 4 ? MKB_SEG_R : 0);
}

/* The manifest's parts, in order; its size decides where the payload starts. */
static int place_manifest(struct plan *p, const char *path)
{
	uint64_t bytes, strings = 0;

	p->module_table_offset = (uint32_t)(plan_manifest_header(p) +
	                                    p->segment_count * sizeof(struct mkb_segment));
	p->cmdline_offset = (uint32_t)(p->module_table_offset +
	                               p->module_count * sizeof(struct mkb_module));
	bytes = p->cmdline_offset + (uint64_t)p->cmdline_length + 1;
	for (size_t i = 0; i < p->module_count; i++) {
		p->modules[i].string_offset = (uint32_t)bytes; /* used only if within 64 KiB */
		bytes += p->modules[i].string_length + 1;
		strings += p->modules[i].string_length + 1;
	}
	if (p->handoff != NULL) {
		p->handoff_offset = (uint32_t)MKB_ALIGN_UP(bytes, 8);
		bytes = p->handoff_offset + (uint64_t)p->handoff_size;
	}
	p->manifest_lba = MKB_STAGE2_LBA + p->stage2_sectors;
	p->manifest_sectors = MKB_ALIGN_UP(bytes, MKB_SECTOR_SIZE) / MKB_SECTOR_SIZE;
	if (p->manifest_sectors * MKB_SECTOR_SIZE > MKB_MANIFEST_MAX_BYTES)
		return mkb_fail("%s: manifest needs %" PRIu64 " bytes (%zu segments, %zu modules, a "
		                "command line of %zu bytes, module strings of %" PRIu64 " bytes), more "
		                "than the loader's limit of %u", path,
		                p->manifest_sectors * MKB_SECTOR_SIZE, p->segment_count, p->module_count,
		                p->cmdline_length, strings, (unsigned)MKB_MANIFEST_MAX_BYTES);
	return 0;
}

/* Payload after the manifest: segments' file bytes, then modules, each from a sector boundary. */
static int place_disk(struct plan *p, const char *path)
{
	uint64_t off = 0;

	if (place_manifest(p, path) != 0)
		return -1;
	p->payload_lba = p->manifest_lba + p->manifest_sectors;
	for (size_t i = 0; i < p->segment_count; i++) {
		p->segments[i].payload_offset = off;
		off += MKB_ALIGN_UP(p->segments[i].filesz, MKB_SECTOR_SIZE);
	}
	for (size_t i = 0; i < p->module_count; i++) {
		p->modules[i].payload_offset = off;
		off += MKB_ALIGN_UP(p->modules[i].size, MKB_SECTOR_SIZE);
	}
	p->kaslr_payload_offset = p->kaslr_count ? off : 0;
	off += MKB_ALIGN_UP((uint64_t)p->kaslr_count * 4, MKB_SECTOR_SIZE);
	p->initrd_payload_offset = off;
	off += MKB_ALIGN_UP(p->initrd_size, MKB_SECTOR_SIZE);
	p->setup_payload_offset = off; /* the loader finds it at the payload's end */
	off += p->setup_size;
	p->payload_sectors = off / MKB_SECTOR_SIZE;
	uint64_t used = p->payload_lba + p->payload_sectors;
	if (p->layout == IMAGE_LAYOUT_BIOS) {
		p->image_sectors = (used + MKB_CYLINDER_SECTORS - 1) / MKB_CYLINDER_SECTORS *
		                   MKB_CYLINDER_SECTORS;
		return 0;
	}
	/* The ESP on a 1 MiB boundary, as partitioning tools align; the backup GPT after it. */
	p->esp_lba = MKB_ALIGN_UP(used, PLAN_PARTITION_ALIGN);
	p->esp_sectors = FAT_ESP_SECTORS;
	p->image_sectors = MKB_ALIGN_UP(p->esp_lba + p->esp_sectors + GPT_TABLE_SECTORS,
	                                PLAN_PARTITION_ALIGN);
	return 0;
}

const char *plan_layout_name(enum image_layout layout)
{
	return layout == IMAGE_LAYOUT_BIOS ? "bios" : layout == IMAGE_LAYOUT_UEFI ? "uefi" : "hybrid";
}

int plan_parse_layout(const char *arg, enum image_layout *layout)
{
	static const enum image_layout all[] = { IMAGE_LAYOUT_BIOS, IMAGE_LAYOUT_HYBRID,
	                                         IMAGE_LAYOUT_UEFI };

	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		if (strcmp(arg, plan_layout_name(all[i])) == 0) {
			*layout = all[i];
			return 0;
		}
	return mkb_fail("--firmware %s: not bios, hybrid or uefi", arg);
}

int plan_parse_base(const char *arg, uint64_t *base)
{
	char *end;

	errno = 0;
	*base = strtoull(arg, &end, 0);
	if (errno != 0 || end == arg || *end != '\0' || *arg == '-')
		return mkb_fail("--base %s: not an address (e.g. 0xffffffff80000000)", arg);
	if (*base % MKB_PAGE != 0)
		return mkb_fail("--base %s: not a multiple of 4 KiB (a page)", arg);
	if (*base >= NONCANONICAL_START && *base < NONCANONICAL_END)
		return mkb_fail("--base %s: not canonical (x86-64 addresses lie below 0x%" PRIx64
		                " or from 0x%" PRIx64 ")", arg, NONCANONICAL_START, NONCANONICAL_END);
	return 0;
}

int plan_parse_stack_size(const char *arg, uint64_t *size)
{
	if (mkb_parse_size(arg, size) != 0)
		return mkb_fail("--stack-size: %s", mkb_error());
	if (*size < REQUEST_STACK_MIN || *size > REQUEST_STACK_MAX)
		return mkb_fail("--stack-size: %s is outside 64K..1G", arg);
	return 0;
}

static int parse_dimension(const char *s, char **end, uint32_t *out)
{
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, end, 10);
	if (errno != 0 || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int plan_parse_framebuffer(const char *arg, struct fb_mode *fb)
{
	char *p;

	if (strcmp(arg, "0") == 0) {
		*fb = (struct fb_mode){ 0, 0, 0 };
		return 0;
	}
	if (parse_dimension(arg, &p, &fb->width) != 0 || *p != 'x' ||
	    parse_dimension(p + 1, &p, &fb->height) != 0 || *p != 'x' ||
	    parse_dimension(p + 1, &p, &fb->bpp) != 0 || *p != '\0')
		return mkb_fail("--framebuffer: '%s' is not WIDTHxHEIGHTxBPP (for example 1024x768x32) "
		                "or 0 (text mode)", arg);
	if (request_check_framebuffer(fb) != 0)
		return mkb_fail("--framebuffer: %s", mkb_error());
	return 0;
}

int plan_options_add_module(struct plan_options *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	struct plan_module_arg *m;

	if (len == 0)
		return mkb_fail("--module: '%s' names no file (FILE or FILE=STRING)", arg);
	m = realloc(o->modules, (o->module_count + 1) * sizeof *m);
	if (m == NULL)
		return mkb_fail("--module: %s", strerror(ENOMEM));
	o->modules = m;
	m = &m[o->module_count];
	*m = (struct plan_module_arg){ .path = strndup(arg, len), .string = eq ? eq + 1 : "", .fd = -1 };
	if (m->path == NULL)
		return mkb_fail("--module: %s", strerror(ENOMEM));
	o->module_count++;
	return 0;
}

int plan_options_add_initrd(struct plan_options *o, const char *arg)
{
	struct plan_module_arg *m;

	if (*arg == '\0')
		return mkb_fail("--initrd: an empty file name");
	m = realloc(o->initrds, (o->initrd_count + 1) * sizeof *m);
	if (m == NULL)
		return mkb_fail("--initrd: %s", strerror(ENOMEM));
	o->initrds = m;
	m = &m[o->initrd_count];
	*m = (struct plan_module_arg){ .path = strdup(arg), .string = "", .fd = -1 };
	if (m->path == NULL)
		return mkb_fail("--initrd: %s", strerror(ENOMEM));
	o->initrd_count++;
	return 0;
}

void plan_options_free(struct plan_options *o)
{
	for (size_t i = 0; i < o->module_count; i++)
		free(o->modules[i].path);
	for (size_t i = 0; i < o->initrd_count; i++)
		free(o->initrds[i].path);
	free(o->modules);
	free(o->initrds);
	o->modules = o->initrds = NULL;
	o->module_count = o->initrd_count = 0;
}

/* Modules in order: the loader places them, so only their size and strings matter here. */
static int take_modules(struct plan *p, const char *path, const struct plan_options *o)
{
	uint64_t total = 0;

	if (o->module_count > MKB_MAX_MODULES)
		return mkb_fail("%s: %zu modules, more than the loader's limit of %u", path,
		                o->module_count, (unsigned)MKB_MAX_MODULES);
	p->modules = calloc(o->module_count ? o->module_count : 1, sizeof *p->modules);
	if (p->modules == NULL)
		return mkb_fail("%s: %s", path, strerror(ENOMEM));
	p->module_count = o->module_count;
	for (size_t i = 0; i < o->module_count; i++) {
		const struct plan_module_arg *a = &o->modules[i];
		p->modules[i] = (struct plan_module){
			.path = a->path, .string = a->string, .string_length = strlen(a->string),
			.fd = a->fd, .size = a->size,
		};
		/* Page-aligned in memory, all below 4 GiB: a bound the loader can never beat. */
		if (a->size <= PLAN_HIGH_LIMIT)
			total += MKB_ALIGN_UP(a->size, MKB_PAGE);
		if (a->size > PLAN_HIGH_LIMIT || total > PLAN_HIGH_LIMIT - PLAN_LOW_LIMIT)
			return mkb_fail("%s: modules take %" PRIu64 " MiB up to %s, more than fits "
			                "between 1 MiB and 4 GiB", path, total / MKB_MIB, a->path);
	}
	return 0;
}

static int warn(struct plan *p, const char *path, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int warn(struct plan *p, const char *path, const char *fmt, ...)
{
	char buf[320];
	char **w = realloc(p->warnings, (p->warning_count + 1) * sizeof *w);
	va_list ap;

	if (w == NULL)
		return mkb_fail("%s: %s", path, strerror(ENOMEM));
	p->warnings = w;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if ((w[p->warning_count] = strdup(buf)) == NULL)
		return mkb_fail("%s: %s", path, strerror(ENOMEM));
	p->warning_count++;
	return 0;
}

/*
 * The one list of warnings: info prints them in its report, a build on
 * stderr. Permissions and alignment matter only with paging, which a
 * Multiboot kernel starts without.
 */
static int find_warnings(struct plan *p, const struct kernel *k, const char *path)
{
	int native = !k->physical, entry_in_x = 0, entry_in_any = 0, r = 0;

	for (size_t i = 0; i < p->segment_count; i++) {
		const struct plan_segment *s = &p->segments[i];
		int has_entry = p->entry >= s->vaddr && p->entry - s->vaddr < s->memsz;
		if (native && s->vaddr % MKB_PAGE != 0)
			r |= warn(p, path, "segment %u: virtual address 0x%" PRIx64 " is not page-aligned: "
			          "its first page is mapped with the permissions of the page it shares",
			          s->index, s->vaddr);
		if (native && (s->flags & (MKB_SEG_W | MKB_SEG_X)) == (MKB_SEG_W | MKB_SEG_X))
			r |= warn(p, path, "segment %u is writable and executable: give code and data "
			          "segments of their own (PHDRS in the linker script)", s->index);
		entry_in_any |= has_entry;
		entry_in_x |= has_entry && (s->flags & MKB_SEG_X);
	}
	if (native && !entry_in_x)
		r |= warn(p, path, "the entry point 0x%" PRIx64 " is in no executable segment", p->entry);
	if (!native && !entry_in_any)
		r |= warn(p, path, "the entry point 0x%" PRIx64 " is in no loaded segment", p->entry);
	if (native && k->entry_not_function)
		r |= warn(p, path, "the entry point 0x%" PRIx64 " is not where a function of the symbol "
		          "table starts: check ENTRY() in the linker script", p->entry);
	if (k->multiboot && k->multiboot->keeps_boot_services && p->layout != IMAGE_LAYOUT_BIOS)
		r |= warn(p, path, "the Multiboot 2 header asks to keep EFI boot services, but on UEFI "
		          "mkbootimg leaves them before the kernel's entry, which such a kernel may not "
		          "survive (Xen stops): --firmware bios makes an image that boots the BIOS way only");
	if (p->stack_size > MKB_MIB)
		r |= warn(p, path, "a stack of %" PRIu64 " KiB (above 1 MiB): the loader must find it in "
		          "one piece of free RAM below 4 GiB, and a machine with little memory may have "
		          "none that large", p->stack_size / 1024);
	return r;
}

int plan_is_section_copy(uint32_t index, uint32_t protocol)
{
	return protocol != MKB_PROTOCOL_NATIVE && index >= PLAN_SECTION_INDEX;
}

const char *plan_segment_name(char out[PLAN_SEGMENT_NAME_MAX], uint32_t index, uint32_t protocol)
{
	if (plan_is_section_copy(index, protocol))
		snprintf(out, PLAN_SEGMENT_NAME_MAX, "section %" PRIu32, index - PLAN_SECTION_INDEX);
	else
		snprintf(out, PLAN_SEGMENT_NAME_MAX, "segment %" PRIu32, index);
	return out;
}

/* A kernel entered without paging (Multiboot): every segment where it says, at or above 1 MiB. */
static int keep_physical(struct plan *p, const char *path)
{
	for (size_t i = 0; i < p->segment_count; i++) {
		struct plan_segment *s = &p->segments[i];
		if (s->paddr < PLAN_LOW_LIMIT)
			return mkb_fail("%s: segment %u: physical address 0x%" PRIx64 " is below 1 MiB, "
			                "where the loader and the BIOS live", path, s->index, s->paddr);
		s->fixed = 1;
	}
	return 0;
}

/*
 * "NAME" or "NAME STRING": the file's name first, as GRUB legacy and QEMU
 * give it to Multiboot kernels. Kernels such as Xen drop the first word
 * unless the loader's name says GRUB 2, and kernels written for GRUB 2 skip
 * or ignore it.
 */
static size_t with_name(char *out, const char *path, const char *string)
{
	if (*string)
		return (size_t)sprintf(out, "%s %s", mkb_base_name(path), string) + 1;
	return (size_t)sprintf(out, "%s", mkb_base_name(path)) + 1;
}

/* The command line and every module string with its file's name first. */
static int name_first(struct plan *p, const char *kernel_path)
{
	size_t bytes = strlen(kernel_path) + p->cmdline_length + 2, at;

	for (size_t i = 0; i < p->module_count; i++)
		bytes += strlen(p->modules[i].path) + p->modules[i].string_length + 2;
	if ((p->strings = malloc(bytes)) == NULL)
		return mkb_fail("%s: %s", kernel_path, strerror(ENOMEM));
	at = with_name(p->strings, kernel_path, p->cmdline);
	p->cmdline = p->strings;
	p->cmdline_length = strlen(p->cmdline);
	for (size_t i = 0; i < p->module_count; i++) {
		struct plan_module *m = &p->modules[i];
		const char *given = m->string;
		m->string = p->strings + at;
		at += with_name(p->strings + at, m->path, given);
		m->string_length = strlen(m->string);
	}
	return 0;
}

/*
 * A Linux kernel's initrd files, one run of bytes, and its checks; --initrd
 * and --module each belong to their protocols.
 */
static int take_initrds(struct plan *p, const struct kernel *k, const struct plan_options *o)
{
	int is_linux = k->protocol == MKB_PROTOCOL_LINUX;

	if (o->initrd_count != 0 && !is_linux)
		return mkb_fail("%s: --initrd is for Linux kernels, and this is a %s kernel: give its "
		                "files with --module", k->path, multiboot_protocol_name(k->protocol));
	if (o->module_count != 0 && is_linux)
		return mkb_fail("%s: --module is for native and Multiboot kernels: a Linux kernel takes "
		                "its initrd with --initrd (several are joined in order)", k->path);
	if (!is_linux)
		return 0;
	p->initrds = calloc(o->initrd_count ? o->initrd_count : 1, sizeof *p->initrds);
	if (p->initrds == NULL)
		return mkb_fail("%s: %s", k->path, strerror(ENOMEM));
	p->initrd_count = o->initrd_count;
	for (size_t i = 0; i < o->initrd_count; i++) {
		p->initrds[i] = (struct plan_module){ .path = o->initrds[i].path, .string = "",
		                                      .fd = o->initrds[i].fd, .size = o->initrds[i].size };
		if (o->initrds[i].size > PLAN_HIGH_LIMIT || p->initrd_size + o->initrds[i].size > PLAN_HIGH_LIMIT)
			return mkb_fail("%s: the initrd files reach 4 GiB at %s", k->path, o->initrds[i].path);
		p->initrd_size += o->initrds[i].size;
	}
	return linux_check_plan(k->path, k->linux_kernel, p->cmdline_length, p->initrd_size);
}

/*
 * A Linux kernel with no protected-mode entry runs its real-mode setup code,
 * which UEFI cannot: refused for a UEFI-only image, a warning for a hybrid.
 */
static int take_real_mode(struct plan *p, const struct kernel *k)
{
	const struct linux_kernel *lk = k->linux_kernel;

	if (k->protocol != MKB_PROTOCOL_LINUX || !lk->real_mode)
		return 0;
	if (p->layout == IMAGE_LAYOUT_UEFI)
		return mkb_fail("%s: the kernel has no protected-mode entry (code32_start 0, no 64-bit "
		                "entry, as iPXE's .lkrn): it starts only through its real-mode setup code, "
		                "which needs a BIOS, and UEFI has no real mode: give --firmware bios or "
		                "hybrid (for iPXE on UEFI, boot its ipxe.efi)", k->path);
	p->setup_size = lk->setup_bytes;
	if (p->layout == IMAGE_LAYOUT_HYBRID)
		return warn(p, k->path, "the kernel starts only through its real-mode setup code "
		            "(code32_start 0): the image boots on a BIOS only, and its UEFI loader stops "
		            "saying so (--firmware bios makes a BIOS image without it)");
	return 0;
}

/* The Linux block learns where the initrd is, once the payload is planned. */
static void place_initrd(struct plan *p)
{
	struct mkb_linux lx;

	if (p->protocol != MKB_PROTOCOL_LINUX || p->handoff == NULL || p->handoff_size != sizeof lx)
		return;
	memcpy(&lx, p->handoff, sizeof lx);
	lx.initrd_size = p->initrd_size;
	lx.initrd_payload_offset = p->initrd_size ? p->initrd_payload_offset : 0;
	memcpy(p->handoff, &lx, sizeof lx);
}

/*
 * A relocatable kernel's base: --base, else its own when it is linked at
 * one, else PIE_DEFAULT_BASE. Every virtual address moves by the slide.
 */
static int pie_base(struct plan *p, const struct kernel *k, const struct plan_options *o)
{
	if (k->pie == NULL) {
		if (o->base_given)
			return mkb_fail("%s: --base moves a relocatable kernel, and this one is linked at "
			                "fixed addresses (ET_EXEC): link it with -static-pie, or drop --base",
			                k->path);
		return 0;
	}
	p->pie = k->pie;
	p->pie_base = o->base_given ? o->base : k->pie->link_base ? k->pie->link_base : PIE_DEFAULT_BASE;
	p->pie_slide = p->pie_base - k->pie->link_base;
	p->entry = k->entry + p->pie_slide;
	if (p->pie_base + k->pie->span - 1 < p->pie_base)
		return mkb_fail("%s: at base 0x%" PRIx64 " the kernel (0x%" PRIx64 " bytes) passes the top "
		                "of the address space: give a lower --base", k->path, p->pie_base,
		                k->pie->span);
	return 0;
}

/* The loader's 2 MiB steps for a kernel at base: 1 GiB, or up to the top of the address space. */
static uint32_t kaslr_slots(uint64_t base, uint64_t span)
{
	uint64_t room = 0 - (base + span); /* bytes above the kernel's end; 0: it ends at the top */
	uint64_t slots = room / MKB_PIE_SLIDE_STEP + 1;

	return slots > MKB_PIE_MAX_SLOTS ? MKB_PIE_MAX_SLOTS : (uint32_t)slots;
}

/* The words the loader slides: every relocation but those of absolute symbols. */
static int kaslr_table(struct plan *p, const char *path)
{
	const struct kernel_pie *pie = p->pie;

	p->kaslr_table = calloc(pie->count ? pie->count : 1, sizeof *p->kaslr_table);
	if (p->kaslr_table == NULL)
		return mkb_fail("%s: %s", path, strerror(ENOMEM));
	for (size_t i = 0; i < pie->count; i++)
		if (!pie->relocs[i].absolute)
			p->kaslr_table[p->kaslr_count++] = (uint32_t)(pie->relocs[i].offset - pie->link_base);
	return 0;
}

/*
 * The block of struct mkb_pie for the manifest: a relocatable kernel (its
 * base, for the boot information), or a kernel that asked for KASLR
 * (--kaslr, MKBOOTIMG_REQUEST_KASLR), checked here.
 */
static int take_pie(struct plan *p, const struct kernel *k, const struct plan_options *o)
{
	uint32_t ask = k->requests.kaslr_flags | (o->kaslr ? MKBOOTIMG_KASLR_BASE : 0);
	struct mkb_pie block = { 0, 0, 0, 0, 0, 1, 0 };
	const char *path = k->path;

	if (ask && k->protocol != MKB_PROTOCOL_NATIVE)
		return mkb_fail("%s: --kaslr is for native kernels: a %s kernel runs where it is linked",
		                path, multiboot_protocol_name(k->protocol));
	if ((ask & MKBOOTIMG_KASLR_BASE) && k->pie == NULL)
		return mkb_fail("%s: KASLR (%s) slides a relocatable kernel, and this one is linked at "
		                "fixed addresses (ET_EXEC): link it with -fpie -static-pie", path,
		                o->kaslr ? "--kaslr" : "note mkbootimg kaslr");
	if (k->pie == NULL && ask == 0)
		return 0;
	if (k->pie != NULL) {
		block.flags |= MKB_PIE_RELOCATABLE;
		block.base = p->pie_base;
		block.link_base = k->pie->link_base;
	}
	if (ask & MKBOOTIMG_KASLR_BASE) {
		if (p->pie_base < PIE_DEFAULT_BASE)
			return mkb_fail("%s: KASLR keeps the kernel in the top 2 GiB (-mcmodel=kernel), and its "
			                "base is 0x%" PRIx64 ": give --base 0x%" PRIx64 " or higher", path,
			                p->pie_base, PIE_DEFAULT_BASE);
		block.flags |= MKB_PIE_KASLR_BASE;
		block.slots = kaslr_slots(p->pie_base, k->pie->span);
		if (kaslr_table(p, path) != 0)
			return -1;
		block.count = p->kaslr_count;
	}
	if (ask & MKBOOTIMG_KASLR_DIRECT_MAP)
		block.flags |= MKB_PIE_KASLR_DIRECT_MAP;
	p->kaslr_flags = block.flags;
	if ((p->handoff = malloc(sizeof block)) == NULL)
		return mkb_fail("%s: %s", path, strerror(ENOMEM));
	memcpy(p->handoff, &block, sizeof block);
	p->handoff_size = sizeof block;
	p->handoff_fixup = KERNEL_NO_FIXUP;
	return 0;
}

/* The block learns where the table is, once the payload is planned. */
static void place_pie(struct plan *p)
{
	struct mkb_pie block;

	if (p->protocol != MKB_PROTOCOL_NATIVE || p->handoff == NULL || p->handoff_size != sizeof block)
		return;
	memcpy(&block, p->handoff, sizeof block);
	block.table_payload_offset = p->kaslr_payload_offset;
	memcpy(p->handoff, &block, sizeof block);
}

/* The reader's hand-off block, for the manifest. */
static int take_handoff(struct plan *p, const struct kernel *k)
{
	if (k->handoff.bytes == NULL)
		return 0;
	if ((p->handoff = malloc(k->handoff.size)) == NULL)
		return mkb_fail("%s: %s", k->path, strerror(ENOMEM));
	memcpy(p->handoff, k->handoff.bytes, k->handoff.size);
	p->handoff_size = k->handoff.size;
	p->handoff_fixup = k->handoff.fixup;
	return 0;
}

int plan_make(struct plan *p, const struct kernel *k, const struct plan_options *o)
{
	const char *path = k->path;
	uint64_t stack = o->stack_size ? o->stack_size
	               : k->requests.stack_size ? k->requests.stack_size : PLAN_STACK_DEFAULT;
	uint64_t stack_low;

	*p = (struct plan){
		.entry = k->entry,
		.stack_top = PLAN_STACK_TOP,
		.direct_map_offset = PLAN_DIRECT_MAP,
		.cmdline = o->cmdline ? o->cmdline : "",
		.framebuffer = o->framebuffer_given ? o->framebuffer : k->requests.framebuffer,
		.protocol = k->protocol,
		.smp_stack_size = k->protocol == MKB_PROTOCOL_NATIVE ? k->requests.smp_stack_size : 0,
		/* A UEFI-only image has no stage 2: its manifest starts at MKB_STAGE2_LBA. */
		.stage2_sectors = o->layout == IMAGE_LAYOUT_UEFI ? 0 : o->stage2_sectors,
		.layout = o->layout,
	};
	p->cmdline_length = strlen(p->cmdline);
	if (stack < REQUEST_STACK_MIN)
		return mkb_fail("stack size %" PRIu64 " bytes is below the minimum of 64 KiB", stack);
	if (stack > REQUEST_STACK_MAX)
		return mkb_fail("stack size %" PRIu64 " bytes exceeds the maximum of 1 GiB", stack);
	p->stack_size = MKB_ALIGN_UP(stack, MKB_PAGE);
	stack_low = p->stack_top - p->stack_size - MKB_PAGE; /* one unmapped guard page */

	if (k->segment_count > MKB_MAX_SEGMENTS)
		return mkb_fail("%s: %zu loadable segments, more than the loader's limit of %u", path,
		                k->segment_count, (unsigned)MKB_MAX_SEGMENTS);
	p->segments = calloc(k->segment_count ? k->segment_count : 1, sizeof *p->segments);
	if (p->segments == NULL)
		return mkb_fail("%s: %s", path, strerror(ENOMEM));
	p->segment_count = k->segment_count;
	if (pie_base(p, k, o) != 0)
		goto fail;
	for (size_t i = 0; i < k->segment_count; i++) {
		const struct kernel_segment *ks = &k->segments[i];
		struct plan_segment *s = &p->segments[i];
		*s = (struct plan_segment){
			.index = ks->index, .vaddr = ks->vaddr + p->pie_slide, .paddr = ks->paddr,
			.filesz = ks->filesz, .memsz = ks->memsz, .file_offset = ks->offset,
			.flags = seg_flags(ks->flags),
		};
		if (!k->physical && check_virtual(path, s, stack_low) != 0)
			goto fail;
	}
	if ((k->physical ? keep_physical(p, path) : place_physical(p, path)) != 0 ||
	    check_physical(p, path) != 0 || take_modules(p, path, o) != 0 ||
	    take_initrds(p, k, o) != 0 || take_real_mode(p, k) != 0 ||
	    (k->name_first && name_first(p, k->path) != 0) || take_handoff(p, k) != 0 ||
	    take_pie(p, k, o) != 0 || place_disk(p, path) != 0 || find_warnings(p, k, path) != 0)
		goto fail;
	place_initrd(p);
	place_pie(p);
	return 0;
fail:
	plan_free(p);
	return -1;
}

void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->warning_count; i++)
		free(p->warnings[i]);
	free(p->warnings);
	p->warnings = NULL;
	p->warning_count = 0;
	free(p->segments);
	free(p->modules);
	free(p->initrds);
	p->initrds = NULL;
	p->initrd_count = 0;
	free(p->strings);
	free(p->handoff);
	free(p->kaslr_table);
	p->kaslr_table = NULL;
	p->kaslr_count = 0;
	p->strings = NULL;
	p->handoff = NULL;
	p->segments = NULL;
	p->segment_count = 0;
	p->modules = NULL;
	p->module_count = 0;
}

void plan_flags_string(char out[4], uint32_t flags)
{
	out[0] = flags & MKB_SEG_R ? 'R' : '-';
	out[1] = flags & MKB_SEG_W ? 'W' : '-';
	out[2] = flags & MKB_SEG_X ? 'X' : '-';
	out[3] = '\0';
}
