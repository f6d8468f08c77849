/*
 * mkbootimg: turn a freestanding x86-64 ELF kernel into a BIOS-bootable disk
 * image. main() parses options, runs kernel -> plan -> image, prints what
 * failed and exits: 0 on success, 1 on error, 2 on a usage error.
 */
#include "image.h"
#include "kernel.h"
#include "plan.h"
#include "util.h"

#include <mkbootimg/image.h>

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define EXIT_USAGE 2

extern const uint8_t mkb_loader_bin[], mkb_loader_bin_end[];

static void usage(FILE *f)
{
	fprintf(f, "usage: mkbootimg [-v] [--cmdline STRING] [--stack-size SIZE] -o IMAGE KERNEL\n"
	           "       mkbootimg -h | -V\n");
}

static void help(void)
{
	usage(stdout);
	printf("\nBuild a BIOS-bootable disk image from a 64-bit ELF kernel.\n\n"
	       "  -o, --output IMAGE     write the image to IMAGE (replaced atomically)\n"
	       "      --cmdline STRING   command line handed to the kernel\n"
	       "      --stack-size SIZE  kernel stack: bytes, or with K, M or G (64K..1G, default 64K)\n"
	       "  -v, --verbose          print the load plan on stderr\n"
	       "  -h, --help             print this help\n"
	       "  -V, --version          print the version\n");
}

static void __attribute__((noreturn)) usage_error(void)
{
	usage(stderr);
	exit(EXIT_USAGE);
}

static void __attribute__((noreturn)) fail(void)
{
	fprintf(stderr, "mkbootimg: %s\n", mkb_error());
	exit(EXIT_FAILURE);
}

static void flag_string(char out[4], uint32_t f)
{
	out[0] = f & 4 ? 'R' : '-';
	out[1] = f & 2 ? 'W' : '-';
	out[2] = f & 1 ? 'X' : '-';
	out[3] = '\0';
}

/* -v: the plan, for people and for bug reports. */
static void print_plan(const char *kernel_path, const struct plan *p)
{
	fprintf(stderr, "%s: entry 0x%" PRIx64 "\n", kernel_path, p->entry);
	for (size_t i = 0; i < p->segment_count; i++) {
		const struct plan_segment *s = &p->segments[i];
		char fl[4];
		flag_string(fl, s->flags);
		fprintf(stderr, "  segment %u %s virt 0x%016" PRIx64 " -> phys 0x%08" PRIx64
		        " %-8s file 0x%" PRIx64 " mem 0x%" PRIx64 "\n", s->index, fl, s->vaddr,
		        s->paddr, s->fixed ? "(fixed)" : "(placed)", s->filesz, s->memsz);
	}
	fprintf(stderr, "  stack 0x%" PRIx64 "-0x%" PRIx64 " (%" PRIu64 " KiB), direct map at 0x%" PRIx64 "\n",
	        p->stack_top - p->stack_size, p->stack_top, p->stack_size / 1024,
	        p->direct_map_offset);
	if (p->cmdline_length)
		fprintf(stderr, "  command line \"%s\"\n", p->cmdline);
	fprintf(stderr, "  image %" PRIu64 " sectors (%" PRIu64 " KiB): stage 2 at LBA %d (%" PRIu64
	        " sectors), manifest at LBA %" PRIu64 ", payload at LBA %" PRIu64 " (%" PRIu64 " KiB)\n",
	        p->image_sectors, p->image_sectors / 2, MKB_STAGE2_LBA, p->stage2_sectors,
	        p->manifest_lba, p->payload_lba, p->payload_sectors / 2);
}

static int cmd_build(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "cmdline", required_argument, NULL, 'c' },
		{ "stack-size", required_argument, NULL, 's' },
		{ "output", required_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct plan_options opts = { 0 };
	struct loader_blob loader = {
		mkb_loader_bin, (size_t)(mkb_loader_bin_end - mkb_loader_bin),
	};
	const char *out = NULL, *kernel_path;
	struct kernel k;
	struct plan p;
	struct stat ks, os;
	int verbose = 0, c;

	argv[0] = (char *)"mkbootimg"; /* getopt's messages then read like ours */
	while ((c = getopt_long(argc, argv, "o:vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			opts.cmdline = optarg;
			break;
		case 's':
			if (mkb_parse_size(optarg, &opts.stack_size) != 0) {
				fprintf(stderr, "mkbootimg: --stack-size: %s\n", mkb_error());
				usage_error();
			}
			if (opts.stack_size < PLAN_STACK_MIN || opts.stack_size > PLAN_STACK_MAX) {
				fprintf(stderr, "mkbootimg: --stack-size: %s is outside 64K..1G\n", optarg);
				usage_error();
			}
			break;
		case 'o':
			out = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			help();
			return 0;
		case 'V':
			printf("mkbootimg " MKB_VERSION "\n");
			return 0;
		default:
			usage_error(); /* getopt_long has said what was wrong */
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "mkbootimg: %s\n", optind == argc ? "no kernel given" : "too many arguments");
		usage_error();
	}
	if (out == NULL) {
		fprintf(stderr, "mkbootimg: no output given (-o IMAGE)\n");
		usage_error();
	}
	kernel_path = argv[optind];

	if (image_check_loader(&loader, &opts.stage2_sectors) != 0 ||
	    kernel_open(&k, kernel_path) != 0)
		fail();
	if (fstat(k.fd, &ks) == 0 && stat(out, &os) == 0 &&
	    ks.st_dev == os.st_dev && ks.st_ino == os.st_ino) {
		mkb_fail("%s: the output would replace the kernel", out);
		fail();
	}
	if (plan_make(&p, &k, &opts) != 0)
		fail();
	if (verbose)
		print_plan(kernel_path, &p);
	if (image_write(out, &k, &p, &loader) != 0)
		fail();
	plan_free(&p);
	kernel_close(&k);
	return 0;
}

static int cmd_not_yet(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "mkbootimg: %s: not implemented yet\n", argv[0]);
	return EXIT_USAGE;
}

/* First-argument subcommands; anything else is the default build. */
static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "run", cmd_not_yet },
	{ "install", cmd_not_yet },
	{ "info", cmd_not_yet },
};

int main(int argc, char **argv)
{
	if (argc > 1) {
		for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
			if (strcmp(argv[1], commands[i].name) == 0)
				return commands[i].run(argc - 1, argv + 1);
	}
	return cmd_build(argc, argv);
}
