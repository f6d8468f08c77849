#!/usr/bin/env python3
"""mkbootimg and the Linux boot protocol: bzImage kernels nobody here wrote.

Debian's Linux 6.1 (linux-image-amd64 resolved to the linux-image-6.1.*
package it depends on), memtest86+ and iPXE are fetched with apt-get
download and unpacked into BUILD/linux-packages once per build folder; where
that fails (no network, no apt), their tests are skipped ("network").

Linux gets a tiny initramfs (tests/initramfs/: a freestanding /init that
writes a marker line to /dev/console and powers the machine off, in a cpio
"newc" archive written by newc.py; linux.mk builds both) and a command line
with a word of its own. A boot passes when COM1 shows the line "Command
line: ..." with exactly that command line, "RAMDISK: [mem" (Linux found the
initrd where boot_params said), the marker (Linux unpacked it and ran its
/init), and on UEFI "efi: EFI v" (boot_params carried the EFI system
table). Each boot is of an image `mkbootimg -o` built, on SeaBIOS (pc and
q35) and OVMF (q35), and once through `mkbootimg run`. Two initrds given in
order (--initrd twice) must both arrive, in that order: /init, from the
second, prints a file only the first holds, and a file of the first that
the second replaced. The oracle itself is checked: QEMU's own -kernel boot
without an initrd must fail it.

memtest86+ shows its banner on COM1 (console=ttyS0) on SeaBIOS and OVMF and
is stopped then (it never ends); iPXE's ipxe.lkrn, a BIOS program, shows its
banner on the VGA text screen, with no network card (-nic none) so that no
option ROM's iPXE can print it instead; it has only a real-mode entry, so on
OVMF the hybrid image's UEFI loader says on COM1 that it needs a BIOS. Refusals are checked from outside:
--module with a Linux kernel, --initrd with a native kernel, a command line
longer than the kernel's cmdline_size.

--reference boots every Linux kernel with QEMU's own -kernel/-initrd/-append
instead of an image: it checks the checks, not mkbootimg (memtest86+x64.bin
has no EFI stub, so QEMU cannot start it on OVMF: that test fails there).

The harness (harness.py) prints "PASS name", "FAIL name: why" or "SKIP name:
why" per test, then "N passed, N failed, N skipped" and the suite's wall
time; exits 1 when a test failed. Python 3 standard library only.
"""

import glob
import os
import re
import shutil
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness as h  # noqa: E402
from harness import Failure  # noqa: E402
from uefi import ovmf_args  # noqa: E402

# name: (Debian package, the file in it). linux-image-amd64 is a metapackage: resolved first.
KERNELS = {
    "linux": ("linux-image-amd64", "boot/vmlinuz-*"),
    "memtest": ("memtest86+", "boot/memtest86+x64.bin"),
    "ipxe": ("ipxe", "boot/ipxe.lkrn"),
}
MEMTEST_BANNER = "Memtest86+ v"
IPXE_BANNER = "Open Source Network Boot Firmware"
IPXE_NEEDS_BIOS = "which needs a BIOS: UEFI has no real mode."
EFI_LINE = "efi: EFI v"
RAMDISK = "RAMDISK: [mem "
# boot_params' setup header (Linux Documentation/arch/x86/boot.rst)
HEADER_VERSION, HEADER_CMDLINE_SIZE = 0x206, 0x238


# ---- The kernels, from Debian's packages ----

def resolve(package):
    """The real package behind a metapackage (linux-image-amd64 -> linux-image-6.1.0-N-amd64)."""
    if package != "linux-image-amd64":
        return package
    r = subprocess.run(["apt-cache", "depends", package], capture_output=True, text=True)
    found = re.findall(r"Depends: (linux-image-[0-9][^\s]*)", r.stdout)
    if r.returncode != 0 or not found:
        raise h.Skip("network", "apt-cache depends %s names no linux-image package: %s"
                     % (package, (r.stderr or r.stdout).strip()[-200:]))
    return found[0]


