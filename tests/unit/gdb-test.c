/* tool/run/gdb.c: the command file of `mkbootimg run --gdb`, for each kind of kernel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gdb.h"
#include "kernel.h"
#include "linux.h"
#include "util.h"

#include <mkbootimg/image.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *text;

/* The command file for g, in text (freed by the next call). */
static const char *script(const struct gdb_script *g)
{
	size_t n = 0;
	FILE *f;

	free(text);
	text = NULL;
	f = open_memstream(&text, &n);
	assert_non_null(f);
	if (gdb_script_write(f, g) != 0)
		fail_msg("%s", mkb_error());
	fclose(f);
	return text;
}

/* Where line (a whole line) starts in s; fails when it is not there. */
static const char *line_at(const char *s, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = s; (p = strstr(p, line)) != NULL; p++)
		if ((p == s || p[-1] == '\n') && p[n] == '\n')
			return p;
	fail_msg("no line \"%s\" in:\n%s", line, s);
	return NULL;
}

static void assert_no_line(const char *s, const char *start)
{
	for (const char *p = s; (p = strstr(p, start)) != NULL; p++)
		if (p == s || p[-1] == '\n')
			fail_msg("a line starting \"%s\" in:\n%s", start, s);
}

static struct gdb_script native(void)
{
	struct gdb_script g = { 0 };

	g.remote = "/tmp/r/gdb.sock";
	g.symbols = "/k/kernel.elf";
	g.kind = GDB_ENTRY_NATIVE;
	g.entry = 0xffffffff80100000;
	return g;
}

/* A fixed-address kernel: 64-bit, symbols, connect, hbreak at the entry, continue, in that order. */
static void test_gdb_fixed_kernel(void **state)
{
	struct gdb_script g = native();
	const char *s = script(&g), *arch, *sym, *remote, *hb, *cont;

	(void)state;
	arch = line_at(s, "set architecture i386:x86-64");
	sym = line_at(s, "symbol-file \"/k/kernel.elf\"");
	remote = line_at(s, "target remote /tmp/r/gdb.sock");
	hb = line_at(s, "hbreak *0xffffffff80100000");
	cont = line_at(s, "continue");
	assert_true(arch < sym && sym < remote && remote < hb && hb < cont);
	assert_no_line(s, "break ");
	g.remote = "127.0.0.1:4321";
	line_at(script(&g), "target remote 127.0.0.1:4321");
}

/* A PIE kernel the tool placed: symbols and breakpoint both moved by the slide. */
static void test_gdb_pie_known_slide(void **state)
{
	struct gdb_script g = native();
	const char *s;

	(void)state;
	g.entry = 0x1040;
	g.slide = 0xffffffff80000000;
	s = script(&g);
	line_at(s, "symbol-file -o 0xffffffff80000000 \"/k/kernel.elf\"");
	line_at(s, "hbreak *0xffffffff80001040");
}

/* KASLR: a breakpoint per possible slide, then the slide from the boot information, then the symbols. */
static void test_gdb_kaslr(void **state)
{
	struct gdb_script g = native();
	const char *s, *remote, *loop, *cont, *slide, *del, *sym;

	(void)state;
	g.slide_at_boot = 1;
	g.slide = 0x40000000;
	g.slide_step = 0x200000;
	g.slide_slots = 512;
	s = script(&g);
	remote = line_at(s, "target remote /tmp/r/gdb.sock");
	loop = line_at(s, "while $mkb_i < 512");
	line_at(s, "  eval \"hbreak *%#lx\", 0xffffffff80100000 + 0x40000000 + $mkb_i * 0x200000");
	cont = line_at(s, "continue");
	slide = line_at(s, "set $mkb_slide = *(unsigned long long *)($rdi + 216)");
	del = line_at(s, "delete");
	sym = line_at(s, "symbol-file -o $mkb_slide \"/k/kernel.elf\"");
	line_at(s, "if $pc != 0xffffffff80100000 + $mkb_slide");
	line_at(s, "frame");
	assert_true(remote < loop && loop < cont && cont < slide && slide < del && del < sym);
	/* No symbols at the link addresses before the slide is known. */
	assert_true(strstr(s, "symbol-file") == sym);
}

static void test_gdb_kaslr_window_refused(void **state)
{
	struct gdb_script g = native();
	FILE *f = fopen("/dev/null", "w");

	(void)state;
	g.slide_at_boot = 1;
	g.slide_step = 0x200000;
	g.slide_slots = GDB_MAX_SLIDE_SLOTS + 1;
	assert_int_equal(gdb_script_write(f, &g), -1);
	assert_non_null(strstr(mkb_error(), "KASLR window"));
	g.slide_slots = 4;
	g.slide_step = 0;
	assert_int_equal(gdb_script_write(f, &g), -1);
	fclose(f);
}

