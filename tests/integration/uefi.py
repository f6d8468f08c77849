#!/usr/bin/env python3
"""mkbootimg on UEFI: the test kernels booted by OVMF, the image layouts of
--firmware on the firmware each is for (and refused by the other), and
`mkbootimg run --firmware uefi` as a kernel author uses it.

Boot tests give QEMU (q35, TCG, -nic none: no network boot to wait for)
OVMF's code as read-only pflash and a copy of its variables, and the image
`mkbootimg -o` built, on a SATA (AHCI), USB xHCI or virtio-blk disk. The
kernels check the entry state from inside and exit QEMU through
isa-debug-exit (33: every check held); COM1 is read from outside, for the
kernel's "firmware: UEFI". An OVMF boot takes 3-5 s under TCG, so the
kernels are chosen to cover every protocol (native higher-half, native
identity-linked, Multiboot 1 and 2) and every disk kind once, not every
kernel on every disk; the other suites boot the same default (hybrid)
images on SeaBIOS. Two boots run at once (--jobs 2).

The harness (harness.py) prints "PASS name", "FAIL name: why" or "SKIP name:
why" per test, then "N passed, N failed, N skipped"; exits 1 when a test
failed. Without OVMF every boot is skipped ("ovmf" on the harness's list:
`make deps` installs it, so CI never skips). Python 3 standard library only.
"""

import json
import os
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness as h  # noqa: E402
from harness import Failure  # noqa: E402

# Where tool/run/firmware.c looks first; MKBOOTIMG_OVMF_CODE/VARS override both.
OVMF_PLACES = (("/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"),
               ("/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd"),
               ("/usr/share/edk2/ovmf/OVMF_CODE.fd", "/usr/share/edk2/ovmf/OVMF_VARS.fd"),
               ("/usr/share/edk2/x64/OVMF_CODE.4m.fd", "/usr/share/edk2/x64/OVMF_VARS.4m.fd"))
FIRMWARE_LINE = "firmware: UEFI"  # what the entry-check kernels print on COM1 on a UEFI machine
ESC = "\x1b"


def ovmf():
    """(code, vars) of OVMF, or a Skip."""
    code, vars_ = os.environ.get("MKBOOTIMG_OVMF_CODE"), os.environ.get("MKBOOTIMG_OVMF_VARS")
    if code and vars_:
        return code, vars_
    for code, vars_ in OVMF_PLACES:
        if os.path.exists(code) and os.path.exists(vars_):
            return code, vars_
    raise h.Skip("ovmf", "OVMF is not installed (Debian: apt install ovmf)")


def ovmf_args(tmp):
    """QEMU's arguments for OVMF: its code read-only, a copy of its variables, no NIC."""
    code, vars_ = ovmf()
    copy = os.path.join(tmp, "ovmf-vars.fd")
    shutil.copyfile(vars_, copy)
    return ["-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + code,
            "-drive", "if=pflash,format=raw,unit=1,file=" + copy, "-nic", "none"]


# ---- Disks ----

def sata(image):
    return h.attach_image(image)  # q35's default: the AHCI controller


def virtio(image):
    return ["-drive", "if=virtio,format=raw,snapshot=on,file=" + image]


def usb_xhci(image):
    return ["-device", "qemu-xhci", "-drive", "if=none,id=stick,format=raw,snapshot=on,file=" + image,
            "-device", "usb-storage,drive=stick,bootindex=0"]


# ---- Images ----

def build(args, tmp, kernel, *flags, name="k.img"):
    image = os.path.join(tmp, name)
    r = subprocess.run([args.mkbootimg, *flags, "-o", image, kernel], capture_output=True, text=True)
    if r.returncode != 0:
        raise Failure("mkbootimg -o failed (status %d): %s" % (r.returncode, r.stderr.strip()))
    return image


def kernel_image(args, test, tmp):
    """The test's kernel built into an image with its flags (the default layout unless they say)."""
    kernel = test.kernel(args) if callable(test.kernel) else test.kernel
    flags = test.get("flags", ())
    if not os.path.exists(kernel):
        raise Failure("%s not found: build it with make check-uefi" % kernel)
    return build(args, tmp, kernel, *(flags(args) if callable(flags) else flags))


def load_kernel(args):
    return os.path.join(args.bench, "load-16.elf")


def load_flags(args):
    with open(os.path.join(args.bench, "data-16.bin.sum")) as f:
        return ("--cmdline", "sum=" + f.read().strip())


def mb_flags(args):
    return ("--cmdline", "a=1 b=two", "--module", os.path.join(args.mb_kernels, "module.txt") + "=m=1")


