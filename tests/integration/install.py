#!/usr/bin/env python3
"""mkbootimg install on real block devices: loop devices this script makes.

Each test runs `mkbootimg install` against a loop device over a file in a
temporary folder, and checks what it refused or what it wrote, byte for byte
and by booting the written device in QEMU. No other device is ever named.
Loop devices, partitions and mounts are undone on every way out. Without root
or loop devices the device tests are skipped, with the reason.

Loop devices are not removable, which is exactly the case `--force` is for:
the tests that write pass it.

Prints "PASS name", "FAIL name: why" or "SKIP name: why" per test, then
"N passed, N failed, N skipped". Exits 1 when a test failed.

    install.py --mkbootimg build/mkbootimg --kernels build/tests/kernels
    install.py --mkbootimg build/mkbootimg --throughput   # against dd, no tests
Python 3 standard library only.
"""

import argparse
import os
import pty
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

EXIT_PASS = 33  # isa-debug-exit: the test kernels' verdict
MiB = 1024 * 1024


class Skip(Exception):
    """The test cannot run here; not a failure."""


class Failure(Exception):
    pass


def run(cmd, timeout=60, **kw):
    kw.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def read_bytes(path, size):
    with open(path, "rb") as f:
        return f.read(size)


def expect(result, status, text):
    """The command ended with status and said text (on stdout or stderr)."""
    said = result.stdout + result.stderr
    if result.returncode != status or text not in said:
        raise Failure("expected status %d and %r, got status %d:\n%s"
                      % (status, text, result.returncode, said.rstrip()))


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return "byte %d is 0x%02x, expected 0x%02x" % (i, x, y)
    return "lengths %d and %d" % (len(a), len(b))


