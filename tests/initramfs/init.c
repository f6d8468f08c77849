/*
 * /init of the test initramfs (tests/integration/linux.py): a freestanding
 * x86-64 program, raw system calls only, no C library. It writes MARKER to
 * /dev/console, then "NAME: contents" for each proof file the initramfs holds
 * (the test of two concatenated initrds puts them there), waits until the
 * console has sent it all, and powers the machine off, which ends QEMU.
 *
 *   gcc -static -nostdlib -ffreestanding -Os -DMARKER='"..."' -o init init.c
 */

#ifndef MARKER
#error "build with -DMARKER='\"the line /init prints\"'"
#endif

enum {
	SYS_read = 0, SYS_write = 1, SYS_open = 2, SYS_close = 3, SYS_ioctl = 16,
	SYS_exit = 60, SYS_reboot = 169,
	O_RDONLY = 0, O_WRONLY = 1,
	TCSBRK = 0x5409, /* with argument 1: tcdrain(), wait until the output is sent */
	LINUX_REBOOT_MAGIC1 = 0xfee1dead, LINUX_REBOOT_MAGIC2 = 672274793,
	LINUX_REBOOT_CMD_POWER_OFF = 0x4321fedc,
};

static long syscall4(long n, long a, long b, long c, long d)
{
	long ret;
	register long r10 __asm__("r10") = d;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

static unsigned long length(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	return n;
}

static void say(long fd, const char *s)
{
	syscall4(SYS_write, fd, (long)s, (long)length(s), 0);
}

/* "name: contents" of a file the initramfs may hold; nothing when it does not. */
static void show_proof(long console, const char *name)
{
	static char buf[128];
	long fd = syscall4(SYS_open, (long)name, O_RDONLY, 0, 0);
	long n;

	if (fd < 0)
		return;
	n = syscall4(SYS_read, fd, (long)buf, sizeof(buf) - 1, 0);
	syscall4(SYS_close, fd, 0, 0, 0);
	if (n < 0)
		n = 0;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	say(console, name);
	say(console, ": ");
	say(console, buf);
	say(console, "\n");
}

void _start(void)
{
	long console = syscall4(SYS_open, (long)"/dev/console", O_WRONLY, 0, 0);

	if (console < 0)
		console = 1; /* the kernel's own /dev/console, opened before /init ran */
	say(console, "\n" MARKER "\n");
	show_proof(console, "/proof-first");
	show_proof(console, "/proof-last");
	syscall4(SYS_ioctl, console, TCSBRK, 1, 0);
	syscall4(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF, 0);
	syscall4(SYS_exit, 1, 0, 0, 0); /* not reached: Linux panics when init exits */
	for (;;)
		;
}