# ---- Boot tests ----

def boot_uefi(args, test, tmp):
    """Boot on OVMF; pass on the kernel's verdict, and "firmware: UEFI" on COM1 when it says it."""
    image = kernel_image(args, test, tmp)
    qemu = h.Qemu(args, tmp, machine="q35", memory=test.get("memory", "256M"), disks=test.disk(image),
                  extra=ovmf_args(tmp))
    h.boot_verdict(args, qemu)
    if test.get("says_firmware") and FIRMWARE_LINE not in qemu.com1():
        raise Failure("COM1 lacks %r (the kernel passed, but does not say which firmware booted it)"
                      % FIRMWARE_LINE, qemu.details())


def boot_default_image(args, test, tmp):
    """A test kernel's default image, exactly as check-integration boots it on SeaBIOS: on
    OVMF it must pass too (the kernel checks its promises), or show what it prints."""
    image = h.find_image(test.image)
    qemu = h.Qemu(args, tmp, machine="q35", memory="256M", disks=sata(image), extra=ovmf_args(tmp))
    if test.get("expect"):
        if wait_for(qemu, (test.expect,), args.timeout) is None:
            qemu.fail("COM1 never showed %r" % test.expect)
        qemu.stop()
    else:
        h.boot_verdict(args, qemu)


def boot_seabios(args, test, tmp):
    image = kernel_image(args, test, tmp)
    h.boot_verdict(args, h.Qemu(args, tmp, machine="q35", disks=sata(image)))


def wait_for(qemu, texts, seconds):
    """Poll COM1 until it holds one of texts; returns the one, or None at the deadline or QEMU's end."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        com1 = qemu.com1()
        for t in texts:
            if t in com1:
                return t
        if qemu.proc.poll() is not None:
            return None
        time.sleep(0.2)
    return None


def bios_image_on_ovmf(args, test, tmp):
    """--firmware bios: no GPT, no EFI system partition: OVMF finds nothing to start."""
    image = build(args, tmp, os.path.join(args.kernels, "tiny.elf"), "--firmware", "bios")
    qemu = h.Qemu(args, tmp, machine="q35", disks=sata(image), extra=ovmf_args(tmp))
    said = wait_for(qemu, ("No bootable option", "failed to load Boot0002"), args.timeout)
    status = qemu.proc.poll()
    if status == h.EXIT_PASS:
        raise Failure("the BIOS-only image reached the kernel on OVMF", qemu.details())
    if said is None:
        qemu.fail("OVMF did not say that it found nothing to boot")
    qemu.stop()


STAGE1_NO_BIOS_LOADER = "mkbootimg: no BIOS loader: boot with UEFI, or rebuild with --firmware hybrid."


def uefi_image_on_seabios(args, test, tmp):
    """--firmware uefi: stage 1 is there (the protective MBR's code) and says why it stops."""
    image = build(args, tmp, os.path.join(args.kernels, "tiny.elf"), "--firmware", "uefi")
    qemu = h.Qemu(args, tmp, machine="q35", disks=sata(image))
    said = wait_for(qemu, (STAGE1_NO_BIOS_LOADER,), 20)
    if qemu.proc.poll() == h.EXIT_PASS:
        raise Failure("the UEFI-only image reached the kernel on SeaBIOS", qemu.details())
    if said is None:
        qemu.fail("no %r from stage 1 on COM1" % STAGE1_NO_BIOS_LOADER)
    qemu.stop()


def bad_checksum_on_ovmf(args, test, tmp):
    """One byte of the payload flipped: the UEFI loader finds the checksum wrong and says so
    on COM1 in the BIOS loader's shape, "mkbootimg: ..." to "The machine is halted."."""
    image = build(args, tmp, os.path.join(args.kernels, "entry-check-higher-half.elf"), "--cmdline", args.cmdline)
    info = subprocess.run([args.mkbootimg, "info", "--json", image], capture_output=True, text=True)
    try:
        offset = int(json.loads(info.stdout)["payload_lba"]) * h.SECTOR + 100
    except (ValueError, KeyError) as e:
        raise Failure("mkbootimg info --json gives no payload_lba: %s" % e, info.stdout + info.stderr)
    with open(image, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0xFF]))
    qemu = h.Qemu(args, tmp, machine="q35", disks=sata(image), extra=ovmf_args(tmp))
    said = wait_for(qemu, ("The machine is halted.",), args.timeout)
    com1 = qemu.com1()
    if qemu.proc.poll() == h.EXIT_PASS:
        raise Failure("the kernel ran from an image whose payload does not match its checksum", qemu.details())
    if said is None or "mkbootimg: the kernel in this image is damaged: payload checksum mismatch" not in com1:
        qemu.fail("no loader message about the checksum, ending in 'The machine is halted.', on COM1")
    qemu.stop()


