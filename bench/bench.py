#!/usr/bin/env python3
"""mkbootimg benchmarks: ratios against floors, measured in one run.

Each comparison alternates its two commands (a, b, a, b, ...) after a warm-up,
so that noise on the machine hits both alike, and reports medians.

usage: bench.py BENCH_DIR MKBOOTIMG TINY_IMAGE [INITRD]

BENCH_DIR holds what bench.mk built: floor-exit.img, and for each size N
(MiB) load-N.img, floor-read-N.img and floor-copy-N.img, load-64.elf, the
UEFI floors uefi-floor-exit.img and uefi-floor-load-64.img (the tiny and the
64 MiB image with an EFI application in place of BOOTX64.EFI), and grub.iso
where GRUB is installed. The UEFI rows boot OVMF (MKBOOTIMG_OVMF_CODE and
MKBOOTIMG_OVMF_VARS, else Debian's 4 MiB build) on q35. The Linux row boots
BENCH_DIR/vmlinuz (Debian's, fetched by bench.mk) with INITRD (the initramfs
of tests/integration/linux.mk, whose /init prints a marker and powers off)
from an image mkbootimg builds, against QEMU's own -kernel -initrd boot of the
same files; without the two files the row is left out, saying why. Results go
to BENCH_DIR/results.md and BENCH_DIR/load.svg.
"""
import os
import shutil
import statistics
import subprocess
import sys
import time

RUNS = int(os.environ.get("BENCH_RUNS", "7"))
SIZES = (1, 16, 64, 256)
QEMU = os.environ.get("QEMU", "qemu-system-x86_64")


def seconds(cmd):
    start = time.perf_counter()
    status = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            timeout=600).returncode
    return time.perf_counter() - start, status


