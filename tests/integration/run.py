#!/usr/bin/env python3
"""mkbootimg integration tests: boot images in QEMU and judge what happens.

Boot tests boot each test kernel's image (built by tests/tests.mk) on both
-M pc and -M q35; the kernel checks the boot protocol from inside and tells
the verdict through isa-debug-exit: QEMU exits 33 for pass, 35 for fail.

Screen tests read the VGA text screen back through QMP (pmemsave of 0xB8000)
and look for a text: the sample kernel's greeting, and the loader's messages
for a CPU without long mode and for an image with a corrupted payload.

The tests of boot protocol version 2 (modules, framebuffer, RSDP, notes, the
header) are in protocol.py, run here in the same pool.

Prints "PASS name" or "FAIL name: why" per test (with the kernel's COM1 log
and the screen on failure), then "N passed, N failed[, N skipped]". Exits 1
when a test failed. Python 3 standard library only.
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
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import protocol  # noqa: E402 (the boot protocol's tests, run in the same pool)

EXIT_PASS = 33  # isa-debug-exit: (0x10 << 1) | 1
EXIT_FAIL = 35  # (0x11 << 1) | 1
MACHINES = ("pc", "q35")
VGA_TEXT = 0xB8000
VGA_BYTES = 80 * 25 * 2

# From include/mkbootimg/image.h.
SECTOR = 512
STAGE2_LBA = 34
MANIFEST_MAGIC = 0x4D424B4D
MKB_MANIFEST_MAX_BYTES = 0x10000
MANIFEST = struct.Struct("<IHHIIIIII8Q")  # struct mkb_manifest: its version 1 part, 96 bytes
SEGMENT = struct.Struct("<5QII")  # struct mkb_segment, 48 bytes


class Skip(Exception):
    """The test cannot run here (a compiler is missing); not a failure."""


class Failure(Exception):
    """The test failed; `details` is printed under the FAIL line."""

    def __init__(self, why, details=""):
        super().__init__(why)
        self.details = details


# ---- Images ----

def read_manifest(image):
    """The manifest and segment table of an image, as dicts (image.h)."""
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


def corrupt_copy(image, out):
    """Copy image to out with one byte of the first segment's payload flipped."""
    manifest = read_manifest(image)
    seg = next(s for s in manifest["segments"] if s["filesz"] > 0)
    offset = manifest["payload_lba"] * SECTOR + seg["payload_offset"] + seg["filesz"] // 2
    shutil.copyfile(image, out)
    with open(out, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0xFF]))
    return offset


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