# ---- mkbootimg run --firmware uefi ----

class Run:
    """mkbootimg run in a private TMPDIR, which must be empty afterwards."""

    def __init__(self, args, tmp):
        self.args, self.tmp = args, tmp
        self.tmpdir = os.path.join(tmp, "tmpdir")
        os.mkdir(self.tmpdir)
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("DISPLAY", "WAYLAND_DISPLAY", "MKBOOTIMG_FIRMWARE", "CARGO_MANIFEST_DIR")}
        self.env.update(TMPDIR=self.tmpdir, MKBOOTIMG_ACCEL="tcg")

    def __call__(self, *words, env=None, timeout=120):
        command = [self.args.mkbootimg, "run"] + list(words)
        start = time.monotonic()
        try:
            r = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                               env=dict(self.env, **(env or {})))
        except subprocess.TimeoutExpired as e:
            raise Failure("mkbootimg run still ran after %d s" % timeout, "  command: %s\n" % " ".join(command)
                          + h.indent("stdout", (e.stdout or b"").decode("latin-1")))
        self.status, self.stdout, self.stderr = r.returncode, r.stdout.decode("latin-1"), r.stderr.decode("latin-1")
        self.details = ("  command: %s\n  exit status %d after %.1f s\n" % (" ".join(command), r.returncode,
                                                                             time.monotonic() - start)
                        + h.indent("stdout", self.stdout, 30) + h.indent("stderr", self.stderr, 30))
        left = os.listdir(self.tmpdir)
        if left:
            raise Failure("left in TMPDIR: %s" % ", ".join(left), self.details)
        return self

    def expect(self, status, *stderr, stdout=()):
        if self.status != status:
            raise Failure("exit status %d, expected %d" % (self.status, status), self.details)
        for text in stderr:
            if text not in self.stderr:
                raise Failure("stderr lacks %r" % text, self.details)
        for text in stdout:
            if text not in self.stdout:
                raise Failure("stdout lacks %r" % text, self.details)


def run_test_mode(args, test, tmp):
    """run --firmware uefi --test: the kernel's verdict, COM1 on stdout without OVMF's escape
    sequences, OVMF's variables file (given through the environment) left as it was."""
    code, vars_ = ovmf()
    mine = os.path.join(tmp, "vars.fd")
    shutil.copyfile(vars_, mine)
    with open(mine, "rb") as f:
        before = f.read()
    run = Run(args, tmp)
    run("--firmware", "uefi", "--test", "--cmdline", args.cmdline,
        os.path.join(args.kernels, "entry-check-higher-half.elf"), env={"MKBOOTIMG_OVMF_CODE": code, "MKBOOTIMG_OVMF_VARS": mine}).expect(0)
    if ESC in run.stdout:
        raise Failure("an escape sequence reached stdout", run.details)
    if "BdsDxe: loading" in run.stdout:
        raise Failure("OVMF's routine boot lines reached stdout", run.details)
    with open(mine, "rb") as f:
        if f.read() != before:
            raise Failure("OVMF's variables file was written to: run must boot a copy", run.details)
    if FIRMWARE_LINE not in run.stdout:
        raise Failure("COM1 (stdout) lacks %r" % FIRMWARE_LINE, run.details)


def run_environment_fail(args, test, tmp):
    """MKBOOTIMG_FIRMWARE=uefi, a failing kernel: status 1, and in place of a VGA screen the
    notice that the screen is a framebuffer, with COM1 after it."""
    ovmf()
    run = Run(args, tmp)
    run("--test", os.path.join(args.run_kernels, "fail.elf"), env={"MKBOOTIMG_FIRMWARE": "uefi"})
    run.expect(1, "mkbootimg: test failed: the kernel wrote 0x11 to port 0xf4",
               stdout=("---- screen: a framebuffer (UEFI), no text to read; COM1 follows ----",))
    if "---- VGA text screen" in run.stdout:
        raise Failure("a VGA text screen was printed for a UEFI machine", run.details)


