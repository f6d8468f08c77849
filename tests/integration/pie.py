#!/usr/bin/env python3
"""Relocatable (PIE) kernels and KASLR: pie-check (tests/kernels/pie-check.c)
built by gcc (-static-pie), clang and ld.lld (-pie --no-dynamic-linker) and
gcc as a shared object (R_X86_64_64, GLOB_DAT and JUMP_SLOT against its own
symbols), booted on SeaBIOS and OVMF at its default base, at --base, and
with --kaslr or its MKBOOTIMG_REQUEST_KASLR note. The kernel checks from
inside that it runs at the base its command line names (or, with KASLR, at
the kernel_virtual_base it was handed, inside the window), that its pointers
in .data were relocated, and that kernel_slide agrees; it prints its base,
slide and direct map offset on COM1, which the KASLR tests compare across
boots. Refusals (--kaslr on a fixed kernel, below the top 2 GiB, --base on
one) are checked too; the unit tests (kernel-test.c) refuse relocation
types mkbootimg does not apply.
The harness (harness.py) prints "PASS name", "FAIL name: why" or "SKIP name:
why" per test, then "N passed, N failed, N skipped"; exits 1 when a test
failed. Python 3 standard library only.
"""
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness as h  # noqa: E402
from harness import Failure  # noqa: E402
import uefi  # noqa: E402

DEFAULT_BASE = 0xffffffff80000000
OTHER_BASE = 0xffffffff90000000
REPORT = re.compile(r"pie-check: base (0x[0-9a-f]+) slide (0x[0-9a-f]+) dmap (0x[0-9a-f]+)")
BOOTS = 4


def kernel(args, name):
    path = os.path.join(args.kernels, "pie-%s.elf" % name)
    if not os.path.exists(path):
        skip = os.path.splitext(path)[0] + ".skip"
        if os.path.exists(skip):
            with open(skip) as f:
                kind, _, why = f.read().strip().partition(": ")
            raise h.Skip(kind, why)
        raise Failure("%s not found: build it with make check-pie" % path)
    return path


def build(args, tmp, name, *flags, cmdline):
    return uefi.build(args, tmp, kernel(args, name), "--cmdline", cmdline, *flags)


def boot(args, tmp, image, firmware="bios", machine="q35", extra=()):
    """One boot to the kernel's verdict; returns (base, slide, dmap) it reported."""
    run = os.path.join(tmp, "boot-%d" % len(os.listdir(tmp)))
    os.mkdir(run)
    more = list(extra) + (uefi.ovmf_args(run) if firmware == "uefi" else [])
    qemu = h.Qemu(args, run, machine=machine, disks=h.attach_image(image), extra=more)
    h.boot_verdict(args, qemu)
    found = REPORT.search(qemu.com1())
    if not found:
        raise Failure("the kernel passed but did not report its base", qemu.details())
    return tuple(int(x, 16) for x in found.groups())


def fixed_base(name, base=None, firmware="bios", machine="q35"):
    """name booted without KASLR: at base (--base), or its default; the same on every boot."""
    def run(args, test, tmp):
        flags = ("--base", hex(base)) if base else ()
        want = base or DEFAULT_BASE
        image = build(args, tmp, name, *flags, cmdline="base=%#x" % want)
        got = boot(args, tmp, image, firmware, machine)
        if got[0] != want or got[1] != want:
            raise Failure("ran at %#x with slide %#x, not at %#x" % (got[0], got[1], want))
    return run


def kaslr(name, boots, firmware="bios", flags=("--kaslr",), dmap=False, extra=()):
    """name with KASLR, booted boots times from one image: each boot passes (the kernel
    checks it runs where kernel_virtual_base says, in the window, its pointers slid), and
    the slides differ. The loader picks one of 512 2 MiB steps; if the steps were uniform,
    four boots would all land on one with probability 512^-3 (about 7e-9), so "at least 2
    distinct of 4" fails only when the loader does not randomise. The direct map (dmap)
    moves by 1 GiB steps among thousands: the same bound holds."""
    def run(args, test, tmp):
        image = build(args, tmp, name, *flags,
                      cmdline="base=kaslr built=%#x dmap=%s" % (DEFAULT_BASE, "random" if dmap else "fixed"))
        seen = [boot(args, tmp, image, firmware, extra=extra) for _ in range(boots)]
        for base, slide, _ in seen:
            if base - DEFAULT_BASE >= 1 << 30 or (base - DEFAULT_BASE) % (2 << 20) or slide != base:
                raise Failure("a boot at %#x with slide %#x: outside the window or inconsistent"
                              % (base, slide))
        if boots > 1 and len(set(s[0] for s in seen)) < 2:
            raise Failure("%d boots all at %#x: the base is not randomised" % (boots, seen[0][0]))
        if dmap and boots > 1 and len(set(s[2] for s in seen)) < 2:
            raise Failure("%d boots all with direct map %#x: not randomised" % (boots, seen[0][2]))
        if not dmap and any(s[2] != 0xffff800000000000 for s in seen):
            raise Failure("the direct map moved without being asked: %s" % [hex(s[2]) for s in seen])
    return run


