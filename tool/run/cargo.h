/*
 * [package.metadata.bootimage] of a Cargo.toml, the settings Rust kernel
 * authors give bootimage's runner. A deliberately small TOML reader: tables,
 * `key = value` with strings, integers, booleans and arrays of strings, and
 * comments. Other tables are skipped; anything else in this one is an error
 * that names the file, the line and the key.
 */
#ifndef MKB_CARGO_H
#define MKB_CARGO_H

#include <stddef.h>

struct cargo_strings {
	char **items;  /* NULL when the key is absent */
	size_t count;
};

struct cargo_config {
	struct cargo_strings run_command; /* QEMU and its arguments; "{}" stands for the image */
	struct cargo_strings run_args;    /* appended when not testing */
	struct cargo_strings test_args;   /* appended when testing */
	long test_timeout;                /* seconds; -1 when absent */
	int test_success_exit_code;       /* -1 when absent */
	int test_no_reboot;               /* 0 or 1; -1 when absent */
};

/* Read path; a file without the table gives an empty config. 0, or -1 with mkb_error() set. */
int cargo_config_read(struct cargo_config *c, const char *path);

/* The same from text already in memory; file names the text in messages. */
int cargo_config_parse(struct cargo_config *c, const char *file, const char *text, size_t len);

void cargo_config_free(struct cargo_config *c);

#endif
