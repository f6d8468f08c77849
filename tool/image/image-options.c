#include "image-options.h"
#include "multiboot.h"
#include "util.h"

int image_option(struct plan_options *o, int c, const char *arg)
{
	int protocol;

	switch (c) {
	case IMAGE_OPT_CMDLINE:
		o->cmdline = arg;
		return 1;
	case IMAGE_OPT_STACK_SIZE:
		return plan_parse_stack_size(arg, &o->stack_size) == 0 ? 1 : -1;
	case IMAGE_OPT_MODULE:
		return plan_options_add_module(o, arg) == 0 ? 1 : -1;
	case IMAGE_OPT_INITRD:
		return plan_options_add_initrd(o, arg) == 0 ? 1 : -1;
	case IMAGE_OPT_FRAMEBUFFER:
		o->framebuffer_given = 1;
		return plan_parse_framebuffer(arg, &o->framebuffer) == 0 ? 1 : -1;
	case IMAGE_OPT_PROTOCOL:
		if (multiboot_parse_protocol(arg, &protocol) != 0)
			return -1;
		o->protocol = (uint32_t)protocol;
		o->protocol_given = 1;
		return 1;
	case IMAGE_OPT_BASE:
		o->base_given = 1;
		return plan_parse_base(arg, &o->base) == 0 ? 1 : -1;
	case IMAGE_OPT_KASLR:
		o->kaslr = 1;
		return 1;
	case IMAGE_OPT_FIRMWARE:
		o->layout_given = 1;
		return plan_parse_layout(arg, &o->layout) == 0 ? 1 : -1;
	default:
		return 0;
	}
}

int image_options_given(const struct plan_options *o)
{
	return o->cmdline != NULL || o->stack_size != 0 || o->module_count != 0 || o->framebuffer_given ||
	       o->protocol_given || o->initrd_count != 0 || o->base_given || o->kaslr;
}

int image_options_refuse(const struct plan_options *o, const char *image)
{
	if (!image_options_given(o))
		return 0;
	return mkb_fail("%s is a ready image: --cmdline, --stack-size, --module, --initrd, "
	                "--framebuffer, --protocol, --base and --kaslr apply only to a kernel", image);
}

void image_options_help(FILE *f, int column)
{
	/* Descriptions of at most 48 characters a line: 80 columns from column 32. */
	static const char *const lines[][2] = {
		{ "--cmdline STRING", "command line handed to the kernel" },
		{ "--stack-size SIZE", "the kernel's stack, 64K..1G (default 64K)" },
		{ "--module FILE[=STRING]", "FILE loaded too, STRING for it (repeatable)" },
		{ "--initrd FILE", "a Linux kernel's initrd (repeatable: joined in\n"
		                   "order)" },
		{ "--framebuffer WxHxBPP", "a graphics mode, e.g. 1024x768x32 (0: text)" },
		{ "--protocol PROTOCOL", "native, multiboot1, multiboot2 or linux (default:\n"
		                         "as the kernel's headers say: Linux setup\n"
		                         "header, Multiboot 2, 1, native)" },
		{ "--base ADDR", "a relocatable (PIE) kernel's virtual base\n"
		                 "(default: its own, or 0xffffffff80000000)" },
		{ "--kaslr", "a random base for it at each boot" },
		{ "--firmware FIRMWARE", "the image boots on bios, uefi or both: hybrid\n"
		                         "(default hybrid)" },
	};

	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		fprintf(f, "      %-*s", column - 6, lines[i][0]);
		for (const char *p = lines[i][1]; *p != '\0'; p++) {
			fputc(*p, f);
			if (*p == '\n')
				fprintf(f, "%*s", column, ""); /* a description's second line, aligned */
		}
		fputc('\n', f);
	}
}