def run_idle_notice(args, test, tmp):
    """A kernel that spins silently on UEFI: one notice, which says the screen is a framebuffer,
    then COM1 in place of the screen; the run goes on to --timeout (status 124)."""
    ovmf()
    run = Run(args, tmp)
    run("--firmware", "uefi", "--timeout", "20", os.path.join(args.run_kernels, "loop.elf"))
    run.expect(124, "mkbootimg: the machine runs on with nothing new on COM1 for 3 s (the screen is a "
               "framebuffer; COM1 follows)",
               stdout=("---- screen (now, the machine still runs): a framebuffer (UEFI), no text to read; "
                       "COM1 follows ----",))
    if run.stderr.count("nothing new on COM1") != 1:
        raise Failure("the idle notice is not given exactly once", run.details)


def run_loader_stopped(args, test, tmp):
    """An identity-linked kernel at 1 GiB in 256 MiB of RAM: the UEFI loader's message, status 3."""
    ovmf()
    kernel = os.path.join(tmp, "high.elf")
    script = os.path.join(tmp, "high.ld")
    with open(script, "w") as f:
        f.write("ENTRY(_start)\nSECTIONS\n{\n\t. = 0x40000000;\n\t.text : { *(.text.entry) *(.text .text.*) }\n"
                "\t/DISCARD/ : { *(.comment) *(.note .note.*) *(.eh_frame*) }\n}\n")
    cc = subprocess.run([args.cc, "-nostdlib", "-static", "-no-pie", "-Wl,--build-id=none",
                         "-Wl,-z,max-page-size=0x1000", "-T", script, "-o", kernel,
                         os.path.join(h.REPO, "tests", "kernels", "tiny.S")], capture_output=True, text=True)
    if cc.returncode != 0:
        raise Failure("cannot link the kernel at 1 GiB: " + cc.stderr.strip())
    for mode in ((), ("--test",)):
        run = Run(args, tmp)
        run("--firmware", "uefi", *mode, kernel)
        run.expect(3, "mkbootimg: the loader stopped: ")
        shutil.rmtree(run.tmpdir)


def run_refuses_layouts(args, test, tmp):
    """A ready image on a firmware it has no loader for: refused before QEMU starts."""
    tiny = os.path.join(args.kernels, "tiny.elf")
    bios = build(args, tmp, tiny, "--firmware", "bios", name="bios.img")
    uefi = build(args, tmp, tiny, "--firmware", "uefi", name="uefi.img")
    run = Run(args, tmp)
    run("--firmware", "uefi", "--test", bios).expect(
        1, "%s: this image has no UEFI loader (it was made with --firmware bios)" % bios)
    run("--test", bios, env={"MKBOOTIMG_FIRMWARE": "uefi"}).expect(1, "MKBOOTIMG_FIRMWARE=uefi asks for UEFI")
    run("--firmware", "bios", "--test", uefi).expect(
        1, "%s: this image has no BIOS loader (it was made with --firmware uefi)" % uefi)


def run_without_ovmf(args, test, tmp):
    """OVMF's files named by the environment but not there: exit 1, naming the variable."""
    run = Run(args, tmp)
    missing = os.path.join(tmp, "none.fd")
    run("--firmware", "uefi", "--test", os.path.join(args.kernels, "tiny.elf"),
        env={"MKBOOTIMG_OVMF_CODE": missing, "MKBOOTIMG_OVMF_VARS": missing}).expect(
        1, "mkbootimg: MKBOOTIMG_OVMF_CODE=%s: No such file or directory" % missing)


def run_dry_gdb(args, test, tmp):
    """--gdb on UEFI: the debugger's socket (in the run's folder), OVMF as pflash (code read-only), never -bios."""
    code, _ = ovmf()
    run = Run(args, tmp)
    run("--firmware", "uefi", "--gdb", "--dry-run", os.path.join(args.kernels, "tiny.elf")).expect(0)
    for want in ("/gdb.sock,server=on,wait=off -S", "if=pflash,format=raw,unit=0,readonly=on,file=" + code,
                 "if=pflash,format=raw,unit=1,file="):
        if want not in run.stdout:
            raise Failure("the command lacks %r" % want, run.details)
    if " -bios " in run.stdout:
        raise Failure("the command uses -bios", run.details)


