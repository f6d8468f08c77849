/* realpath() is XSI, beyond the POSIX base the tool is built for. */
#define _XOPEN_SOURCE 700

#include "run.h"
#include "build.h"
#include "cargo.h"
#include "plan.h"
#include "qemu-command.h"
#include "qmp.h"
#include "run-options.h"
#include "run-setup.h"
#include "util.h"
#include "verdict.h"
#include "vga-text.h"

#include <mkbootimg/image.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#define POLL_MS 100            /* how often a watched run asks whether the CPU has halted */
#define QMP_TIMEOUT_MS 10000   /* for one answer of a running QEMU */
#define QMP_START_MS 60000     /* for QEMU to start and greet (KVM can be slow to start) */
#define STOP_GRACE_MS 3000     /* between asking QEMU to quit and killing it */

#define QEMU_MISSING_HINT \
	"install QEMU (Debian, Ubuntu: apt install qemu-system-x86; Fedora: dnf install " \
	"qemu-system-x86; Arch: pacman -S qemu-system-x86; macOS: brew install qemu), " \
	"or give its path with --qemu PATH"

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int run_identify_target(const char *path, enum run_target *out)
{
	uint8_t mbr[MKB_SECTOR_SIZE], stage2[4];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO: refused, not waited on */

	if (fd < 0)
		return mkb_fail("%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return mkb_fail("%s: not a regular file", path);
	}
	n = mkb_pread_full(fd, mbr, sizeof mbr, 0);
	if (n >= 4 && memcmp(mbr, "\177ELF", 4) == 0) {
		close(fd);
		*out = RUN_TARGET_KERNEL;
		return 0;
	}
	if (n == (ssize_t)sizeof mbr && mbr[MKB_MBR_BOOT_SIGNATURE] == 0x55 &&
	    mbr[MKB_MBR_BOOT_SIGNATURE + 1] == 0xaa &&
	    mkb_pread_full(fd, stage2, sizeof stage2, (off_t)MKB_STAGE2_LBA * MKB_SECTOR_SIZE) == 4 &&
	    (stage2[0] | stage2[1] << 8 | stage2[2] << 16 | (uint32_t)stage2[3] << 24) == MKB_STAGE2_MAGIC) {
		close(fd);
		*out = RUN_TARGET_IMAGE;
		return 0;
	}
	close(fd);
	if (n < 0)
		return mkb_fail("%s: read: %s", path, strerror(errno));
	return mkb_fail("%s: neither an ELF kernel nor an image made by mkbootimg", path);
}

int run_is_test_binary(const char *path)
{
	char *full = realpath(path, NULL), *parent;
	int yes;

	if (full == NULL)
		return 0;
	*strrchr(full, '/') = '\0'; /* realpath's answer is absolute: full is now the parent folder */
	parent = strrchr(full, '/') != NULL ? strrchr(full, '/') + 1 : full;
	yes = strcmp(parent, "deps") == 0 || strncmp(parent, "rustdoctest", 11) == 0;
	free(full);
	return yes;
}

/* Is program (a path, or a name looked up in PATH) an executable file? */
static int program_exists(const char *program)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (strchr(program, '/') != NULL)
		return access(program, X_OK) == 0;
	for (const char *p = path ? path : "/usr/bin:/bin"; ; p = strchr(p, ':') + 1) {
		size_t n = strcspn(p, ":");
		if (snprintf(buf, sizeof buf, "%.*s%s%s", (int)n, n ? p : ".", "/", program) < (int)sizeof buf &&
		    access(buf, X_OK) == 0)
			return 1;
		if (p[n] == '\0')
			return 0;
	}
}

/* ---- Signals: handlers only write the signal's number into a pipe. ---- */

static const int handled_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGPIPE };
#define SIGNAL_COUNT (sizeof handled_signals / sizeof handled_signals[0])

struct signals {
	int pipe[2];
	struct sigaction old[SIGNAL_COUNT];
};

static int signal_write_fd = -1;

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;
	if (write(signal_write_fd, &b, 1) < 0) {
		/* the pipe is full: enough wake-ups are pending already */
	}
	errno = saved;
}

