#include "qemu-command.h"
#include "cargo.h"
#include "run-options.h"
#include "run-setup.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void add(struct qemu_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct qemu_command *cmd, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	if (cmd->oom)
		return;
	if (cmd->argc + 2 > cmd->cap) {
		size_t cap = cmd->cap ? cmd->cap * 2 : 32;
		char **v = realloc(cmd->argv, cap * sizeof *v);
		if (v == NULL) {
			cmd->oom = 1;
			return;
		}
		cmd->argv = v;
		cmd->cap = cap;
	}
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = malloc((size_t)n + 1);
	if (s == NULL) {
		cmd->oom = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	cmd->argv[cmd->argc++] = s;
	cmd->argv[cmd->argc] = NULL;
}

/* QEMU splits option values at commas; a comma in a path is written twice. */
static char *double_commas(const char *s)
{
	size_t n = strlen(s) + 1, at = 0;
	char *out;

	for (const char *p = s; *p; p++)
		n += *p == ',';
	out = malloc(n);
	if (out == NULL)
		return NULL;
	for (; *s; s++) {
		out[at++] = *s;
		if (*s == ',')
			out[at++] = ',';
	}
	out[at] = '\0';
	return out;
}

/*
 * The image as a drive's file= value: commas doubled, and absolute or
 * starting with "./", so that QEMU takes no prefix for a protocol ("nbd:x").
 */
static char *drive_path(const char *image)
{
	char *escaped = double_commas(image), *out;

	if (escaped == NULL || image[0] == '/')
		return escaped;
	out = malloc(strlen(escaped) + 3);
	if (out != NULL)
		sprintf(out, "./%s", escaped);
	free(escaped);
	return out;
}

/* The user's arguments, in the order they reach QEMU. */
struct user_args {
	char *const *lists[3];
	size_t counts[3];
};

/* Does the user give option name (as "-name" or "--name"), with a value starting with prefix? */
static int user_has(const struct user_args *u, const char *name, const char *prefix)
{
	for (int l = 0; l < 3; l++) {
		for (size_t i = 0; i < u->counts[l]; i++) {
			const char *a = u->lists[l][i];
			if (a[0] != '-')
				continue;
			a += a[1] == '-' ? 2 : 1;
			if (strcmp(a, name) != 0)
				continue;
			if (prefix == NULL)
				return 1;
			if (i + 1 < u->counts[l] && strncmp(u->lists[l][i + 1], prefix, strlen(prefix)) == 0)
				return 1;
		}
	}
	return 0;
}

/* Cargo.toml's run-command, with "{}" replaced by the image wherever it appears. */
static void add_run_command(struct qemu_command *cmd, const struct cargo_strings *rc, const char *image)
{
	if (image == NULL) {
		cmd->oom = 1;
		return;
	}
	for (size_t i = 1; i < rc->count; i++) {
		const char *a = rc->items[i], *hole = strstr(a, "{}");
		if (hole == NULL)
			add(cmd, "%s", a);
		else
			add(cmd, "%.*s%s%s", (int)(hole - a), a, image, hole + 2);
	}
}

/* COM1 as the setup says, unless the user's arguments place it themselves. */
static void add_serial(struct qemu_command *cmd, const struct run_setup *s, const struct user_args *u,
                       const char *com1_log)
{
	char *escaped = NULL;

	if (user_has(u, "serial", NULL) || user_has(u, "nographic", NULL))
		return;
	switch (s->serial) {
	case RUN_SERIAL_STDIO:
		if (com1_log == NULL) {
			add(cmd, "-serial"), add(cmd, "stdio");
			return;
		}
		/* The same stdio, with a copy kept for run to read the loader's words in. */
		escaped = double_commas(com1_log);
		add(cmd, "-chardev"), add(cmd, "stdio,id=com1,logfile=%s", escaped ? escaped : "");
		add(cmd, "-serial"), add(cmd, "chardev:com1");
		cmd->com1_readback = com1_log;
		break;
	case RUN_SERIAL_FILE:
		escaped = double_commas(s->serial_file);
		add(cmd, "-serial"), add(cmd, "file:%s", escaped ? escaped : "");
		cmd->com1_readback = s->serial_file;
		break;
	case RUN_SERIAL_NONE:
		add(cmd, "-serial"), add(cmd, "none");
		cmd->com1_discarded = 1;
		return;
	}
	if (escaped == NULL)
		cmd->oom = 1;
	free(escaped);
}

/*
 * OVMF as two flash devices: its code read-only, and a copy of its
 * variables the firmware may write (boot entries it makes). Not -bios,
 * which maps the code as ROM and is known to hang OVMF with -smp.
 */
static void add_ovmf(struct qemu_command *cmd, const struct run_setup *s, const struct user_args *u,
                     const struct qemu_files *f)
{
	char *code, *vars;

	if (s->firmware != RUN_FIRMWARE_UEFI || user_has(u, "bios", NULL) || user_has(u, "pflash", NULL) ||
	    user_has(u, "drive", "if=pflash"))
		return;
	if (f->ovmf_code == NULL || f->ovmf_vars == NULL) {
		cmd->oom = 1;
		return;
	}
	code = double_commas(f->ovmf_code);
	vars = double_commas(f->ovmf_vars);
	if (code == NULL || vars == NULL)
		cmd->oom = 1;
	else {
		add(cmd, "-drive"), add(cmd, "if=pflash,format=raw,unit=0,readonly=on,file=%s", code);
		add(cmd, "-drive"), add(cmd, "if=pflash,format=raw,unit=1,file=%s", vars);
	}
	free(code);
	free(vars);
}

