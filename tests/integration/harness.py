"""The one harness of mkbootimg's Python test suites (run.py, run-command.py,
install.py, machines.py, multiboot.py, badpaths.py, newcomer.py).

- Test: a name, a function called as fn(args, test, tmp) in a fresh
  temporary folder, and options the function reads (test.memory, ...).
- Failure(why, details): the test failed; details are printed under the line.
- Skip(kind, why): the test cannot run here. kind must be one of
  EXPECTED_SKIPS, the things a machine may lack; any other skip is counted
  as a failure, so a test cannot quietly stop running.
- main(): the command line every suite shares (--qemu, --jobs, --timeout,
  --list, names), then one parallel runner printing "PASS name",
  "FAIL name: why" (and the details) or "SKIP name: why" in the tests'
  order, and at the end "N passed, N failed, N skipped". Exit status 1 when
  a test failed.
- Qemu: the one QEMU launcher, honouring --qemu: TCG, no display, COM1 to a
  file, isa-debug-exit (QEMU exits 33 for pass, 35 for fail), QMP for the
  screen (pmemsave of the VGA text buffer, screendump).
- boot_verdict() and await_text(): the two ways a boot is judged, by the
  kernel's verdict or by a text on the screen and COM1.

Python 3 standard library only.
"""

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

EXIT_PASS = 33  # isa-debug-exit: (0x10 << 1) | 1
EXIT_FAIL = 35  # (0x11 << 1) | 1
MACHINES = ("pc", "q35")
VGA_TEXT = 0xB8000
VGA_BYTES = 80 * 25 * 2
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# What a machine running the suites may lack. A Skip names one of these;
# any other reason to skip is a failure.
EXPECTED_SKIPS = {
    "root": "needs root (loop devices, mounts), and the suite does not run as root",
    "loop": "no loop devices here (losetup or /dev/loop-control missing)",
    "mount": "mounting is not allowed here (a container without the capability)",
    "partitions": "the kernel shows no partitions of a loop device (no MBR or GPT support, no addpart)",
    "clang": "clang or ld.lld is not installed",
    "rustc": "rustc is not installed",
    "cargo": "cargo is not installed",
    "cxx": "no C++ compiler is installed",
    "toolchain": "the host's compiler cannot link a kernel this way (no 32-bit or PIE support)",
    "network": "apt-get download cannot fetch a package (no network, or no apt)",
    "mandoc": "mandoc is not installed",
    "sgdisk": "sgdisk (gdisk) is not installed",
    "ovmf": "OVMF, the UEFI firmware for QEMU, is not installed (Debian: ovmf; make deps installs it)",
    "mkfs": "mkfs.ext4 (e2fsprogs) is not installed",
    "shell": "bash or zsh is not installed",
    "gdb": "gdb is not installed (Debian: gdb; make deps installs it)",
}


class Skip(Exception):
    """The test cannot run here, for a reason of EXPECTED_SKIPS."""

    def __init__(self, kind, why):
        super().__init__(why)
        self.kind = kind


class Failure(Exception):
    """The test failed; `details` is printed under the FAIL line."""

    def __init__(self, why, details=""):
        super().__init__(why)
        self.details = details


class Test:
    """A test: its name, its function fn(args, test, tmp), and options that
    the function reads as attributes (test.memory) or with test.get()."""

    def __init__(self, name, fn, **options):
        self.name, self.fn, self.options = name, fn, options

    def __getattr__(self, key):
        try:
            return self.__dict__["options"][key]
        except KeyError:
            raise AttributeError(key) from None

    def get(self, key, default=None):
        return self.options.get(key, default)


# ---- Text ----

def indent(title, text, limit=80):
    """text under a title, each line marked, the last `limit` lines only."""
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        return "  %s: (empty)\n" % title
    if len(lines) > limit:
        lines = ["... (%d lines before)" % (len(lines) - limit)] + lines[-limit:]
    return "  %s:\n%s\n" % (title, "\n".join("    | " + l for l in lines))


def contains(lines, text):
    """Is text in lines? Case and line breaks (runs of spaces) do not matter;
    a full 80-column line of the screen goes on in the next without a space."""
    flat = "".join(l if len(l) >= 80 else l + " " for l in lines)
    flat = re.sub(r"\s+", " ", flat).lower()
    return re.sub(r"\s+", " ", text).lower() in flat


