#!/usr/bin/env python3
"""The loader on many machines: boot entry-check-higher-half's image on
different disks, memory sizes, CPUs and hostile BIOS behaviour, and check
the loader's messages for what cannot boot.

Boot tests pass when entry-check exits QEMU with 33 (all its checks held).
Screen tests pass when the loader's message is on the VGA text screen (read
over QMP) and on COM1. Harness tests boot a boot sector from a floppy
(tests/harness/chain.asm, built by machines.mk) that plays a hostile BIOS and
then chain-loads our MBR from the first hard disk.

Prints "PASS name" / "FAIL name: why" / "SKIP name: why" per test, then
"N passed, N failed[, N skipped]". Exits 1 when a test failed. Python 3
standard library only; run.py's QEMU and QMP helpers are shared.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as h  # noqa: E402 (Qemu helpers: QMP, read_manifest, contains, indent)

KERNEL = "entry-check-higher-half"


# ---- Disks: the QEMU arguments that attach the image ----

def ide(image, tmp):
    return ["-drive", "format=raw,snapshot=on,file=" + image]


def virtio(image, tmp):
    return ["-drive", "if=virtio,format=raw,snapshot=on,file=" + image]


def usb(controller):
    def attach(image, tmp):
        return ["-device", controller, "-drive", "if=none,id=stick,format=raw,snapshot=on,file=" + image,
                "-device", "usb-storage,drive=stick,bootindex=0"]
    return attach


def blkdebug(sector, once):
    """An IDE disk whose reads of `sector` fail with EIO: once, or every time."""
    def attach(image, tmp):
        config = os.path.join(tmp, "blkdebug.conf")
        with open(config, "w") as f:
            f.write('[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "%d"\nonce = "%s"\n'
                    % (sector, "on" if once else "off"))
        # raw above blkdebug: the format driver raises the read_aio event the rule waits for.
        return ["-drive", "driver=raw,file.driver=blkdebug,file.config=%s,file.image.driver=file,"
                "file.image.filename=%s,snapshot=on" % (config, image)]
    return attach


def harness(name):
    """Boot tests/harness/chain.asm's variant `name` from a floppy, our image as drive 0x80."""
    def attach(image, tmp):
        return ["-drive", "if=floppy,format=raw,snapshot=on,file=" + harness_path(name),
                "-boot", "a"] + ide(image, tmp)
    return attach


ARGS = None


def harness_path(name):
    path = os.path.join(ARGS.harness, name + ".img")
    if not os.path.exists(path):
        raise h.Failure("%s not found: build it with make check-machines" % path)
    return path


# ---- Image changes, made on a copy ----

def payload_sector(image, fraction):
    m = h.read_manifest(image)
    return m["payload_lba"] + int(m["payload_sectors"] * fraction)


def garbage_bpb(image, out):
    """Bytes 0x0B-0x59 of the first sector overwritten, as a BIOS booting a stick as a floppy does."""
    shutil.copyfile(image, out)
    with open(out, "r+b") as f:
        f.seek(0x0B)
        f.write(bytes((0x5A ^ (i * 37)) & 0xFF or 0xFF for i in range(0x0B, 0x5A)))


def truncated(image, out):
    """The image cut off in the middle of its payload (at a whole cylinder, as SeaBIOS wants)."""
    end = payload_sector(image, 0.5) // 1008 * 1008
    m = h.read_manifest(image)
    if end <= m["payload_lba"]:
        raise h.Failure("the payload is too small to cut inside it at a cylinder boundary")
    shutil.copyfile(image, out)
    with open(out, "r+b") as f:
        f.truncate(end * 512)
    return end


# ---- The tests ----

class Test:
    def __init__(self, name, machine="q35", disk=ide, memory="256M", qemu_args=(), expect=None,
                 change=None, com1_absent=None, com1_present=(), allow_failed=()):
        self.name, self.machine, self.disk, self.memory = name, machine, disk, memory
        self.qemu_args, self.expect, self.change, self.com1_absent = list(qemu_args), expect, change, com1_absent
        self.com1_present = com1_present  # lines COM1 must show on a pass
        self.allow_failed = allow_failed  # entry-check checks that may fail here (and only those)


class Qemu(h.Qemu):
    """run.py's Qemu with the disk attached our way."""

    def __init__(self, args, image, test, tmp):
        self.tmp = tmp
        self.log = os.path.join(tmp, "com1.log")
        self.qmp_path = os.path.join(tmp, "qmp.sock")
        self.qmp = None
        self.command = [args.qemu, "-accel", "tcg", "-M", test.machine, "-m", test.memory,
                        "-display", "none", "-serial", "file:" + self.log,
                        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-no-reboot",
                        "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path] \
            + test.disk(image, tmp) + test.qemu_args
        self.proc = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)


def details(qemu, screen, output):
    text = h.indent("COM1", qemu.com1(), limit=30)
    if screen:
        text += h.indent("screen", "\n".join(screen))
    if output:
        text += h.indent("QEMU", output)
    return text + "  command: %s\n" % " ".join(qemu.command)