int qemu_user_firmware(const struct run_setup *s, const struct run_options *o,
                       const struct cargo_config *c)
{
	const struct cargo_strings *cargo_args = s->test ? &c->test_args : &c->run_args;
	struct user_args u = {
		{ c->run_command.items, cargo_args->items, o->qemu_args },
		{ c->run_command.count, cargo_args->count, o->qemu_arg_count },
	};

	return user_has(&u, "bios", NULL) || user_has(&u, "pflash", NULL) ||
	       user_has(&u, "drive", "if=pflash");
}

int qemu_command_build(struct qemu_command *cmd, const struct run_setup *s, const struct run_options *o,
                       const struct cargo_config *c, const struct qemu_files *f)
{
	const char *image = f->image, *qmp_socket = f->qmp_socket;
	const struct cargo_strings *cargo_args = s->test ? &c->test_args : &c->run_args;
	struct user_args u = {
		{ c->run_command.items, cargo_args->items, o->qemu_args },
		{ c->run_command.count, cargo_args->count, o->qemu_arg_count },
	};
	char *drive = drive_path(image);

	memset(cmd, 0, sizeof *cmd);
	add(cmd, "%s", s->qemu);
	if (c->run_command.items != NULL)
		add_run_command(cmd, &c->run_command, drive);
	if (!user_has(&u, "M", NULL) && !user_has(&u, "machine", NULL))
		add(cmd, "-M"), add(cmd, "%s", s->machine);
	if (!user_has(&u, "m", NULL))
		add(cmd, "-m"), add(cmd, "%" PRIu64 "M", s->memory_mib);
	if (!user_has(&u, "accel", NULL) && !user_has(&u, "enable-kvm", NULL)) {
		add(cmd, "-accel"), add(cmd, "%s", s->accel);
		/*
		 * KVM's default CPU model asks for features the host may lack, and
		 * QEMU warns: the host's model instead. Under nested KVM, setting
		 * the host's IA32_ARCH_CAPABILITIES (MSR 0x10a) fails and QEMU
		 * aborts; a kernel has no use for it, so it is left out.
		 */
		if (strcmp(s->accel, "kvm") == 0 && !user_has(&u, "cpu", NULL))
			add(cmd, "-cpu"), add(cmd, "host,-arch-capabilities");
	}
	if (s->smp && !user_has(&u, "smp", NULL))
		add(cmd, "-smp"), add(cmd, "%d", s->smp);
	add_ovmf(cmd, s, &u, f);
	/* A device (a written stick) is only read: QEMU's writes go to a temporary overlay. */
	if (c->run_command.items == NULL)
		add(cmd, "-drive"), add(cmd, "format=raw,file=%s%s", drive ? drive : "",
		                        s->read_only_disk ? ",snapshot=on" : "");
	if (s->headless && !user_has(&u, "display", NULL) && !user_has(&u, "nographic", NULL))
		add(cmd, "-display"), add(cmd, "none");
	add_serial(cmd, s, &u, f->com1_log);
	if (s->test && !user_has(&u, "device", "isa-debug-exit"))
		add(cmd, "-device"), add(cmd, QEMU_DEBUG_EXIT_DEVICE);
	if (s->no_reboot && !user_has(&u, "no-reboot", NULL))
		add(cmd, "-no-reboot");
	if (qmp_socket != NULL) {
		char *escaped = double_commas(qmp_socket);
		if (escaped == NULL)
			cmd->oom = 1;
		else
			add(cmd, "-qmp"), add(cmd, "unix:%s,server=on,wait=off", escaped);
		free(escaped);
		/*
		 * Start stopped and let mkbootimg continue the machine once it
		 * listens, so no event is missed; a shutdown (a reset, under
		 * -no-reboot) stops the machine instead of QEMU, so the screen
		 * can still be read.
		 */
		add(cmd, "-S");
		add(cmd, "-no-shutdown");
	}
	if (s->gdb_port > 0)
		add(cmd, "-gdb"), add(cmd, "tcp:127.0.0.1:%d", s->gdb_port);
	if (s->gdb_port < 0) {
		/* A socket in the run's own folder: no port to collide, none other users reach. */
		char *escaped = f->gdb_socket != NULL ? double_commas(f->gdb_socket) : NULL;
		if (escaped == NULL)
			cmd->oom = 1;
		else
			add(cmd, "-gdb"), add(cmd, "unix:%s,server=on,wait=off", escaped);
		free(escaped);
	}
	if (s->gdb_port)
		add(cmd, "-S");
	for (int l = 1; l < 3; l++)
		for (size_t i = 0; i < u.counts[l]; i++)
			add(cmd, "%s", u.lists[l][i]);
	if (drive == NULL)
		cmd->oom = 1;
	free(drive);
	if (cmd->oom) {
		qemu_command_free(cmd);
		return mkb_fail("QEMU command: %s", strerror(ENOMEM));
	}
	return 0;
}

void qemu_command_free(struct qemu_command *cmd)
{
	for (size_t i = 0; i < cmd->argc; i++)
		free(cmd->argv[i]);
	free(cmd->argv);
	memset(cmd, 0, sizeof *cmd);
}

void qemu_command_print(FILE *f, const struct qemu_command *cmd)
{
	static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-./:=,+@%";

	for (size_t i = 0; i < cmd->argc; i++) {
		const char *a = cmd->argv[i];
		fputs(i ? " " : "", f);
		if (a[0] != '\0' && strspn(a, safe) == strlen(a)) {
			fputs(a, f);
			continue;
		}
		fputc('\'', f);
		for (; *a; a++) {
			if (*a == '\'')
				fputs("'\\''", f);
			else
				fputc(*a, f);
		}
		fputc('\'', f);
	}
	fputc('\n', f);
}
