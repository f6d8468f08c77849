#!/usr/bin/env python3
"""mkbootimg install on real block devices: loop devices this script makes.

Each test runs `mkbootimg install` against a loop device over a file in a
temporary folder, and checks what it refused or what it wrote, byte for byte
and by booting the written device in QEMU. No other device is ever named.
Loop devices, partitions and mounts are undone on every way out. Without root
or loop devices the device tests are skipped, with the reason.

Loop devices are not removable, which is exactly the case `--force` is for:
the tests that write pass it.

The GPT tests give a loop device a GPT with two partitions (sgdisk, from
gdisk), make the kernel show them (addpart where the kernel has no GPT
support), write an image over it and check that no GPT is left anywhere on
the device (sgdisk -v, and a scan for "EFI PART"), that the kernel no longer
shows the old partitions, and that the image reads back as written. The
completion tests (no root needed) run bash's and zsh's completion functions
for mkbootimg with a stand-in for `mkbootimg install --list`.

Each test has loop devices of its own, so the tests run in parallel. The
harness (harness.py) prints "PASS name", "FAIL name: why" or "SKIP name:
why" per test, then "N passed, N failed, N skipped". Exits 1 when a test
failed.

    install.py --mkbootimg build/mkbootimg --kernels build/tests/kernels
    install.py --mkbootimg build/mkbootimg --throughput   # against dd, no tests
Python 3 standard library only.
"""

import os
import pty
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness as h  # noqa: E402
from harness import Failure  # noqa: E402

MiB = 1024 * 1024
COMPLETION = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "completion")
def gpt_header(device, lba):
    """The GPT header at lba: its fields by name, and the CRC32 it should have."""
    raw = read_bytes_at(device, lba * 512, 512)
    size = struct.unpack_from("<I", raw, 12)[0]
    fields = dict(zip(("crc", "my_lba", "alternate_lba", "first_usable", "last_usable"),
                      struct.unpack_from("<I4xQQQQ", raw, 16)))
    fields.update(zip(("entries_lba", "entry_count", "entry_size", "entries_crc"),
                      struct.unpack_from("<QIII", raw, 72)))
    fields["signature"] = raw[:8]
    body = bytearray(raw[:size if 92 <= size <= 512 else 92])
    body[16:20] = bytes(4)
    fields["computed_crc"] = zlib.crc32(bytes(body))
    return fields


def check_gpt_for_size(device, sectors):
    """Both GPT headers and the 0xEE entry describe a disk of sectors sectors."""
    mbr = read_bytes_at(device, 0, 512)
    kind, first, count = struct.unpack_from("<4xB3xII", mbr, 446)
    if kind != 0xEE or first != 1 or count != min(sectors - 1, 0xFFFFFFFF):
        raise Failure("%s: the protective MBR entry is type 0x%02x over LBA %d, %d sectors "
                      "(want 0xee, 1, %d)" % (device, kind, first, count, min(sectors - 1, 0xFFFFFFFF)))
    for lba, alternate, entries in ((1, sectors - 1, 2), (sectors - 1, 1, sectors - 33)):
        g = gpt_header(device, lba)
        table = read_bytes_at(device, g["entries_lba"] * 512, g["entry_count"] * g["entry_size"])
        faults = [what for what, bad in (
            ("no signature", g["signature"] != b"EFI PART"),
            ("header CRC32 0x%08x, computed 0x%08x" % (g["crc"], g["computed_crc"]), g["crc"] != g["computed_crc"]),
            ("my_lba %d" % g["my_lba"], g["my_lba"] != lba),
            ("alternate_lba %d, want %d" % (g["alternate_lba"], alternate), g["alternate_lba"] != alternate),
            ("last_usable_lba %d, want %d" % (g["last_usable"], sectors - 34), g["last_usable"] != sectors - 34),
            ("entries at LBA %d, want %d" % (g["entries_lba"], entries), g["entries_lba"] != entries),
            ("entries fail their CRC32", zlib.crc32(table) != g["entries_crc"])) if bad]
        if faults:
            raise Failure("%s: the GPT header at LBA %d: %s" % (device, lba, "; ".join(faults)))


# The two partitions sgdisk makes on the GPT tests' disks: (number, first sector, sectors).
GPT_PARTITIONS = [(1, 2048, 8192), (2, 10240, 8192)]


