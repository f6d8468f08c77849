#!/usr/bin/env python3
"""Integration tests of `mkbootimg run`: boot small kernels through the command
as a kernel author (or cargo) would, and check its exit status, its message
on stderr, what reaches QEMU and the screen it prints.

Every test runs with its own TMPDIR, which must be empty afterwards: the
temporary image and QMP socket are removed on every way out.

The harness (harness.py) prints "PASS name", "FAIL name: why" or "SKIP name:
why" per test, then "N passed, N failed, N skipped"; exits 1 when a test
failed. With --bench N, instead times `mkbootimg run --test` on the tiny
kernel against plain QEMU booting the same image.
Python 3 standard library only.
"""

import json
import os
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import re
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness as h  # noqa: E402
import uefi  # noqa: E402  (its OVMF finder)
from harness import Failure  # noqa: E402

SCREEN_HEADER = "---- VGA text screen"


class Result:
    def __init__(self, status, stdout, stderr, seconds, command):
        self.status, self.stdout, self.stderr = status, stdout, stderr
        self.seconds, self.command = seconds, command

    def details(self):
        text = "  command: %s\n  exit status %s after %.1f s\n" % (
            " ".join(self.command), self.status, self.seconds)
        for name, out in (("stdout", self.stdout), ("stderr", self.stderr)):
            lines = out.rstrip().splitlines()[-30:]
            if lines:
                text += "  %s:\n%s\n" % (name, "\n".join("    | " + l for l in lines))
        return text

    def screen(self):
        """What mkbootimg printed as the screen (after its header), or None."""
        at = self.stdout.find(SCREEN_HEADER)
        return None if at < 0 else self.stdout[at:]


class Context:
    """One test's private folder and environment."""

    def __init__(self, args, tmp):
        self.args, self.tmp = args, tmp
        self.tmpdir = os.path.join(tmp, "tmpdir")  # TMPDIR for mkbootimg
        os.mkdir(self.tmpdir)
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("CARGO_MANIFEST_DIR", "DISPLAY", "WAYLAND_DISPLAY", "MKBOOTIMG_ACCEL")}
        self.env["TMPDIR"] = self.tmpdir
        self.env["PATH"] = os.path.dirname(os.path.abspath(args.qemu_path)) + os.pathsep + self.env.get("PATH", "")

    def kernel(self, name):
        return os.path.join(self.args.kernels, name + ".elf")

    def run(self, *words, env=None, timeout=60, accel=True, on_start=None, command=None):
        command = command or [self.args.mkbootimg, "run"] + (["--accel", "tcg"] if accel else []) + list(words)
        start = time.monotonic()
        # A session of its own, so a test can signal the whole group as a terminal's Ctrl-C does.
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=dict(self.env, **(env or {})),
                                start_new_session=True)
        if on_start:
            on_start(proc)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            raise Failure("mkbootimg run still ran after %d s" % timeout,
                          Result(None, out.decode("latin-1"), err.decode("latin-1"),
                                 time.monotonic() - start, command).details())
        result = Result(proc.returncode, out.decode("latin-1"), err.decode("latin-1"),
                        time.monotonic() - start, command)
        left = os.listdir(self.tmpdir)
        if left:
            raise Failure("left in TMPDIR: %s" % ", ".join(left), result.details())
        return result


def expect(result, status=None, nonzero=False, stderr=None, stdout=None, screen=None, within=None):
    """Check a result; raise Failure saying the first thing that is wrong."""
    why = None
    if status is not None and result.status != status:
        why = "exit status %s, expected %d" % (result.status, status)
    elif nonzero and result.status in (0, None):
        why = "exit status %s, expected a failure" % result.status
    elif stderr is not None and stderr not in result.stderr:
        why = "stderr lacks %r" % stderr
    elif stdout is not None and stdout not in result.stdout:
        why = "stdout lacks %r" % stdout
    elif screen is not None and (result.screen() is None or screen not in result.screen()):
        why = "the printed screen lacks %r" % screen
    elif within is not None and result.seconds > within:
        why = "took %.1f s, more than %d s" % (result.seconds, within)
    if why:
        raise Failure(why, result.details())