def refusal(status, stderr, want_status, *messages, one_line=False):
    """None when a refused command ended as it should: with want_status (a
    number, or a tuple of allowed ones) and every message in stderr;
    else what is wrong."""
    allowed = want_status if isinstance(want_status, tuple) else (want_status,)
    if status not in allowed:
        return "exit status %s, not %s" % (status, " or ".join(str(s) for s in allowed))
    for message in messages:
        if message not in stderr:
            return "stderr lacks %r" % message
    if one_line and len(stderr.strip().splitlines()) != 1:
        return "stderr is not one line"
    return None


# ---- Files shared by the tests of one run ----

_shared_dir = None
_shared_lock = threading.Lock()
_shared = {}
_locks = {}


def shared(key, make):
    """make(folder) once per run for key, in a folder removed at the end of
    the run; later calls get the cached result. Thread-safe."""
    global _shared_dir
    with _shared_lock:
        if _shared_dir is None:
            _shared_dir = tempfile.mkdtemp(prefix="mkb-shared-")
        lock = _locks.setdefault("shared " + key, threading.Lock())
    with lock:  # one maker per key; others wait for it, not for every key
        if key not in _shared:
            try:
                _shared[key] = ("ok", make(_shared_dir))
            except (Failure, Skip) as e:
                _shared[key] = ("raise", e)
        kind, value = _shared[key]
    if kind == "raise":
        raise value
    return value


def serial(name):
    """A lock for what two tests must not do at once (make install into one BUILD)."""
    with _shared_lock:
        return _locks.setdefault("serial " + name, threading.Lock())


# ---- Images (include/mkbootimg/image.h) ----

SECTOR = 512
STAGE2_LBA = 34
MANIFEST_MAGIC = 0x4D424B4D
MKB_MANIFEST_MAX_BYTES = 0x10000
MANIFEST = struct.Struct("<IHHIIIIII8Q")  # struct mkb_manifest: its version 1 part, 96 bytes
SEGMENT = struct.Struct("<5QII")  # struct mkb_segment, 48 bytes


def find_image(path):
    """path, when tests.mk built it; a Skip when it left a .skip file ("KIND: why") instead."""
    if os.path.exists(path):
        return path
    skip = os.path.splitext(path)[0] + ".skip"
    if os.path.exists(skip):
        with open(skip) as f:
            kind, _, why = f.read().strip().partition(": ")
        raise Skip(kind, why)
    raise Failure("%s not found: build it with make check" % path)


def read_manifest(image):
    """The manifest and segment table of an image, as dicts."""
    with open(image, "rb") as f:
        f.seek(STAGE2_LBA * SECTOR + 4)
        (stage2_sectors,) = struct.unpack("<H", f.read(2))
        base = (STAGE2_LBA + stage2_sectors) * SECTOR
        f.seek(base)
        header = f.read(MKB_MANIFEST_MAX_BYTES)
    fields = MANIFEST.unpack_from(header)
    names = ("magic version header_size sectors segment_count segment_offset cmdline_offset "
             "cmdline_length multiboot_offset entry stack_top stack_size direct_map_offset payload_lba "
             "payload_sectors payload_checksum image_sectors").split()
    manifest = dict(zip(names, fields))
    if manifest["magic"] != MANIFEST_MAGIC:
        raise ValueError("no manifest magic at byte %#x (LBA %d + %d stage-2 sectors)"
                         % (base, STAGE2_LBA, stage2_sectors))
    manifest["segments"] = []
    for i in range(manifest["segment_count"]):
        seg = SEGMENT.unpack_from(header, manifest["segment_offset"] + i * SEGMENT.size)
        manifest["segments"].append(dict(zip(
            ("vaddr", "paddr", "filesz", "memsz", "payload_offset", "flags", "reserved"), seg)))
    return manifest


def junk_devices(image, tmp):
    """QEMU arguments that fill every segment's zero-fill part (.bss) with
    0xA5 before the BIOS runs: QEMU's RAM starts zeroed, so without this a
    loader that forgot to zero .bss would still pass the kernel's check."""
    try:
        manifest = read_manifest(image)
    except (OSError, ValueError, struct.error):
        return []  # the manifest test reports a bad manifest
    args = []
    for i, seg in enumerate(manifest["segments"]):
        size = seg["memsz"] - seg["filesz"]
        if size <= 0:
            continue
        path = os.path.join(tmp, "junk%d.bin" % i)
        with open(path, "wb") as f:
            f.write(b"\xa5" * size)
        args += ["-device", "loader,file=%s,addr=%#x,force-raw=on" % (path, seg["paddr"] + seg["filesz"])]
    return args