def refused(kernel_name, flags, message, status=1):
    """mkbootimg refuses to build, exit status (2: a usage error), with message."""
    def run(args, test, tmp):
        path = args.tiny if kernel_name == "tiny" else kernel(args, kernel_name)
        r = subprocess.run([args.mkbootimg, *flags, "-o", os.path.join(tmp, "k.img"), path],
                           capture_output=True, text=True)
        if r.returncode != status or message not in r.stderr:
            raise Failure("exit %d, stderr %r: wanted exit %d with %r" % (r.returncode, r.stderr, status, message))
    return run


def shows_relocations(args, test, tmp):
    """info on a PIE kernel's image (its base, KASLR, the words slid) and on the kernel file
    (the relocation counts by type, in text and JSON)."""
    def info(*what):
        r = subprocess.run([args.mkbootimg, "info", *what], capture_output=True, text=True)
        if r.returncode != 0:
            raise Failure("info %s: exit %d: %s" % (" ".join(what), r.returncode, r.stderr.strip()))
        return r.stdout
    image = build(args, tmp, "shared", "--kaslr", cmdline="")
    shared = kernel(args, "shared")
    for what, want in (((image,), "relocatable    base 0xffffffff80000000 (linked at 0x0)"),
                       ((image,), "KASLR          kernel base: base + k * 2 MiB, k random in 0..511"),
                       ((image,), "slid words     9"),
                       ((image,), "(matches the payload)"),
                       ((shared,), "KASLR          off"),
                       ((shared,), "relocations    9: R_X86_64_RELATIVE 1, R_X86_64_64 4, "
                                   "R_X86_64_GLOB_DAT 3, R_X86_64_JUMP_SLOT 1"),
                       (("--json", "--kaslr", shared), '"R_X86_64_GLOB_DAT": 3'),
                       (("--json", "--kaslr", shared), '"kaslr": {"base": true, "steps": 512')):
        out = info(*what)
        if want not in out:
            raise Failure("info %s lacks %r" % (" ".join(what), want), h.indent("info", out))


def all_tests():
    t = h.Test
    return [
        t("bios/gcc-default-base", fixed_base("gcc")),
        t("bios/clang-default-base-pc", fixed_base("clang", machine="pc")),
        t("bios/shared-symbols-at-base", fixed_base("shared", base=OTHER_BASE)),
        t("bios/gcc-kaslr-%d-boots" % BOOTS, kaslr("gcc", BOOTS)),
        t("bios/shared-kaslr", kaslr("shared", 2)),
        t("bios/clang-kaslr", kaslr("clang", 2)),
        t("bios/note-kaslr-direct-map-%d-boots" % BOOTS, kaslr("note", BOOTS, flags=(), dmap=True)),
        t("bios/kaslr-rdrand", kaslr("gcc", 2, extra=("-cpu", "max"))),
        t("uefi/gcc-default-base", fixed_base("gcc", firmware="uefi")),
        t("uefi/note-kaslr-direct-map", kaslr("note", 2, firmware="uefi", flags=(), dmap=True)),
        t("refuses/kaslr-fixed-kernel", refused("tiny", ("--kaslr",),
                                                "KASLR (--kaslr) slides a relocatable kernel")),
        t("refuses/base-fixed-kernel", refused("tiny", ("--base", "0xffffffff90000000"),
                                               "--base moves a relocatable kernel")),
        t("refuses/kaslr-low-base", refused("gcc", ("--kaslr", "--base", "0x40000000"),
                                            "KASLR keeps the kernel in the top 2 GiB")),
        t("refuses/base-unaligned", refused("gcc", ("--base", "0xffffffff90000010"),
                                            "--base 0xffffffff90000010: not a multiple of 4 KiB", 2)),
        t("info/relocations", shows_relocations),
    ]


def main():
    p = h.parser(__doc__, timeout=60)
    p.add_argument("--mkbootimg", required=True)
    p.add_argument("--kernels", required=True, help="the folder pie.mk builds the kernels in")
    p.add_argument("--tiny", required=True, help="a kernel linked at fixed addresses (tiny.elf)")
    args = p.parse_args()
    return h.main(args, all_tests(), "pie")


if __name__ == "__main__":
    sys.exit(main())