# ---- Tests: each takes a Context ----

def test_pass(c):
    expect(c.run("--test", c.args.tiny), status=0)


def test_pass_pc(c):
    expect(c.run("--test", "--machine", "pc", c.args.tiny), status=0)


def test_fail(c):
    # The screen too, as last seen before the verdict ended QEMU.
    expect(c.run("--test", c.kernel("fail")), status=1,
           stderr="mkbootimg: test failed: the kernel wrote 0x11 to port 0xf4 (QEMU exit status 35)",
           screen="run-test: fail kernel")


def test_triple_fault(c):
    expect(c.run("--test", c.kernel("triple-fault")), status=1,
           stderr="mkbootimg: test failed: the machine reset (triple fault?)",
           screen="run-test: triple fault kernel")


def test_halt(c):
    # Halted with interrupts off: a failure at once, not after the 300 s timeout.
    expect(c.run("--test", c.kernel("halt")), status=1, within=20,
           stderr="halted with interrupts off", screen="run-test: halted without a verdict")


def test_timeout(c):
    expect(c.run("--test", "--timeout", "5", c.kernel("loop")), status=124, within=9,
           stderr="mkbootimg: timeout: killed QEMU after 5 s", screen="run-test: looping forever")


def test_image(c):
    image = os.path.join(c.tmp, "tiny.img")
    subprocess.run([c.args.mkbootimg, "-o", image, c.args.tiny], check=True)
    expect(c.run("--test", image), status=0)
    os.rename(image, os.path.join(c.tmp, "no-suffix"))  # recognised by content, not name
    expect(c.run("--test", os.path.join(c.tmp, "no-suffix")), status=0)


def test_qemu_args(c):
    log = os.path.join(c.tmp, "debugcon.log")
    expect(c.run("--test", c.kernel("debugcon"), "--", "-debugcon", "file:" + log), status=0)
    with open(log) as f:
        if "run-test: debugcon reached" not in f.read():
            raise Failure("the kernel's debugcon line is not in %s" % log)


def copy_to(c, kernel, folder, name):
    os.makedirs(os.path.join(c.tmp, folder), exist_ok=True)
    path = os.path.join(c.tmp, folder, name)
    shutil.copy(kernel, path)
    return path


def test_deps_binary(c):
    # No --test: the deps/ folder makes it a test, so isa-debug-exit is there.
    expect(c.run(copy_to(c, c.args.tiny, "deps", "kernel-0123abcd")), status=0)
    expect(c.run(copy_to(c, c.kernel("fail"), "deps", "fail-0123abcd")), status=1,
           stderr="test failed: the kernel wrote 0x11")
    expect(c.run(copy_to(c, c.kernel("fail"), "rustdoctestAbC123", "rust_out")), status=1,
           stderr="test failed: the kernel wrote 0x11")


BLOG_OS_CARGO_TOML = """\
[package]
name = "blog_os"   # a comment
version = "0.1.0"
edition = "2018"
description = '''a [package.metadata.bootimage]
look-alike in a multi-line string'''

[dependencies]
bootloader = { version = "0.9", features = ["map_physical_memory"] }
x86_64 = "0.14.2"

[[test]]
name = "stack_overflow"
harness = false

[package.metadata.bootimage]
test-args = [
    "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-serial", "stdio",
    "-display", "none",   # bootimage users spell these out; mkbootimg adds them only once
]
test-success-exit-code = 35   # the fail kernel writes 0x11: (0x11 << 1) | 1
test-timeout = 60
"""


def test_cargo_toml(c):
    with open(os.path.join(c.tmp, "Cargo.toml"), "w") as f:
        f.write(BLOG_OS_CARGO_TOML)
    env = {"CARGO_MANIFEST_DIR": c.tmp}
    expect(c.run("--test", c.kernel("fail"), env=env), status=0)
    # The command line wins over Cargo.toml.
    expect(c.run("--test", "--success-exit-code", "33", c.kernel("fail"), env=env), status=1,
           stderr="mkbootimg: test failed: the kernel wrote 0x11 to port 0xf4 (QEMU exit status 35)")