# ---- QEMU ----

class QMP:
    """A minimal QMP client on a unix socket."""

    def __init__(self, path, deadline):
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        self.sock.settimeout(10)
        self.reader = self.sock.makefile("r")
        self.reader.readline()  # greeting
        self.command("qmp_capabilities")

    def command(self, name, **arguments):
        message = {"execute": name}
        if arguments:
            message["arguments"] = arguments
        self.sock.sendall(json.dumps(message).encode() + b"\n")
        while True:
            line = self.reader.readline()
            if not line:
                raise OSError("QMP connection closed")
            reply = json.loads(line)
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise OSError("QMP %s: %s" % (name, reply["error"].get("desc")))
            # anything else is an asynchronous event: skip it

    def close(self):
        self.reader.close()
        self.sock.close()


def attach_image(image):
    """The QEMU arguments of a raw image as the first hard disk, read-only
    for the image (snapshot=on: two QEMUs may boot it at once)."""
    return ["-drive", "format=raw,snapshot=on,file=" + image]


class Qemu:
    """One QEMU run: TCG, no display, COM1 to a file, isa-debug-exit, QMP.
    disks: QEMU arguments attaching the disks (attach_image(image) when an
    image is given instead)."""

    def __init__(self, args, tmp, machine="q35", memory="256M", image=None, disks=(), extra=()):
        self.tmp = tmp
        self.log = os.path.join(tmp, "com1.log")
        self.qmp_path = os.path.join(tmp, "qmp.sock")
        self.qmp = None
        disks = list(disks) + (attach_image(image) if image else [])
        self.command = [args.qemu, "-accel", "tcg", "-M", machine, "-m", memory, "-display", "none",
                        "-serial", "file:" + self.log,
                        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-no-reboot",
                        "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path] + disks + list(extra)
        self.proc = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)

    def wait(self, timeout):
        """QEMU's exit status, or None if it still runs after timeout seconds."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def monitor(self):
        if self.qmp is None:
            self.qmp = QMP(self.qmp_path, time.monotonic() + 10)
        return self.qmp

    def cells(self):
        """The VGA text buffer's 4000 bytes (character, attribute, ...), or
        None once QEMU has gone."""
        if self.proc.poll() is not None:
            return None
        try:
            path = os.path.join(self.tmp, "screen.bin")
            self.monitor().command("pmemsave", val=VGA_TEXT, size=VGA_BYTES, filename=path)
            with open(path, "rb") as f:
                return f.read()
        except OSError:
            return None

    def screen(self):
        """The VGA text screen as 25 lines, or None once QEMU has gone."""
        cells = self.cells()
        return None if cells is None else screen_lines(cells)

    def com1(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("latin-1").replace("\r", "")
        except OSError:
            return ""

    def stop(self):
        """Stop QEMU (when it still runs); returns what it printed."""
        if self.qmp:
            self.qmp.close()
            self.qmp = None
        if self.proc.poll() is None:
            self.proc.kill()
        output = self.proc.communicate()[0]
        return output.decode("latin-1").strip()

    def details(self, screen=None, output="", com1_limit=80):
        text = indent("COM1", self.com1(), limit=com1_limit)
        if screen:
            text += indent("screen", "\n".join(screen))
        if output:
            text += indent("QEMU", output)
        return text + "  command: %s\n" % " ".join(self.command)

    def fail(self, why, screen=None):
        """Stop QEMU and raise a Failure with COM1, the screen and QEMU's output."""
        output = self.stop()
        raise Failure(why, self.details(screen, output))


def screen_lines(cells):
    chars = "".join(chr(c) if 32 <= c < 127 else " " for c in cells[0::2])
    return [chars[i:i + 80].rstrip() for i in range(0, len(chars), 80)]


def why_no_verdict(status, timeout):
    return {None: "no verdict within %d s (hung?)" % timeout,
            EXIT_FAIL: "the kernel reported failed checks (exit %d)" % EXIT_FAIL,
            0: "QEMU exited 0 without a verdict: triple fault or reset"}.get(status, "QEMU exited %s" % status)


def boot_verdict(args, qemu, allow_failed=()):
    """Wait for the kernel's verdict; return when it passed, else stop QEMU
    and fail. allow_failed: checks (COM1 "FAIL name: ...") that may fail,
    alone, without failing the test."""
    status = qemu.wait(args.timeout)
    screen = qemu.screen() if status is None else None
    output = qemu.stop()
    failed = [l[5:] for l in qemu.com1().splitlines() if l.startswith("FAIL ")]
    if status == EXIT_FAIL and allow_failed and failed and \
            all(any(l.startswith(a + ":") for a in allow_failed) for l in failed):
        status = EXIT_PASS
    if status != EXIT_PASS:
        raise Failure(why_no_verdict(status, args.timeout), qemu.details(screen, output))