def run_test(args, test, tmp):
    image = os.path.join(args.images, KERNEL + ".img")
    if not os.path.exists(image):
        raise h.Failure("%s not found: build it with make check-machines" % image)
    if test.change:
        changed = os.path.join(tmp, "changed.img")
        test.change(image, changed)
        image = changed
    qemu = Qemu(args, image, test, tmp)
    deadline = time.monotonic() + args.timeout
    screen, status = None, None
    if test.expect is None:
        status = qemu.wait(args.timeout)
        if status is None:
            screen = qemu.screen()
        output = qemu.stop()
        failed = [l[5:] for l in qemu.com1().splitlines() if l.startswith("FAIL ")]
        if status == h.EXIT_FAIL and test.allow_failed and failed and \
                all(any(l.startswith(a + ":") for a in test.allow_failed) for l in failed):
            status = h.EXIT_PASS
        if status == h.EXIT_PASS:
            if test.com1_absent and test.com1_absent in qemu.com1():
                raise h.Failure("COM1 shows %r" % test.com1_absent, details(qemu, screen, output))
            for line in test.com1_present:
                if line not in qemu.com1():
                    raise h.Failure("COM1 lacks %r" % line, details(qemu, screen, output))
            return
        why = {None: "no verdict within %d s (hung?)" % args.timeout,
               h.EXIT_FAIL: "the kernel reported failed checks",
               0: "QEMU exited 0 without a verdict: triple fault or reset"}.get(status, "QEMU exited %s" % status)
        raise h.Failure(why, details(qemu, screen, output))
    on_screen = on_com1 = False
    while time.monotonic() < deadline:
        lines = qemu.screen()
        if lines is None:
            break
        screen = lines
        on_screen = h.contains(lines, test.expect)
        on_com1 = h.contains([qemu.com1()], test.expect)
        if on_screen and on_com1:
            break
        time.sleep(0.1)
    status = qemu.proc.poll()
    output = qemu.stop()
    if on_screen and on_com1:
        return
    why = "%r not on the screen" % test.expect if not on_screen else "%r not on COM1" % test.expect
    if status is not None:
        why += " (QEMU exited %d)" % status
    raise h.Failure(why, details(qemu, screen, output))


def all_tests(args):
    image = os.path.join(args.images, KERNEL + ".img")
    try:
        mid = payload_sector(image, 0.5)
    except (OSError, ValueError):
        mid = 2048  # the test then fails on the missing image
    tests = [
        # Disks and controllers
        Test("disk/pc-ide", machine="pc"),
        Test("disk/q35-ahci"),
        Test("disk/virtio-blk", machine="pc", disk=virtio),
        Test("disk/usb-xhci", disk=usb("qemu-xhci")),
        Test("disk/usb-ehci", machine="pc", disk=usb("usb-ehci")),
        # Memory
        # entry-check wants 64 MiB usable (it expects -m 256M): only that check may fail.
        Test("memory/24M", memory="24M", allow_failed=("usable memory",)),
        Test("memory/256M", memory="256M"),
        Test("memory/6G", memory="6G"),
        Test("smp/4", qemu_args=("-smp", "4")),
        # CPUs
        Test("cpu/qemu64", qemu_args=("-cpu", "qemu64")),
        Test("cpu/Nehalem", qemu_args=("-cpu", "Nehalem")),
        Test("cpu/max", qemu_args=("-cpu", "max")),
        Test("cpu/no-nx", qemu_args=("-cpu", "qemu64,-nx")),
        # Hostile BIOSes
        Test("bios/bpb-garbage", machine="pc", change=garbage_bpb),
        Test("bios/bpb-garbage-usb", disk=usb("qemu-xhci"), change=garbage_bpb),
        Test("bios/dirty-memory", machine="pc", memory="128M", disk=harness("dirty")),
        Test("bios/entry-07c0", machine="pc", disk=harness("jump07c0")),
        Test("bios/dl-not-hard-disk", machine="pc", disk=harness("dl00")),
        # Without E820 the map has none of E820's reserved ranges: proof of the fallback.
        Test("bios/no-e820", machine="pc", disk=harness("no-e820"), com1_absent="memory 0xfffc0000"),
        # A crafted E820 map (40 entries, unsorted, overlapping, an unknown type, an empty
        # entry, a reserved range with the ACPI 3.0 "enabled" bit clear): sanitized.
        Test("bios/e820-crafted", machine="pc", disk=harness("e820-table"), com1_absent="memory 0x2000000",
             com1_present=("memory 0xe000000-0xe000fff reserved", "memory 0xe001000-0xffdffff usable")),
        # Disk errors (blkdebug): a transient one is retried, a persistent one is reported.
        Test("disk-error/transient", machine="pc", disk=blkdebug(mid, once=True)),
        Test("screen/disk-error", machine="pc", disk=blkdebug(mid, once=False),
             expect="disk read failed at sector"),
        # Messages, not hangs
        Test("screen/no-long-mode", qemu_args=("-cpu", "qemu32"), expect="does not support 64-bit long mode"),
        Test("screen/too-little-memory", memory="4M", expect="(mkbootimg run --memory SIZE"),
        Test("screen/truncated", machine="pc", change=truncated, expect="the image is truncated: the disk ends at"),
    ]
    return tests


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qemu", default="qemu-system-x86_64")
    parser.add_argument("--images", default="build/tests/kernels")
    parser.add_argument("--harness", default="build/tests/harness", help="folder of the harness floppies")
    parser.add_argument("--jobs", "-j", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=60, help="seconds per boot")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("names", nargs="*", help="run only tests whose name contains one of these")
    args = ARGS = parser.parse_args()
    tests = [t for t in all_tests(args) if not args.names or any(n in t.name for n in args.names)]
    if args.list:
        print("\n".join(t.name for t in tests))
        return 0
    if not shutil.which(args.qemu):
        print("FAIL setup: %s not found (install qemu-system-x86)" % args.qemu)
        print("0 passed, 1 failed")
        return 1
    return h.run_suite(tests, lambda t: h.run_one(args, t, run_test, "mkb-machines-"), args.jobs,
                       "machine tests", prefix="machines/")

if __name__ == "__main__":
    sys.exit(main())