def test_cargo_toml_errors(c):
    with open(os.path.join(c.tmp, "Cargo.toml"), "w") as f:
        f.write("[package]\nname = \"k\"\n\n[package.metadata.bootimage]\ntest-timeout = \"300\"\n")
    expect(c.run("--test", c.args.tiny, env={"CARGO_MANIFEST_DIR": c.tmp}), status=1,
           stderr="Cargo.toml:5: test-timeout: expected a number of seconds")
    with open(os.path.join(c.tmp, "Cargo.toml"), "w") as f:
        f.write("[package.metadata.bootimage]\nrun-argz = []\n")
    expect(c.run("--test", c.args.tiny, env={"CARGO_MANIFEST_DIR": c.tmp}), status=1,
           stderr="Cargo.toml:2: run-argz: unknown key in [package.metadata.bootimage]")


def test_headless_screen(c):
    result = c.run("--headless", c.args.sample)
    expect(result, status=0, screen="Hello World!", within=30)


def test_headless_graphics(c):
    # A VBE framebuffer: 0xB8000 is not the screen, so no page of '?' but one line saying so.
    result = c.run("--headless", "--framebuffer", "800x600x32", c.args.sample)
    expect(result, status=0, stdout="---- screen: graphics mode 800x600, no text to show ----", within=30)
    if result.screen() is not None or "?" * 20 in result.stdout:
        raise Failure("a VGA text screen was printed for a graphics mode", result.details())


def test_headless_reset(c):
    expect(c.run(c.kernel("triple-fault")), status=1, stderr="the machine reset (triple fault?)",
           screen="run-test: triple fault kernel")


def signal_soon(sig, group=False, after=1.5):
    def send(proc):
        time.sleep(after)
        if group:
            os.killpg(proc.pid, sig)  # as a terminal's Ctrl-C: mkbootimg and QEMU both get it
        else:
            proc.send_signal(sig)
    return send


def test_sigint(c):
    # Ctrl-C on a spinning kernel: the final screen, QEMU stopped, temporary files gone, 130.
    result = c.run("--headless", c.kernel("loop"), on_start=signal_soon(signal.SIGINT, group=True))
    expect(result, status=128 + signal.SIGINT, within=10, stdout="---- VGA text screen ----\n",
           screen="run-test: looping forever",
           stderr="mkbootimg: headless run: COM1 below, the screen at the end; it ends when the kernel "
                  "halts, on Ctrl-C, or with --timeout SECONDS")


def test_sigterm(c):
    # SIGTERM and SIGHUP to mkbootimg alone: the same, with 143 and 129.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        expect(c.run("--headless", c.kernel("loop"), on_start=signal_soon(sig)), status=128 + sig,
               within=10, stdout="---- VGA text screen ----\n", screen="run-test: looping forever")


def test_quiet_says_nothing(c):
    result = c.run("--headless", "-q", c.kernel("loop"), on_start=signal_soon(signal.SIGINT, group=True))
    expect(result, status=128 + signal.SIGINT)
    if result.stderr.strip():
        raise Failure("-q, yet stderr has %r" % result.stderr, result.details())


def test_idle_notice(c):
    # Nothing on COM1 and the same screen: said once, with the screen, while the kernel spins on.
    result = c.run("--headless", "--timeout", "7", c.kernel("loop"))
    expect(result, status=124, stderr="the kernel runs on with nothing on COM1 and the same screen for 3 s",
           stdout="---- VGA text screen (now, the kernel still runs) ----")
    if result.stderr.count("the same screen") != 1:
        raise Failure("the idle notice is not given exactly once", result.details())
    # A kernel that halts ends the run as before, without the notice.
    halted = c.run("--headless", c.args.sample)
    expect(halted, status=0, screen="Hello World!")
    if "the same screen" in halted.stderr:
        raise Failure("the idle notice for a kernel that halted", halted.details())