def await_text(args, qemu, expected):
    """Poll the screen and COM1 until both show every text of expected;
    then stop QEMU. Fails, with both, when they do not within --timeout."""
    deadline = time.monotonic() + args.timeout
    screen, on_screen, on_com1 = None, [], []
    while time.monotonic() < deadline:
        lines = qemu.screen()
        if lines is None:  # QEMU has gone
            break
        screen = lines
        on_screen = [e for e in expected if contains(lines, e)]
        on_com1 = [e for e in expected if contains([qemu.com1()], e)]
        if len(on_screen) == len(on_com1) == len(expected):
            break
        time.sleep(0.1)
    status = qemu.proc.poll()
    output = qemu.stop()
    if len(on_screen) == len(on_com1) == len(expected):
        return
    missing = [e for e in expected if e not in on_screen]
    if missing:
        why = "%r not on the screen" % missing[0]
    else:
        why = "%r on the screen but not on COM1" % next(e for e in expected if e not in on_com1)
    if status is not None:
        why += " (QEMU exited %d)" % status
    elif time.monotonic() >= deadline:
        why += " within %d s" % args.timeout
    raise Failure(why, qemu.details(screen, output))


# ---- The runner ----

def run_one(args, test, prefix):
    """(verdict, why, details, seconds) of one test, run in a fresh folder."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        try:
            test.fn(args, test, tmp)
            result = ("PASS", "", "")
        except Skip as e:
            if e.kind in EXPECTED_SKIPS:
                result = ("SKIP", str(e), "")
            else:
                result = ("FAIL", "a skip that is not an expected one (%s): %s" % (e.kind, e), "")
        except Failure as e:
            result = ("FAIL", str(e), e.details)
        except Exception as e:  # a bug in the harness or a test is a failure too
            result = ("FAIL", "harness error: %s: %s" % (type(e).__name__, e), "")
    return result + (time.monotonic() - start,)


def run_suite(args, tests, label, prefix=""):
    """Run tests in parallel (--jobs), print a line each in their order and
    the closing summary; returns the exit status (1 when any failed)."""
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    start = time.monotonic()
    tmp_prefix = "mkb-%s-" % re.sub(r"\W+", "-", label)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = pool.map(lambda t: run_one(args, t, tmp_prefix), tests)
        for test, (verdict, why, details, seconds) in zip(tests, results):
            counts[verdict] += 1
            print("%s %s%s%s (%.1f s)" % (verdict, prefix, test.name, ": " + why if why else "", seconds),
                  flush=True)
            if details:
                print(details, end="" if details.endswith("\n") else "\n", flush=True)
    if _shared_dir is not None:
        shutil.rmtree(_shared_dir, ignore_errors=True)
    print("%s took %.1f s with %d jobs" % (label, time.monotonic() - start, args.jobs))
    print("%d passed, %d failed, %d skipped" % (counts["PASS"], counts["FAIL"], counts["SKIP"]))
    return 1 if counts["FAIL"] else 0


def parser(doc, jobs=None, timeout=60):
    """The command line every suite shares; a suite adds its own options."""
    p = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    p.add_argument("--qemu", default="qemu-system-x86_64", help="the QEMU to boot with")
    p.add_argument("--jobs", "-j", type=int, default=jobs or max(2, os.cpu_count() or 2),
                   help="tests run at once")
    p.add_argument("--timeout", type=int, default=timeout, help="seconds per boot")
    p.add_argument("--list", action="store_true", help="list the tests and exit")
    p.add_argument("names", nargs="*", help="run only tests whose name contains one of these")
    return p


def main(args, tests, label, prefix="", needs_qemu=True):
    """Run the tests of a suite that args.names selects (or list them)."""
    tests = [t for t in tests if not args.names or any(n in prefix + t.name for n in args.names)]
    if args.list:
        print("\n".join(prefix + t.name for t in tests))
        return 0
    if needs_qemu and not shutil.which(args.qemu):
        print("FAIL setup: %s not found (install qemu-system-x86)" % args.qemu)
        print("0 passed, 1 failed, 0 skipped")
        return 1
    return run_suite(args, tests, label, prefix)