static int signals_catch(struct signals *s)
{
	struct sigaction sa;

	if (pipe(s->pipe) != 0)
		return mkb_fail("pipe: %s", strerror(errno));
	for (int i = 0; i < 2; i++) {
		fcntl(s->pipe[i], F_SETFD, FD_CLOEXEC);
		fcntl(s->pipe[i], F_SETFL, O_NONBLOCK);
	}
	signal_write_fd = s->pipe[1];
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < SIGNAL_COUNT; i++) {
		/* SIGPIPE: a write to QEMU's monitor after it has gone fails with EPIPE instead. */
		sa.sa_handler = handled_signals[i] == SIGPIPE ? SIG_IGN : on_signal;
		sigaction(handled_signals[i], &sa, &s->old[i]);
	}
	return 0;
}

static void signals_restore(struct signals *s)
{
	for (size_t i = 0; i < SIGNAL_COUNT; i++)
		sigaction(handled_signals[i], &s->old[i], NULL);
	close(s->pipe[0]);
	close(s->pipe[1]);
	signal_write_fd = -1;
}

/* The first terminating signal waiting in the pipe (0 if none); SIGCHLD sets *child_changed. */
static int signals_take(struct signals *s, int *child_changed)
{
	unsigned char b;
	int stop = 0;

	while (read(s->pipe[0], &b, 1) == 1) {
		if (b == SIGCHLD)
			*child_changed = 1;
		else if (stop == 0)
			stop = b;
	}
	return stop;
}

/* ---- The private temporary folder: the image, QMP's socket, the saved screen. ---- */

struct workdir {
	char path[PATH_MAX];
};

static int workdir_make(struct workdir *w)
{
	const char *tmp = getenv("TMPDIR");
	char template[PATH_MAX];
	char *abs;

	w->path[0] = '\0';
	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	if (snprintf(template, sizeof template, "%s/mkbootimg-run.XXXXXX", tmp) >= (int)sizeof template)
		return mkb_fail("TMPDIR is too long");
	if (mkdtemp(template) == NULL)
		return mkb_fail("%s: cannot create a temporary folder: %s", tmp, strerror(errno));
	/* Absolute, so QEMU reads no protocol prefix into it and the socket path is unambiguous. */
	abs = realpath(template, NULL);
	snprintf(w->path, sizeof w->path, "%s", abs != NULL ? abs : template);
	free(abs);
	return 0;
}

static void workdir_remove(struct workdir *w)
{
	DIR *d;
	struct dirent *e;
	char p[PATH_MAX + 256];

	if (w->path[0] == '\0')
		return;
	d = opendir(w->path);
	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof p, "%s/%s", w->path, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(w->path);
	w->path[0] = '\0';
}

/* ---- One QEMU process, watched. ---- */

struct runner {
	const struct run_setup *setup;
	struct signals *signals;
	pid_t pid;
	int exited, wait_status;   /* set once QEMU is reaped */
	int stop_signal;           /* a signal mkbootimg got and passed on */
	struct qmp qmp;
	int qmp_up;
	char screen_path[PATH_MAX + 32], dump_path[PATH_MAX + 32];
	uint8_t screen[VGA_TEXT_BYTES];
	int screen_saved, screen_final;
	int screen_graphics;                    /* the display was not in a text mode then */
	unsigned screen_width, screen_height;   /* its size, when screen_graphics */
};

static void reap(struct runner *r)
{
	if (!r->exited && waitpid(r->pid, &r->wait_status, WNOHANG) == r->pid)
		r->exited = 1;
}

/* Sleep up to ms, waking for signals; pass terminating ones on to QEMU. */
static void wait_for_events(struct runner *r, int ms)
{
	struct pollfd p[2] = { { r->signals->pipe[0], POLLIN, 0 }, { r->qmp_up ? r->qmp.fd : -1, POLLIN, 0 } };
	int child_changed = 0, sig;

	if (ms > 0)
		poll(p, 2, ms);
	sig = signals_take(r->signals, &child_changed);
	if (sig != 0 && r->stop_signal == 0) {
		r->stop_signal = sig;
		kill(r->pid, sig);
	}
	reap(r);
}

