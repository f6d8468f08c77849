/*
 * mkbootimg: turn a freestanding x86-64 ELF kernel into a BIOS-bootable disk
 * image, boot one in QEMU (run), write one to a USB stick (install) or show
 * what one holds (info). main() parses options, calls the modules, prints
 * what failed and exits: 0 on success, 1 on error, 2 on a usage error; run
 * adds 3 when the loader stopped, 124 for a timeout and 128+N for signal N.
 */
#include "build.h"
#include "image.h"
#include "image-options.h"
#include "info.h"
#include "install.h"
#include "plan.h"
#include "run-options.h"
#include "run.h"
#include "util.h"

#include <mkbootimg/image.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


/* The loaders images get, embedded at build time (tool/loader-blob.S). */
extern const uint8_t mkb_loader_bin[], mkb_loader_bin_end[];
extern const uint8_t mkb_uefi_loader[], mkb_uefi_loader_end[];
static struct loader_blob loader_blob(void)
{
	return (struct loader_blob){ mkb_loader_bin, (size_t)(mkb_loader_bin_end - mkb_loader_bin),
	                             mkb_uefi_loader, (size_t)(mkb_uefi_loader_end - mkb_uefi_loader) };
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mkbootimg [-qv] [--cmdline STRING] [--stack-size SIZE]\n"
	           "                 [--module FILE[=STRING]] [--framebuffer WxHxBPP]\n"
	           "                 [--protocol native|multiboot1|multiboot2]\n"
	           "                 [--firmware bios|hybrid|uefi] [--base ADDR] [--kaslr]\n"
	           "                 -o IMAGE KERNEL\n"
	           "       mkbootimg run|install|info [options] ...  (mkbootimg COMMAND --help)\n"
	           "       mkbootimg -h | -V\n");
}

static void help(void)
{
	usage(stdout);
	printf("\nBuild a disk image that boots on BIOS and UEFI PCs from a 64-bit ELF kernel or a\n"
	       "Multiboot kernel.\n\n"
	       "  -o, --output IMAGE          write the image to IMAGE (replaced atomically)\n");
	image_options_help(stdout, 30);
	printf("  -v, --verbose               print the load plan on stderr\n"
	       "  -q, --quiet                 do not print warnings about the kernel on stderr\n"
	       "  -h, --help                  print this help\n"
	       "  -V, --version               print the version\n");
}

/* MKB_VERSION comes from the Makefile's VERSION; MKB_REVISION from git, when built from git. */
#ifndef MKB_REVISION
#define MKB_REVISION ""
#endif
static void print_version(void)
{
	if (MKB_REVISION[0] != '\0')
		printf("mkbootimg " MKB_VERSION " (git " MKB_REVISION ")\n");
	else
		printf("mkbootimg " MKB_VERSION "\n");
}

static void __attribute__((noreturn)) usage_error(void)
{
	usage(stderr);
	exit(MKB_EXIT_USAGE);
}

static void __attribute__((noreturn)) fail(void)
{
	fprintf(stderr, "mkbootimg: %s\n", mkb_error());
	exit(EXIT_FAILURE);
}

/* What the build command was asked: the kernel, the image to write, the image options. */
struct build_args {
	struct plan_options opts;
	const char *kernel, *out;
	int verbose, quiet;
};