def install_then_boot(args, test, tmp):
    """install onto a loop device, then boot that device on OVMF with run (read-only, snapshot)."""
    ovmf()
    if os.geteuid() != 0:
        raise h.Skip("root", "needs root for a loop device (losetup)")
    backing = os.path.join(tmp, "disk.bin")
    with open(backing, "wb") as f:
        f.truncate(64 * 1024 * 1024)
    loop = subprocess.run(["losetup", "-f", "--show", "-P", backing], capture_output=True, text=True)
    device = loop.stdout.strip()
    if loop.returncode != 0 or not device.startswith("/dev/loop"):
        raise h.Skip("loop", "losetup cannot make a loop device: %s" % loop.stderr.strip())
    try:
        r = subprocess.run([args.mkbootimg, "install", "--yes", "--force", "--cmdline", args.cmdline,
                            os.path.join(args.kernels, "entry-check-higher-half.elf"), device],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if r.returncode != 0:
            raise Failure("install failed (status %d): %s" % (r.returncode, r.stderr.strip()))
        Run(args, tmp)("--firmware", "uefi", "--test", device).expect(0)
    finally:
        subprocess.run(["losetup", "-d", device], capture_output=True)


def all_tests(args):
    kernel = lambda name: os.path.join(args.kernels, name + ".elf")
    mb = lambda name: os.path.join(args.mb_kernels, name)
    cmdline = ("--cmdline", args.cmdline)
    return [
        # Every protocol, and each disk kind once.
        h.Test("boot/entry-check-higher-half/sata", boot_uefi, kernel=kernel("entry-check-higher-half"),
               flags=cmdline, disk=sata, says_firmware=True),
        h.Test("boot/entry-check-flat/virtio-blk", boot_uefi, kernel=kernel("entry-check-flat"), flags=cmdline,
               disk=virtio, says_firmware=True),
        h.Test("boot/load-16MiB/usb-xhci", boot_uefi, kernel=load_kernel, flags=load_flags, disk=usb_xhci),
        h.Test("boot/multiboot1/sata", boot_uefi, kernel=mb("mbcheck1.elf"), flags=mb_flags(args), disk=sata),
        h.Test("boot/multiboot2/virtio-blk", boot_uefi, kernel=mb("mbcheck2.elf"), flags=mb_flags(args),
               disk=virtio),
        # Every other test kernel's default image (what check-integration boots on SeaBIOS),
        # and the sample kernel, on OVMF too.
        *[h.Test("default-image/%s" % name, boot_default_image, image=os.path.join(args.kernels, name + ".img"))
          for name in ("entry-check-noat", "entry-check-segments", "entry-check-bigstack", "entry-check-clang",
                       "rust-check", "tiny")],
        h.Test("default-image/sample-kernel", boot_default_image, image=args.sample, expect="Hello World!"),
        # The layouts: each boots where it should, and only there.
        h.Test("layout/uefi-on-ovmf", boot_uefi, kernel=kernel("entry-check-higher-half"),
               flags=cmdline + ("--firmware", "uefi"), disk=sata),
        h.Test("layout/hybrid-on-seabios", boot_seabios, kernel=kernel("entry-check-higher-half"), flags=cmdline),
        h.Test("layout/bios-on-seabios", boot_seabios, kernel=kernel("entry-check-higher-half"),
               flags=cmdline + ("--firmware", "bios")),
        h.Test("layout/bios-not-on-ovmf", bios_image_on_ovmf),
        h.Test("layout/uefi-not-on-seabios", uefi_image_on_seabios),
        h.Test("loader/bad-checksum", bad_checksum_on_ovmf),
        # mkbootimg run.
        h.Test("run/test-mode", run_test_mode),
        h.Test("run/environment-and-failure", run_environment_fail),
        h.Test("run/loader-stopped", run_loader_stopped),
        h.Test("run/idle-notice", run_idle_notice),
        h.Test("run/refuses-layouts", run_refuses_layouts),
        h.Test("run/without-ovmf", run_without_ovmf),
        h.Test("run/gdb-dry-run", run_dry_gdb),
        h.Test("install/loop-device-on-ovmf", install_then_boot),
    ]


def main():
    parser = h.parser(__doc__, jobs=2, timeout=90)
    parser.add_argument("--mkbootimg", default="build/mkbootimg")
    parser.add_argument("--kernels", default="build/tests/kernels", help="the test kernels (tests/tests.mk)")
    parser.add_argument("--mb-kernels", default="build/tests/kernels/multiboot", help="the Multiboot test kernels")
    parser.add_argument("--run-kernels", default="build/tests/kernels/run", help="run-command.py's kernels")
    parser.add_argument("--bench", default="build/bench", help="where bench.mk built load-16.elf")
    parser.add_argument("--cmdline", default="mkbootimg-test root=/dev/sda1 a=1 b=two",
                        help="the command line the entry-check kernels expect (TEST_CMDLINE)")
    parser.add_argument("--sample", default="build/sample-kernel.img", help="the sample kernel's image")
    parser.add_argument("--cc", default="cc")
    args = parser.parse_args()
    return h.main(args, all_tests(args), "UEFI tests")


if __name__ == "__main__":
    sys.exit(main())
