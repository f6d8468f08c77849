#include "verdict.h"

#include <stdio.h>
#include <string.h>

#define LOADER_PREFIX "mkbootimg: "
#define LOADER_CLOSING "The machine is halted."
#define STAGE1_DISK "cannot read the boot disk."       /* bootloader/bios/stage1.asm */
#define STAGE1_NO_LOADER "no BIOS loader: boot with UEFI, or rebuild with --firmware hybrid."

int verdict_loader_message(const char *text, char *out, size_t n)
{
	const char *p = text, *end;
	size_t len = 0;

	/* Only at the start of a line: a kernel quoting the loader mid-line is not the loader. */
	while ((p = strstr(p, LOADER_PREFIX)) != NULL && p != text && p[-1] != '\n' && p[-1] != '\r')
		p++;
	if (p == NULL || n == 0)
		return 0;
	p += strlen(LOADER_PREFIX);
	end = strstr(p, LOADER_CLOSING);
	/* Stage 1 has no room for the closing line: its two messages are known by heart. */
	if (end == NULL && (strncmp(p, STAGE1_DISK, strlen(STAGE1_DISK)) == 0 ||
	                    strncmp(p, STAGE1_NO_LOADER, strlen(STAGE1_NO_LOADER)) == 0))
		end = p + strcspn(p, "\r\n");
	if (end == NULL)
		return 0; /* a kernel's line that starts like the loader's */
	for (; p < end && len + 1 < n; p++) {
		char ch = *p == '\n' || *p == '\r' ? ' ' : *p;
		if (ch == ' ' && (len == 0 || out[len - 1] == ' '))
			continue; /* line breaks and the screen's padding become one space */
		out[len++] = ch;
	}
	while (len > 0 && out[len - 1] == ' ')
		len--;
	out[len] = '\0';
	return len > 0;
}

/* What a QEMU exit status means when isa-debug-exit may have caused it. */
static void describe_exit(int code, char *msg, size_t n, const char *prefix)
{
	if (code == 0)
		snprintf(msg, n, "%sQEMU exited with status 0: the machine reset or powered off (triple fault?)",
		         prefix);
	else if (code == 1)
		snprintf(msg, n, "%sQEMU exited with status 1: an error in QEMU, or the kernel wrote 0 to port "
		         RUN_DEBUG_EXIT_PORT, prefix);
	else if (code % 2 == 1)
		/* isa-debug-exit exits with (value << 1) | 1 */
		snprintf(msg, n, "%sthe kernel wrote 0x%x to port " RUN_DEBUG_EXIT_PORT " (QEMU exit status %d)",
		         prefix, code >> 1, code);
	else
		snprintf(msg, n, "%sQEMU exited with status %d", prefix, code);
}

int verdict(const struct run_outcome *o, int test, int success_code, char *msg, size_t n)
{
	const char *prefix = test ? "test failed: " : "";

	msg[0] = '\0';
	if (o->loader_message != NULL && o->end != RUN_INTERRUPTED) {
		snprintf(msg, n, "the loader stopped: %s", o->loader_message);
		return RUN_EXIT_LOADER;
	}
	switch (o->end) {
	case RUN_TIMEOUT:
		snprintf(msg, n, "timeout: killed QEMU after %d s%s", o->code, o->kvm ?
		         " (under KVM; where KVM is nested it can be far slower than TCG: "
		         "try MKBOOTIMG_ACCEL=tcg)" : "");
		return RUN_EXIT_TIMEOUT;
	case RUN_INTERRUPTED:
		return 128 + o->code;
	case RUN_QEMU_SIGNALED:
		if (o->code == 0) /* QEMU got a signal from outside (QMP does not say which) */
			snprintf(msg, n, "%sQEMU was stopped by a signal", prefix);
		else
			snprintf(msg, n, "%sQEMU was killed by signal %d", prefix, o->code);
		return 1;
	case RUN_RESET:
		snprintf(msg, n, "%sthe machine reset (triple fault?)", prefix);
		return 1;
	case RUN_POWEROFF:
		if (!test)
			return 0;
		snprintf(msg, n, "test failed: the machine powered off without a verdict on port "
		         RUN_DEBUG_EXIT_PORT);
		return 1;
	case RUN_HALTED:
		if (!test)
			return 0;
		snprintf(msg, n, "test failed: the kernel halted with interrupts off without a verdict on port "
		         RUN_DEBUG_EXIT_PORT);
		return 1;
	case RUN_QEMU_EXITED:
		if (test ? o->code == success_code : o->code == 0)
			return 0;
		describe_exit(o->code, msg, n, prefix);
		return 1;
	}
	snprintf(msg, n, "unknown end of run %d", (int)o->end);
	return 1;
}
