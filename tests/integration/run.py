#!/usr/bin/env python3
"""mkbootimg integration tests: boot images in QEMU and judge what happens.

Boot tests boot each test kernel's image (built by tests/tests.mk) on both
-M pc and -M q35; the kernel checks the boot protocol from inside and tells
the verdict through isa-debug-exit: QEMU exits 33 for pass, 35 for fail.

Screen tests read the VGA text screen back through QMP (pmemsave of 0xB8000)
and look for a text on it and on COM1: the sample kernel's greeting, and the
loader's message for an image with a corrupted payload. (The loader's
messages for other machines, a CPU without long mode or too little memory,
are machines.py's.)

The tests of boot protocol version 2 (modules, framebuffer, RSDP, notes, the
header) are in protocol.py, run here in the same pool.

The harness (harness.py) prints "PASS name", "FAIL name: why" (with the
kernel's COM1 log and the screen) or "SKIP name: why" per test, then
"N passed, N failed, N skipped"; exits 1 when a test failed.
Python 3 standard library only.
"""

import os
import shutil
import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness as h  # noqa: E402
import protocol  # noqa: E402 (the boot protocol's tests, run in the same pool)


def corrupt_copy(image, out):
    """Copy image to out with one byte of the first segment's payload flipped."""
    manifest = h.read_manifest(image)
    seg = next(s for s in manifest["segments"] if s["filesz"] > 0)
    offset = manifest["payload_lba"] * h.SECTOR + seg["payload_offset"] + seg["filesz"] // 2
    shutil.copyfile(image, out)
    with open(out, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0xFF]))
    return offset


def boot_test(args, test, tmp):
    """Boot; pass when the kernel exits QEMU with 33."""
    image = h.find_image(test.image)
    extra = list(test.get("qemu_args", ()))
    if test.get("junk"):
        extra += h.junk_devices(image, tmp)
    qemu = h.Qemu(args, tmp, machine=test.machine, memory=test.get("memory", "256M"), image=image, extra=extra)
    h.boot_verdict(args, qemu)


def screen_test(args, test, tmp):
    """Boot and poll the screen until it shows the expected text, and COM1 too."""
    image = h.find_image(test.image)
    if test.get("corrupt"):
        corrupted = os.path.join(tmp, "corrupt.img")
        try:
            corrupt_copy(image, corrupted)
        except (OSError, ValueError, struct.error, StopIteration) as e:
            raise h.Failure("cannot corrupt %s: %s" % (image, e))
        image = corrupted
    qemu = h.Qemu(args, tmp, machine=test.machine, memory=test.get("memory", "256M"), image=image,
                  extra=test.get("qemu_args", ()))
    h.await_text(args, qemu, [test.expect])


ENTRY_CHECK_KERNELS = ("entry-check-higher-half", "entry-check-flat", "entry-check-noat",
                       "entry-check-segments", "entry-check-bigstack", "entry-check-clang")
OTHER_KERNELS = ("rust-check", "tiny")


def all_tests(args):
    tests = []
    image = lambda name: os.path.join(args.images, name + ".img")
    # entry-check-higher-half/pc and /q35 are also the machines' IDE disk on pc, the AHCI
    # disk, 256 MiB and the qemu64 CPU on q35 (QEMU's defaults): machines.py does not repeat them.
    for kernel in ENTRY_CHECK_KERNELS + OTHER_KERNELS:
        for machine in h.MACHINES:
            tests.append(h.Test("%s/%s" % (kernel, machine), boot_test, image=image(kernel), machine=machine,
                                junk=kernel.startswith("entry-check")))
    # RAM above 4 GiB (q35 keeps 2 GiB below): the direct map must reach it too.
    tests.append(h.Test("entry-check-higher-half/q35-5G", boot_test, image=image("entry-check-higher-half"),
                        machine="q35", junk=True, memory="5G"))
    for machine in h.MACHINES:
        tests.append(h.Test("screen/sample-hello/%s" % machine, screen_test, image=args.sample, machine=machine,
                            expect="Hello World!"))
    tests.append(h.Test("screen/bad-checksum", screen_test, image=image("entry-check-higher-half"), machine="q35",
                        expect="the kernel in this image is damaged: payload checksum mismatch", corrupt=True))
    return tests + protocol.all_tests(args)


def main():
    parser = h.parser(__doc__, timeout=120)
    parser.add_argument("--images", default="build/tests/kernels", help="folder of the test kernels' images")
    parser.add_argument("--sample", default="build/sample-kernel.img",
                        help="the sample kernel's image (its ELF file beside it)")
    parser.add_argument("--mkbootimg", default="build/mkbootimg", help="the tool, for images the tests make")
    parser.add_argument("--cc", default="cc", help="C compiler for the header test")
    parser.add_argument("--cxx", default="g++", help="C++ compiler for the header test")
    args = parser.parse_args()
    return h.main(args, all_tests(args), "integration tests")


if __name__ == "__main__":
    sys.exit(main())
