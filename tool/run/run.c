/* realpath() is XSI, beyond the POSIX base the tool is built for. */
#define _XOPEN_SOURCE 700

#include "run.h"
#include "build.h"
#include "cargo.h"
#include "com1-filter.h"
#include "firmware.h"
#include "gdb.h"
#include "image-options.h"
#include "info.h"
#include "kernel.h"
#include "plan.h"
#include "qemu-command.h"
#include "qmp.h"
#include "run-options.h"
#include "run-setup.h"
#include "source.h"
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
#define TEST_SCREEN_MS 20      /* how often a test's screen is saved: a verdict leaves no time later */
#define MODE_CHECK_MS 1000     /* how often the display mode is looked at (a screendump is large) */
#define MODE_RECHECK_MS 200    /* ... and at most this often when the screen changes */
#define IDLE_CHECK_MS 1000     /* how often a running kernel's screen is compared with the last */
#define IDLE_NOTICE_MS 3000    /* silent on COM1, the same screen this long: say so, once */
#define COM1_SCAN_BYTES 16384  /* the start of COM1, where the loader's message would be */
#define QMP_TIMEOUT_MS 10000   /* for one answer of a running QEMU */
#define QMP_START_MS 60000     /* for QEMU to start and greet (KVM can be slow to start) */
#define STOP_GRACE_MS 3000     /* between asking QEMU to quit and killing it */
#define UEFI_IDLE_AFTER_MS 10000 /* OVMF itself is silent for seconds under TCG: no idle notice before */
#define UEFI_SCREEN_LINES 25   /* COM1's last lines, printed where a VGA text screen would be */

#define QEMU_MISSING_HINT \
	"install QEMU (Debian, Ubuntu: apt install qemu-system-x86; Fedora: dnf install " \
	"qemu-system-x86; Arch: pacman -S qemu-system-x86; macOS: brew install qemu), " \
	"or give its path with --qemu PATH"

int run_identify_target(const char *path, enum run_target *out)
{
	struct source src;

	source_classify(path, &src);
	if (src.kind == SOURCE_MISSING)
		return mkb_fail("%s: %s", path, strerror(src.err));
	if (!src.regular && !src.block_device)
		return mkb_fail("%s: not a regular file or a block device", path);
	if (src.kind == SOURCE_KERNEL && src.regular)
		*out = RUN_TARGET_KERNEL;
	else if (src.kind == SOURCE_MKB_IMAGE)
		*out = src.block_device ? RUN_TARGET_DEVICE : RUN_TARGET_IMAGE;
	else if (src.block_device)
		return mkb_fail("%s: this device holds no image made by mkbootimg "
		                "(write one with mkbootimg install)", path);
	else
		return mkb_fail("%s: neither an ELF kernel nor an image made by mkbootimg", path);
	return 0;
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
	long long exited_at;
	int stop_signal;           /* a signal mkbootimg got and passed on */
	struct qmp qmp;
	int qmp_up;
	char screen_path[PATH_MAX + 32], dump_path[PATH_MAX + 32];
	uint8_t screen[VGA_TEXT_BYTES];
	int screen_saved, screen_final;
	long long screen_saved_at;              /* when it was saved, for a screen QEMU took along */
	int screen_graphics;                    /* the display was not in a text mode when last checked */
	unsigned screen_width, screen_height;   /* its size, when screen_graphics */
	long long next_mode_check, last_mode_check;
	uint8_t mode_screen[VGA_TEXT_BYTES];    /* the screen when the mode was last checked */
	/* A kernel that spins silently: the screen as it was since idle_since. */
	uint8_t idle_screen[VGA_TEXT_BYTES];
	long long idle_since;
	int idle_said;
	const char *com1_readback;  /* what the guest wrote to COM1, when it can be read back */
	int com1_discarded;         /* --serial none: nothing to read, and nothing written anywhere */
	/* Watched runs: QEMU's standard error, passed on a line at a time, and its
	 * standard input, fed from a terminal's (else -1). */
	int err_fd, in_fd;
	size_t err_len;
	char err_buf[1024];
	/* UEFI: the screen is a framebuffer; COM1 reaches the terminal through out_fd and the filter. */
	int uefi, relay_stdout, out_fd;
	int stdout_mid_line;        /* the last byte relayed was not a newline */
	struct com1_filter filter;
	long long started_at, com1_size, com1_changed_at;
};

/*
 * Pass QEMU's complete lines on to standard error (all that is left when
 * flush), except its "terminating on signal" line: QEMU only gets a signal
 * that mkbootimg passes on (before the monitor is up), and mkbootimg says
 * itself how the run ended.
 */