/* The build's command line: 0 to build, 1 when --help or --version was answered; exits on a usage error. */
static int parse_build(int argc, char **argv, struct build_args *a)
{
	static const struct option longopts[] = {
		IMAGE_LONGOPTS,
		{ "output", required_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, taken;

	argv[0] = (char *)"mkbootimg"; /* getopt's messages then read like ours */
	while ((c = getopt_long(argc, argv, "o:vqhV", longopts, NULL)) != -1) {
		if ((taken = image_option(&a->opts, c, optarg)) < 0) {
			fprintf(stderr, "mkbootimg: %s\n", mkb_error());
			usage_error();
		}
		if (taken)
			continue;
		switch (c) {
		case 'o':
			a->out = optarg;
			break;
		case 'v':
			a->verbose = 1;
			break;
		case 'q':
			a->quiet = 1;
			break;
		case 'h':
			help();
			return 1;
		case 'V':
			print_version();
			return 1;
		default:
			usage_error(); /* getopt_long has said what was wrong */
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "mkbootimg: %s\n", optind == argc ? "no kernel given" : "too many arguments");
		usage_error();
	}
	if (a->out == NULL) {
		fprintf(stderr, "mkbootimg: no output given (-o IMAGE)\n");
		usage_error();
	}
	a->kernel = argv[optind];
	return 0;
}

static int cmd_build(int argc, char **argv)
{
	struct build_args a = { .opts = { 0 } };
	struct loader_blob loader = loader_blob();
	int rc;

	if (parse_build(argc, argv, &a) != 0) {
		plan_options_free(&a.opts);
		return 0;
	}
	rc = build_image_warn(a.kernel, a.out, &a.opts, &loader, a.verbose ? stderr : NULL,
	                      a.quiet ? NULL : stderr);
	plan_options_free(&a.opts);
	if (rc != 0)
		fail();
	return 0;
}

static void run_usage(FILE *f)
{
	fprintf(f, "usage: mkbootimg run [options] KERNEL|IMAGE|DEVICE [-- QEMU-ARGS...]\n");
}

static void run_help(void)
{
	run_usage(stdout);
	printf("\nBoot a kernel (an image is built on the fly), a ready image, or a device\n"
	       "holding one (read only), in QEMU.\n\n"
	       "      --test                   judge the run: QEMU exit status N (port 0xf4) is a pass\n"
	       "      --timeout SECONDS        kill QEMU after this long (test mode: 300; 0: never)\n"
	       "      --success-exit-code N    the QEMU exit status that passes (default 33)\n"
	       "      --machine pc|q35         the machine (default q35)\n"
	       "      --firmware bios|uefi     SeaBIOS or OVMF (default $MKBOOTIMG_FIRMWARE, or what a\n"
	       "                               ready image boots on, or bios); for a KERNEL, also its layout\n"
	       "      --memory SIZE            RAM: MiB, or with K, M or G (default 256)\n"
	       "      --smp N                  N CPUs (default 1)\n"
	       "      --serial FILE|stdio|none where COM1 goes (default stdio: standard output)\n"
	       "      --accel auto|kvm|tcg     auto: KVM when /dev/kvm is usable (default: $MKBOOTIMG_ACCEL or auto)\n"
	       "      --qemu PATH              the QEMU program (default qemu-system-x86_64)\n"
	       "      --gdb[=PORT]             start halted, wait for a debugger on PORT (default 1234)\n"
	       "      --headless               no display: COM1 on stdout, the screen printed at the end\n"
	       "      --dry-run                print the QEMU command and exit\n"
	       "  -v, --verbose                print the QEMU command before running it\n"
	       "  -q, --quiet                  print only errors and test failures\n"
	       "  -h, --help                   print this help\n"
	       "For a KERNEL, built into an image as by mkbootimg -o:\n");
	image_options_help(stdout, 31);
	printf("\nA kernel in a deps/ folder (cargo test) runs as a test. With CARGO_MANIFEST_DIR set,\n"
	       "[package.metadata.bootimage] of its Cargo.toml is honoured. See mkbootimg(1).\n"
	       "\nExit status: 0 done (a test: passed), 1 error or failed test, 2 usage, 3 the\n"
	       "loader stopped, 124 timeout, 128+N signal N (130 for Ctrl-C).\n");
}

static int cmd_run(int argc, char **argv)
{
	struct loader_blob loader = loader_blob();
	struct run_options o;
	char message[RUN_MESSAGE_MAX];
	int status, rc;

	argv[0] = (char *)"mkbootimg run"; /* getopt's messages then read like ours */
	rc = run_options_parse(&o, argc, argv);
	if (rc != 0) {
		if (rc != MKB_REPORTED)
			fprintf(stderr, "mkbootimg: %s\n", mkb_error());
		run_usage(stderr);
		run_options_free(&o);
		return MKB_EXIT_USAGE;
	}
	if (o.help) {
		run_help();
		run_options_free(&o);
		return 0;
	}
	status = run(&o, &loader, message, sizeof message);
	run_options_free(&o);
	if (message[0] != '\0')
		fprintf(stderr, "mkbootimg: %s\n", message);
	if (status == RUN_EXIT_USAGE)
		run_usage(stderr);
	return status;
}

static int cmd_install(int argc, char **argv)
{
	struct loader_blob loader = loader_blob();

	return install_main(argc, argv, &loader);
}

static int cmd_info(int argc, char **argv)
{
	struct loader_blob loader = loader_blob();

	return info_main(argc, argv, &loader);
}

/* First-argument subcommands; anything else is the default build. */
static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "run", cmd_run },
	{ "install", cmd_install },
	{ "info", cmd_info },
};

/* Edits (insert, delete, change, swap two neighbours) between a and b, stopping past 3. */
static int distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	int d[16][16];

	if (n >= 16 || m >= 16)
		return 99;
	for (size_t i = 0; i <= n; i++)
		for (size_t j = 0; j <= m; j++) {
			int best = i == 0 ? (int)j : j == 0 ? (int)i :
			           d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (i > 0 && j > 0) {
				best = best < d[i - 1][j] + 1 ? best : d[i - 1][j] + 1;
				best = best < d[i][j - 1] + 1 ? best : d[i][j - 1] + 1;
			}
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
				best = best < d[i - 2][j - 2] + 1 ? best : d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[n][m];
}

/*
 * A first word that is not an option, not a file and looks like a word is a
 * mistyped command ("runn"), not a kernel: say so, with the nearest command.
 */
static int looks_like_command(const char *word)
{
	struct stat st;

	if (word[0] == '\0' || word[0] == '-' || stat(word, &st) == 0)
		return 0;
	for (const char *p = word; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || *p == '-'))
			return 0;
	return 1;
}

static void __attribute__((noreturn)) unknown_command(const char *word)
{
	const char *nearest = NULL;
	int best = 3;

	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		int d = distance(word, commands[i].name);
		if (d < best) {
			best = d;
			nearest = commands[i].name;
		}
	}
	if (nearest != NULL)
		fprintf(stderr, "mkbootimg: unknown command '%s' (did you mean '%s'?)\n", word, nearest);
	else
		fprintf(stderr, "mkbootimg: unknown command '%s', and no such kernel file\n", word);
	usage_error();
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
			if (strcmp(argv[1], commands[i].name) == 0)
				return commands[i].run(argc - 1, argv + 1);
		if (looks_like_command(argv[1]))
			unknown_command(argv[1]);
	}
	return cmd_build(argc, argv);
}