def fetch(args, name):
    """The kernel file `name` of KERNELS, unpacked once per build folder into
    BUILD/linux-packages/PACKAGE; a Skip ("network") when it cannot be fetched."""
    def get(_):
        if not all(shutil.which(t) for t in ("apt-get", "apt-cache", "dpkg-deb", "tar")):
            raise h.Skip("network", "apt-get, apt-cache, dpkg-deb or tar is missing")
        package, member = KERNELS[name]
        real = resolve(package)
        root = os.path.join(args.build, "linux-packages")
        dest = os.path.join(root, real)
        found = sorted(glob.glob(os.path.join(dest, member)))
        if found:
            return found[-1]
        os.makedirs(root, exist_ok=True)
        try:
            r = subprocess.run(["apt-get", "download", real], cwd=root, capture_output=True, text=True,
                               timeout=600)
        except subprocess.TimeoutExpired:
            raise h.Skip("network", "apt-get download %s timed out (no network?)" % real)
        debs = glob.glob(os.path.join(root, real + "_*.deb"))
        if r.returncode != 0 or not debs:
            raise h.Skip("network", "apt-get download %s failed (no network?): %s"
                         % (real, r.stderr.strip()[-200:]))
        # Only the kernel file: Linux's package is 70 MB of modules besides. Unpacked
        # beside its place and renamed, so that an interrupted run leaves no half file.
        part = dest + ".part"
        shutil.rmtree(part, ignore_errors=True)
        os.makedirs(part)
        deb = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", debs[0]], stdout=subprocess.PIPE)
        r = subprocess.run(["tar", "-x", "-C", part, "--wildcards", "./" + member], stdin=deb.stdout,
                           capture_output=True, text=True)
        deb.stdout.close()
        deb.wait()
        for path in debs:
            os.unlink(path)
        found = sorted(glob.glob(os.path.join(part, member)))
        if deb.returncode != 0 or r.returncode != 0 or not found:
            raise Failure("%s has no %s: %s" % (real, member, r.stderr.strip()))
        os.rename(part, dest)
        return sorted(glob.glob(os.path.join(dest, member)))[-1]
    return h.shared("kernel " + name, get)


def setup_header(path, offset, size):
    with open(path, "rb") as f:
        f.seek(offset)
        return int.from_bytes(f.read(size), "little")


# ---- Images and boots ----

def mkbootimg(args, *words):
    return subprocess.run([args.mkbootimg, *words], capture_output=True, text=True)


def build(args, tmp, kernel, *flags, name="linux.img"):
    image = os.path.join(tmp, name)
    r = mkbootimg(args, kernel, *flags, "-o", image)
    if r.returncode != 0:
        raise Failure("mkbootimg -o failed (status %d): %s" % (r.returncode, r.stderr.strip()))
    return image


def machine_args(tmp, firmware):
    return ovmf_args(tmp) if firmware == "uefi" else ["-nic", "none"]


def start(args, tmp, kernel, initrds, cmdline, machine, firmware, memory="512M"):
    """QEMU booting kernel with initrds (in order) and cmdline: from an image
    mkbootimg built, or with --reference through QEMU's own -kernel."""
    extra = machine_args(tmp, firmware)
    if args.reference:
        extra += ["-kernel", kernel, "-append", cmdline]
        if initrds:
            joined = os.path.join(tmp, "initrd")
            with open(joined, "wb") as out:
                for path in initrds:
                    with open(path, "rb") as f:
                        out.write(f.read())
            extra += ["-initrd", joined]
        return h.Qemu(args, tmp, machine=machine, memory=memory, extra=extra)
    flags = ["--cmdline", cmdline]
    for path in initrds:
        flags += ["--initrd", path]
    image = build(args, tmp, kernel, *flags)
    return h.Qemu(args, tmp, machine=machine, memory=memory, image=image, extra=extra)


def command_line(test):
    """console=ttyS0 panic=-1 and a word of the test's own, which COM1 must show exactly."""
    return "console=ttyS0 panic=-1 mkbootimg.linux-test=" + re.sub(r"\W+", "-", test.name)