static pid_t spawn(char **argv, int *exec_errno)
{
	int report[2];
	pid_t pid;
	ssize_t n;

	*exec_errno = 0;
	if (pipe(report) != 0)
		return -1;
	fcntl(report[1], F_SETFD, FD_CLOEXEC);
	pid = fork();
	if (pid == 0) {
		sigset_t none;
		close(report[0]);
		for (size_t i = 0; i < SIGNAL_COUNT; i++)
			signal(handled_signals[i], SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
#ifdef __linux__
		prctl(PR_SET_PDEATHSIG, SIGTERM); /* no QEMU left behind if mkbootimg is killed */
#endif
		execvp(argv[0], argv);
		if (write(report[1], &errno, sizeof errno) < 0)
			_exit(126);
		_exit(127);
	}
	close(report[1]);
	if (pid > 0) {
		do
			n = read(report[0], exec_errno, sizeof *exec_errno);
		while (n < 0 && errno == EINTR);
		if (n != (ssize_t)sizeof *exec_errno)
			*exec_errno = 0; /* closed by exec: QEMU runs */
	}
	close(report[0]);
	return pid;
}

/*
 * Is the display in a graphics mode? QMP's screendump writes what the display
 * shows as a PPM whose header gives its size: text modes are 720x400 or
 * 640x400. 0 (show the text) when that cannot be found out.
 */
static int display_is_graphics(struct runner *r, unsigned *width, unsigned *height)
{
	char cmd[PATH_MAX * 2 + 128], escaped[PATH_MAX * 2], header[64];
	ssize_t n;
	int fd;

	if (r->dump_path[0] == '\0' || qmp_json_escape(r->dump_path, escaped, sizeof escaped) != 0)
		return 0;
	snprintf(cmd, sizeof cmd, "{\"execute\":\"screendump\",\"arguments\":{\"filename\":\"%s\"}}",
	         escaped);
	if (qmp_command(&r->qmp, cmd, NULL, 0, QMP_TIMEOUT_MS) != 0)
		return 0; /* no display device (-vga none), say: the text as before */
	fd = open(r->dump_path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = mkb_pread_full(fd, header, sizeof header, 0);
	close(fd);
	unlink(r->dump_path); /* a dump is up to a few MB: not kept in the folder */
	return n > 0 && vga_ppm_size(header, (size_t)n, width, height) == 0 &&
	       !vga_dump_is_text(*width, *height);
}

/* Save the screen through QMP; final: the machine has stopped for good. */
static void save_screen(struct runner *r, int final)
{
	char cmd[PATH_MAX * 2 + 128], escaped[PATH_MAX * 2];
	unsigned width = 0, height = 0;
	int fd;

	if (!r->qmp_up || qmp_json_escape(r->screen_path, escaped, sizeof escaped) != 0)
		return;
	snprintf(cmd, sizeof cmd, "{\"execute\":\"pmemsave\",\"arguments\":{\"val\":%d,\"size\":%d,"
	         "\"filename\":\"%s\"}}", VGA_TEXT_ADDRESS, VGA_TEXT_BYTES, escaped);
	if (qmp_command(&r->qmp, cmd, NULL, 0, QMP_TIMEOUT_MS) != 0)
		return;
	fd = open(r->screen_path, O_RDONLY);
	if (fd < 0)
		return;
	if (mkb_pread_full(fd, r->screen, sizeof r->screen, 0) == (ssize_t)sizeof r->screen) {
		r->screen_saved = 1;
		r->screen_final = final;
		r->screen_graphics = display_is_graphics(r, &width, &height);
		r->screen_width = width;
		r->screen_height = height;
	}
	close(fd);
}

/* Connect to QMP once QEMU has made the socket, then let the stopped machine run. */
static int start_watching(struct runner *r, const char *socket_path)
{
	long long give_up = now_ms() + QMP_START_MS;

	while (qmp_connect(&r->qmp, socket_path) != 0) {
		if (errno != ENOENT && errno != ECONNREFUSED)
			return -1;
		if (now_ms() > give_up)
			return mkb_fail("QEMU made no monitor socket within %d s", QMP_START_MS / 1000);
		wait_for_events(r, 5);
		if (r->exited || r->stop_signal)
			return 0; /* QEMU failed to start, or the user gave up: the caller sees it */
	}
	r->qmp_up = 1;
	if (qmp_handshake(&r->qmp, QMP_START_MS) != 0 ||
	    qmp_command(&r->qmp, "{\"execute\":\"cont\"}", NULL, 0, QMP_TIMEOUT_MS) != 0) {
		/* QEMU closes the socket when it refuses its arguments: let its exit status speak. */
		long long give_up_exit = now_ms() + STOP_GRACE_MS;
		qmp_close(&r->qmp);
		r->qmp_up = 0;
		while (!r->exited && !r->stop_signal && now_ms() < give_up_exit)
			wait_for_events(r, 50);
		return r->exited || r->stop_signal ? 0 : -1;
	}
	return 0;
}

/* Has the guest stopped for good (halted with interrupts off, reset, powered off)? */
static int guest_ended(struct runner *r, struct run_outcome *out)
{
	static char reply[QMP_LINE_MAX];
	const char *reason = r->qmp.shutdown_reason;

	if (strncmp(reason, "guest-", 6) == 0) {
		out->end = strcmp(reason, "guest-reset") == 0 ? RUN_RESET : RUN_POWEROFF;
		return 1;
	}
	if (qmp_command(&r->qmp, "{\"execute\":\"human-monitor-command\","
	                "\"arguments\":{\"command-line\":\"info registers\"}}",
	                reply, sizeof reply, QMP_TIMEOUT_MS) != 0)
		return 0;
	if (qmp_registers_show_dead_halt(reply)) {
		out->end = RUN_HALTED;
		return 1;
	}
	return 0;
}

/* End QEMU: quit through QMP, else SIGTERM, then SIGKILL after a grace time. */
static void stop_qemu(struct runner *r)
{
	long long kill_at = now_ms() + STOP_GRACE_MS;

	if (r->qmp_up)
		qmp_command(&r->qmp, "{\"execute\":\"quit\"}", NULL, 0, STOP_GRACE_MS);
	else
		kill(r->pid, SIGTERM);
	reap(r);
	while (!r->exited && now_ms() < kill_at)
		wait_for_events(r, 50);
	if (!r->exited) {
		kill(r->pid, SIGKILL);
		if (waitpid(r->pid, &r->wait_status, 0) == r->pid)
			r->exited = 1;
	}
}

/* Run QEMU until the run ends; how it ended goes to out. */
static int supervise(struct runner *r, const char *socket_path, struct run_outcome *out)
{
	const struct run_setup *s = r->setup;
	long long start = now_ms();
	long long deadline = s->timeout ? start + s->timeout * 1000LL : 0;
	long long next_poll = start + POLL_MS;
	int ended = 0;

	if (socket_path != NULL && start_watching(r, socket_path) != 0) {
		stop_qemu(r);
		return -1;
	}
	while (!r->exited && !r->stop_signal && !ended) {
		long long now = now_ms();
		long long wake = r->qmp_up ? next_poll : deadline ? deadline : now + 60000;

		if (deadline && wake > deadline)
			wake = deadline;
		wait_for_events(r, wake > now ? (int)(wake - now) : 0);
		if (r->exited || r->stop_signal)
			break;
		if (r->qmp_up && qmp_read_events(&r->qmp) != 0) {
			qmp_close(&r->qmp); /* QEMU is on its way out */
			r->qmp_up = 0;
		}
		now = now_ms();
		if (deadline && now >= deadline) {
			out->end = RUN_TIMEOUT;
			out->code = (int)s->timeout;
			ended = 1;
		} else if (r->qmp_up && (r->qmp.shutdown_reason[0] != '\0' || now >= next_poll)) {
			next_poll = now + POLL_MS;
			ended = guest_ended(r, out);
			if (!ended && s->test)
				save_screen(r, 0); /* isa-debug-exit leaves no time to read it at the end */
		}
	}
	if (ended)
		save_screen(r, 1);
	if (!r->exited)
		stop_qemu(r);
	if (r->stop_signal) {
		out->end = RUN_INTERRUPTED;
		out->code = r->stop_signal;
	} else if (!ended && WIFSIGNALED(r->wait_status)) {
		out->end = RUN_QEMU_SIGNALED;
		out->code = WTERMSIG(r->wait_status);
	} else if (!ended) {
		out->end = RUN_QEMU_EXITED;
		out->code = WEXITSTATUS(r->wait_status);
	}
	return 0;
}

static void print_screen(const struct runner *r)
{
	char text[VGA_TEXT_ROWS * (VGA_TEXT_COLUMNS + 1) + 1];

	if (!r->screen_saved)
		return;
	if (r->screen_graphics) {
		/* 0xB8000 is not the screen then: its bytes would show as a page of '?' */
		fflush(stdout);
		printf("---- screen: graphics mode %ux%u, no text to show ----\n", r->screen_width,
		       r->screen_height);
		fflush(stdout);
		return;
	}
	if (vga_text_format(r->screen, text) == 0)
		return;
	fflush(stdout);
	printf("---- VGA text screen%s ----\n%s", r->screen_final ? "" :
	       " (as last seen, up to 0.1 s before QEMU exited)", text);
	fflush(stdout);
}

/* ---- The run ---- */

static int read_cargo_config(struct cargo_config *c)
{
	const char *dir = getenv("CARGO_MANIFEST_DIR");
	char path[PATH_MAX];

	if (dir == NULL || dir[0] == '\0')
		return cargo_config_parse(c, "", "", 0);
	if (snprintf(path, sizeof path, "%s/Cargo.toml", dir) >= (int)sizeof path)
		return mkb_fail("CARGO_MANIFEST_DIR is too long");
	return cargo_config_read(c, path);
}

static void look_around(struct run_env *e, const char *target, enum run_target kind)
{
	const char *display = getenv("DISPLAY"), *wayland = getenv("WAYLAND_DISPLAY");
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	e->display = (display != NULL && display[0] != '\0') || (wayland != NULL && wayland[0] != '\0');
	e->kvm_usable = kvm >= 0;
	if (kvm >= 0)
		close(kvm);
	e->accel = getenv("MKBOOTIMG_ACCEL");
	e->test_binary = kind == RUN_TARGET_KERNEL && run_is_test_binary(target);
}

/* Start QEMU with cmd and see the run through; returns the exit status. */
static int boot(const struct run_setup *s, const struct run_options *o, const char *kernel,
                struct signals *sig, struct qemu_command *cmd, const char *socket_path,
                const char *screen_path, const char *dump_path)
{
	struct runner r;
	struct run_outcome out = { RUN_QEMU_EXITED, 0 };
	char msg[256];
	int exec_errno, status;

	memset(&r, 0, sizeof r);
	r.setup = s;
	r.signals = sig;
	r.qmp.fd = -1;
	snprintf(r.screen_path, sizeof r.screen_path, "%s", screen_path ? screen_path : "");
	snprintf(r.dump_path, sizeof r.dump_path, "%s", dump_path ? dump_path : "");
	if (s->gdb_port && !o->quiet)
		fprintf(stderr, "mkbootimg: QEMU waits for a debugger: gdb -ex 'target remote 127.0.0.1:%d'%s%s\n",
		        s->gdb_port, kernel ? " " : "", kernel ? kernel : "");
	r.pid = spawn(cmd->argv, &exec_errno);
	if (r.pid < 0) {
		mkb_fail("fork: %s", strerror(errno));
		return 1;
	}
	if (exec_errno != 0) {
		waitpid(r.pid, NULL, 0);
		if (exec_errno == ENOENT)
			mkb_fail("%s not found: " QEMU_MISSING_HINT, cmd->argv[0]);
		else
			mkb_fail("%s: %s", cmd->argv[0], strerror(exec_errno));
		return 1;
	}
	if (supervise(&r, socket_path, &out) != 0) {
		qmp_close(&r.qmp);
		return 1;
	}
	qmp_close(&r.qmp);
	status = verdict(&out, s->test, s->success_exit_code, msg, sizeof msg);
	if (out.end != RUN_INTERRUPTED && (s->test ? status != 0 : !o->quiet))
		print_screen(&r);
	mkb_fail("%s", msg);
	return status;
}

int run(const struct run_options *o, const struct loader_blob *loader)
{
	struct cargo_config cargo;
	struct run_setup s;
	struct run_env env;
	struct qemu_command cmd = { 0 };
	struct signals sig;
	struct workdir dir = { "" };
	enum run_target kind = RUN_TARGET_KERNEL;
	char image[PATH_MAX + 32], socket_path[PATH_MAX + 32], screen_path[PATH_MAX + 32];
	char dump_path[PATH_MAX + 32];
	int status = 1, stop_signal, child_changed = 0;

	if (run_identify_target(o->target, &kind) != 0)
		return 1;
	if (kind == RUN_TARGET_IMAGE && (o->plan.cmdline != NULL || o->plan.stack_size != 0 ||
	                                 o->plan.module_count != 0 || o->plan.framebuffer_given)) {
		mkb_fail("%s is a ready image: --cmdline, --stack-size, --module and --framebuffer apply "
		         "only to a kernel", o->target);
		return RUN_EXIT_USAGE;
	}
	if (read_cargo_config(&cargo) != 0)
		return 1;
	look_around(&env, o->target, kind);
	if (run_setup_resolve(&s, o, &cargo, &env) != 0)
		goto out_cargo;

	if (o->dry_run) {
		/* Check the kernel, build nothing; the temporary folder's name is shown as a pattern. */
		const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
		snprintf(image, sizeof image, "%s/mkbootimg-run.XXXXXX/kernel.img", tmp);
		snprintf(socket_path, sizeof socket_path, "%s/mkbootimg-run.XXXXXX/qmp.sock", tmp);
		if ((kind == RUN_TARGET_KERNEL && build_image(o->target, NULL, &o->plan, loader, NULL) != 0) ||
		    qemu_command_build(&cmd, &s, o, &cargo, kind == RUN_TARGET_KERNEL ? image : o->target,
		                       s.watch ? socket_path : NULL) != 0)
			goto out_cargo;
		qemu_command_print(stdout, &cmd);
		status = 0;
		mkb_fail("%s", "");
		goto out_cmd;
	}
	if (!program_exists(s.qemu)) {
		mkb_fail("%s not found: " QEMU_MISSING_HINT, s.qemu);
		goto out_cargo;
	}
	if (signals_catch(&sig) != 0)
		goto out_cargo;
	if ((kind == RUN_TARGET_KERNEL || s.watch) && workdir_make(&dir) != 0)
		goto out_signals;
	snprintf(image, sizeof image, "%s/kernel.img", dir.path);
	snprintf(socket_path, sizeof socket_path, "%s/qmp.sock", dir.path);
	snprintf(screen_path, sizeof screen_path, "%s/screen.bin", dir.path);
	snprintf(dump_path, sizeof dump_path, "%s/screen.ppm", dir.path);
	if (kind == RUN_TARGET_KERNEL && build_image(o->target, image, &o->plan, loader, NULL) != 0)
		goto out_dir;
	if (qemu_command_build(&cmd, &s, o, &cargo, kind == RUN_TARGET_KERNEL ? image : o->target,
	                       s.watch ? socket_path : NULL) != 0)
		goto out_dir;
	if (o->verbose)
		qemu_command_print(stderr, &cmd);
	/* A Ctrl-C while the image was being built: stop before QEMU starts. */
	stop_signal = signals_take(&sig, &child_changed);
	if (stop_signal != 0) {
		status = 128 + stop_signal;
		mkb_fail("%s", "");
	} else {
		status = boot(&s, o, kind == RUN_TARGET_KERNEL ? o->target : NULL, &sig, &cmd,
		              s.watch ? socket_path : NULL, screen_path, dump_path);
	}
	qemu_command_free(&cmd);
out_dir:
	workdir_remove(&dir);
out_signals:
	signals_restore(&sig);
out_cargo:
	cargo_config_free(&cargo);
	return status;
out_cmd:
	qemu_command_free(&cmd);
	goto out_cargo;
}