def test_loader_stopped(c):
    # 5 MiB of kernel in 4 MiB of RAM: the loader's own message, status 3, in both modes. (The
    # loader may place a higher-half kernel elsewhere: its message then says there is not enough
    # memory rather than naming the address.)
    for mode in ((), ("--test",)):
        result = c.run(*mode, "--memory", "4", c.args.big)
        expect(result, status=3, stderr="mkbootimg: the loader stopped: ")
        expect(result, stderr="(mkbootimg run --memory SIZE, QEMU's -m)")


def test_damaged_image_refused(c):
    image = os.path.join(c.tmp, "k.img")
    subprocess.run([c.args.mkbootimg, "-o", image, c.args.big], check=True)
    info = subprocess.run([c.args.mkbootimg, "info", image], capture_output=True, text=True)
    payload = json.loads(subprocess.run([c.args.mkbootimg, "info", "--json", image], capture_output=True,
                                        text=True).stdout)["payload_lba"] * 512
    with open(image, "r+b") as f:
        size = os.fstat(f.fileno()).st_size
        f.seek(payload + 100)
        f.write(b"\xa5" * 16)  # bytes of the payload: the checksum no longer matches
    corrupt = subprocess.run([c.args.mkbootimg, "info", image], capture_output=True, text=True)
    if info.returncode != 0 or corrupt.returncode != 1:
        raise Failure("info: %d on the image, %d on the damaged one" % (info.returncode, corrupt.returncode))
    # Refused before QEMU is even looked for, with the line info prints.
    for damage in ("%s: the payload checksum does not match: the loader will refuse to boot it" % image,
                   "%s: the file is shorter than the image the manifest describes" % image):
        if "checksum" not in damage:
            with open(image, "r+b") as f:
                f.truncate(size // 2)
        said = subprocess.run([c.args.mkbootimg, "info", image], capture_output=True, text=True).stderr
        result = c.run("--test", "--qemu", "/nonexistent/qemu", image)
        expect(result, status=1, stderr=damage, within=5)
        if not said.strip() or said.strip() != result.stderr.strip():
            raise Failure("run said %r, info %r" % (result.stderr, said), result.details())


def test_block_device(c):
    # A written stick, booted read-only: a read-only loop device would refuse any write.
    if os.geteuid() != 0:
        raise h.Skip("root", "needs root for a loop device (losetup)")
    image = os.path.join(c.tmp, "k.img")
    subprocess.run([c.args.mkbootimg, "-o", image, c.args.tiny], check=True)
    with open(image, "rb") as f:
        before = f.read()
    loop = subprocess.run(["losetup", "-r", "-f", "--show", image], capture_output=True, text=True)
    device = loop.stdout.strip()
    if loop.returncode != 0 or not device.startswith("/dev/loop"):
        raise h.Skip("loop", "losetup cannot make a loop device: %s" % loop.stderr.strip())
    try:
        expect(c.run("--test", device), status=0)
        dry = c.run("--dry-run", device)
        expect(dry, status=0, stdout="file=%s,snapshot=on" % device)
    finally:
        subprocess.run(["losetup", "-d", device])
    with open(image, "rb") as f:
        if f.read() != before:
            raise Failure("the device's bytes changed")


def test_options_reach_qemu(c):
    result = c.run("--dry-run", "--memory", "600", "--smp", "4", "--serial", "none", c.args.tiny)
    expect(result, status=0, stdout="-m 600M")
    expect(result, stdout="-smp 4")
    expect(result, stdout="-serial none")


def test_serial_file(c):
    log = os.path.join(c.tmp, "com1.txt")
    result = c.run("--headless", "--serial", log, c.args.sample)
    expect(result, status=0, screen="Hello World!")
    with open(log, "rb") as f:
        com1 = f.read().decode("latin-1")
    if "Hello" not in com1 or "Hello" in result.stdout.replace(result.screen() or "", ""):
        raise Failure("COM1 did not go to the file alone", result.details())


def test_own_uefi_firmware(c):
    # A firmware given after -- is QEMU's to use: no OVMF is looked for, or added.
    missing = {"MKBOOTIMG_OVMF_CODE": "/nonexistent/code.fd", "MKBOOTIMG_OVMF_VARS": "/nonexistent/vars.fd"}
    result = c.run("--dry-run", "--firmware", "uefi", c.args.tiny, "--", "-bios", "/my/firmware.fd", env=missing)
    expect(result, status=0, stdout="-bios /my/firmware.fd")
    if "pflash" in result.stdout:
        raise Failure("OVMF was added beside the user's firmware", result.details())


def test_accelerator_said(c):
    # --accel auto says what it chose; with KVM the CPU is the host's (no QEMU warning).
    result = c.run("--dry-run", c.args.tiny, accel=False)
    expect(result, status=0, stderr="mkbootimg: accelerator: ")
    kvm = "-accel kvm" in result.stdout
    if kvm != ("-cpu host" in result.stdout) or kvm != ("KVM" in result.stderr):
        raise Failure("KVM, -cpu host and the line do not agree", result.details())
    quiet = c.run("--dry-run", "-q", c.args.tiny, accel=False)
    if "accelerator" in quiet.stderr:
        raise Failure("-q, yet the accelerator was said", quiet.details())


def test_no_gui_qemu(c):
    # DISPLAY set, but a QEMU without gtk or sdl: headless with a note, not a VNC server forever.
    wrapper = os.path.join(c.tmp, "qemu-no-gui")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\nif [ \"$1 $2\" = \"-display help\" ]; then\n"
                "  printf 'Available display backend types:\\nnone\\ncurses\\n'; exit 0\nfi\n"
                "exec %s \"$@\"\n" % c.args.qemu_path)
    os.chmod(wrapper, 0o755)
    result = c.run("--qemu", wrapper, c.args.sample, env={"DISPLAY": ":99"})
    expect(result, status=0, within=30, screen="Hello World!",
           stderr="QEMU here has no graphical display (gtk or sdl: Debian's qemu-system-gui): running headless")


def test_unknown_command(c):
    result = c.run(command=[c.args.mkbootimg, "runn", c.args.tiny])
    expect(result, status=2, stderr="mkbootimg: unknown command 'runn' (did you mean 'run'?)")


def test_qemu_missing(c):
    expect(c.run("--test", "--qemu", "qemu-system-nonexistent", c.args.tiny), status=1,
           stderr="qemu-system-nonexistent not found: install QEMU (Debian, Ubuntu: apt install qemu-system-x86")


def test_not_a_kernel(c):
    path = os.path.join(c.tmp, "notes.txt")
    with open(path, "w") as f:
        f.write("not a kernel\n")
    expect(c.run(path), status=1, stderr="neither an ELF kernel nor an image made by mkbootimg")


def test_usage(c):
    expect(c.run(), status=2, stderr="no kernel or image given")
    expect(c.run("--machine", "isapc", c.args.tiny), status=2, stderr="--machine: 'isapc' is not pc or q35")
    expect(c.run(c.args.tiny, "extra"), status=2, stderr="QEMU arguments go after --")


def test_dry_run(c):
    # MKBOOTIMG_ACCEL chooses the accelerator when --accel is not given; no QEMU runs.
    result = c.run("--dry-run", "--qemu", "/nonexistent/qemu", c.args.tiny, "--", "-s",
                   env={"MKBOOTIMG_ACCEL": "tcg"}, accel=False)
    expect(result, status=0, stdout="/nonexistent/qemu -M q35 -m 256M -accel tcg -drive format=raw,file=")
    if not result.stdout.rstrip().endswith(" -s"):
        raise Failure("the arguments after -- are not last", result.details())


# ---- run --gdb: gdb -batch with the command file the run names ----

GDB_MARKER = 0x6d6b62676462  # gdb_marker of tests/kernels/run/gdb.S
GDB_ATTACH = re.compile(r"mkbootimg: QEMU waits for a debugger: gdb -x (\S+) ")


def gdb_session(c, kernel, gdb_commands, *flags, timeout=120):
    """Run `mkbootimg run --gdb --test FLAGS KERNEL`, attach `gdb -batch -x FILE` with the
    file its stderr names and gdb_commands (-ex each), and return (run's Result, gdb's output)."""
    if not shutil.which("gdb"):
        raise h.Skip("gdb", "gdb is not installed")
    command = [c.args.mkbootimg, "run", "--accel", "tcg", "--gdb", "--test"] + list(flags) + [kernel]
    start = time.monotonic()
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=c.env, start_new_session=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(l.decode("latin-1") for l in proc.stderr))
    reader.start()
    path = None
    while path is None and proc.poll() is None and time.monotonic() < start + 30:
        found = [GDB_ATTACH.search(l) for l in list(lines)]
        path = next((m.group(1) for m in found if m), None)
        time.sleep(0.05)
    gdb = None
    try:
        if path is None:
            raise Failure("run --gdb named no command file on stderr within 30 s")
        if os.path.dirname(os.path.dirname(path)) != c.tmpdir or \
                not os.path.exists(os.path.join(os.path.dirname(path), "kernel.img")):
            raise Failure("the command file %s is not beside the run's image in TMPDIR" % path)
        with open(path) as f:
            script = f.read()
        gdb = subprocess.run(["gdb", "-nx", "-batch", "-x", path] + [w for x in gdb_commands for w in ("-ex", x)],
                             stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
        proc.wait(timeout=timeout)
    except (Failure, subprocess.TimeoutExpired) as e:
        proc.kill()
        proc.wait()
        reader.join()
        out = gdb.stdout + gdb.stderr if gdb else ""
        raise Failure(str(e), "  stderr: %s\n  gdb: %s\n" % ("".join(lines), out))
    reader.join()
    result = Result(proc.returncode, proc.stdout.read().decode("latin-1"), "".join(lines),
                    time.monotonic() - start, command)
    proc.stdout.close()
    proc.stderr.close()
    output = gdb.stdout + gdb.stderr
    details = result.details() + h.indent("gdb", output) + h.indent("command file", script)
    if os.listdir(c.tmpdir):
        raise Failure("left in TMPDIR: %s" % ", ".join(os.listdir(c.tmpdir)), details)
    return result, output, details


def expect_gdb_entry(c, *flags, kernel="gdb", entry="0xffffffff80100000"):
    """gdb stops at the entry (its name shown), reads the global, and the kernel's pass ends the run."""
    result, output, details = gdb_session(c, c.kernel(kernel), ["print/x *(unsigned long long *)&gdb_marker",
                                                                "continue"], *flags)
    if not re.search(r"(Breakpoint \d+, |^#0  )%s in _start \(\)" % entry, output, re.M):
        raise Failure("gdb did not stop at _start, the entry", details)
    if "= %#x" % GDB_MARKER not in output:
        raise Failure("gdb_marker did not read back %#x" % GDB_MARKER, details)
    if result.status != 0:
        raise Failure("the run ended with %s, not the kernel's pass" % result.status, details)


def test_gdb_entry_bios(c):
    expect_gdb_entry(c)


def test_gdb_entry_bios_pc(c):
    expect_gdb_entry(c, "--machine", "pc")


def test_gdb_entry_uefi(c):
    uefi.ovmf()  # a Skip without OVMF
    expect_gdb_entry(c, "--firmware", "uefi")


def test_gdb_entry_kaslr(c):
    # A relocatable kernel with --kaslr: gdb stops at _start wherever the loader slid it (a
    # 2 MiB step above the default base 0xffffffff80000000), with the symbols there too.
    expect_gdb_entry(c, "--kaslr", kernel="gdb-pie", entry=r"0xffffffff[89a-f][0-9a-f]{7}")


def test_gdb_multiboot(c):
    # A 32-bit Multiboot ELF: the physical entry, its symbols, and no 'g' packet error.
    result, output, details = gdb_session(c, c.args.multiboot, ["print $pc", "kill"])
    if not re.search(r"Breakpoint \d+, 0x0*%x in _start \(\)" % c.args.multiboot_entry, output):
        raise Failure("gdb did not stop at the Multiboot entry, _start", details)
    if "packet" in output:
        raise Failure("gdb misread QEMU's registers", details)


TESTS = [test_pass, test_pass_pc, test_fail, test_triple_fault, test_halt, test_timeout, test_image,
         test_qemu_args, test_deps_binary, test_cargo_toml, test_cargo_toml_errors, test_headless_screen,
         test_headless_graphics, test_headless_reset, test_sigint, test_sigterm, test_quiet_says_nothing, test_idle_notice,
         test_loader_stopped, test_damaged_image_refused, test_block_device, test_options_reach_qemu,
         test_serial_file, test_accelerator_said, test_no_gui_qemu, test_unknown_command,
         test_qemu_missing, test_not_a_kernel, test_usage, test_dry_run, test_own_uefi_firmware,
         test_gdb_entry_bios, test_gdb_entry_bios_pc, test_gdb_entry_uefi, test_gdb_entry_kaslr,
         test_gdb_multiboot]


def all_tests():
    """The harness's tests: each function of TESTS with its own Context."""
    return [h.Test(fn.__name__[len("test_"):].replace("_", "-"), lambda args, test, tmp, fn=fn: fn(Context(args, tmp)))
            for fn in TESTS]


# ---- Benchmark ----

def bench(args, runs):
    """Alternate mkbootimg run --test on the tiny kernel and plain QEMU on the same image."""
    with tempfile.TemporaryDirectory(prefix="mkb-bench-") as tmp:
        image = os.path.join(tmp, "tiny.img")
        subprocess.run([args.mkbootimg, "-o", image, args.tiny], check=True)
        mkb = [args.mkbootimg, "run", "--test", "--accel", "tcg", args.tiny]
        plain = [args.qemu_path, "-M", "q35", "-m", "256M", "-accel", "tcg", "-drive",
                 "format=raw,file=" + image, "-display", "none", "-serial", "stdio",
                 "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-no-reboot"]
        times = {"mkbootimg run": [], "plain QEMU": []}
        for _ in range(runs):
            for name, command in (("mkbootimg run", mkb), ("plain QEMU", plain)):
                start = time.monotonic()
                status = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL).returncode
                times[name].append(time.monotonic() - start)
                if status != (0 if name == "mkbootimg run" else 33):
                    print("bench: %s exited %d" % (name, status))
                    return 1
    for name, t in times.items():
        print("%-14s median %.3f s (min %.3f, max %.3f, %d runs)" % (name, statistics.median(t), min(t), max(t), runs))
    print("ratio mkbootimg run / plain QEMU: %.2f" % (statistics.median(times["mkbootimg run"]) /
                                                     statistics.median(times["plain QEMU"])))
    return 0