def linux_problem(com1, cmdline, expected):
    """None when Linux's COM1 shows "Command line: CMDLINE" as a whole line
    (after the time stamp), "RAMDISK: [mem" and every text of expected, each
    on a line of its own; else what is missing."""
    lines = com1.splitlines()
    said = [m.group(1) for m in (re.match(r"\[\s*\d+\.\d+\] Command line: (.*)$", l) for l in lines) if m]
    if not said:
        return "no 'Command line:' line on COM1 (Linux did not start?)"
    if said[0] != cmdline:
        return "the command line Linux got is %r, not %r" % (said[0], cmdline)
    if not any(RAMDISK in l for l in lines):
        return "no %r on COM1: Linux found no initrd" % RAMDISK
    for text in expected:
        if not any(text in l for l in lines):
            return "no %r on COM1" % text
    return None


def boot_linux(args, tmp, test, initrds, expected):
    """Boot Linux to its /init, which powers off; then judge COM1."""
    kernel = fetch(args, "linux")
    cmdline = command_line(test)
    qemu = start(args, tmp, kernel, initrds, cmdline, test.machine, test.firmware)
    status = qemu.wait(args.timeout)
    if args.reference and test.firmware == "uefi":
        cmdline += " initrd=initrd"  # what OVMF's loader of -kernel adds
    problem = linux_problem(qemu.com1(), cmdline, expected)
    if problem:
        qemu.fail(problem + ("" if status is not None else " (still running after %d s)" % args.timeout))
    qemu.stop()
    if status != 0:
        raise Failure("QEMU exited %s after /init powered off, not 0" % status, qemu.details())


def firmware_lines(test):
    return [EFI_LINE] if test.firmware == "uefi" else []


def test_linux(args, test, tmp):
    boot_linux(args, tmp, test, [os.path.join(args.files, "initrd.cpio")],
               [args.marker] + firmware_lines(test))


def test_two_initrds(args, test, tmp):
    """first.cpio then second.cpio: /init (from the second) shows the first's
    /proof-first, and /proof-last as the second, unpacked after it, left it."""
    initrds = [os.path.join(args.files, n) for n in ("first.cpio", "second.cpio")]
    boot_linux(args, tmp, test, initrds, [args.marker, "/proof-first: from the first initrd",
                                          "/proof-last: the second initrd"] + firmware_lines(test))


def test_oracle(args, test, tmp):
    """The same kernel without an initrd (an image built without --initrd):
    the checks must say so, as Linux panics with no /init and panic=-1 ends
    QEMU; and they must refuse a command line that is not the one given."""
    kernel = fetch(args, "linux")
    cmdline = command_line(test)
    qemu = start(args, tmp, kernel, [], cmdline, "q35", "bios")
    qemu.wait(args.timeout)
    com1 = qemu.com1()
    problem = linux_problem(com1, cmdline, [args.marker])
    if problem is None or RAMDISK not in problem:
        qemu.fail("the checks do not miss the initrd of a boot without one: %s" % problem)
    wrong = linux_problem(com1, cmdline + "x", [])
    if wrong is None or "command line Linux got" not in wrong:
        qemu.fail("the checks pass a command line that is not the one given")
    qemu.stop()


def test_run_command(args, test, tmp):
    """mkbootimg run --initrd ... vmlinuz: headless, COM1 on stdout, ended by /init's power-off."""
    kernel = fetch(args, "linux")
    cmdline = command_line(test)
    tmpdir = os.path.join(tmp, "tmpdir")
    os.mkdir(tmpdir)
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "MKBOOTIMG_FIRMWARE", "CARGO_MANIFEST_DIR")}
    env.update(TMPDIR=tmpdir, MKBOOTIMG_ACCEL="tcg")
    command = [args.mkbootimg, "run", "--headless", "--timeout", str(args.timeout), "--memory", "512M",
               "--initrd", os.path.join(args.files, "initrd.cpio"), kernel, "--cmdline", cmdline,
               "--", "-nic", "none"]
    r = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, env=env,
                       timeout=args.timeout + 30)
    stdout, stderr = r.stdout.decode("latin-1").replace("\r", ""), r.stderr.decode("latin-1")
    details = ("  command: %s\n" % " ".join(command) + h.indent("stdout", stdout, 40)
               + h.indent("stderr", stderr, 20))
    problem = linux_problem(stdout, cmdline, [args.marker])
    if problem:
        raise Failure(problem, details)
    if r.returncode != 0:
        raise Failure("exit status %d after the power-off, not 0" % r.returncode, details)
    if os.listdir(tmpdir):
        raise Failure("left in TMPDIR: %s" % ", ".join(os.listdir(tmpdir)), details)


