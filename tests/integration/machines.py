#!/usr/bin/env python3
"""The loader on many machines: boot entry-check-higher-half's image on
different disks, memory sizes, CPUs and hostile BIOS behaviour, and check
the loader's messages for what cannot boot.

Boot tests pass when entry-check exits QEMU with 33 (all its checks held).
Screen tests pass when the loader's message is on the VGA text screen (read
over QMP) and on COM1. Harness tests boot a boot sector from a floppy
(tests/harness/chain.asm, built by machines.mk) that plays a hostile BIOS and
then chain-loads our MBR from the first hard disk.

The plain machines, pc with an IDE disk and q35 with an AHCI disk, 256 MiB
and QEMU's default CPU (qemu64), are run.py's entry-check-higher-half/pc and
/q35: they are not repeated here.

The harness (harness.py) prints "PASS name" / "FAIL name: why" / "SKIP name:
why" per test, then "N passed, N failed, N skipped". Exits 1 when a test
failed. Python 3 standard library only.
"""

import os
import shutil
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness as h  # noqa: E402

KERNEL = "entry-check-higher-half"


# ---- Disks: the QEMU arguments that attach the image ----

def ide(image, tmp):
    return h.attach_image(image)


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


def truncated_sectors(image):
    """(sectors left, the payload's end): where truncated() cuts the image."""
    try:
        m = h.read_manifest(image)
        return payload_sector(image, 0.5) // 1008 * 1008, m["payload_lba"] + m["payload_sectors"]
    except (OSError, ValueError):
        return 0, 0  # the test then fails on the missing image


def truncated(image, out):
    """The image cut off in the middle of its payload (at a whole cylinder, as SeaBIOS wants)."""
    end = truncated_sectors(image)[0]
    m = h.read_manifest(image)
    if end <= m["payload_lba"]:
        raise h.Failure("the payload is too small to cut inside it at a cylinder boundary")
    shutil.copyfile(image, out)
    with open(out, "r+b") as f:
        f.truncate(end * 512)
    return end


# ---- The tests ----

def Test(name, machine="q35", disk=ide, memory="256M", qemu_args=(), expect=(), change=None,
         com1_absent=None, com1_present=(), allow_failed=(), junk=False):
    """A boot of entry-check's image: on a pass, com1_present must be on COM1
    and com1_absent not; allow_failed names entry-check checks that may fail
    here (and only those); junk fills .bss with junk first (run.py). With
    expect, the texts the loader must show on the screen and COM1 instead."""
    return h.Test(name, run_test, machine=machine, disk=disk, memory=memory, qemu_args=list(qemu_args),
                  expect=list(expect), change=change, com1_absent=com1_absent, com1_present=com1_present,
                  allow_failed=allow_failed, junk=junk)


def run_test(args, test, tmp):
    image = os.path.join(args.images, KERNEL + ".img")
    if not os.path.exists(image):
        raise h.Failure("%s not found: build it with make check-machines" % image)
    if test.change:
        changed = os.path.join(tmp, "changed.img")
        test.change(image, changed)
        image = changed
    extra = test.qemu_args + (h.junk_devices(image, tmp) if test.junk else [])
    qemu = h.Qemu(args, tmp, machine=test.machine, memory=test.memory, disks=test.disk(image, tmp), extra=extra)
    if test.expect:
        h.await_text(args, qemu, test.expect)
        return
    h.boot_verdict(args, qemu, test.allow_failed)
    com1 = qemu.com1()
    if test.com1_absent and test.com1_absent in com1:
        raise h.Failure("COM1 shows %r" % test.com1_absent, qemu.details(com1_limit=30))
    for line in test.com1_present:
        if line not in com1:
            raise h.Failure("COM1 lacks %r" % line, qemu.details(com1_limit=30))


def all_tests(args):
    image = os.path.join(args.images, KERNEL + ".img")
    try:
        mid = payload_sector(image, 0.5)
    except (OSError, ValueError):
        mid = 2048  # the test then fails on the missing image
    tests = [
        # Disks and controllers (pc's IDE and q35's AHCI: run.py's entry-check-higher-half/pc, /q35)
        Test("disk/virtio-blk", machine="pc", disk=virtio),
        Test("disk/usb-xhci", disk=usb("qemu-xhci")),
        Test("disk/usb-ehci", machine="pc", disk=usb("usb-ehci")),
        # Memory
        # entry-check wants 64 MiB usable (it expects -m 256M): only that check may fail.
        Test("memory/24M", memory="24M", allow_failed=("usable memory",)),
        # 256 MiB: run.py's entry-check-higher-half/q35; 5 GiB: its q35-5G.
        Test("memory/6G", memory="6G"),
        Test("smp/4", qemu_args=("-smp", "4")),
        # CPUs (qemu64, QEMU's default: run.py's entry-check-higher-half/q35)
        Test("cpu/Nehalem", qemu_args=("-cpu", "Nehalem")),
        # Every CPU feature QEMU emulates (1 GiB pages, LA57, ...): nothing may change.
        Test("cpu/max", qemu_args=("-cpu", "max"), junk=True),
        # A CPU without NX: the loader must not set the (then reserved) NX bit.
        Test("cpu/no-nx", qemu_args=("-cpu", "qemu64,-nx"), junk=True),
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
             expect=["disk read failed at sector", "Check the disk or USB stick, or write the image again."]),
        # Messages, not hangs
        Test("screen/no-long-mode", qemu_args=("-cpu", "qemu32"),
             expect=["this CPU does not support 64-bit long mode, which the kernel needs."]),
        # The kernel's 5 MiB at 1 MiB do not fit in 4 MiB of RAM: the loader says so, and where.
        Test("screen/too-little-memory", memory="4M",
             expect=["beyond the end of RAM: this machine has only", "(mkbootimg run --memory SIZE, QEMU's -m)"]),
        Test("screen/truncated", machine="pc", change=truncated,
             expect=["the image is truncated: the disk ends at sector %d, but the kernel's payload ends at "
                     "sector %d." % truncated_sectors(image)]),
    ]
    return tests


def main():
    global ARGS
    parser = h.parser(__doc__, jobs=2)
    parser.add_argument("--images", default="build/tests/kernels")
    parser.add_argument("--harness", default="build/tests/harness", help="folder of the harness floppies")
    args = ARGS = parser.parse_args()
    return h.main(args, all_tests(args), "machine tests", prefix="machines/")

if __name__ == "__main__":
    sys.exit(main())
