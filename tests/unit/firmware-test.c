/* firmware.c: OVMF found in a fake file tree, and what an image can boot on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "firmware.h"
#include "util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[PATH_MAX];

/* A file at root + rel, its folders made on the way. */
static void touch(const char *rel)
{
	char path[PATH_MAX * 2];
	FILE *f;

	snprintf(path, sizeof path, "%s%s", root, rel);
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("flash", f);
	fclose(f);
}

static void remove_tree(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "/tmp/mkb-firmware-test.XXXXXX");
	return mkdtemp(root) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	remove_tree();
	return 0;
}

/* The paths found, relative to root; fails the test when nothing is found. */
static void find(const char *brew, const char *code, const char *vars)
{
	struct ovmf_search where = { root, NULL, NULL, brew };
	struct ovmf_files f;

	if (ovmf_find(&f, &where) != 0)
		fail_msg("not found: %s", mkb_error());
	assert_string_equal(f.code + strlen(root), code);
	assert_string_equal(f.vars + strlen(root), vars);
}

static void test_firmware_parse(void **state)
{
	enum run_firmware fw = RUN_FIRMWARE_UNSET;

	(void)state;
	assert_int_equal(run_firmware_parse("uefi", &fw), 0);
	assert_int_equal(fw, RUN_FIRMWARE_UEFI);
	assert_int_equal(run_firmware_parse("bios", &fw), 0);
	assert_int_equal(fw, RUN_FIRMWARE_BIOS);
	assert_int_equal(run_firmware_parse("UEFI", &fw), -1);
	assert_string_equal(mkb_error(), "'UEFI' is not bios or uefi");
	assert_string_equal(run_firmware_name(RUN_FIRMWARE_UEFI), "uefi");
}

static void test_ovmf_debian_4m_first(void **state)
{
	(void)state;
	touch("/usr/share/OVMF/OVMF_CODE.fd");
	touch("/usr/share/OVMF/OVMF_VARS.fd");
	find(NULL, "/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd");
	touch("/usr/share/OVMF/OVMF_CODE_4M.fd");
	touch("/usr/share/OVMF/OVMF_VARS_4M.fd");
	find(NULL, "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd");
}

/* A code file without its own variables' file is not paired with another build's. */
static void test_ovmf_pairs_whole(void **state)
{
	(void)state;
	touch("/usr/share/OVMF/OVMF_CODE_4M.fd");
	touch("/usr/share/edk2/ovmf/OVMF_CODE.fd");
	touch("/usr/share/edk2/ovmf/OVMF_VARS.fd");
	find(NULL, "/usr/share/edk2/ovmf/OVMF_CODE.fd", "/usr/share/edk2/ovmf/OVMF_VARS.fd");
}

static void test_ovmf_arch(void **state)
{
	(void)state;
	touch("/usr/share/edk2-ovmf/x64/OVMF_CODE.fd");
	touch("/usr/share/edk2-ovmf/x64/OVMF_VARS.fd");
	find(NULL, "/usr/share/edk2-ovmf/x64/OVMF_CODE.fd", "/usr/share/edk2-ovmf/x64/OVMF_VARS.fd");
	touch("/usr/share/edk2/x64/OVMF_CODE.4m.fd");
	touch("/usr/share/edk2/x64/OVMF_VARS.4m.fd");
	find(NULL, "/usr/share/edk2/x64/OVMF_CODE.4m.fd", "/usr/share/edk2/x64/OVMF_VARS.4m.fd");
}

static void test_ovmf_homebrew(void **state)
{
	(void)state;
	touch("/opt/homebrew/share/qemu/edk2-x86_64-code.fd");
	touch("/opt/homebrew/share/qemu/edk2-i386-vars.fd");
	find(NULL, "/opt/homebrew/share/qemu/edk2-x86_64-code.fd", "/opt/homebrew/share/qemu/edk2-i386-vars.fd");
	touch("/home/me/brew/share/qemu/edk2-x86_64-code.fd");
	touch("/home/me/brew/share/qemu/edk2-i386-vars.fd");
	find("/home/me/brew", "/home/me/brew/share/qemu/edk2-x86_64-code.fd",
	     "/home/me/brew/share/qemu/edk2-i386-vars.fd");
}