def wait_for(qemu, seconds, seen):
    """Poll until seen(qemu) is true; False at the deadline or when QEMU has gone."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and qemu.proc.poll() is None:
        if seen(qemu):
            return True
        time.sleep(0.2)
    return seen(qemu)


def how_it_ended(qemu, seconds):
    status = qemu.proc.poll()
    if status is None:
        return " within %d s" % seconds
    return " (QEMU exited %d%s)" % (status, ": a triple fault or a reset" if status == 0 else "")


def test_memtest(args, test, tmp):
    """memtest86+ (console=ttyS0) draws its banner on COM1; it tests memory forever: stopped then."""
    kernel = fetch(args, "memtest")
    if args.reference:
        extra = machine_args(tmp, test.firmware) + ["-kernel", kernel, "-append", "console=ttyS0"]
        qemu = h.Qemu(args, tmp, machine=test.machine, extra=extra)
    else:
        image = build(args, tmp, kernel, "--cmdline", "console=ttyS0", name="memtest.img")
        qemu = h.Qemu(args, tmp, machine=test.machine, image=image, extra=machine_args(tmp, test.firmware))
    if not wait_for(qemu, args.timeout, lambda q: MEMTEST_BANNER in q.com1()):
        qemu.fail("no %r on COM1%s" % (MEMTEST_BANNER, how_it_ended(qemu, args.timeout)))
    qemu.stop()


def test_ipxe(args, test, tmp):
    """ipxe.lkrn draws its banner on the VGA text screen (no NIC: no option ROM's iPXE)."""
    kernel = fetch(args, "ipxe")
    if args.reference:
        qemu = h.Qemu(args, tmp, machine=test.machine, extra=["-nic", "none", "-kernel", kernel])
    else:
        image = build(args, tmp, kernel, name="ipxe.img")
        qemu = h.Qemu(args, tmp, machine=test.machine, image=image, extra=["-nic", "none"])
    screen = []

    def seen(q):
        nonlocal screen
        screen = q.screen() or screen
        return h.contains(screen, IPXE_BANNER)
    if not wait_for(qemu, args.timeout, seen):
        qemu.fail("no %r on the screen%s" % (IPXE_BANNER, how_it_ended(qemu, args.timeout)), screen)
    qemu.stop()


def test_ipxe_uefi_stops(args, test, tmp):
    """The hybrid image of ipxe.lkrn on OVMF: its UEFI loader says, on COM1, that the kernel
    needs a BIOS (it has only a real-mode entry), and halts. --reference boots the image too:
    QEMU's -kernel has nothing to compare there."""
    kernel = fetch(args, "ipxe")
    image = build(args, tmp, kernel, name="ipxe.img")
    qemu = h.Qemu(args, tmp, machine=test.machine, image=image, extra=machine_args(tmp, "uefi"))
    if not wait_for(qemu, args.timeout, lambda q: IPXE_NEEDS_BIOS in q.com1()):
        qemu.fail("no %r on COM1%s" % (IPXE_NEEDS_BIOS, how_it_ended(qemu, args.timeout)))
    qemu.stop()


# ---- Refusals ----

def refused(args, tmp, kernel, flags, *messages):
    """mkbootimg refuses: status 1, one line naming the kernel file and each of messages, no image."""
    image = os.path.join(tmp, "refused.img")
    r = mkbootimg(args, kernel, *flags, "-o", image)
    why = h.refusal(r.returncode, r.stderr, 1, "mkbootimg: %s: " % kernel, *messages, one_line=True)
    if why:
        raise Failure(why, h.indent("stderr", r.stderr))
    if os.path.exists(image):
        raise Failure("a refused image was written anyway: %s" % image)


def test_linux_with_module(args, test, tmp):
    refused(args, tmp, fetch(args, "linux"), ["--module", os.path.join(args.files, "initrd.cpio")],
            "--module is for native and Multiboot kernels", "--initrd")


def test_initrd_with_native(args, test, tmp):
    refused(args, tmp, args.native, ["--initrd", os.path.join(args.files, "initrd.cpio")],
            "--initrd is for Linux kernels", "--module")


def test_cmdline_size(args, test, tmp):
    """A command line of exactly cmdline_size bytes is taken; one byte more is refused, naming the limit."""
    kernel = fetch(args, "linux")
    if setup_header(kernel, HEADER_VERSION, 2) < 0x206:
        raise Failure("%s: boot protocol before 2.06, no cmdline_size to test" % kernel)
    size = setup_header(kernel, HEADER_CMDLINE_SIZE, 4)
    longest = ("console=ttyS0 " + "x" * size)[:size]
    build(args, tmp, kernel, "--cmdline", longest, name="longest.img")
    refused(args, tmp, kernel, ["--cmdline", longest + "y"], "%d bytes" % (size + 1), "cmdline_size (%d)" % size)


def all_tests(args):
    tests = []
    for firmware, machine in (("bios", "pc"), ("bios", "q35"), ("uefi", "q35")):
        tests.append(h.Test("linux/%s-%s" % (firmware, machine), test_linux, machine=machine, firmware=firmware))
    tests += [
        h.Test("linux/two-initrds-bios-q35", test_two_initrds, machine="q35", firmware="bios"),
        h.Test("linux/two-initrds-uefi-q35", test_two_initrds, machine="q35", firmware="uefi"),
        h.Test("linux/run-command", test_run_command),
        h.Test("linux/oracle-fails-without-initrd", test_oracle),
        h.Test("memtest86+/bios-q35", test_memtest, machine="q35", firmware="bios"),
        h.Test("memtest86+/bios-pc", test_memtest, machine="pc", firmware="bios"),
        h.Test("memtest86+/uefi-q35", test_memtest, machine="q35", firmware="uefi"),
        h.Test("ipxe/bios-q35", test_ipxe, machine="q35"),
        h.Test("ipxe/bios-pc", test_ipxe, machine="pc"),
        h.Test("ipxe/uefi-q35-needs-bios", test_ipxe_uefi_stops, machine="q35", firmware="uefi"),
        h.Test("refused/linux-with-module", test_linux_with_module),
        h.Test("refused/initrd-with-native-kernel", test_initrd_with_native),
        h.Test("refused/cmdline-longer-than-cmdline_size", test_cmdline_size),
    ]
    return tests


def fetch_only(args, path):
    """--fetch-linux: Debian's vmlinuz copied to path; status 1, saying why, when it cannot be fetched."""
    try:
        shutil.copyfile(fetch(args, "linux"), path)
    except (h.Skip, Failure) as e:
        print("linux.py: cannot fetch Debian's Linux: %s" % e, file=sys.stderr)
        return 1
    return 0


def main():
    parser = h.parser(__doc__, jobs=2, timeout=90)
    parser.add_argument("--build", default="build", help="the build folder: packages go to BUILD/linux-packages")
    parser.add_argument("--mkbootimg", default="build/mkbootimg")
    parser.add_argument("--files", default="build/tests/linux", help="initrd.cpio, first.cpio, second.cpio")
    parser.add_argument("--native", default="build/tests/kernels/tiny.elf", help="a native kernel")
    parser.add_argument("--marker", default="mkbootimg-initramfs: /init runs", help="what /init prints")
    parser.add_argument("--reference", action="store_true",
                        help="boot with QEMU's own -kernel, not mkbootimg's images (checks the checks)")
    parser.add_argument("--fetch-linux", metavar="PATH",
                        help="only fetch Debian's Linux and copy its vmlinuz to PATH (bench.mk)")
    args = parser.parse_args()
    if args.fetch_linux:
        return fetch_only(args, args.fetch_linux)
    return h.main(args, all_tests(args), "linux tests")


if __name__ == "__main__":
    sys.exit(main())