class Qemu:
    """One QEMU run: COM1 to a file, isa-debug-exit, QMP for the screen."""

    def __init__(self, args, image, machine, tmp, extra=(), memory="256M"):
        self.tmp = tmp
        self.log = os.path.join(tmp, "com1.log")
        self.qmp_path = os.path.join(tmp, "qmp.sock")
        self.qmp = None
        command = [args.qemu, "-accel", "tcg", "-M", machine, "-m", memory, "-display", "none",
                   "-serial", "file:" + self.log,
                   "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-no-reboot",
                   # snapshot=on: the image is only read, and two QEMUs may boot it at once.
                   "-drive", "format=raw,snapshot=on,file=" + image,
                   "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path] + list(extra)
        self.command = command
        self.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)

    def wait(self, timeout):
        """QEMU's exit status, or None if it still runs after timeout seconds."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def screen(self):
        """The VGA text screen as 25 lines, or None once QEMU has gone."""
        if self.proc.poll() is not None:
            return None
        try:
            if self.qmp is None:
                self.qmp = QMP(self.qmp_path, time.monotonic() + 10)
            path = os.path.join(self.tmp, "screen.bin")
            self.qmp.command("pmemsave", val=VGA_TEXT, size=VGA_BYTES, filename=path)
            with open(path, "rb") as f:
                cells = f.read()
        except OSError:
            return None
        chars = "".join(chr(c) if 32 <= c < 127 else " " for c in cells[0::2])
        return [chars[i:i + 80].rstrip() for i in range(0, len(chars), 80)]

    def com1(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("latin-1").replace("\r", "")
        except OSError:
            return ""

    def stop(self):
        if self.qmp:
            self.qmp.close()
        if self.proc.poll() is None:
            self.proc.kill()
        output = self.proc.communicate()[0]
        return output.decode("latin-1").strip()


def indent(title, text, limit=80):
    lines = [l for l in text.splitlines()]
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        return "  %s: (empty)\n" % title
    if len(lines) > limit:
        lines = ["... (%d lines before)" % (len(lines) - limit)] + lines[-limit:]
    return "  %s:\n%s\n" % (title, "\n".join("    | " + l for l in lines))


def contains(lines, text):
    """Is text on the screen? Case and line breaks (runs of spaces) do not matter."""
    flat = re.sub(r"\s+", " ", " ".join(lines)).lower()
    return re.sub(r"\s+", " ", text).lower() in flat


# ---- Tests ----

class Test:
    def __init__(self, name, image, machine, run, **options):
        self.name, self.image, self.machine, self.run, self.options = name, image, machine, run, options


def find_image(path):
    if os.path.exists(path):
        return path
    skip = os.path.splitext(path)[0] + ".skip"
    if os.path.exists(skip):
        with open(skip) as f:
            raise Skip(f.read().strip())
    raise Failure("%s not found: build it with make check-integration" % path)


def boot_test(args, test, tmp):
    """Boot; pass when the kernel exits QEMU with 33."""
    image = find_image(test.image)
    extra = list(test.options.get("qemu_args", ()))
    if test.options.get("junk"):
        extra += junk_devices(image, tmp)
    qemu = Qemu(args, image, test.machine, tmp, extra, test.options.get("memory", "256M"))
    status = qemu.wait(args.timeout)
    screen = qemu.screen() if status is None else None
    output = qemu.stop()
    if status == EXIT_PASS:
        return
    if status is None:
        why = "no verdict within %d s (hung?)" % args.timeout
    elif status == EXIT_FAIL:
        why = "the kernel reported failed checks (exit %d)" % status
    elif status == 0:
        why = "QEMU exited 0 without a verdict: triple fault or reset"
    else:
        why = "QEMU exited %d" % status
    details = indent("COM1", qemu.com1())
    if screen:
        details += indent("screen", "\n".join(screen))
    if output:
        details += indent("QEMU", output)
    details += "  command: %s\n" % " ".join(qemu.command)
    raise Failure(why, details)


def screen_test(args, test, tmp):
    """Boot and poll the screen until it shows the expected text, and check COM1 too."""
    image = find_image(test.image)
    if test.options.get("corrupt"):
        corrupted = os.path.join(tmp, "corrupt.img")
        try:
            corrupt_copy(image, corrupted)
        except (OSError, ValueError, struct.error, StopIteration) as e:
            raise Failure("cannot corrupt %s: %s" % (image, e))
        image = corrupted
    expected = test.options["expect"]
    qemu = Qemu(args, image, test.machine, tmp, test.options.get("qemu_args", ()),
                memory=test.options.get("memory", "256M"))
    deadline = time.monotonic() + args.timeout
    screen, on_screen, on_com1 = None, False, False
    while time.monotonic() < deadline:
        lines = qemu.screen()
        if lines is None:  # QEMU has gone
            break
        screen = lines
        on_screen = contains(lines, expected)
        on_com1 = contains([qemu.com1()], expected)
        if on_screen and on_com1:
            break
        time.sleep(0.1)
    status = qemu.proc.poll()
    output = qemu.stop()
    if on_screen and on_com1:
        return
    if not on_screen:
        why = "%r not on the screen" % expected
    else:
        why = "%r on the screen but not on COM1" % expected
    if status is not None:
        why += " (QEMU exited %d)" % status
    elif time.monotonic() >= deadline:
        why += " within %d s" % args.timeout
    details = indent("screen", "\n".join(screen or [])) + indent("COM1", qemu.com1())
    if output:
        details += indent("QEMU", output)
    details += "  command: %s\n" % " ".join(qemu.command)
    raise Failure(why, details)


ENTRY_CHECK_KERNELS = ("entry-check-higher-half", "entry-check-flat", "entry-check-noat",
                       "entry-check-segments", "entry-check-bigstack", "entry-check-clang")
OTHER_KERNELS = ("rust-check", "tiny")


def all_tests(args):
    tests = []
    image = lambda name: os.path.join(args.images, name + ".img")
    for kernel in ENTRY_CHECK_KERNELS + OTHER_KERNELS:
        for machine in MACHINES:
            tests.append(Test("%s/%s" % (kernel, machine), image(kernel), machine, boot_test,
                              junk=kernel.startswith("entry-check")))
    # A CPU without NX: the loader must not set the (then reserved) NX bit.
    tests.append(Test("entry-check-higher-half/q35-no-nx", image("entry-check-higher-half"), "q35",
                      boot_test, junk=True, qemu_args=("-cpu", "qemu64,-nx")))
    # Every CPU feature QEMU emulates (1 GiB pages, LA57, ...): nothing may change.
    tests.append(Test("entry-check-higher-half/q35-cpu-max", image("entry-check-higher-half"), "q35",
                      boot_test, junk=True, qemu_args=("-cpu", "max")))
    # RAM above 4 GiB (q35 keeps 2 GiB below): the direct map must reach it too.
    tests.append(Test("entry-check-higher-half/q35-5G", image("entry-check-higher-half"), "q35",
                      boot_test, junk=True, memory="5G"))
    for machine in MACHINES:
        tests.append(Test("screen/sample-hello/%s" % machine, args.sample, machine, screen_test,
                          expect="Hello World!"))
    tests.append(Test("screen/no-long-mode", image("entry-check-higher-half"), "q35", screen_test,
                      expect="long mode", qemu_args=("-cpu", "qemu32")))
    tests.append(Test("screen/bad-checksum", image("entry-check-higher-half"), "q35", screen_test,
                      expect="checksum", corrupt=True))
    # The kernel's 5 MiB at 1 MiB do not fit in 4 MiB of RAM: the loader says so, and where.
    tests.append(Test("screen/no-memory", image("entry-check-higher-half"), "q35", screen_test,
                      expect="this machine has only", memory="4M"))
    return tests + protocol.all_tests(args, sys.modules[__name__])


def run_one(args, test, run=None, prefix="mkb-it-"):
    """(verdict, why, details, seconds) of one test; run(args, test, tmp) does it."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        try:
            (run or test.run)(args, test, tmp)
            result = ("PASS", "", "")
        except Skip as e:
            result = ("SKIP", str(e), "")
        except Failure as e:
            result = ("FAIL", str(e), e.details)
        except Exception as e:  # a bug in the harness is a failure too
            result = ("FAIL", "harness error: %s: %s" % (type(e).__name__, e), "")
    return result + (time.monotonic() - start,)


