/*
 * The options of every command that makes an image from a kernel (the
 * build, run, install and info): parsed in one place, so that each command
 * takes the same set, with the same messages.
 */
#ifndef MKB_IMAGE_OPTIONS_H
#define MKB_IMAGE_OPTIONS_H

#include "plan.h"

#include <stdio.h>

/* getopt_long values, clear of every command's own letters and numbers. */
enum {
	IMAGE_OPT_CMDLINE = 0x1000, IMAGE_OPT_STACK_SIZE, IMAGE_OPT_MODULE, IMAGE_OPT_FRAMEBUFFER,
	IMAGE_OPT_PROTOCOL, IMAGE_OPT_FIRMWARE, IMAGE_OPT_INITRD, IMAGE_OPT_BASE, IMAGE_OPT_KASLR,
};

/* Their entries in a command's struct option table (getopt.h). */
#define IMAGE_LONGOPTS \
	{ "cmdline", required_argument, NULL, IMAGE_OPT_CMDLINE }, \
	{ "stack-size", required_argument, NULL, IMAGE_OPT_STACK_SIZE }, \
	{ "module", required_argument, NULL, IMAGE_OPT_MODULE }, \
	{ "initrd", required_argument, NULL, IMAGE_OPT_INITRD }, \
	{ "framebuffer", required_argument, NULL, IMAGE_OPT_FRAMEBUFFER }, \
	{ "protocol", required_argument, NULL, IMAGE_OPT_PROTOCOL }, \
	{ "firmware", required_argument, NULL, IMAGE_OPT_FIRMWARE }, \
	{ "base", required_argument, NULL, IMAGE_OPT_BASE }, \
	{ "kaslr", no_argument, NULL, IMAGE_OPT_KASLR }

/*
 * Take getopt_long's answer c and its argument: 1 when c is one of these
 * options and arg was taken into o, 0 when c is not one of them, -1 with
 * mkb_error() set when arg is not valid.
 */
int image_option(struct plan_options *o, int c, const char *arg);

/*
 * Was any of them given? A ready image takes none. --firmware is not
 * counted: for run it also chooses the machine's firmware, which a ready
 * image may be booted with.
 */
int image_options_given(const struct plan_options *o);

/* When any was given for image, a ready image: -1 with mkb_error() saying so; else 0. */
int image_options_refuse(const struct plan_options *o, const char *image);

/* Their lines for a command's --help, descriptions starting at column. */
void image_options_help(FILE *f, int column);

#endif