class Loops:
    """Loop devices over files in tmp, detached (with their partitions and
    mounts undone) by close(), whatever happened."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.devices = []
        self.mounts = []

    def make(self, size):
        backing = os.path.join(self.tmp, "disk%d.bin" % len(self.devices))
        with open(backing, "wb") as f:
            f.truncate(size)
        r = run(["losetup", "-f", "--show", "-P", backing])
        device = r.stdout.strip()
        if r.returncode != 0 or not device.startswith("/dev/loop"):
            raise Skip("losetup cannot make a loop device: %s" % r.stderr.strip())
        self.devices.append(device)
        return device

    def partition(self, device):
        """A partition from 1 MiB to the end: the kernel's own scan when it reads
        MBRs, else added by hand (addpart, the BLKPG ioctl)."""
        size = int(read_bytes("/sys/class/block/%s/size" % os.path.basename(device), 32))
        mbr = bytearray(512)
        mbr[446:462] = bytes([0, 0, 0, 0, 0x83, 0, 0, 0]) + (2048).to_bytes(4, "little") + \
            (size - 2048).to_bytes(4, "little")
        mbr[510:512] = b"\x55\xaa"
        with open(device, "r+b") as f:
            f.write(mbr)
        run(["blockdev", "--rereadpt", device])
        part = device + "p1"
        if not os.path.exists(part) and shutil.which("addpart"):
            run(["addpart", device, "1", "2048", str(size - 2048)])
        for _ in range(50):  # udev, where there is one, may take a moment
            if os.path.exists(part):
                return part
            time.sleep(0.02)
        raise Skip("no partition device appeared for %s (no MBR support, no addpart)" % device)

    def mount(self, part):
        if not shutil.which("mkfs.ext4"):
            raise Skip("mkfs.ext4 not found (e2fsprogs)")
        r = run(["mkfs.ext4", "-q", "-F", part])
        if r.returncode != 0:
            raise Skip("mkfs.ext4 failed: %s" % r.stderr.strip())
        point = tempfile.mkdtemp(dir=self.tmp, prefix="mnt")
        r = run(["mount", part, point])
        if r.returncode != 0:
            raise Skip("cannot mount here: %s" % r.stderr.strip())
        self.mounts.append(point)
        return point

    def close(self):
        for point in reversed(self.mounts):
            run(["umount", point])
        for device in self.devices:
            run(["losetup", "-d", device])


class Tests:
    def __init__(self, args, tmp):
        self.args = args
        self.tmp = tmp
        self.loops = Loops(tmp)
        self.disk = None       # a 16 MiB loop device for the writes
        self.tiny = os.path.join(args.kernels, "tiny.img")
        self.tiny_elf = os.path.join(args.kernels, "tiny.elf")
        self.entry_check = os.path.join(args.kernels, "entry-check-higher-half.img")

    def install(self, *words, stdin=subprocess.DEVNULL):
        return run([self.args.mkbootimg, "install"] + list(words), stdin=stdin)

    def need_disk(self):
        if self.disk is None:
            if os.geteuid() != 0:
                raise Skip("needs root for loop devices")
            if not shutil.which("losetup") or not os.path.exists("/dev/loop-control"):
                raise Skip("no loop devices here (losetup or /dev/loop-control missing)")
            self.disk = self.loops.make(16 * MiB)
        return self.disk

    def unchanged(self, device):
        if read_bytes(device, MiB) != bytes(MiB):
            raise Failure("%s was written to" % device)

    def boot(self, device):
        if not shutil.which(self.args.qemu):
            raise Skip("%s not found" % self.args.qemu)
        cmd = [self.args.qemu, "-accel", "tcg", "-M", "q35", "-m", "256M", "-display", "none",
               "-no-reboot", "-serial", "file:" + os.path.join(self.tmp, "com1.txt"),
               "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
               "-drive", "format=raw,file=" + device]
        r = run(cmd, timeout=120)
        if r.returncode != EXIT_PASS:
            with open(os.path.join(self.tmp, "com1.txt"), errors="replace") as f:
                com1 = f.read()
            raise Failure("QEMU exited %d, not %d; COM1:\n%s%s"
                          % (r.returncode, EXIT_PASS, com1, r.stderr))

    def written(self, device, image_bytes):
        on_disk = read_bytes(device, len(image_bytes))
        if on_disk != image_bytes:
            raise Failure("%s differs from the image: %s"
                          % (device, first_difference(on_disk, image_bytes)))

    # ---- The tests, in order ----

    def test_refuse_regular_file(self):
        target = os.path.join(self.tmp, "out.img")
        open(target, "wb").close()
        expect(self.install("--yes", self.tiny, target), 1,
               "is a regular file, not a disk (to make an image file, use mkbootimg -o")
        expect(self.install("--yes", self.tiny, os.path.join(self.tmp, "none")), 1,
               "no such device (to make an image file instead, use mkbootimg -o FILE KERNEL)")
        if os.path.getsize(target) != 0:
            raise Failure("the regular file was written to")

    def test_refuse_not_an_image(self):
        junk = os.path.join(self.tmp, "notes.txt")
        with open(junk, "w") as f:
            f.write("not an image\n" * 100)
        expect(self.install("--yes", "--force", junk, self.need_disk()), 1,
               "neither an ELF kernel nor a bootable disk image")
        self.unchanged(self.disk)

    def test_refuse_without_confirmation(self):
        disk = self.need_disk()
        expect(self.install("--force", self.tiny, disk), 1,
               "standard input is not a terminal, so nobody can confirm writing to %s; "
               "add --yes to write without asking" % disk)
        self.unchanged(disk)

    def answer(self, text, *words):
        """Run install with a terminal on standard input that types text."""
        master, slave = pty.openpty()
        try:
            p = subprocess.Popen([self.args.mkbootimg, "install"] + list(words), stdin=slave,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            os.close(slave)
            slave = None
            os.write(master, text.encode())
            out, err = p.communicate(timeout=60)
            return subprocess.CompletedProcess(p.args, p.returncode, out, err)
        finally:
            os.close(master)
            if slave is not None:
                os.close(slave)

    def test_refuse_wrong_answer(self):
        disk = self.need_disk()
        r = self.answer("sda\n", "--force", self.tiny, disk)
        expect(r, 1, "%s: not confirmed; nothing written" % disk)
        if "Type %s (or yes) to write it" % os.path.basename(disk) not in r.stderr:
            raise Failure("no question asked:\n" + r.stderr)
        for field in ("Model", "Vendor", "Size", "Transport"):
            if field not in r.stdout:
                raise Failure("the description lacks %s:\n%s" % (field, r.stdout))
        self.unchanged(disk)

    def test_refuse_not_removable(self):
        disk = self.need_disk()
        expect(self.install("--yes", self.tiny, disk), 1,
               "%s is not a removable disk and not on USB (transport loop): it may be a system "
               "or data disk; add --force if you are sure" % disk)
        self.unchanged(disk)

    def test_dry_run(self):
        disk = self.need_disk()
        expect(self.install("--dry-run", "--force", self.tiny, disk), 0,
               "Dry run: every check passed. Would write 516096 bytes to %s" % disk)
        self.unchanged(disk)

    def test_refuse_too_small(self):
        self.need_disk()
        small = self.loops.make(256 * 1024)
        expect(self.install("--yes", "--force", self.tiny, small), 1,
               "%s is too small: the image needs 516096 bytes" % small)

    def test_refuse_partition(self):
        self.need_disk()
        self.parted = self.loops.make(8 * MiB)
        part = self.loops.partition(self.parted)
        expect(self.install("--yes", "--force", self.tiny, part), 1,
               "%s is a partition of %s; install writes a whole disk: give %s"
               % (part, self.parted, self.parted))

    def test_refuse_mounted(self):
        if getattr(self, "parted", None) is None:
            raise Skip("no partitioned loop device (see refuse-partition)")
        part = self.parted + "p1"
        point = self.loops.mount(part)
        expect(self.install("--yes", "--force", self.tiny, self.parted), 1,
               "%s is in use: %s is mounted on %s; unmount it first"
               % (self.parted, os.path.basename(part), point))

    def test_write_image(self):
        disk = self.need_disk()
        r = self.install("--yes", "--force", self.entry_check, disk)
        expect(r, 0, "verified in")
        self.written(disk, read_bytes(self.entry_check, 1 << 30))

    def test_boot_written_device(self):
        self.test_write_image()
        self.boot(self.disk)

    def test_write_kernel(self):
        disk = self.need_disk()
        reference = os.path.join(self.tmp, "tiny.img")
        r = run([self.args.mkbootimg, "-o", reference, self.tiny_elf])
        if r.returncode != 0:
            raise Failure("mkbootimg -o failed: " + r.stderr)
        expect(self.install("--yes", "--force", self.tiny_elf, disk), 0, "Wrote 516.1 kB to " + disk)
        self.written(disk, read_bytes(reference, 1 << 30))
        self.boot(disk)

    def test_confirm_by_name(self):
        disk = self.need_disk()
        with open(disk, "r+b") as f:  # start from zeros again
            f.write(bytes(MiB))
            f.flush()
            os.fsync(f.fileno())
        expect(self.answer(os.path.basename(disk) + "\n", "--force", "--no-verify", self.tiny, disk),
               0, "not verified")
        self.written(disk, read_bytes(self.tiny, 1 << 30))

    def test_list(self):
        disk = self.need_disk()
        r = run([self.args.mkbootimg, "install", "--list"])
        expect(r, 0, "")
        if disk in r.stdout:
            raise Failure("--list shows the loop device %s, which is not removable:\n%s"
                          % (disk, r.stdout))


TESTS = ["test_refuse_regular_file", "test_refuse_not_an_image", "test_refuse_without_confirmation",
         "test_refuse_wrong_answer", "test_refuse_not_removable", "test_dry_run",
         "test_refuse_too_small", "test_refuse_partition", "test_refuse_mounted",
         "test_write_image", "test_boot_written_device", "test_write_kernel",
         "test_confirm_by_name", "test_list"]


def throughput(args, tmp):
    """Median seconds to write one image to one loop device: mkbootimg
    install against dd bs=4M oflag=direct conv=fsync, alternating."""
    loops = Loops(tmp)
    try:
        size = args.size * MiB
        disk = loops.make(size + 4 * MiB)
        image = os.path.join(tmp, "big.img")
        data = bytearray(os.urandom(size))
        data[510:512] = b"\x55\xaa"
        with open(image, "wb") as f:
            f.write(data)
        commands = {
            "mkbootimg": [args.mkbootimg, "install", "--yes", "--force", "--no-verify", image, disk],
            "mkbootimg+verify": [args.mkbootimg, "install", "--yes", "--force", image, disk],
            "dd": ["dd", "if=" + image, "of=" + disk, "bs=4M", "oflag=direct", "conv=fsync",
                   "status=none"],
        }
        times = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, cmd in commands.items():
                start = time.monotonic()
                r = run(cmd, timeout=600)
                times[name].append(time.monotonic() - start)
                if r.returncode != 0:
                    sys.exit("%s failed: %s" % (name, r.stderr))
                if read_bytes(disk, size) != bytes(data):
                    sys.exit("%s wrote something else" % name)
                with open(disk, "r+b") as f:  # a different start for the next one
                    f.write(bytes(4096))
                    f.flush()
                    os.fsync(f.fileno())
        dd = statistics.median(times["dd"])
        print("%d MiB image, %d rounds, medians:" % (args.size, args.rounds))
        for name, t in times.items():
            print("  %-17s %.3f s  %6.1f MB/s  %.2f x dd"
                  % (name, statistics.median(t), size / statistics.median(t) / 1e6,
                     statistics.median(t) / dd))
        print("write throughput ratio mkbootimg/dd: %.2f" % (dd / statistics.median(times["mkbootimg"])))
    finally:
        loops.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mkbootimg", default="build/mkbootimg")
    p.add_argument("--kernels", default="build/tests/kernels")
    p.add_argument("--qemu", default="qemu-system-x86_64")
    p.add_argument("--throughput", action="store_true", help="measure against dd instead of testing")
    p.add_argument("--size", type=int, default=64, help="MiB, for --throughput")
    p.add_argument("--rounds", type=int, default=7, help="for --throughput")
    args = p.parse_args()

    with tempfile.TemporaryDirectory(prefix="mkbootimg-install-") as tmp:
        if args.throughput:
            throughput(args, tmp)
            return 0
        tests = Tests(args, tmp)
        passed = failed = skipped = 0
        try:
            for name in TESTS:
                label = name[len("test_"):].replace("_", "-")
                try:
                    getattr(tests, name)()
                    print("PASS %s" % label, flush=True)
                    passed += 1
                except Skip as e:
                    print("SKIP %s: %s" % (label, e), flush=True)
                    skipped += 1
                except (Failure, OSError, subprocess.SubprocessError) as e:
                    print("FAIL %s: %s" % (label, e), flush=True)
                    failed += 1
        finally:
            tests.loops.close()
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