static void relay_qemu_stderr(struct runner *r, int flush)
{
	ssize_t n;

	if (r->err_fd < 0)
		return;
	for (;;) {
		char *nl;
		n = read(r->err_fd, r->err_buf + r->err_len, sizeof r->err_buf - r->err_len);
		if (n > 0)
			r->err_len += (size_t)n;
		while ((nl = memchr(r->err_buf, '\n', r->err_len)) != NULL ||
		       r->err_len == sizeof r->err_buf || (flush && n <= 0 && r->err_len > 0)) {
			size_t line = nl != NULL ? (size_t)(nl - r->err_buf) + 1 : r->err_len;
			char text[sizeof r->err_buf + 1];
			memcpy(text, r->err_buf, line);
			text[line] = '\0';
			if (strstr(text, ": terminating on signal ") == NULL)
				fputs(text, stderr);
			memmove(r->err_buf, r->err_buf + line, r->err_len - line);
			r->err_len -= line;
		}
		if (n <= 0 && !(n < 0 && errno == EINTR))
			break;
	}
	fflush(stderr);
}

/* QEMU's standard output (COM1, on a UEFI run) on to ours, without OVMF's escape sequences. */
static void relay_qemu_stdout(struct runner *r, int flush)
{
	char in[4096], out[sizeof in + COM1_FILTER_LINE_MAX];
	ssize_t n;
	size_t len;

	if (r->out_fd < 0)
		return;
	for (;;) {
		n = read(r->out_fd, in, sizeof in);
		if (n < 0 && errno == EINTR)
			continue;
		len = com1_filter_feed(&r->filter, in, n > 0 ? (size_t)n : 0, out, flush && n <= 0);
		if (len > 0 && fwrite(out, 1, len, stdout) != len)
			break;
		if (len > 0)
			r->stdout_mid_line = out[len - 1] != '\n';
		if (n <= 0)
			break;
	}
	fflush(stdout);
}

static void reap(struct runner *r)
{
	if (!r->exited && waitpid(r->pid, &r->wait_status, WNOHANG) == r->pid) {
		r->exited = 1;
		r->exited_at = mkb_now_ms();
	}
}

/* What was typed, on to QEMU's COM1 (a full pipe drops it, as a UART would); EOF closes it. */
static void relay_terminal_input(struct runner *r)
{
	char buf[4096];
	ssize_t n = read(0, buf, sizeof buf);

	if (n > 0) {
		if (write(r->in_fd, buf, (size_t)n) < 0) {
			/* EAGAIN: QEMU is not reading; the bytes are lost, as typed into a stopped machine */
		}
	} else if (n == 0 || errno != EINTR) {
		close(r->in_fd);
		r->in_fd = -1;
	}
}

static void close_child_pipes(struct runner *r)
{
	if (r->err_fd >= 0)
		close(r->err_fd);
	if (r->in_fd >= 0)
		close(r->in_fd);
	if (r->out_fd >= 0)
		close(r->out_fd);
	r->err_fd = r->in_fd = r->out_fd = -1;
}

/* Sleep up to ms, waking for signals; pass terminating ones on to QEMU. */
static void wait_for_events(struct runner *r, int ms)
{
	struct pollfd p[5] = { { r->signals->pipe[0], POLLIN, 0 }, { r->qmp_up ? r->qmp.fd : -1, POLLIN, 0 },
	                       { r->err_fd, POLLIN, 0 }, { r->in_fd >= 0 ? 0 : -1, POLLIN, 0 },
	                       { r->out_fd, POLLIN, 0 } };
	int child_changed = 0, sig;

	if (ms > 0)
		poll(p, 5, ms);
	relay_qemu_stderr(r, 0);
	relay_qemu_stdout(r, 0);
	if (p[3].revents != 0)
		relay_terminal_input(r);
	sig = signals_take(r->signals, &child_changed);
	if (sig != 0 && r->stop_signal == 0) {
		r->stop_signal = sig;
		/* Watched, QEMU is stopped through its monitor once the screen is read. */
		if (!r->qmp_up)
			kill(r->pid, sig);
	}
	reap(r);
}

/* A pipe whose end mine stays in mkbootimg (close-on-exec, non-blocking); -1s on failure. */
static int pipe_for_child(int fds[2], int mine)
{
	if (pipe(fds) != 0) {
		fds[0] = fds[1] = -1;
		return -1;
	}
	fcntl(fds[mine], F_SETFD, FD_CLOEXEC);
	fcntl(fds[mine], F_SETFL, O_NONBLOCK);
	return 0;
}

/*
 * Start argv. Watched: QEMU runs in a process group of its own, so that a
 * terminal's Ctrl-C reaches mkbootimg alone (QEMU would power off at once,
 * -no-shutdown or not, before the screen is read); its standard error comes
 * through r->err_fd, and a terminal's input through r->in_fd, relayed.
 */
