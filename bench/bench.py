#!/usr/bin/env python3
"""mkbootimg benchmarks: ratios against a floor, measured in one run.

Commands are alternated (floor, subject, floor, subject, ...) after a warm-up,
so machine noise hits both alike; the table gives medians and their ratio.

usage: bench.py OUTDIR FLOOR_IMAGE TINY_IMAGE
"""
import statistics
import subprocess
import sys
import time

RUNS = 15
QEMU = "qemu-system-x86_64"


def boot_seconds(image, machine):
    cmd = [QEMU, "-accel", "tcg", "-M", machine, "-m", "256M", "-display", "none",
           "-serial", "none", "-monitor", "none", "-no-reboot",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-drive", f"format=raw,file={image},snapshot=on"]
    start = time.perf_counter()
    status = subprocess.run(cmd, stdin=subprocess.DEVNULL, timeout=60).returncode
    elapsed = time.perf_counter() - start
    if status != 33:
        sys.exit(f"bench: {image} on {machine}: QEMU exited {status}, expected 33")
    return elapsed


def alternate(a, b, machine):
    boot_seconds(a, machine), boot_seconds(b, machine)  # warm-up
    ta, tb = [], []
    for _ in range(RUNS):
        ta.append(boot_seconds(a, machine))
        tb.append(boot_seconds(b, machine))
    return statistics.median(ta), statistics.median(tb)


def main():
    outdir, floor, tiny = sys.argv[1:4]
    rows = ["| measure | machine | floor (s) | mkbootimg (s) | ratio |",
            "|---|---|---|---|---|"]
    for machine in ("q35", "pc"):
        f, t = alternate(floor, tiny, machine)
        rows.append(f"| boot to kernel entry | {machine} | {f:.3f} | {t:.3f} | {t / f:.2f} |")
    table = "\n".join(rows)
    print(table)
    with open(f"{outdir}/results.md", "w") as out:
        out.write(f"Medians of {RUNS} alternating runs after a warm-up, QEMU TCG.\n"
                  "Boot times come in steps of about 50 ms (BIOS disk waits end on a timer\n"
                  "tick), so a ratio moves in steps too.\n\n{table}\n")


if __name__ == "__main__":
    main()