def main():
    parser = h.parser(__doc__)
    parser.add_argument("--mkbootimg", default="build/mkbootimg")
    parser.add_argument("--kernels", default="build/tests/kernels/run", help="folder of the run test kernels")
    parser.add_argument("--tiny", default="build/tests/kernels/tiny.elf")
    parser.add_argument("--sample", default="build/sample-kernel.elf")
    parser.add_argument("--big", default="build/tests/kernels/entry-check-higher-half.elf",
                        help="a kernel of 5 MiB at 1 MiB")
    parser.add_argument("--multiboot", default="build/tests/kernels/multiboot/mbcheck1.elf",
                        help="a 32-bit Multiboot ELF kernel (run --gdb)")
    parser.add_argument("--bench", type=int, metavar="N", help="time N runs of each instead of testing")
    args = parser.parse_args()

    args.qemu_path = shutil.which(args.qemu) or args.qemu  # h.main fails the run when it is not found
    for path in ("mkbootimg", "tiny", "sample", "big", "multiboot"):
        setattr(args, path, os.path.abspath(getattr(args, path)))
    args.kernels = os.path.abspath(args.kernels)
    with open(args.multiboot, "rb") as f:  # its ELF header's e_entry (32-bit)
        args.multiboot_entry = struct.unpack_from("<I", f.read(28), 24)[0]
    if args.bench:
        return bench(args, args.bench)
    return h.main(args, all_tests(), "run-command tests", prefix="run/")


if __name__ == "__main__":
    sys.exit(main())
