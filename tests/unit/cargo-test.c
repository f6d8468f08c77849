/* cargo.c: [package.metadata.bootimage] from Cargo.toml, a small TOML subset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cargo.h"
#include "elf-builder.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static struct cargo_config c;

static int parse(const char *text)
{
	return cargo_config_parse(&c, "Cargo.toml", text, strlen(text));
}

static void expect_error(const char *text, const char *message)
{
	if (parse(text) == 0) {
		cargo_config_free(&c);
		fail_msg("accepted:\n%s", text);
	}
	assert_string_equal(mkb_error(), message);
}

static void test_cargo_empty(void **state)
{
	(void)state;
	assert_int_equal(parse(""), 0);
	assert_null(c.run_command.items);
	assert_null(c.run_args.items);
	assert_null(c.test_args.items);
	assert_int_equal(c.test_timeout, -1);
	assert_int_equal(c.test_success_exit_code, -1);
	assert_int_equal(c.test_no_reboot, -1);
	cargo_config_free(&c);
}

/* blog_os's Cargo.toml, with what else a Cargo.toml holds around the table. */
static void test_cargo_blog_os(void **state)
{
	(void)state;
	assert_int_equal(parse(
		"# blog_os\n"
		"[package]\n"
		"name = \"blog_os\"\n"
		"version = \"0.1.0\"\r\n"
		"authors = [\"Philipp Oppermann <dev@phil-opp.com>\"]\n"
		"description = \"\"\"\n[package.metadata.bootimage]\ntest-timeout = \"no\"\n\"\"\"\n"
		"\n"
		"[[test]]\n"
		"name = \"should_panic\"\n"
		"harness = false\n"
		"\n"
		"[dependencies]\n"
		"bootloader = { version = \"0.9\", features = [\"map_physical_memory\"]}\n"
		"x86_64 = '0.14.2'\n"
		"when = 1979-05-27 07:32:00Z\n"
		"nested = [[1, 2], [\"a]\", 'b]'], { x = 1 }]\n"
		"\n"
		"[dependencies.lazy_static]\n"
		"version = \"1.0\"\n"
		"features = [\"spin_no_std\"]\n"
		"\n"
		"[ package . metadata . bootimage ]   # spaces are allowed\n"
		"test-args = [\n"
		"    \"-device\", \"isa-debug-exit,iobase=0xf4,iosize=0x04\", # a comment\n"
		"    \"-serial\", 'stdio',\n"
		"    \"-display\", \"none\",\n"
		"]\n"
		"test-success-exit-code = 33         # (0x10 << 1) | 1\n"
		"test-timeout = 300\n"
		"run-args = []\n"
		"\"test-no-reboot\" = false\n"
		"run-command = [\"qemu-system-x86_64\", \"-drive\", \"format=raw,file={}\"]\n"
		"build-command = [\"build\"]\n"
		"\n"
		"[profile.dev]\n"
		"panic = \"abort\"\n"), 0);
	assert_int_equal(c.test_args.count, 6);
	assert_string_equal(c.test_args.items[0], "-device");
	assert_string_equal(c.test_args.items[1], "isa-debug-exit,iobase=0xf4,iosize=0x04");
	assert_string_equal(c.test_args.items[3], "stdio");
	assert_string_equal(c.test_args.items[5], "none");
	assert_int_equal(c.test_success_exit_code, 33);
	assert_int_equal(c.test_timeout, 300);
	assert_non_null(c.run_args.items);
	assert_int_equal(c.run_args.count, 0);
	assert_int_equal(c.test_no_reboot, 0);
	assert_int_equal(c.run_command.count, 3);
	assert_string_equal(c.run_command.items[2], "format=raw,file={}");
	cargo_config_free(&c);
}