static void test_ovmf_missing(void **state)
{
	struct ovmf_search where = { root, NULL, NULL, NULL };
	struct ovmf_files f;

	(void)state;
	touch("/usr/share/OVMF/OVMF_VARS_4M.fd"); /* variables without code: nothing */
	assert_int_equal(ovmf_find(&f, &where), -1);
	assert_non_null(strstr(mkb_error(), "no UEFI firmware (OVMF) found: install it (Debian, Ubuntu: apt install ovmf;"));
	assert_non_null(strstr(mkb_error(), OVMF_CODE_ENV "=FILE"));
}

static void test_ovmf_environment(void **state)
{
	char code[PATH_MAX + 32], vars[PATH_MAX + 32];
	struct ovmf_search where = { root, code, vars, NULL };
	struct ovmf_files f;

	(void)state;
	touch("/usr/share/OVMF/OVMF_CODE_4M.fd");
	touch("/usr/share/OVMF/OVMF_VARS_4M.fd");
	touch("/mine/code.fd");
	touch("/mine/vars.fd");
	snprintf(code, sizeof code, "%s/mine/code.fd", root);
	snprintf(vars, sizeof vars, "%s/mine/vars.fd", root);
	assert_int_equal(ovmf_find(&f, &where), 0);
	assert_string_equal(f.code, code);
	assert_string_equal(f.vars, vars);
	/* One without the other is a mistake, not a reason to look elsewhere. */
	where.env_vars = NULL;
	assert_int_equal(ovmf_find(&f, &where), -1);
	assert_string_equal(mkb_error(), OVMF_CODE_ENV " is set but " OVMF_VARS_ENV
	                    " is not: give both of OVMF's files (code and variables)");
	where.env_vars = vars;
	snprintf(code, sizeof code, "%s/mine/nothing.fd", root);
	assert_int_equal(ovmf_find(&f, &where), -1);
	assert_non_null(strstr(mkb_error(), OVMF_CODE_ENV "="));
	assert_non_null(strstr(mkb_error(), "nothing.fd: No such file or directory"));
}

static void test_ovmf_copy_vars(void **state)
{
	char from[PATH_MAX + 32], to[PATH_MAX + 32], text[16] = "";
	FILE *f;

	(void)state;
	touch("/vars.fd");
	snprintf(from, sizeof from, "%s/vars.fd", root);
	snprintf(to, sizeof to, "%s/copy.fd", root);
	assert_int_equal(ovmf_copy_vars(from, to), 0);
	f = fopen(to, "r");
	assert_non_null(f);
	assert_non_null(fgets(text, sizeof text, f));
	fclose(f);
	assert_string_equal(text, "flash");
	assert_int_equal(ovmf_copy_vars(from, to), -1); /* never over an existing file */
}

static void test_image_firmwares(void **state)
{
	struct image_firmwares fw;

	(void)state;
	image_firmwares_of(IMAGE_LAYOUT_BIOS, &fw);
	assert_true(fw.bios && !fw.uefi);
	image_firmwares_of(IMAGE_LAYOUT_HYBRID, &fw);
	assert_true(fw.bios && fw.uefi);
	image_firmwares_of(IMAGE_LAYOUT_UEFI, &fw);
	assert_true(!fw.bios && fw.uefi);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_firmware_parse),
		cmocka_unit_test_setup_teardown(test_ovmf_debian_4m_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ovmf_pairs_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ovmf_arch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ovmf_homebrew, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ovmf_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ovmf_environment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ovmf_copy_vars, setup, teardown),
		cmocka_unit_test(test_image_firmwares),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
