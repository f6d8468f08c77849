#!/usr/bin/env python3
"""Multiprocessor start-up: smp-check (tests/kernels/smp-check.c), a kernel
asking MKBOOTIMG_REQUEST_SMP, booted with `mkbootimg run --test --smp N`: its
BSP sends every started AP to a check (long mode, the BSP's CR3, its own
stack, its APIC ID, RDI its own entry) and exits QEMU with the verdict.
Four CPUs on q35 and pc (SeaBIOS) and on OVMF; one CPU (the list holds the
BSP alone); `-smp 2,maxcpus=4` (QEMU 7.2 lists the two absent CPUs in its
MADT as neither enabled nor online-capable: not listed, and the boot does
not wait for them); and entry-check, which does not ask, with 4 CPUs: no
list (cpus 0).

--timing N instead measures `run` to all APs parked with 4 CPUs under TCG:
smp-exit (asks, exits at entry: the loader has parked every AP by then)
against smp-exit-norequest (the same kernel without the request), N runs
each, alternating, medians.

The harness (harness.py) prints "PASS name", "FAIL name: why" or "SKIP name:
why" per test, then "N passed, N failed, N skipped"; exits 1 when a test failed.
"""

import os
import statistics
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness as h  # noqa: E402
import uefi  # noqa: E402  (ovmf(): OVMF or a Skip)

TEST_CMDLINE = "mkbootimg-test root=/dev/sda1 a=1 b=two"


def run(args, kernel, *flags, qemu_args=(), firmware="bios"):
    """mkbootimg run --test of a kernel under TCG: (status, stdout + stderr)."""
    cmd = [args.mkbootimg, "run", "--test", "--headless", "--accel", "tcg", "--timeout", str(args.timeout),
           "--qemu", args.qemu, "--firmware", firmware, *flags, os.path.join(args.kernels, kernel)]
    if qemu_args:
        cmd += ["--", *qemu_args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout + 60)
    return p.returncode, p.stdout + p.stderr


def smp_check(args, test, tmp):
    if test.firmware == "uefi":
        uefi.ovmf()
    flags = ["--machine", test.machine, "--smp", str(test.smp), "--cmdline", test.cmdline]
    status, out = run(args, "smp-check.elf", *flags, qemu_args=test.get("qemu_args", ()),
                      firmware=test.firmware)
    if status != 0 or "smp-check: PASS" not in out:
        raise h.Failure("exit status %d, no PASS" % status, h.indent("output", out))
    if test.expect not in out:
        raise h.Failure("no '%s' on COM1" % test.expect, h.indent("output", out))


def unasked(args, test, tmp):
    status, out = run(args, "entry-check-higher-half.elf", "--smp", "4", "--cmdline", TEST_CMDLINE)
    if status != 0 or "no CPU list unasked" not in out:
        raise h.Failure("exit status %d" % status, h.indent("output", out))


def tests():
    t = []
    for machine, firmware in (("q35", "bios"), ("pc", "bios"), ("q35", "uefi")):
        name = "ovmf" if firmware == "uefi" else machine
        t.append(h.Test("%s-4-cpus" % name, smp_check, machine=machine, firmware=firmware, smp=4,
                        cmdline="expect-cpus=4 expect-started=4", expect="4 CPUs, 4 started, 4 reported"))
    t.append(h.Test("q35-1-cpu", smp_check, machine="q35", firmware="bios", smp=1,
                    cmdline="expect-cpus=1 expect-started=1", expect="1 CPUs, 1 started, 1 reported"))
    for firmware in ("bios", "uefi"):
        t.append(h.Test("%s-2-of-maxcpus-4" % ("ovmf" if firmware == "uefi" else "q35"), smp_check,
                        machine="q35", firmware=firmware, smp=2, qemu_args=("-smp", "2,maxcpus=4"),
                        cmdline="expect-started=2", expect="2 started, 2 reported"))
    t.append(h.Test("unasked-4-cpus-no-list", unasked))
    return t


def timing(args):
    """Medians of alternating runs: `run` to the kernel's exit, with and without the request."""
    times = {"smp-exit.elf": [], "smp-exit-norequest.elf": []}
    for _ in range(args.timing):
        for kernel in times:
            start = time.monotonic()
            status, out = run(args, kernel, "--smp", "4")
            if status != 0:
                print("FAIL timing %s: exit status %d\n%s" % (kernel, status, out))
                return 1
            times[kernel].append(time.monotonic() - start)
    with_ = statistics.median(times["smp-exit.elf"])
    without = statistics.median(times["smp-exit-norequest.elf"])
    print("run to all APs parked, 4 CPUs, q35, SeaBIOS, TCG: median %.3f s with the request, %.3f s "
          "without (%d runs each): %+.0f ms" % (with_, without, args.timing, (with_ - without) * 1000))
    return 0


def main():
    p = h.parser(__doc__, timeout=60)
    p.add_argument("--mkbootimg", required=True)
    p.add_argument("--kernels", required=True, help="the folder of the test kernels")
    p.add_argument("--timing", type=int, default=0, help="measure instead: N runs of each kernel")
    args = p.parse_args()
    if args.timing:
        return timing(args)
    return h.main(args, tests(), "smp")


if __name__ == "__main__":
    sys.exit(main())