static void test_cargo_strings(void **state)
{
	(void)state;
	assert_int_equal(parse("[package.metadata.bootimage]\n"
	                       "run-args = [\"a\\\"b\\\\c\\td\", 'C:\\path', \"\\u00e9\\U0001F600\", \"\"]\n"
	                       "test-success-exit-code = +3_5\n"
	                       "test-no-reboot = true"), 0);
	assert_int_equal(c.run_args.count, 4);
	assert_string_equal(c.run_args.items[0], "a\"b\\c\td");
	assert_string_equal(c.run_args.items[1], "C:\\path");
	assert_string_equal(c.run_args.items[2], "\xc3\xa9\xf0\x9f\x98\x80");
	assert_string_equal(c.run_args.items[3], "");
	assert_int_equal(c.test_success_exit_code, 35);
	assert_int_equal(c.test_no_reboot, 1);
	cargo_config_free(&c);
}

#define T "[package.metadata.bootimage]\n"

static void test_cargo_wrong_types(void **state)
{
	(void)state;
	expect_error(T "test-timeout = \"300\"\n",
	             "Cargo.toml:2: test-timeout: expected a number of seconds, like 300");
	expect_error(T "test-timeout = 0\n", "Cargo.toml:2: test-timeout: expected a number of seconds, like 300");
	expect_error(T "test-timeout = 1.5\n", "Cargo.toml:2: test-timeout: expected a number of seconds, like 300");
	expect_error(T "test-success-exit-code = 256\n",
	             "Cargo.toml:2: test-success-exit-code: expected an exit status (0..255), like 33");
	expect_error(T "test-success-exit-code = 0x21\n",
	             "Cargo.toml:2: test-success-exit-code: expected an exit status (0..255), like 33");
	expect_error(T "test-no-reboot = 1\n", "Cargo.toml:2: test-no-reboot: expected true or false");
	expect_error(T "test-no-reboot = \"true\"\n", "Cargo.toml:2: test-no-reboot: expected true or false");
	expect_error(T "test-no-reboot = trueish\n",
	             "Cargo.toml:2: test-no-reboot: unexpected 'i' after the value");
	expect_error(T "\n\ntest-args = \"-serial stdio\"\n",
	             "Cargo.toml:4: test-args: expected an array of strings, like [\"-serial\", \"stdio\"]");
	expect_error(T "test-args = [\"-m\", 256]\n",
	             "Cargo.toml:2: test-args: expected an array of strings, like [\"-serial\", \"stdio\"]");
	expect_error(T "run-command = []\n",
	             "Cargo.toml:2: run-command: must name a program, like [\"qemu-system-x86_64\"]");
	expect_error(T "run-args = \"\"\"x\"\"\"\n",
	             "Cargo.toml:2: run-args: expected an array of strings, like [\"-serial\", \"stdio\"]");
	expect_error(T "run-args = [\"\"\"x\"\"\"]\n",
	             "Cargo.toml:2: run-args: multi-line strings are not supported here");
}

static void test_cargo_unknown_and_misplaced(void **state)
{
	(void)state;
	expect_error(T "test-timeout = 5\nrun-argz = []\n",
	             "Cargo.toml:3: run-argz: unknown key in [package.metadata.bootimage] (known: run-command, "
	             "run-args, test-args, test-timeout, test-success-exit-code, test-no-reboot)");
	expect_error(T "a.b = 1\n", "Cargo.toml:2: a.b: unknown key in [package.metadata.bootimage] (known: "
	             "run-command, run-args, test-args, test-timeout, test-success-exit-code, test-no-reboot)");
	expect_error(T "test-timeout = 5\ntest-timeout = 6\n", "Cargo.toml:3: test-timeout: set twice");
	expect_error("[package.metadata]\nbootimage = { test-timeout = 5 }\n",
	             "Cargo.toml:2: bootimage: write the settings as keys of a [package.metadata.bootimage] table");
	expect_error("package.metadata.bootimage.test-timeout = 5\n",
	             "Cargo.toml:1: package.metadata.bootimage.test-timeout: write the settings as keys of a "
	             "[package.metadata.bootimage] table");
	expect_error("[package.metadata.bootimage.extra]\n",
	             "Cargo.toml:1: [package.metadata.bootimage.extra]: write the settings as keys of a "
	             "[package.metadata.bootimage] table");
	expect_error("[[package.metadata.bootimage]]\n",
	             "Cargo.toml:1: [[package.metadata.bootimage]]: write the settings as keys of a "
	             "[package.metadata.bootimage] table");
}