/* Multiboot: the physical entry, the ELF's symbols (a 32-bit ELF: the architecture is set first). */
static void test_gdb_multiboot(void **state)
{
	struct gdb_script g = native();
	const char *s;

	(void)state;
	g.kind = GDB_ENTRY_MULTIBOOT;
	g.entry = 0x200030;
	s = script(&g);
	assert_true(line_at(s, "set architecture i386:x86-64") < line_at(s, "symbol-file \"/k/kernel.elf\""));
	line_at(s, "hbreak *0x200030");
}

/* Nothing known (an image, Linux's real-mode entry): connect, no breakpoint, no continue. */
static void test_gdb_no_entry(void **state)
{
	struct gdb_script g = { 0 };
	const char *s;

	(void)state;
	g.remote = "/tmp/r/gdb.sock";
	s = script(&g);
	line_at(s, "target remote /tmp/r/gdb.sock");
	assert_no_line(s, "hbreak");
	assert_no_line(s, "continue");
	assert_no_line(s, "symbol-file");
}

static void test_gdb_quoted_path(void **state)
{
	struct gdb_script g = native();

	(void)state;
	g.symbols = "/my \"k\"\\dir/k.elf";
	line_at(script(&g), "symbol-file \"/my \\\"k\\\"\\\\dir/k.elf\"");
}

/* A line break in a path would end the command: such a file is never written. */
static void test_gdb_line_break_refused(void **state)
{
	struct gdb_script g = native();
	FILE *f = fopen("/dev/null", "w");

	(void)state;
	g.symbols = "/k/evil\nshell touch /tmp/x\n.elf";
	assert_int_equal(gdb_script_write(f, &g), -1);
	assert_non_null(strstr(mkb_error(), "line break"));
	g = native();
	g.remote = "/tmp/a\rb/gdb.sock";
	assert_int_equal(gdb_script_write(f, &g), -1);
	fclose(f);
}

/* What each protocol's kernel model gives: its entry, its kind, symbols or not. */
static void test_gdb_for_kernel(void **state)
{
	struct kernel k;
	struct linux_kernel lk;
	struct gdb_script g;

	(void)state;
	memset(&k, 0, sizeof k);
	memset(&lk, 0, sizeof lk);
	k.fd = -1;
	k.entry = 0xffffffff80100000;
	k.protocol = MKB_PROTOCOL_NATIVE;
	gdb_script_for_kernel(&g, &k, "/k.elf");
	assert_int_equal(g.kind, GDB_ENTRY_NATIVE);
	assert_string_equal(g.symbols, "/k.elf");
	assert_true(g.entry == 0xffffffff80100000);

	k.protocol = MKB_PROTOCOL_MULTIBOOT1;
	k.entry = 0x200030;
	gdb_script_for_kernel(&g, &k, "/k.bin");
	assert_int_equal(g.kind, GDB_ENTRY_MULTIBOOT);
	assert_null(g.symbols); /* not an ELF (the fd reads nothing here) */

	k.protocol = MKB_PROTOCOL_LINUX;
	k.linux_kernel = &lk;
	lk.load_address = 0x1000000;
	k.entry = 0x1000200;
	gdb_script_for_kernel(&g, &k, "/vmlinuz");
	assert_int_equal(g.kind, GDB_ENTRY_LINUX64);
	assert_null(g.symbols);
	k.entry = 0x1000000;
	gdb_script_for_kernel(&g, &k, "/vmlinuz");
	assert_int_equal(g.kind, GDB_ENTRY_LINUX32);
	lk.real_mode = 1;
	gdb_script_for_kernel(&g, &k, "/ipxe.lkrn");
	assert_int_equal(g.kind, GDB_ENTRY_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gdb_fixed_kernel),
		cmocka_unit_test(test_gdb_pie_known_slide),
		cmocka_unit_test(test_gdb_kaslr),
		cmocka_unit_test(test_gdb_kaslr_window_refused),
		cmocka_unit_test(test_gdb_multiboot),
		cmocka_unit_test(test_gdb_no_entry),
		cmocka_unit_test(test_gdb_quoted_path),
		cmocka_unit_test(test_gdb_line_break_refused),
		cmocka_unit_test(test_gdb_for_kernel),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	free(text);
	return rc;
}