def run_suite(tests, one, jobs, label, prefix=""):
    """Run tests in parallel, print a line each and the closing summary;
    returns the exit status (1 when any failed)."""
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for test, (verdict, why, details, seconds) in zip(tests, pool.map(one, tests)):
            counts[verdict] += 1
            print("%s %s%s%s (%.1f s)" % (verdict, prefix, test.name, ": " + why if why else "", seconds),
                  flush=True)
            if details:
                print(details, end="", flush=True)
    print("%s took %.1f s with %d jobs" % (label, time.monotonic() - start, jobs))
    summary = "%d passed, %d failed" % (counts["PASS"], counts["FAIL"])
    if counts["SKIP"]:
        summary += ", %d skipped" % counts["SKIP"]
    print(summary)
    return 1 if counts["FAIL"] else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qemu", default="qemu-system-x86_64")
    parser.add_argument("--images", default="build/tests/kernels", help="folder of the test kernels' images")
    parser.add_argument("--sample", default="build/sample-kernel.img",
                        help="the sample kernel's image (its ELF file beside it)")
    parser.add_argument("--mkbootimg", default="build/mkbootimg", help="the tool, for images the tests make")
    parser.add_argument("--cc", default="cc", help="C compiler for the header test")
    parser.add_argument("--cxx", default="g++", help="C++ compiler for the header test")
    parser.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--timeout", type=int, default=120, help="seconds per boot")
    parser.add_argument("--list", action="store_true", help="list the tests and exit")
    parser.add_argument("names", nargs="*", help="run only tests whose name contains one of these")
    args = parser.parse_args()

    tests = [t for t in all_tests(args) if not args.names or any(n in t.name for n in args.names)]
    if args.list:
        print("\n".join(t.name for t in tests))
        return 0
    if not shutil.which(args.qemu):
        print("FAIL setup: %s not found (install qemu-system-x86)" % args.qemu)
        print("0 passed, 1 failed")
        return 1

    return run_suite(tests, lambda t: run_one(args, t), args.jobs, "integration tests")

if __name__ == "__main__":
    sys.exit(main())