static void test_cargo_malformed(void **state)
{
	(void)state;
	expect_error("[package\nname = \"x\"\n", "Cargo.toml:1: expected ']' after the table name");
	expect_error("[[bin]\n", "Cargo.toml:1: expected ']]' after the table name");
	expect_error("[]\n", "Cargo.toml:1: expected a key");
	expect_error("[package]\nname \"x\"\n", "Cargo.toml:2: expected '=' after 'name'");
	expect_error("[package]\nname =\n", "Cargo.toml:2: missing value");
	expect_error("[package]\nname = \"x\n", "Cargo.toml:2: unterminated string");
	/* unterminated values: the line where they start */
	expect_error("[package]\nname = \"\"\"x\n\n", "Cargo.toml:2: unterminated string");
	expect_error("[package]\nlist = [1,\n2,\n", "Cargo.toml:2: unterminated array or inline table");
	expect_error(T "test-args = [\"a\",\n\"b\"\n", "Cargo.toml:2: test-args: unterminated array");
	expect_error(T "test-args = [\"a\" \"b\"]\n", "Cargo.toml:2: test-args: expected ',' or ']' in the array");
	expect_error(T "test-args = [\"\\q\"]\n", "Cargo.toml:2: test-args: unknown escape '\\q' in a string");
	expect_error(T "test-args = [\"\\u12\"]\n", "Cargo.toml:2: test-args: \\u and \\U need 4 hexadecimal digits");
	expect_error(T "test-args = [\"\\ud800\"]\n", "Cargo.toml:2: test-args: \\ud800 is not a Unicode scalar value");
	expect_error(T "test-timeout = 5 6\n", "Cargo.toml:2: test-timeout: unexpected '6' after the value");
	expect_error(T "test-args = [] x\n", "Cargo.toml:2: test-args: unexpected 'x' after the value");
	assert_int_equal(cargo_config_parse(&c, "Cargo.toml", "[package]\0\n", 11), -1);
	assert_string_equal(mkb_error(), "Cargo.toml: not a text file (it holds a NUL byte)");
}

static void test_cargo_read_file(void **state)
{
	char dir[512], path[600];
	FILE *f;

	(void)state;
	assert_int_equal(eb_temp_dir(dir, sizeof dir), 0);
	snprintf(path, sizeof path, "%s/Cargo.toml", dir);
	assert_int_equal(cargo_config_read(&c, path), -1);
	assert_non_null(strstr(mkb_error(), "No such file or directory"));
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "[package.metadata.bootimage]\ntest-success-exit-code = 35\n");
	fclose(f);
	assert_int_equal(cargo_config_read(&c, path), 0);
	assert_int_equal(c.test_success_exit_code, 35);
	cargo_config_free(&c);
	f = fopen(path, "w");
	fprintf(f, "[package.metadata.bootimage]\nbogus = 1\n");
	fclose(f);
	assert_int_equal(cargo_config_read(&c, path), -1);
	assert_true(strncmp(mkb_error(), path, strlen(path)) == 0); /* the message names the file */
	assert_non_null(strstr(mkb_error(), ":2: bogus: unknown key"));
	eb_remove_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cargo_empty),
		cmocka_unit_test(test_cargo_blog_os),
		cmocka_unit_test(test_cargo_strings),
		cmocka_unit_test(test_cargo_wrong_types),
		cmocka_unit_test(test_cargo_unknown_and_misplaced),
		cmocka_unit_test(test_cargo_malformed),
		cmocka_unit_test(test_cargo_read_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