static pid_t spawn(char **argv, int *exec_errno, struct runner *r, int watched)
{
	int report[2], err[2] = { -1, -1 }, in[2] = { -1, -1 }, out[2] = { -1, -1 };
	pid_t pid;
	ssize_t n;

	*exec_errno = 0;
	if (r->relay_stdout && pipe_for_child(out, 0) != 0)
		return -1;
	if (pipe(report) != 0) {
		if (out[0] >= 0)
			close(out[0]), close(out[1]);
		return -1;
	}
	/* Input is relayed only from a terminal we own: a background job reading it would stop. */
	if (watched && (pipe_for_child(err, 0) != 0 ||
	                (isatty(0) && tcgetpgrp(0) == getpgrp() && pipe_for_child(in, 1) != 0))) {
		close(report[0]);
		close(report[1]);
		for (int i = 0; i < 2; i++) {
			if (err[i] >= 0)
				close(err[i]);
			if (in[i] >= 0)
				close(in[i]);
			if (out[i] >= 0)
				close(out[i]);
		}
		return -1;
	}
	fcntl(report[1], F_SETFD, FD_CLOEXEC);
	pid = fork();
	if (pid == 0) {
		sigset_t none;
		close(report[0]);
		if (out[1] >= 0) {
			dup2(out[1], 1);
			close(out[1]);
		}
		if (watched) {
			setpgid(0, 0);
			dup2(err[1], 2);
			close(err[1]);
			if (in[0] >= 0) {
				dup2(in[0], 0); /* not the terminal: a background group may not use it */
				close(in[0]);
			}
		}
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
	if (out[1] >= 0)
		close(out[1]);
	if (err[1] >= 0)
		close(err[1]);
	if (in[0] >= 0)
		close(in[0]);
	if (pid < 0) {
		if (err[0] >= 0)
			close(err[0]);
		if (in[1] >= 0)
			close(in[1]);
		if (out[0] >= 0)
			close(out[0]);
		close(report[0]);
		return -1;
	}
	if (watched)
		setpgid(pid, pid); /* as the child does: whichever runs first, no Ctrl-C slips through */
	r->err_fd = err[0];
	r->in_fd = in[1];
	r->out_fd = out[0];
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

/*
 * Save the screen through QMP; final: the machine has stopped for good.
 * The display mode is looked at when final, else at most once a second.
 */
static void save_screen(struct runner *r, int final)
{
	char cmd[PATH_MAX * 2 + 128], escaped[PATH_MAX * 2];
	unsigned width = 0, height = 0;
	int fd;

	/* On UEFI the screen is a framebuffer: 0xB8000 holds nothing it shows. */
	if (r->uefi || !r->qmp_up || qmp_json_escape(r->screen_path, escaped, sizeof escaped) != 0)
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
		r->screen_saved_at = mkb_now_ms();
		/* A new screen may come with a new mode: a kernel's text after the firmware's picture. */
		int changed = memcmp(r->screen, r->mode_screen, sizeof r->screen) != 0;
		if (final || r->screen_saved_at >= r->next_mode_check ||
		    (changed && r->screen_saved_at >= r->last_mode_check + MODE_RECHECK_MS)) {
			memcpy(r->mode_screen, r->screen, sizeof r->screen);
			r->last_mode_check = r->screen_saved_at;
			r->screen_graphics = display_is_graphics(r, &width, &height);
			r->screen_width = width;
			r->screen_height = height;
			r->next_mode_check = r->screen_saved_at + MODE_CHECK_MS;
		}
	}
	close(fd);
}

/* Has the guest written anything to COM1? -1 when that cannot be known. */
static int com1_written(const struct runner *r)
{
	struct stat st;

	if (r->com1_discarded)
		return 0;
	if (r->com1_readback == NULL)
		return -1;
	return stat(r->com1_readback, &st) == 0 && st.st_size > 0;
}

/* Connect to QMP once QEMU has made the socket, then let the stopped machine run. */
static int start_watching(struct runner *r, const char *socket_path)
{
	long long give_up = mkb_now_ms() + QMP_START_MS;

	while (qmp_connect(&r->qmp, socket_path) != 0) {
		if (errno != ENOENT && errno != ECONNREFUSED)
			return -1;
		if (mkb_now_ms() > give_up)
			return mkb_fail("QEMU made no monitor socket within %d s", QMP_START_MS / 1000);
		wait_for_events(r, 5);
		if (r->exited || r->stop_signal)
			return 0; /* QEMU failed to start, or the user gave up: the caller sees it */
	}
	r->qmp_up = 1;
	if (qmp_handshake(&r->qmp, QMP_START_MS) != 0 ||
	    qmp_command(&r->qmp, "{\"execute\":\"cont\"}", NULL, 0, QMP_TIMEOUT_MS) != 0) {
		/* QEMU closes the socket when it refuses its arguments: let its exit status speak. */
		long long give_up_exit = mkb_now_ms() + STOP_GRACE_MS;
		qmp_close(&r->qmp);
		r->qmp_up = 0;
		while (!r->exited && !r->stop_signal && mkb_now_ms() < give_up_exit)
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
	if (strcmp(reason, "host-signal") == 0) {
		/* QEMU alone got a signal from outside, and is on its way out. */
		out->end = RUN_QEMU_SIGNALED;
		out->code = 0;
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
	long long kill_at = mkb_now_ms() + STOP_GRACE_MS;

	if (r->qmp_up)
		qmp_command(&r->qmp, "{\"execute\":\"quit\"}", NULL, 0, STOP_GRACE_MS);
	else
		kill(r->pid, SIGTERM);
	reap(r);
	while (!r->exited && mkb_now_ms() < kill_at)
		wait_for_events(r, 50);
	if (!r->exited) {
		kill(r->pid, SIGKILL);
		if (waitpid(r->pid, &r->wait_status, 0) == r->pid) {
			r->exited = 1;
			r->exited_at = mkb_now_ms();
		}
	}
}

/*
 * A kernel that runs on with nothing on COM1 and the same screen for
 * IDLE_NOTICE_MS is not left to look like a hung tool: say so, once.
 */
static void print_screen(const struct runner *r, const char *when);

/* On UEFI, COM1 alone can tell: silent for IDLE_NOTICE_MS, once OVMF has had its time. */
static void watch_idle_uefi(struct runner *r, long long now)
{
	struct stat st;

	if (r->idle_said || r->com1_readback == NULL || stat(r->com1_readback, &st) != 0)
		return;
	if (st.st_size != r->com1_size || r->com1_changed_at == 0) {
		r->com1_size = st.st_size;
		r->com1_changed_at = now;
		return;
	}
	if (now - r->started_at < UEFI_IDLE_AFTER_MS || now - r->com1_changed_at < IDLE_NOTICE_MS)
		return;
	r->idle_said = 1;
	fprintf(stderr, "mkbootimg: the machine runs on with nothing new on COM1 for %d s (the screen is a "
	        "framebuffer; COM1 follows); Ctrl-C or --timeout SECONDS ends the run\n", IDLE_NOTICE_MS / 1000);
	print_screen(r, " (now, the machine still runs)");
}

static void watch_idle(struct runner *r, long long now)
{
	if (r->uefi) {
		watch_idle_uefi(r, now);
		return;
	}
	/* In a graphics mode 0xB8000 says nothing of what the screen shows. */
	if (!r->screen_saved || r->idle_said || r->screen_graphics)
		return;
	if (r->idle_since == 0 || memcmp(r->screen, r->idle_screen, sizeof r->screen) != 0) {
		memcpy(r->idle_screen, r->screen, sizeof r->screen);
		r->idle_since = now;
		return;
	}
	if (now - r->idle_since < IDLE_NOTICE_MS || com1_written(r) != 0)
		return;
	r->idle_said = 1;
	fprintf(stderr, "mkbootimg: the kernel runs on with nothing on COM1 and the same screen for %d s; "
	        "Ctrl-C or --timeout SECONDS ends the run\n", IDLE_NOTICE_MS / 1000);
	print_screen(r, " (now, the kernel still runs)");
}

/* Run QEMU until the run ends; how it ended goes to out. */
static int supervise(struct runner *r, const char *socket_path, struct run_outcome *out)
{
	const struct run_setup *s = r->setup;
	long long start = mkb_now_ms();
	long long deadline = s->timeout ? start + s->timeout * 1000LL : 0;
	long long next_poll = start + POLL_MS, next_screen = start;
	int screen_ms = s->test ? TEST_SCREEN_MS : IDLE_CHECK_MS;
	int ended = 0;

	if (socket_path != NULL && start_watching(r, socket_path) != 0) {
		stop_qemu(r);
		return -1;
	}
	while (!r->exited && !r->stop_signal && !ended) {
		long long now = mkb_now_ms();
		long long wake = !r->qmp_up ? (deadline ? deadline : now + 60000) :
		                 next_poll < next_screen ? next_poll : next_screen;

		if (deadline && wake > deadline)
			wake = deadline;
		wait_for_events(r, wake > now ? (int)(wake - now) : 0);
		if (r->exited || r->stop_signal)
			break;
		if (r->qmp_up && qmp_read_events(&r->qmp) != 0) {
			qmp_close(&r->qmp); /* QEMU is on its way out */
			r->qmp_up = 0;
		}
		now = mkb_now_ms();
		if (deadline && now >= deadline) {
			out->end = RUN_TIMEOUT;
			out->code = (int)s->timeout;
			ended = 1;
		} else if (r->qmp_up && (r->qmp.shutdown_reason[0] != '\0' || now >= next_poll)) {
			next_poll = now + POLL_MS;
			ended = guest_ended(r, out);
		}
		if (!ended && r->qmp_up && now >= next_screen) {
			/* In a test often: a verdict on the port ends QEMU before the screen can be read. */
			next_screen = now + screen_ms;
			save_screen(r, 0);
			watch_idle(r, now);
		}
	}
	if (!r->stop_signal)
		wait_for_events(r, 0); /* a Ctrl-C that came with QEMU's own end is still a Ctrl-C */
	if (ended || r->stop_signal)
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

/*
 * A UEFI machine's screen is a GOP framebuffer, with no text to read back:
 * in its place, the last lines of COM1, without OVMF's escape sequences
 * and routine lines (the loader and most kernels write there too).
 */
static void print_com1_tail(const struct runner *r, const char *when)
{
	static char raw[65536], text[sizeof raw + COM1_FILTER_LINE_MAX + 1];
	struct com1_filter f;
	struct stat st;
	ssize_t n = -1;
	size_t len, start;
	int fd, lines = 0;

	if (r->com1_readback != NULL && (fd = open(r->com1_readback, O_RDONLY | O_CLOEXEC)) >= 0) {
		off_t from = fstat(fd, &st) == 0 && st.st_size > (off_t)sizeof raw ? st.st_size - (off_t)sizeof raw : 0;
		n = mkb_pread_full(fd, raw, sizeof raw, from);
		close(fd);
	}
	fflush(stdout);
	if (r->stdout_mid_line)
		putchar('\n'); /* the heading on a line of its own, after COM1's last words */
	if (n < 0) {
		printf("---- screen%s: a framebuffer (UEFI), no text to read; COM1 %s ----\n", when,
		       r->com1_discarded ? "was not kept (--serial none)" : "cannot be read back");
		fflush(stdout);
		return;
	}
	com1_filter_init(&f, 0);
	len = com1_filter_feed(&f, raw, (size_t)n, text, 1);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	text[len] = '\0';
	for (start = len; start > 0; start--)
		if (text[start - 1] == '\n' && ++lines == UEFI_SCREEN_LINES)
			break;
	printf("---- screen%s: a framebuffer (UEFI), no text to read; COM1 follows ----\n%s%s", when,
	       text + start, len > start ? "\n" : "");
	fflush(stdout);
}

/* when: what the heading adds, "" for the screen the machine stopped with. */
static void print_screen(const struct runner *r, const char *when)
{
	char text[VGA_TEXT_ROWS * (VGA_TEXT_COLUMNS + 1) + 1];

	if (r->uefi) {
		print_com1_tail(r, when);
		return;
	}
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
	printf("---- VGA text screen%s ----\n%s", when, text);
	fflush(stdout);
}

/* The loader's stop message, from COM1 or the final screen, into msg; 0 when it said none. */
static int find_loader_message(const struct runner *r, char *msg, size_t n)
{
	char com1[COM1_SCAN_BYTES + 1], text[VGA_TEXT_ROWS * (VGA_TEXT_COLUMNS + 1) + 1];
	ssize_t len = -1;
	int fd;

	if (r->com1_readback != NULL && (fd = open(r->com1_readback, O_RDONLY | O_CLOEXEC)) >= 0) {
		len = mkb_pread_full(fd, com1, COM1_SCAN_BYTES, 0);
		close(fd);
	}
	if (len > 0) {
		com1[len] = '\0';
		com1_strip_escapes(com1); /* OVMF's console mirror puts them before the loader's lines */
		if (verdict_loader_message(com1, msg, n))
			return 1;
	}
	if (!r->screen_saved || !r->screen_final || r->screen_graphics)
		return 0;
	vga_text_format(r->screen, text);
	return verdict_loader_message(text, msg, n);
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

/* Does this QEMU have a window to show (gtk, sdl or cocoa among its displays)? */
static int qemu_has_gui(const char *qemu)
{
	char *argv[] = { (char *)qemu, (char *)"-display", (char *)"help", NULL };
	char out[4096];
	size_t len = 0;
	ssize_t n;
	int p[2], status, gui;
	pid_t pid;

	if (pipe(p) != 0)
		return 1; /* cannot tell: as before, trust the display */
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(p[1], 1);
		dup2(null, 0);
		dup2(null, 2); /* "module ui-gtk not found" is what we are finding out */
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	while (pid > 0 && len < sizeof out - 1 &&
	       ((n = read(p[0], out + len, sizeof out - 1 - len)) > 0 || (n < 0 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	close(p[0]);
	out[len] = '\0';
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return 1;
	gui = 0;
	for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n"))
		gui |= strcmp(line, "gtk") == 0 || strcmp(line, "sdl") == 0 || strcmp(line, "cocoa") == 0;
	return gui;
}

static void look_around(struct run_env *e, const struct run_options *o, enum run_target kind)
{
	const char *display = getenv("DISPLAY"), *wayland = getenv("WAYLAND_DISPLAY");
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	memset(e, 0, sizeof *e);
	e->display = (display != NULL && display[0] != '\0') || (wayland != NULL && wayland[0] != '\0');
	e->kvm_usable = kvm >= 0;
	if (kvm >= 0)
		close(kvm);
	e->accel = getenv("MKBOOTIMG_ACCEL");
	e->test_binary = kind == RUN_TARGET_KERNEL && run_is_test_binary(o->target);
	e->block_device = kind == RUN_TARGET_DEVICE;
	e->firmware = getenv(RUN_FIRMWARE_ENV);
	/* A ready image says what it can boot on; unreadable, it is refused later with info's words. */
	e->image_known = kind != RUN_TARGET_KERNEL && image_firmwares_read(o->target, &e->image) == 0;
	/* Only a run that would open a window asks QEMU what it can show. */
	if (e->display && !o->headless && !o->test && !e->test_binary && !o->dry_run)
		e->no_gui = !qemu_has_gui(o->qemu != NULL ? o->qemu : RUN_DEFAULT_QEMU);
}

/* Start QEMU with cmd and see the run through; returns the exit status, msg says why. */
static int boot(const struct run_setup *s, const struct run_options *o,
                struct signals *sig, const struct qemu_command *cmd, const struct qemu_files *f,
                const char *screen_path, const char *dump_path, char *msg, size_t msg_size)
{
	struct runner r;
	struct run_outcome out = { .end = RUN_QEMU_EXITED, .kvm = strcmp(s->accel, "kvm") == 0 };
	char loader_msg[512], when[64];
	int exec_errno, status;

	memset(&r, 0, sizeof r);
	r.err_fd = r.in_fd = r.out_fd = -1;
	r.uefi = s->firmware == RUN_FIRMWARE_UEFI;
	/* OVMF's escape sequences would clear and garble the terminal COM1 is shown on. */
	r.relay_stdout = r.uefi && s->serial == RUN_SERIAL_STDIO;
	com1_filter_init(&r.filter, o->verbose);
	r.started_at = mkb_now_ms();
	/* No screendump in the first moments: a test that ends at once pays nothing for it. */
	r.last_mode_check = mkb_now_ms();
	r.next_mode_check = r.last_mode_check + MODE_CHECK_MS;
	r.setup = s;
	r.signals = sig;
	r.qmp.fd = -1;
	r.com1_readback = cmd->com1_readback;
	r.com1_discarded = cmd->com1_discarded;
	snprintf(r.screen_path, sizeof r.screen_path, "%s", screen_path ? screen_path : "");
	snprintf(r.dump_path, sizeof r.dump_path, "%s", dump_path ? dump_path : "");
	r.pid = spawn(cmd->argv, &exec_errno, &r, s->watch);
	if (r.pid < 0) {
		snprintf(msg, msg_size, "fork: %s", strerror(errno));
		return 1;
	}
	if (exec_errno != 0) {
		close_child_pipes(&r);
		waitpid(r.pid, NULL, 0);
		if (exec_errno == ENOENT)
			snprintf(msg, msg_size, "%s not found: " QEMU_MISSING_HINT, cmd->argv[0]);
		else
			snprintf(msg, msg_size, "%s: %s", cmd->argv[0], strerror(exec_errno));
		return 1;
	}
	status = supervise(&r, f->qmp_socket, &out);
	qmp_close(&r.qmp);
	relay_qemu_stderr(&r, 1);
	relay_qemu_stdout(&r, 1);
	close_child_pipes(&r);
	if (status != 0) {
		snprintf(msg, msg_size, "%s", mkb_error());
		return 1;
	}
	/* A machine the loader halted ran no kernel: its message is the verdict. */
	if (out.end == RUN_HALTED && find_loader_message(&r, loader_msg, sizeof loader_msg))
		out.loader_message = loader_msg;
	status = verdict(&out, s->test, s->success_exit_code, msg, msg_size);
	if (s->test ? status != 0 : !o->quiet) {
		when[0] = '\0';
		if (!r.screen_final && !r.uefi) /* a UEFI run prints COM1, which is complete */
			snprintf(when, sizeof when, " (as last seen, %.2f s before QEMU exited)",
			         (double)(r.exited_at - r.screen_saved_at) / 1000);
		print_screen(&r, when);
	}
	return status;
}

/* The lines a run starts with, on standard error: what was chosen for the user. */
static void say_setup(const struct run_setup *s, const struct run_env *e)
{
	if (s->accel_chosen)
		fprintf(stderr, "mkbootimg: accelerator: %s\n", strcmp(s->accel, "kvm") == 0 ?
		        "KVM (/dev/kvm opens; where KVM is nested and slow, MKBOOTIMG_ACCEL=tcg)" :
		        e->kvm_usable ? "TCG" : "TCG, software emulation (/dev/kvm does not open)");
	if (s->no_gui_fallback)
		fprintf(stderr, "mkbootimg: QEMU here has no graphical display (gtk or sdl: Debian's "
		        "qemu-system-gui): running headless\n");
	if (s->firmware_from_image)
		fprintf(stderr, "mkbootimg: firmware: UEFI (OVMF), as this image has no BIOS loader\n");
	if (!s->watch)
		return;
	if (s->test)
		fprintf(stderr, "mkbootimg: headless test: it ends at the kernel's verdict on port "
		        RUN_DEBUG_EXIT_PORT ", a halt or a reset, on Ctrl-C%s\n",
		        s->timeout ? ", or at --timeout" : "");
	else
		fprintf(stderr, "mkbootimg: headless run: COM1 below, the screen at the end; it ends when "
		        "the kernel halts, on Ctrl-C%s\n", s->timeout ? ", or at --timeout" :
		        ", or with --timeout SECONDS");
}

/* The files of a run, in its private folder (or that folder's name pattern, for a dry run). */
struct run_paths {
	char image[PATH_MAX + 32], socket[PATH_MAX + 32], screen[PATH_MAX + 32];
	char dump[PATH_MAX + 32], com1[PATH_MAX + 32], ovmf_vars[PATH_MAX + 32];
	char gdb_socket[PATH_MAX + 32], gdb_file[PATH_MAX + 32];
	struct ovmf_files ovmf;  /* UEFI: where OVMF was found */
};

static void run_paths_in(struct run_paths *p, const char *folder)
{
	snprintf(p->image, sizeof p->image, "%s/kernel.img", folder);
	snprintf(p->socket, sizeof p->socket, "%s/qmp.sock", folder);
	snprintf(p->screen, sizeof p->screen, "%s/screen.bin", folder);
	snprintf(p->dump, sizeof p->dump, "%s/screen.ppm", folder);
	snprintf(p->com1, sizeof p->com1, "%s/com1.log", folder);
	snprintf(p->ovmf_vars, sizeof p->ovmf_vars, "%s/ovmf-vars.fd", folder);
	snprintf(p->gdb_socket, sizeof p->gdb_socket, "%s/gdb.sock", folder);
	snprintf(p->gdb_file, sizeof p->gdb_file, "%s/kernel.gdb", folder);
}

/* OVMF for a UEFI run: found, and for a real run its variables copied into
 * the run's folder; not looked for when the user's arguments give a firmware. */
static int prepare_ovmf(const struct run_setup *s, const struct run_options *o, const struct cargo_config *c,
                        struct run_paths *p, int copy)
{
	struct ovmf_search where = { "", getenv(OVMF_CODE_ENV), getenv(OVMF_VARS_ENV), getenv("HOMEBREW_PREFIX") };

	if (s->firmware != RUN_FIRMWARE_UEFI || qemu_user_firmware(s, o, c))
		return 0;
	if (ovmf_find(&p->ovmf, &where) != 0)
		return -1;
	return copy ? ovmf_copy_vars(p->ovmf.vars, p->ovmf_vars) : 0;
}

/* What QEMU gets: the kernel's image or the target itself, and the watched run's files. */
static struct qemu_files files_of(const struct run_options *o, enum run_target kind,
                                  const struct run_setup *s, const struct run_paths *p)
{
	return (struct qemu_files){ kind == RUN_TARGET_KERNEL ? p->image : o->target,
	                            s->watch ? p->socket : NULL, s->watch ? p->com1 : NULL,
	                            p->ovmf.code, p->ovmf_vars, s->gdb_port < 0 ? p->gdb_socket : NULL };
}

/* Check the target, read Cargo.toml, decide the setup. 0, or the exit status with mkb_error() set. */
static int prepare(const struct run_options *o, enum run_target *kind, struct cargo_config *cargo,
                   struct run_env *env, struct run_setup *s)
{
	if (run_identify_target(o->target, kind) != 0)
		return 1;
	if (*kind != RUN_TARGET_KERNEL && image_options_refuse(&o->plan, o->target) != 0)
		return RUN_EXIT_USAGE;
	/* A damaged image would hang in the firmware: refused as info refuses it. */
	if (*kind != RUN_TARGET_KERNEL && info_check_image_file(o->target) != 0)
		return 1;
	if (read_cargo_config(cargo) != 0)
		return 1;
	look_around(env, o, *kind);
	if (run_setup_resolve(s, o, cargo, env) != 0) {
		cargo_config_free(cargo);
		return 1;
	}
	return 0;
}

/* --dry-run: check the kernel, build nothing, print the command. 0, or 1 with mkb_error() set. */
static int dry_run(const struct run_options *o, enum run_target kind, const struct cargo_config *cargo,
                   const struct run_env *env, const struct run_setup *s, const struct loader_blob *loader)
{
	const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char folder[PATH_MAX];
	struct run_paths paths = { 0 };
	struct qemu_files files;
	struct qemu_command cmd;

	snprintf(folder, sizeof folder, "%s/mkbootimg-run.XXXXXX", tmp);
	run_paths_in(&paths, folder);
	if (prepare_ovmf(s, o, cargo, &paths, 0) != 0)
		return 1;
	files = files_of(o, kind, s, &paths);
	if ((kind == RUN_TARGET_KERNEL && build_image(o->target, NULL, &o->plan, loader, NULL) != 0) ||
	    qemu_command_build(&cmd, s, o, cargo, &files) != 0)
		return 1;
	if (!o->quiet)
		say_setup(s, env);
	qemu_command_print(stdout, &cmd);
	qemu_command_free(&cmd);
	return 0;
}

/*
 * --gdb: the command file that takes gdb to the kernel's entry, beside the
 * image, and the one line that says how to attach (-q or not: without it
 * nobody can). 0, or -1 with mkb_error() set.
 */
/* A relocatable kernel's symbols are where the plan put it (its slide from
 * the link base); with KASLR the loader adds one of the block's 2 MiB steps. */
static void gdb_script_slide(struct gdb_script *g, const struct plan *p)
{
	struct mkb_pie block;

	if (p->pie == NULL)
		return;
	g->slide = p->pie_slide;
	if (!(p->kaslr_flags & MKB_PIE_KASLR_BASE) || p->handoff_size != sizeof block)
		return;
	memcpy(&block, p->handoff, sizeof block);
	g->slide_at_boot = 1;
	g->slide_step = MKB_PIE_SLIDE_STEP;
	g->slide_slots = block.slots;
}

static int write_gdb_file(const struct run_options *o, enum run_target kind, const struct run_setup *s,
                          const struct run_paths *p, const struct loader_blob *loader)
{
	struct gdb_script g;
	struct build b;
	char remote[PATH_MAX + 64];
	char *symbols = NULL;
	int rc;

	memset(&g, 0, sizeof g);
	if (kind == RUN_TARGET_KERNEL) {
		/* The plan the image was built from: where a relocatable kernel lands. */
		if (build_plan(&b, o->target, &o->plan, loader) != 0)
			return -1;
		symbols = realpath(o->target, NULL);
		gdb_script_for_kernel(&g, &b.kernel, symbols != NULL ? symbols : o->target);
		if (g.kind == GDB_ENTRY_NATIVE)
			gdb_script_slide(&g, &b.plan);
		build_free(&b);
	}
	if (s->gdb_port > 0)
		snprintf(remote, sizeof remote, "127.0.0.1:%d", s->gdb_port);
	else
		snprintf(remote, sizeof remote, "%s", p->gdb_socket);
	g.remote = remote;
	rc = gdb_script_save(p->gdb_file, &g);
	free(symbols);
	if (rc == 0)
		fprintf(stderr, "mkbootimg: QEMU waits for a debugger: gdb -x %s (stops at %s; the file goes "
		        "when the run ends)\n", p->gdb_file, gdb_entry_words(g.kind));
	return rc;
}

/*
 * Build the image, start QEMU, see the run through. Returns the exit status
 * and sets message: the verdict, or what stopped the run.
 */
static int run_qemu(const struct run_options *o, enum run_target kind, const struct cargo_config *cargo,
                    const struct run_env *env, const struct run_setup *s,
                    const struct loader_blob *loader, char *message, size_t n)
{
	struct qemu_command cmd;
	struct signals sig;
	struct workdir dir = { "" };
	struct run_paths paths = { 0 };
	struct qemu_files files;
	int status = 1, stop_signal, child_changed = 0;

	if (!program_exists(s->qemu)) {
		snprintf(message, n, "%s not found: " QEMU_MISSING_HINT, s->qemu);
		return 1;
	}
	if (signals_catch(&sig) != 0) {
		snprintf(message, n, "%s", mkb_error());
		return 1;
	}
	if ((kind == RUN_TARGET_KERNEL || s->watch || s->firmware == RUN_FIRMWARE_UEFI || s->gdb_port) &&
	    workdir_make(&dir) != 0)
		goto out_signals;
	run_paths_in(&paths, dir.path);
	if (prepare_ovmf(s, o, cargo, &paths, 1) != 0)
		goto out_dir;
	files = files_of(o, kind, s, &paths);
	if ((kind == RUN_TARGET_KERNEL &&
	     build_image_warn(o->target, paths.image, &o->plan, loader, NULL, o->quiet ? NULL : stderr) != 0) ||
	    qemu_command_build(&cmd, s, o, cargo, &files) != 0)
		goto out_dir;
	if (!o->quiet)
		say_setup(s, env);
	if (s->gdb_port && write_gdb_file(o, kind, s, &paths, loader) != 0) {
		qemu_command_free(&cmd);
		goto out_dir;
	}
	if (o->verbose)
		qemu_command_print(stderr, &cmd);
	/* A Ctrl-C while the image was being built: stop before QEMU starts. */
	stop_signal = signals_take(&sig, &child_changed);
	if (stop_signal != 0)
		status = 128 + stop_signal;
	else
		status = boot(s, o, &sig, &cmd, &files,
		              paths.screen, paths.dump, message, n);
	qemu_command_free(&cmd);
	workdir_remove(&dir);
	signals_restore(&sig);
	return status;
out_dir:
	workdir_remove(&dir);
out_signals:
	snprintf(message, n, "%s", mkb_error());
	signals_restore(&sig);
	return 1;
}

int run(const struct run_options *o, const struct loader_blob *loader, char *message, size_t n)
{
	struct cargo_config cargo;
	struct run_setup s;
	struct run_env env;
	enum run_target kind = RUN_TARGET_KERNEL;
	int status;

	message[0] = '\0';
	status = prepare(o, &kind, &cargo, &env, &s);
	if (status != 0) {
		snprintf(message, n, "%s", mkb_error());
		return status;
	}
	if (o->dry_run) {
		status = dry_run(o, kind, &cargo, &env, &s, loader);
		if (status != 0)
			snprintf(message, n, "%s", mkb_error());
	} else {
		status = run_qemu(o, kind, &cargo, &env, &s, loader, message, n);
	}
	cargo_config_free(&cargo);
	return status;
}
