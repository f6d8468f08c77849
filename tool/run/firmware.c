#include "firmware.h"
#include "info.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int run_firmware_parse(const char *s, enum run_firmware *out)
{
	if (strcmp(s, "bios") == 0)
		*out = RUN_FIRMWARE_BIOS;
	else if (strcmp(s, "uefi") == 0)
		*out = RUN_FIRMWARE_UEFI;
	else
		return mkb_fail("'%s' is not bios or uefi", s);
	return 0;
}

const char *run_firmware_name(enum run_firmware f)
{
	return f == RUN_FIRMWARE_UEFI ? "uefi" : "bios";
}

/* The code and variables of one system's OVMF, below a prefix. */
struct ovmf_place {
	const char *code, *vars;
};

/*
 * The 4 MiB builds first where a system has both: their variable store is
 * the one current OVMF expects, and a code file goes only with its own
 * variables' file, so each pair is tried whole.
 */
static const struct ovmf_place system_places[] = {
	{ "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd" },   /* Debian, Ubuntu */
	{ "/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd" },         /* older Debian */
	{ "/usr/share/edk2/ovmf/OVMF_CODE.fd", "/usr/share/edk2/ovmf/OVMF_VARS.fd" }, /* Fedora */
	{ "/usr/share/edk2/x64/OVMF_CODE.4m.fd", "/usr/share/edk2/x64/OVMF_VARS.4m.fd" }, /* Arch */
	{ "/usr/share/edk2-ovmf/x64/OVMF_CODE.fd", "/usr/share/edk2-ovmf/x64/OVMF_VARS.fd" }, /* older Arch */
	{ "/usr/share/qemu/edk2-x86_64-code.fd", "/usr/share/qemu/edk2-i386-vars.fd" }, /* QEMU's own */
};

/* Homebrew's qemu ships edk2's firmware; its variables' file is the i386 one. */
static const struct ovmf_place brew_place = { "/share/qemu/edk2-x86_64-code.fd",
                                              "/share/qemu/edk2-i386-vars.fd" };

static int readable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, R_OK) == 0;
}

/* Both files of place under prefix (and root) into out, when both are there. */
static int try_place(struct ovmf_files *out, const char *root, const char *prefix, const struct ovmf_place *p)
{
	if (snprintf(out->code, sizeof out->code, "%s%s%s", root, prefix, p->code) >= (int)sizeof out->code ||
	    snprintf(out->vars, sizeof out->vars, "%s%s%s", root, prefix, p->vars) >= (int)sizeof out->vars)
		return 0;
	return readable_file(out->code) && readable_file(out->vars);
}

/* One variable's file: it must be there, and readable. */
static int env_file(char *out, size_t n, const char *name, const char *value)
{
	if (!readable_file(value))
		return mkb_fail("%s=%s: %s", name, value, access(value, F_OK) != 0 ? strerror(errno) :
		                "not a readable file");
	if (snprintf(out, n, "%s", value) >= (int)n)
		return mkb_fail("%s: the path is too long", name);
	return 0;
}

int ovmf_find(struct ovmf_files *out, const struct ovmf_search *where)
{
	static const char *const brew_defaults[] = { "/opt/homebrew", "/usr/local" };
	const char *root = where->root != NULL ? where->root : "";
	int code_set = where->env_code != NULL && where->env_code[0] != '\0';
	int vars_set = where->env_vars != NULL && where->env_vars[0] != '\0';

	if (code_set || vars_set) {
		/* The user's choice is taken as given (no root: it names real files). */
		if (!code_set || !vars_set)
			return mkb_fail("%s is set but %s is not: give both of OVMF's files (code and variables)",
			                code_set ? OVMF_CODE_ENV : OVMF_VARS_ENV,
			                code_set ? OVMF_VARS_ENV : OVMF_CODE_ENV);
		if (env_file(out->code, sizeof out->code, OVMF_CODE_ENV, where->env_code) != 0 ||
		    env_file(out->vars, sizeof out->vars, OVMF_VARS_ENV, where->env_vars) != 0)
			return -1;
		return 0;
	}
	for (size_t i = 0; i < sizeof system_places / sizeof system_places[0]; i++)
		if (try_place(out, root, "", &system_places[i]))
			return 0;
	if (where->brew_prefix != NULL && where->brew_prefix[0] != '\0') {
		if (try_place(out, root, where->brew_prefix, &brew_place))
			return 0;
	} else {
		for (size_t i = 0; i < sizeof brew_defaults / sizeof brew_defaults[0]; i++)
			if (try_place(out, root, brew_defaults[i], &brew_place))
				return 0;
	}
	out->code[0] = out->vars[0] = '\0';
	return mkb_fail("no UEFI firmware (OVMF) found: " OVMF_MISSING_HINT);
}

void image_firmwares_of(enum image_layout layout, struct image_firmwares *out)
{
	out->bios = layout != IMAGE_LAYOUT_UEFI;
	out->uefi = layout != IMAGE_LAYOUT_BIOS;
}

int image_firmwares_read(const char *path, struct image_firmwares *out)
{
	struct info_image im;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return mkb_fail("%s: %s", path, strerror(errno));
	if (info_read_image(fd, &im) != 0) {
		close(fd);
		return mkb_fail("%s: %s", path, mkb_error());
	}
	close(fd);
	image_firmwares_of(im.layout, out);
	info_image_free(&im);
	return 0;
}

int ovmf_copy_vars(const char *from, const char *to)
{
	char buf[65536];
	off_t at = 0;
	ssize_t n;
	int in = open(from, O_RDONLY | O_CLOEXEC), out;

	if (in < 0)
		return mkb_fail("%s: %s", from, strerror(errno));
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		int saved = errno;
		close(in);
		return mkb_fail("%s: %s", to, strerror(saved));
	}
	while ((n = read(in, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0) {
			if (mkb_pwrite_full(out, buf, (size_t)n, at) != 0)
				break;
			at += n;
		}
	if (n != 0) {
		int saved = errno;
		close(in);
		close(out);
		return mkb_fail("%s: copying OVMF's variables from %s: %s", to, from, strerror(saved));
	}
	close(in);
	if (close(out) != 0)
		return mkb_fail("%s: %s", to, strerror(errno));
	return 0;
}