def boot(image, machine, cdrom=False):
    """Seconds from starting QEMU to the guest's exit through isa-debug-exit."""
    disk = ["-cdrom", image] if cdrom else ["-drive", f"format=raw,file={image},snapshot=on"]
    cmd = [QEMU, "-accel", "tcg", "-M", machine, "-m", "512M", "-display", "none",
           "-serial", "none", "-monitor", "none", "-no-reboot",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"] + disk
    elapsed, status = seconds(cmd)
    if status != 33:  # 33: the guest wrote 0x10 (pass); a kernel's failed check writes 0x11
        sys.exit(f"bench: {image} on {machine}: QEMU exited {status}, expected 33")
    return elapsed


def ovmf():
    code, vars_ = os.environ.get("MKBOOTIMG_OVMF_CODE"), os.environ.get("MKBOOTIMG_OVMF_VARS")
    if code and vars_:
        return code, vars_
    for code, vars_ in (("/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"),
                        ("/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd"),
                        ("/usr/share/edk2/ovmf/OVMF_CODE.fd", "/usr/share/edk2/ovmf/OVMF_VARS.fd"),
                        ("/usr/share/edk2/x64/OVMF_CODE.4m.fd", "/usr/share/edk2/x64/OVMF_VARS.4m.fd")):
        if os.path.exists(code) and os.path.exists(vars_):
            return code, vars_
    sys.exit("bench: OVMF not found (apt install ovmf, or set MKBOOTIMG_OVMF_CODE and MKBOOTIMG_OVMF_VARS)")


def boot_uefi(image, bench):
    """Seconds from starting QEMU on OVMF (q35, no NIC) to the guest's exit through isa-debug-exit;
    OVMF's variables are copied afresh before each run, outside the timing."""
    code, template = ovmf()
    vars_ = os.path.join(bench, "ovmf-vars.fd")
    shutil.copyfile(template, vars_)
    cmd = [QEMU, "-accel", "tcg", "-M", "q35", "-m", "512M", "-display", "none", "-serial", "none",
           "-monitor", "none", "-no-reboot", "-nic", "none", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={code}",
           "-drive", f"if=pflash,format=raw,unit=1,file={vars_}",
           "-drive", f"format=raw,file={image},snapshot=on"]
    elapsed, status = seconds(cmd)
    if status != 33:
        sys.exit(f"bench: {image} on OVMF: QEMU exited {status}, expected 33")
    return elapsed


LINUX_CMDLINE = "console=ttyS0 panic=-1"
LINUX_MARKER = "mkbootimg-initramfs: /init runs"  # linux.mk's LINUX_INIT_MARKER


def boot_linux(bench, machine, disk):
    """Seconds from starting QEMU to its end when the initramfs's /init powers
    off; COM1 (written to a file, read after the timing) must show /init's marker."""
    log = os.path.join(bench, "linux-com1.log")
    if os.path.exists(log):
        os.unlink(log)
    cmd = [QEMU, "-accel", "tcg", "-M", machine, "-m", "512M", "-display", "none", "-serial", f"file:{log}",
           "-monitor", "none", "-no-reboot", "-nic", "none"] + disk
    elapsed, status = seconds(cmd)
    with open(log, "rb") as f:
        if status != 0 or LINUX_MARKER.encode() not in f.read():
            sys.exit(f"bench: Linux on {machine} ({' '.join(disk)}): QEMU exited {status}; "
                     f"no {LINUX_MARKER!r} in {log}")
    return elapsed


def linux_image(bench, mkbootimg, initrd):
    """The image of BENCH_DIR/vmlinuz with initrd and LINUX_CMDLINE, or None with why."""
    kernel, image = os.path.join(bench, "vmlinuz"), os.path.join(bench, "linux.img")
    if not (initrd and os.path.exists(initrd) and os.path.exists(kernel)):
        return None, f"no {kernel} (apt-get download failed?) or no initrd"
    r = subprocess.run([mkbootimg, kernel, "--initrd", initrd, "--cmdline", LINUX_CMDLINE, "-o", image],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None, f"mkbootimg refused the Linux kernel: {r.stderr.strip()}"
    return image, ""


def alternate(*runners, runs=RUNS):
    """Medians of each runner's seconds, the runners taking turns."""
    for run in runners:  # warm-up: caches, page cache, lazy host allocations
        run()
    times = [[] for _ in runners]
    for _ in range(runs):
        for run, t in zip(runners, times):
            t.append(run())
    return tuple(statistics.median(t) for t in times)


def build_vs_cp(mkbootimg, kernel, tmp):
    image, copy = os.path.join(tmp, "build.img"), os.path.join(tmp, "copy.elf")

    def fresh(path):
        # Each run writes a new file into a quiet page cache: the previous
        # run's output is gone and its writeback is done, outside the timing.
        if os.path.exists(path):
            os.unlink(path)
        os.sync()

    def build():
        fresh(image)
        elapsed, status = seconds([mkbootimg, "-o", image, kernel])
        if status:
            sys.exit(f"bench: {mkbootimg} failed on {kernel}")
        return elapsed

    def cp():
        fresh(copy)
        return seconds(["cp", kernel, copy])[0]

    return alternate(cp, build)


def plot(bench, points):
    """Boot time against kernel size: mkbootimg and the read floor (q35)."""
    data = os.path.join(bench, "load.dat")
    with open(data, "w") as f:
        for size, floor, copy, ours in points:
            f.write(f"{size} {floor:.4f} {copy:.4f} {ours:.4f}\n")
    if not shutil.which("gnuplot"):
        print("bench: gnuplot not found, no plot (make deps-bench installs it)")
        return
    script = f"""set terminal svg size 640,400 dynamic
set output '{bench}/load.svg'
set title 'Loading a kernel of N MiB on QEMU q35 (TCG), medians of {RUNS} runs'
set xlabel 'kernel size (MiB)'
set ylabel 'seconds from QEMU start to kernel entry'
set logscale x 2
set key left top
set grid
plot '{data}' using 1:4 with linespoints title 'mkbootimg (copied, checksummed, kernel sums it)', \\
     '{data}' using 1:3 with linespoints title 'copy floor: int 13h reads + rep movsd to 1 MiB up', \\
     '{data}' using 1:2 with linespoints title 'read floor: int 13h reads only'
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


def main():
    bench, mkbootimg, tiny = sys.argv[1:4]
    path = lambda name: os.path.join(bench, name)
    rows = ["| measure | machine | floor | mkbootimg | ratio | goal |", "|---|---|---|---|---|---|"]

    def row(what, machine, floor, ours, goal):
        rows.append(f"| {what} | {machine} | {floor:.3f} s | {ours:.3f} s | {ours / floor:.2f} | {goal} |")
        print(rows[-1], flush=True)

    print("\n".join(rows), flush=True)
    for machine in ("q35", "pc"):
        f, t = alternate(lambda: boot(path("floor-exit.img"), machine), lambda: boot(tiny, machine))
        row("boot to kernel entry (tiny kernel vs. a boot sector that exits)", machine, f, t, "<= 1.10")
    for machine in ("q35", "pc"):
        f, c, t = alternate(lambda: boot(path("floor-read-64.img"), machine),
                            lambda: boot(path("floor-copy-64.img"), machine),
                            lambda: boot(path("load-64.img"), machine))
        row("load 64 MiB, checksummed (vs. int 13h reads alone)", machine, f, t, "<= 1.15")
        row("load 64 MiB, checksummed (vs. reads + rep movsd into place)", machine, c, t, "-")
    f, t = alternate(lambda: boot_uefi(path("uefi-floor-exit.img"), bench), lambda: boot_uefi(tiny, bench))
    row("UEFI: boot to kernel entry (tiny kernel vs. OVMF starting an EFI application that exits)",
        "q35", f, t, "<= 1.10")
    f, t = alternate(lambda: boot_uefi(path("uefi-floor-load-64.img"), bench),
                     lambda: boot_uefi(path("load-64.img"), bench))
    row("UEFI: load 64 MiB, checksummed (vs. an EFI application's one BlockIo read of it into place)",
        "q35", f, t, "<= 1.10")
    if os.path.exists(path("grub.iso")):
        for machine in ("q35", "pc"):
            g, t = alternate(lambda: boot(path("grub.iso"), machine, cdrom=True),
                             lambda: boot(tiny, machine))
            rows.append(f"| tiny kernel: GRUB 2 (Multiboot 2, timeout 0) vs. mkbootimg | {machine} "
                        f"| GRUB {g:.3f} s | {t:.3f} s | {t / g:.2f} | < 1 |")
            print(rows[-1], flush=True)
        for machine in ("q35", "pc"):
            g, t = alternate(lambda: boot(path("grub.iso"), machine, cdrom=True),
                             lambda: boot(path("multiboot2-tiny.img"), machine))
            rows.append(f"| the same Multiboot 2 kernel: GRUB 2 (timeout 0) vs. mkbootimg | {machine} "
                        f"| GRUB {g:.3f} s | {t:.3f} s | {t / g:.2f} | < 1 |")
            print(rows[-1], flush=True)
    else:
        print("bench: no grub.iso (grub-mkrescue missing), GRUB not compared")
    image, why = linux_image(bench, mkbootimg, sys.argv[4] if len(sys.argv) > 4 else None)
    if image:
        reference = ["-kernel", path("vmlinuz"), "-initrd", sys.argv[4], "-append", LINUX_CMDLINE]
        q, t = alternate(lambda: boot_linux(bench, "q35", reference),
                         lambda: boot_linux(bench, "q35", ["-drive", f"format=raw,file={image},snapshot=on"]))
        rows.append(f"| Linux 6.1 to its /init marker: QEMU's own -kernel -initrd vs. mkbootimg | q35 "
                    f"| QEMU {q:.3f} s | {t:.3f} s | {t / q:.2f} | <= 1.10 |")
        print(rows[-1], flush=True)
    else:
        print(f"bench: Linux row left out: {why}", flush=True)
    c, b = build_vs_cp(mkbootimg, path("load-64.elf"), bench)
    rows.append(f"| image build of the 64 MiB kernel vs. cp of it | host | cp {c:.3f} s | {b:.3f} s "
                f"| {b / c:.2f} | <= 1.5 |")
    print(rows[-1], flush=True)

    points = []
    for size in SIZES:
        f, c, t = alternate(lambda: boot(path(f"floor-read-{size}.img"), "q35"),
                            lambda: boot(path(f"floor-copy-{size}.img"), "q35"),
                            lambda: boot(path(f"load-{size}.img"), "q35"))
        points.append((size, f, c, t))
        print(f"q35 load {size} MiB: read floor {f:.3f} s, copy floor {c:.3f} s, mkbootimg {t:.3f} s, "
              f"ratios {t / f:.2f} and {t / c:.2f}", flush=True)
    plot(bench, points)

    loader = os.path.getsize(os.path.join(os.path.dirname(mkbootimg), "bootloader", "loader.bin"))
    table = "\n".join(rows)
    with open(path("results.md"), "w") as out:
        out.write(f"Medians of {RUNS} alternating runs after a warm-up, QEMU TCG, 512 MiB.\n"
                  "Boot times come in steps of about 50 ms, so ratios of short boots move\n"
                  "in steps too.\n\n" + table + "\n\n")
        out.write("Load against size on q35 (load.svg):\n\n"
                  "| MiB | read floor | copy floor | mkbootimg | vs. read | vs. copy |\n"
                  "|---|---|---|---|---|---|\n")
        for size, f, c, t in points:
            out.write(f"| {size} | {f:.3f} s | {c:.3f} s | {t:.3f} s | {t / f:.2f} | {t / c:.2f} |\n")
        out.write(f"\nLoader: {loader} bytes (stage 1 + stage 2).\n")
    print(f"loader: {loader} bytes (stage 1 + stage 2)")
    print(f"results: {path('results.md')}")


if __name__ == "__main__":
    main()