def run(cmd, timeout=60, **kw):
    kw.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def read_bytes(path, size):
    with open(path, "rb") as f:
        return f.read(size)


def read_bytes_at(path, offset, size):
    with open(path, "rb") as f:
        f.seek(offset)
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
        if os.geteuid() != 0:
            raise h.Skip("root", "needs root for loop devices")
        if not shutil.which("losetup") or not os.path.exists("/dev/loop-control"):
            raise h.Skip("loop", "no loop devices here (losetup or /dev/loop-control missing)")
        backing = os.path.join(self.tmp, "disk%d.bin" % len(self.devices))
        with open(backing, "wb") as f:
            f.truncate(size)
        with h.serial("losetup"):  # two tests must not take the same free device
            r = run(["losetup", "-f", "--show", "-P", backing])
        device = r.stdout.strip()
        if r.returncode != 0 or not device.startswith("/dev/loop"):
            raise h.Skip("loop", "losetup cannot make a loop device: %s" % r.stderr.strip())
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
        raise h.Skip("partitions", "no partition device appeared for %s (no MBR support, no addpart)" % device)

    def gpt(self, device, size=None):
        """A GPT with the two GPT_PARTITIONS on device, written by sgdisk (for
        a disk of size bytes, then copied onto the device, when size is given:
        its backup then lies where that smaller disk ended). The kernel is
        made to show both partitions: by its own scan, else by addpart."""
        if not shutil.which("sgdisk"):
            raise h.Skip("sgdisk", "sgdisk not found (Debian, Ubuntu: apt install gdisk)")
        target = device
        if size is not None:
            target = os.path.join(self.tmp, "gpt%d.bin" % len(self.devices))
            with open(target, "wb") as f:
                f.truncate(size)
        args = ["sgdisk"]
        for number, start, sectors in GPT_PARTITIONS:
            args += ["-n", "%d:%d:%d" % (number, start, start + sectors - 1)]
        r = run(args + [target])
        if r.returncode != 0:
            raise Failure("sgdisk failed: " + r.stdout + r.stderr)
        if size is not None:
            with open(target, "rb") as src, open(device, "r+b") as dst:
                dst.write(src.read())
                dst.flush()
                os.fsync(dst.fileno())
            run(["blockdev", "--rereadpt", device])
        name = os.path.basename(device)
        for number, start, sectors in GPT_PARTITIONS:
            part = "/sys/block/%s/%sp%d" % (name, name, number)
            if not os.path.exists(part) and shutil.which("addpart"):
                run(["addpart", device, str(number), str(start), str(sectors)])
            if not os.path.exists(part):
                raise h.Skip("partitions", "the kernel shows no %sp%d (no GPT support, no addpart)" % (name, number))

    def mount(self, part):
        if not shutil.which("mkfs.ext4"):
            raise h.Skip("mkfs", "mkfs.ext4 not found (e2fsprogs)")
        r = run(["mkfs.ext4", "-q", "-F", part])
        if r.returncode != 0:
            raise Failure("mkfs.ext4 failed: %s" % r.stderr.strip())
        point = tempfile.mkdtemp(dir=self.tmp, prefix="mnt")
        r = run(["mount", part, point])
        if r.returncode != 0:
            raise h.Skip("mount", "cannot mount here: %s" % r.stderr.strip())
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
        self.disk = None       # a 64 MiB loop device for the writes (a hybrid image is 36 MiB)
        self.tiny_bios = None  # tiny.elf built with --firmware bios: an MBR image
        self.tiny = os.path.join(args.kernels, "tiny.img")
        self.tiny_elf = os.path.join(args.kernels, "tiny.elf")
        self.entry_check = os.path.join(args.kernels, "entry-check-higher-half.img")

    def install(self, *words, stdin=subprocess.DEVNULL):
        return run([self.args.mkbootimg, "install"] + list(words), stdin=stdin)

    def need_disk(self):
        if self.disk is None:
            self.disk = self.loops.make(64 * MiB)
        return self.disk

    def need_bios_image(self):
        """tiny.elf as a bios-layout image: an MBR, so what install erases of an old GPT shows."""
        if self.tiny_bios is None:
            self.tiny_bios = os.path.join(self.tmp, "tiny-bios.img")
            r = run([self.args.mkbootimg, "--firmware", "bios", "-o", self.tiny_bios, self.tiny_elf])
            if r.returncode != 0:
                raise Failure("mkbootimg --firmware bios failed: " + r.stderr)
        return self.tiny_bios

    def unchanged(self, device):
        if read_bytes(device, MiB) != bytes(MiB):
            raise Failure("%s was written to" % device)

    def boot(self, device):
        h.boot_verdict(self.args, h.Qemu(self.args, self.tmp, image=device))

    def written(self, device, image_bytes):
        """The image on device: byte for byte for an MBR image. A GPT image's
        table is made for the device: stage 1's code alike, everything from
        LBA 34 to the image's backup table alike, zeros where that table was,
        the backup table in the device's last sector, both headers and the
        protective MBR's 0xEE entry made for the device's size (checked here,
        then by sgdisk -v where it is installed)."""
        n = len(image_bytes)
        on_disk = read_bytes(device, n)
        if image_bytes[512:520] != b"EFI PART":
            if on_disk != image_bytes:
                raise Failure("%s differs from the image: %s"
                              % (device, first_difference(on_disk, image_bytes)))
            return
        table = 33 * 512
        for name, got, want in (("stage 1", on_disk[:446], image_bytes[:446]),
                                ("LBA 34 on", on_disk[34 * 512:n - table], image_bytes[34 * 512:n - table]),
                                ("the image's backup GPT", on_disk[n - table:], bytes(table))):
            if got != want:
                raise Failure("%s differs from the image in %s: %s"
                              % (device, name, first_difference(got, want)))
        size = int(read_bytes("/sys/class/block/%s/size" % os.path.basename(device), 32))
        with open(device, "rb") as f:
            f.seek((size - 1) * 512)
            if f.read(8) != b"EFI PART":
                raise Failure("no backup GPT header in %s's last sector" % device)
        check_gpt_for_size(device, size)
        if shutil.which("sgdisk"):
            r = run(["sgdisk", "-v", device])
            if r.returncode != 0 or "No problems found" not in r.stdout:
                raise Failure("sgdisk -v finds problems on %s" % device, r.stdout + r.stderr)

    # ---- The tests ----

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
               "Dry run: every check passed. Would write %d bytes to %s"
               % (os.path.getsize(self.tiny), disk))
        self.unchanged(disk)

    def test_refuse_too_small(self):
        self.need_disk()
        small = self.loops.make(256 * 1024)
        expect(self.install("--yes", "--force", self.tiny, small), 1,
               "%s is too small: the image needs %d bytes" % (small, os.path.getsize(self.tiny)))

    def test_refuse_partition(self):
        self.need_disk()
        self.parted = self.loops.make(8 * MiB)
        part = self.loops.partition(self.parted)
        expect(self.install("--yes", "--force", self.tiny, part), 1,
               "%s is a partition of %s; install writes a whole disk: give %s"
               % (part, self.parted, self.parted))

    def test_refuse_mounted(self):
        parted = self.loops.make(8 * MiB)
        part = self.loops.partition(parted)
        point = self.loops.mount(part)
        expect(self.install("--yes", "--force", self.tiny, parted), 1,
               "%s is in use: %s is mounted on %s; unmount it first"
               % (parted, os.path.basename(part), point))

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
        expect(self.install("--yes", "--force", self.tiny_elf, disk), 0, "Wrote 37.7 MB to " + disk)
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

    # ---- Over an old GPT ----

    def kernel_partitions(self, device):
        """{number: (start, size)} of the partitions the kernel shows now."""
        name = os.path.basename(device)
        found = {}
        for entry in os.listdir("/sys/block/" + name):
            d = "/sys/block/%s/%s" % (name, entry)
            if os.path.exists(d + "/partition"):
                found[int(read_bytes(d + "/partition", 32))] = (
                    int(read_bytes(d + "/start", 32)), int(read_bytes(d + "/size", 32)))
        return found

    def no_old_gpt(self, device, image):
        """No GPT left on device, the kernel shows only what the image's MBR
        has, the image reads back as written."""
        r = run(["sgdisk", "-v", device])
        said = r.stdout + r.stderr
        if r.returncode != 0 or "No problems found" not in said or "backup" in said.lower():
            raise Failure("sgdisk -v still finds a GPT (status %d):\n%s" % (r.returncode, said))
        data = read_bytes(device, 1 << 30)
        for off in range(len(image), len(data), 512):
            if data[off:off + 8] == b"EFI PART":
                raise Failure("a GPT header is left at LBA %d" % (off // 512))
        name = os.path.basename(device)
        mbr = {}
        for slot in range(4):
            e = image[446 + 16 * slot:462 + 16 * slot]
            size = int.from_bytes(e[12:16], "little")
            if size:
                mbr[slot + 1] = (int.from_bytes(e[8:12], "little"), size)
        for number, place in self.kernel_partitions(device).items():
            if mbr.get(number) != place:
                raise Failure("the kernel still shows %sp%d at %s (the image has %s)"
                              % (name, number, place, mbr))
        if os.path.exists("/sys/block/%s/%sp2" % (name, name)):
            raise Failure("/sys/block/%s still has %sp2" % (name, name))
        self.written(device, image)

    def test_gpt_backup_erased(self):
        self.need_disk()
        disk = self.loops.make(16 * MiB)
        self.loops.gpt(disk)
        if sorted(self.kernel_partitions(disk)) != [1, 2]:
            raise Failure("the kernel does not show the two GPT partitions")
        r = self.install("--yes", "--force", self.need_bios_image(), disk)
        expect(r, 0, "")
        self.no_old_gpt(disk, read_bytes(self.tiny_bios, 1 << 30))
        expect(r, 0, "Erased the old GPT outside the image")
        expect(r, 0, "Re-read the partition table: the system sees ")

    def test_gpt_of_smaller_disk_erased(self):
        """A GPT image for a 12 MiB disk copied to a 16 MiB one: its backup
        header is mid-disk, at the AlternateLBA the primary names."""
        self.need_disk()
        disk = self.loops.make(16 * MiB)
        self.loops.gpt(disk, 12 * MiB)
        lba = 12 * MiB // 512 - 1
        if read_bytes(disk, 12 * MiB)[lba * 512:lba * 512 + 8] != b"EFI PART":
            raise Failure("no backup GPT header at LBA %d to start from" % lba)
        r = self.install("--yes", "--force", "--firmware", "bios", self.tiny_elf, disk)
        expect(r, 0, "")
        reference = os.path.join(self.tmp, "tiny-gpt.img")
        made = run([self.args.mkbootimg, "--firmware", "bios", "-o", reference, self.tiny_elf])
        if made.returncode != 0:
            raise Failure("mkbootimg -o failed: " + made.stderr)
        self.no_old_gpt(disk, read_bytes(reference, 1 << 30))
        expect(r, 0, "Erased the old GPT outside the image")

    def test_reread_busy(self):
        """A partition held open: the kernel cannot re-read the table, and
        install says so (status 1); once closed, a second install succeeds."""
        self.need_disk()
        disk = self.loops.make(16 * MiB)
        self.loops.gpt(disk)
        fd = os.open(disk + "p2", os.O_RDONLY)
        try:
            r = self.install("--yes", "--force", self.need_bios_image(), disk)
        finally:
            os.close(fd)
        expect(r, 1, "%s: the image is written, but the kernel cannot re-read the partition table: "
               "a partition is still in use (busy), so the system still sees the old partitions ("
               % disk)
        if "blockdev --rereadpt %s" % disk not in r.stderr:
            raise Failure("no advice in:\n" + r.stderr)
        expect(self.install("--yes", "--force", self.tiny_bios, disk), 0, "It is safe to remove the disk")
        self.no_old_gpt(disk, read_bytes(self.tiny_bios, 1 << 30))

    def test_hybrid_over_old_gpt(self):
        """The default image over an old GPT: the device's GPT is the image's,
        with its backup at the device's end (sgdisk -v clean), the old
        partitions gone, and it boots."""
        self.need_disk()
        disk = self.loops.make(64 * MiB)
        self.loops.gpt(disk)
        r = self.install("--yes", "--force", self.tiny_elf, disk)
        expect(r, 0, "It is safe to remove the disk")
        reference = os.path.join(self.tmp, "tiny-hybrid.img")
        made = run([self.args.mkbootimg, "-o", reference, self.tiny_elf])
        if made.returncode != 0:
            raise Failure("mkbootimg -o failed: " + made.stderr)
        self.written(disk, read_bytes(reference, 1 << 30))
        p = run(["sgdisk", "-p", disk]).stdout
        rows = [line.split() for line in p.splitlines() if re.match(r"\s+\d+\s+\d+\s+\d+", line)]
        if [(row[0], row[1], row[6]) for row in rows] != [("1", "34", "mkbootimg"), ("2", "2048", "EFI")] \
                or [row[5] for row in rows] != ["EF02", "EF00"]:
            raise Failure("sgdisk -p shows other partitions than the image's", p)
        for number, (start, size) in self.kernel_partitions(disk).items():
            if (number, start) not in ((1, 34), (2, 2048)):
                raise Failure("the kernel still shows partition %d at %d" % (number, start))
        self.boot(disk)

    # ---- Arguments the wrong way round ----

    def test_swapped_arguments(self):
        missing = os.path.join(self.tmp, "sdx")
        expect(self.install("--yes", missing, self.tiny_elf), 2,
               "%s is not found and %s is an ELF kernel: usage order is IMAGE|KERNEL, then DEVICE"
               % (missing, self.tiny_elf))
        disk = self.need_disk()
        with open(disk, "r+b") as f:  # zeros, to see that nothing is written
            f.write(bytes(MiB))
        for source in (self.tiny_elf, self.tiny):
            kind = "an ELF kernel" if source.endswith(".elf") else "a disk image"
            r = self.install("--yes", "--force", disk, source)
            expect(r, 2, "%s is a block device and %s is %s: usage order is IMAGE|KERNEL, then "
                   "DEVICE: mkbootimg install %s %s" % (disk, source, kind, source, disk))
            if "not a regular file" in r.stderr:
                raise Failure("still says 'not a regular file':\n" + r.stderr)
        self.unchanged(disk)

    # ---- Shell completion ----

    def fake_mkbootimg(self):
        """A stand-in for mkbootimg whose `install --list` shows two sticks,
        zram and the disk of the running system's root, when there is one."""
        root = root_disk()
        lines = ["DEVICE         MODEL                              SIZE  TRANSPORT  MOUNTED",
                 "/dev/sdz       SanDisk Cruzer Blade            16.0 GB  usb        no",
                 "/dev/zram0     -                                1.0 GB  virtual    no",
                 "/dev/mmcblk9   -                               32.0 GB  mmc        yes"]
        if root:
            lines.append("%-14s -                               64.0 GB  usb        yes" % root)
        path = os.path.join(self.tmp, "fake-mkbootimg")
        with open(path, "w") as f:
            f.write("#!/bin/sh\ncat <<'EOF'\n%s\nEOF\n" % "\n".join(lines))
        os.chmod(path, 0o755)
        return path

    def bash_complete(self, *words):
        """COMPREPLY for the command line words (the last one being completed)."""
        script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _mkbootimg; '
                  'printf "%s\\n" "${COMPREPLY[@]}"')
        r = run(["bash", "--norc", "--noprofile", "-c", script, "bash",
                 os.path.join(COMPLETION, "mkbootimg.bash")] + list(words), cwd=self.tmp)
        if r.returncode != 0:
            raise Failure("bash completion failed: " + r.stderr)
        return [w for w in r.stdout.split("\n") if w]

    def help_options(self, command):
        """The options `mkbootimg [COMMAND] --help` lists."""
        r = run([self.args.mkbootimg] + ([command] if command != "build" else []) + ["--help"])
        found = []
        for line in r.stdout.splitlines():
            m = re.match(r"\s+(-\w)?,?\s*(--[\w-]+)?", line)
            if m and (m.group(1) or m.group(2)):
                found += [o for o in m.groups() if o]
        if not found:
            raise Failure("no options in mkbootimg %s --help" % command)
        return found

    def test_completion_bash(self):
        if not shutil.which("bash"):
            raise h.Skip("shell", "bash not found")
        open(os.path.join(self.tmp, "kernel.elf"), "w").close()
        got = self.bash_complete("mkbootimg", "--protocol", "")
        if got != ["native", "multiboot1", "multiboot2", "linux"]:
            raise Failure("--protocol completes to %s" % got)
        if self.bash_complete("mkbootimg", "-o", "x", "--protocol", "=", "multi") != \
                ["multiboot1", "multiboot2"]:
            raise Failure("--protocol=multi does not complete")
        if self.bash_complete("mkbootimg", "run", "--smp", "") != ["1", "2", "4", "8"]:
            raise Failure("run --smp does not complete")
        got = self.bash_complete("mkbootimg", "run", "--serial", "")
        if got[:2] != ["stdio", "none"] or "kernel.elf" not in got:
            raise Failure("run --serial completes to %s" % got)
        # install KERNEL <TAB>: the disks of install --list, nothing else.
        fake = self.fake_mkbootimg()
        for words in ([fake, "install", "kernel.elf", ""],
                      [fake, "install", "--cmdline", "a=1", "kernel.elf", ""]):
            got = self.bash_complete(*words)
            if got != ["/dev/sdz", "/dev/mmcblk9"]:
                raise Failure("%s completes to %s, not the two sticks" % (" ".join(words[1:]), got))
        if self.bash_complete(fake, "install", "kernel.elf", "/dev/sdz", ""):
            raise Failure("a third operand of install completes")
        if "kernel.elf" not in self.bash_complete(fake, "install", ""):
            raise Failure("install's first operand does not complete files")
        real = run([self.args.mkbootimg, "install", "--list"]).stdout
        listed = [line.split()[0] for line in real.splitlines() if line.startswith("/dev/")]
        got = self.bash_complete(self.args.mkbootimg, "install", "kernel.elf", "")
        if sorted(got) != sorted(d for d in listed if not d.startswith("/dev/zram")):
            raise Failure("install KERNEL completes to %s; install --list shows %s" % (got, listed))
        # Every option of every command, as --help lists them.
        for command in ("build", "run", "install", "info"):
            words = ["mkbootimg"] + ([command] if command != "build" else []) + ["-"]
            offered = self.bash_complete(*words)
            missing = [o for o in self.help_options(command) if o not in offered]
            if missing:
                raise Failure("bash completion of %s lacks %s" % (command, missing))

    def zsh_complete(self, *lines):
        """What zsh's completion system offers for each command line (TAB at
        its end): an interactive zsh under zsh/zpty with the completion on
        fpath, the fake mkbootimg first on PATH, and compadd wrapped to note
        every match. One list of matches per line."""
        bindir = os.path.join(self.tmp, "zbin")
        os.makedirs(bindir, exist_ok=True)
        fake = os.path.join(bindir, "mkbootimg")
        if not os.path.exists(fake):
            shutil.copy(self.fake_mkbootimg(), fake)
        driver = r"""
zmodload zsh/zpty || exit 3
zpty -b z "env -i HOME=$DIR TERM=dumb PATH=$BIN:/usr/bin:/bin zsh -f -i"
zpty -w z "PS1='> '; fpath=($COMPDIR \$fpath); autoload -Uz compinit; compinit -u -D; cd $DIR"
# No list after a TAB: a long one would ask "do you wish to see all" and take the next keys.
zpty -w z "unsetopt auto_list list_ambiguous; setopt no_beep; LISTMAX=100000"
zpty -w z 'compadd() { if (( ${@[(I)-[OAD]*]} )); then builtin compadd "$@"; return; fi;
  local -a m; builtin compadd -O m "$@"; print -rl -- $m >> $CAPTURE; builtin compadd "$@"; }'
i=0
for line in "$@"; do
  i=$((i + 1))
  # Keys typed before zle reads the next line may be dropped: wait for its prompt.
  zpty -w z "CAPTURE=$DIR/zcap.$i; :>\$CAPTURE; print -r R''EADY$i"
  zpty -r z out "*READY$i*" || exit 4
  zpty -r z out "*> " || exit 4
  zpty -w -n z "$line"$'\t'
  zpty -w -n z $'\C-u'
  zpty -w z "print -r M''ARK$i"
  zpty -r z out "*MARK$i*" || exit 4
done
zpty -d z
"""
        env = dict(os.environ, DIR=self.tmp, BIN=bindir, COMPDIR=os.path.abspath(COMPLETION))
        r = run(["zsh", "-f", "-c", driver, "zsh"] + list(lines), env=env, timeout=120)
        if r.returncode != 0:
            raise Failure("the zsh completion driver failed (%d): %s" % (r.returncode, r.stderr))
        result = []
        for i in range(1, len(lines) + 1):
            with open(os.path.join(self.tmp, "zcap.%d" % i)) as f:
                result.append([w.rstrip("=") for w in f.read().split("\n") if w])
        return result

    def test_completion_zsh(self):
        if not shutil.which("zsh"):
            raise h.Skip("shell", "zsh not found")
        open(os.path.join(self.tmp, "kernel.elf"), "w").close()
        commands = ("build", "run", "install", "info")
        lines = ["mkbootimg --protocol ", "mkbootimg -o x --protocol=", "mkbootimg run --smp ",
                 "mkbootimg run --serial ", "mkbootimg install kernel.elf ",
                 "mkbootimg install --cmdline a=1 kernel.elf ", "mkbootimg install ", "mkbootimg "]
        lines += ["mkbootimg %s-" % ("" if c == "build" else c + " ") for c in commands]
        got = dict(zip(lines, self.zsh_complete(*lines)))
        for line in lines[:2]:
            if sorted(got[line]) != ["linux", "multiboot1", "multiboot2", "native"]:
                raise Failure("%r completes to %s" % (line, got[line]))
        if sorted(got["mkbootimg run --smp "]) != ["1", "2", "4", "8"]:
            raise Failure("run --smp completes to %s" % got["mkbootimg run --smp "])
        serial = got["mkbootimg run --serial "]
        if not {"stdio", "none", "kernel.elf"} <= set(serial):
            raise Failure("run --serial completes to %s" % serial)
        for line in lines[4:6]:
            if got[line] != ["/dev/sdz", "/dev/mmcblk9"]:
                raise Failure("%r completes to %s, not the two sticks" % (line, got[line]))
        if "kernel.elf" not in got["mkbootimg install "]:
            raise Failure("install's first operand does not complete files")
        if not {"run", "install", "info", "kernel.elf"} <= set(got["mkbootimg "]):
            raise Failure("the first word completes to %s" % got["mkbootimg "])
        for command, line in zip(commands, lines[8:]):
            missing = [o for o in self.help_options(command) if o not in got[line]]
            if missing:
                raise Failure("zsh completion of %s lacks %s" % (command, missing))


def root_disk():
    """/dev/NAME of the whole disk under the running system's /, or None."""
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                fields = line.split()
                if fields[4] == "/":
                    major_minor = fields[2]
        d = os.path.realpath("/sys/dev/block/" + major_minor)
    except (OSError, UnboundLocalError):
        return None
    if os.path.exists(d + "/partition"):
        d = os.path.dirname(d)
    return "/dev/" + os.path.basename(d) if os.path.exists(d + "/dev") else None


TESTS = ["test_refuse_regular_file", "test_refuse_not_an_image", "test_refuse_without_confirmation",
         "test_refuse_wrong_answer", "test_refuse_not_removable", "test_dry_run",
         "test_refuse_too_small", "test_refuse_partition", "test_refuse_mounted",
         "test_write_image", "test_boot_written_device", "test_write_kernel",
         "test_confirm_by_name", "test_list", "test_gpt_backup_erased",
         "test_gpt_of_smaller_disk_erased", "test_reread_busy", "test_hybrid_over_old_gpt",
         "test_swapped_arguments",
         "test_completion_bash", "test_completion_zsh"]


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


def method_test(name):
    """The harness's test of Tests.NAME, with loop devices of its own, undone at its end."""
    def fn(args, test, tmp):
        tests = Tests(args, tmp)
        try:
            getattr(tests, name)()
        finally:
            tests.loops.close()
    return h.Test(name[len("test_"):].replace("_", "-"), fn)


def main():
    p = h.parser(__doc__, timeout=120)
    p.add_argument("--mkbootimg", default="build/mkbootimg")
    p.add_argument("--kernels", default="build/tests/kernels")
    p.add_argument("--throughput", action="store_true", help="measure against dd instead of testing")
    p.add_argument("--size", type=int, default=64, help="MiB, for --throughput")
    p.add_argument("--rounds", type=int, default=7, help="for --throughput")
    args = p.parse_args()
    if args.throughput:
        with tempfile.TemporaryDirectory(prefix="mkbootimg-install-") as tmp:
            throughput(args, tmp)
        return 0
    return h.main(args, [method_test(name) for name in TESTS], "install tests")


if __name__ == "__main__":
    sys.exit(main())
