#!/usr/bin/env python3
"""mkbootimg Multiboot tests.

Test kernels (tests/kernels/multiboot/, built by multiboot.mk) check the
machine state, the magic, every information structure, the command line and
the module from inside, and exit QEMU with 33 (pass) or 35 (fail) through
isa-debug-exit; each boots on -M pc and -M q35. Build-time tests check the
protocol choice and refusals, with their messages. Real Multiboot kernels
from Debian packages (grub-invaders: Multiboot 1, its screen read back
through QMP; the Xen hypervisor: Multiboot 2, its COM1 log) are fetched with
apt-get download into build/multiboot-packages; without a network they are
skipped.

grub-invaders is judged by what only the game draws: its rows of invaders
("-*-" in cyan) and the player's ship ("_" over "/ \\" in magenta). A boot
sector that only spins (tests/harness/spin.asm), its screen full of the
BIOS's text, shows that the oracle says "not the game" for it.

The harness (harness.py) prints "PASS name", "FAIL name: why" or "SKIP name:
why" per test, then "N passed, N failed, N skipped"; exits 1 when a test
failed. Python 3 standard library only.
"""

import glob
import gzip
import os
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness as h  # noqa: E402


def build(args, kernel, image, *flags):
    return subprocess.run([os.path.join(args.build, "mkbootimg"), *flags, "-o", image, kernel],
                          capture_output=True, text=True)


def boot_check(args, test, tmp):
    kernel = os.path.join(args.kernels, test.kernel)
    image = os.path.join(tmp, "%s-%s.img" % (test.kernel, test.machine))
    r = build(args, kernel, image, "--cmdline", "a=1 b=two",
              "--module", os.path.join(args.kernels, "module.txt") + "=m=1")
    if r.returncode != 0:
        raise h.Failure("mkbootimg failed: " + r.stderr.strip())
    h.boot_verdict(args, h.Qemu(args, tmp, machine=test.machine, image=image))


def expect_refusal(args, tmp, kernel, flags, message):
    """mkbootimg refuses kernel with flags: exit 1, stderr exactly "mkbootimg: KERNEL: message"."""
    r = build(args, kernel, os.path.join(tmp, "refused.img"), *flags)
    want = "mkbootimg: %s: %s\n" % (kernel, message)
    if r.returncode != 1 or r.stderr != want:
        raise h.Failure("expected status 1 and %r, got status %d and %r" % (want, r.returncode, r.stderr))


def test_protocol_choice(args, test, tmp):
    k1 = os.path.join(args.kernels, "mbcheck1.elf")
    k2 = os.path.join(args.kernels, "mbcheck2.elf")
    expect_refusal(args, tmp, k2, ["--protocol", "multiboot1"],
                   "--protocol multiboot1: no Multiboot 1 header (magic, alignment and checksum) in the first 8 KiB")
    expect_refusal(args, tmp, k1, ["--protocol", "native"],
                   "ELF class is 32-bit (ELFCLASS32), not 64-bit: build the kernel with -m64 (gcc, clang; "
                   "ld -m elf_x86_64), or give it a Multiboot header, with which mkbootimg boots 32-bit kernels")
    r = build(args, k1, os.path.join(tmp, "v.img"), "-v")
    if "Multiboot 1 kernel" not in r.stderr:
        raise h.Failure("-v does not say Multiboot 1: " + r.stderr)
    # Both headers: Multiboot 2 wins. The Multiboot 1 header of mbcheck1 copied
    # into mbcheck2's padding would move code; instead put an MB1 header into
    # the MB2 kernel's first 8 KiB where the ELF has zero padding, 4-byte
    # aligned as the specification wants.
    with open(k2, "rb") as f:
        data = bytearray(f.read())
    hdr = (0x1BADB002).to_bytes(4, "little") + (0).to_bytes(4, "little") + \
        ((-0x1BADB002) & 0xFFFFFFFF).to_bytes(4, "little")
    zeros = data.find(b"\0" * 64, 0x40, 8192)
    if zeros < 0:
        raise h.Failure("mbcheck2.elf has no 64 zero bytes in its first 8 KiB for a Multiboot 1 header")
    spot = (zeros + 3) & ~3  # still inside the 64 zero bytes, and the header's 12 bytes too
    data[spot:spot + 12] = hdr
    both = os.path.join(tmp, "both.elf")
    with open(both, "wb") as f:
        f.write(data)
    r = build(args, both, os.path.join(tmp, "both.img"), "-v")
    if r.returncode != 0 or "Multiboot 2 kernel" not in r.stderr:
        raise h.Failure("a kernel with both headers is not Multiboot 2: " + r.stderr)
    r = build(args, both, os.path.join(tmp, "both1.img"), "-v", "--protocol", "multiboot1")
    if r.returncode != 0 or "Multiboot 1 kernel" not in r.stderr:
        raise h.Failure("--protocol multiboot1 not honoured: " + r.stderr)


def test_required_tag(args, test, tmp):
    """An information request for APM (type 10), not optional: refused, named."""
    with open(os.path.join(args.kernels, "mbcheck2.elf"), "rb") as f:
        data = bytearray(f.read())
    at = data.find((0xE85250D6).to_bytes(4, "little"))
    tag = at + 16
    if int.from_bytes(data[tag:tag + 2], "little") != 1:
        raise h.Failure("mbcheck2.elf's first tag is not an information request")
    data[tag + 8:tag + 12] = (10).to_bytes(4, "little")
    kernel = os.path.join(tmp, "apm.elf")
    with open(kernel, "wb") as f:
        f.write(data)
    expect_refusal(args, tmp, kernel, [], "Multiboot 2 header: the information request tag requires type 10 "
                   "(APM table), which mkbootimg's BIOS loader cannot give")
    data[tag + 2:tag + 4] = (1).to_bytes(2, "little")  # optional: accepted
    with open(kernel, "wb") as f:
        f.write(data)
    r = build(args, kernel, os.path.join(tmp, "apm.img"))
    if r.returncode != 0:
        raise h.Failure("an optional request was refused: " + r.stderr)


def fetch(args, package, member):
    """Extract package into build/multiboot-packages (once per run) and return member's path."""
    def get(_):
        root = os.path.join(args.build, "multiboot-packages")
        dest = os.path.join(root, package)
        path = os.path.join(dest, member)
        if os.path.exists(path):
            return path
        os.makedirs(root, exist_ok=True)
        if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
            raise h.Skip("network", "apt-get or dpkg-deb missing")
        try:
            r = subprocess.run(["apt-get", "download", package], cwd=root, capture_output=True,
                               text=True, timeout=120)
        except subprocess.TimeoutExpired:
            raise h.Skip("network", "apt-get download %s timed out (no network?)" % package)
        debs = glob.glob(os.path.join(root, package + "_*.deb"))
        if r.returncode != 0 or not debs:
            raise h.Skip("network", "apt-get download %s failed (no network?): %s"
                         % (package, r.stderr.strip()[-200:]))
        subprocess.run(["dpkg-deb", "-x", debs[0], dest], check=True)
        if not os.path.exists(path):
            raise h.Failure("%s has no %s" % (package, member))
        return path
    return h.shared("package " + package, get)


# ---- grub-invaders: what only the game draws ----

INVADER = b"-*-"
INVADER_COLOUR = 0x03  # cyan on black
SHIP_COLOUR = 0x05  # magenta on black


def invaders_problem(cells):
    """None when the VGA text cells (character, attribute, ...) show
    grub-invaders' game: at least 20 invaders "-*-" in cyan, the ship, "_"
    over "/ \\" in magenta, and no message of the loader; else what is wrong."""
    chars, attrs = cells[0::2], cells[1::2]
    invaders = 0
    ship = False
    for row in range(25):
        c, a = chars[row * 80:(row + 1) * 80], attrs[row * 80:(row + 1) * 80]
        for col in range(78):
            if c[col:col + 3] == INVADER and all(x == INVADER_COLOUR for x in a[col:col + 3]):
                invaders += 1
            if row > 0 and (c[col], c[col + 2], a[col], a[col + 2]) == (ord("/"), ord("\\"), SHIP_COLOUR, SHIP_COLOUR) \
                    and (chars[(row - 1) * 80 + col + 1], attrs[(row - 1) * 80 + col + 1]) == (ord("_"), SHIP_COLOUR):
                ship = True
    if b"mkbootimg" in chars:
        return "the loader's message (mkbootimg: ...) is on the screen"
    if invaders < 20:
        return "%d cyan invaders (-*-) on the screen, not 20 or more" % invaders
    if not ship:
        return "no ship (_ over / \\ in magenta) on the screen"
    return None


def watch_invaders(args, qemu, seconds):
    """Poll the screen for `seconds`: (None, screen) as soon as the oracle
    sees the game, else (its last answer, the last screen)."""
    deadline = time.monotonic() + seconds
    problem, screen = "no screen read (QEMU gone?)", []
    while time.monotonic() < deadline:
        cells = qemu.cells()
        if cells is None:
            break
        screen = h.screen_lines(cells)
        problem = invaders_problem(cells)
        if problem is None:
            break
        time.sleep(0.25)
    return problem, screen


def test_grub_invaders(args, test, tmp):
    kernel = fetch(args, "grub-invaders", "boot/invaders.exec")
    image = os.path.join(tmp, "invaders-%s.img" % test.machine)
    r = build(args, kernel, image)
    if r.returncode != 0:
        raise h.Failure("mkbootimg failed: " + r.stderr.strip())
    qemu = h.Qemu(args, tmp, machine=test.machine, memory="64M", image=image)
    problem, screen = watch_invaders(args, qemu, args.timeout)
    if problem is not None:
        qemu.fail("the screen is not grub-invaders' game: " + problem, screen)
    qemu.stop()


def test_oracle_refuses_spin(args, test, tmp):
    """The grub-invaders oracle on a boot sector that only spins: the BIOS's
    text fills the screen, and the oracle must not take it for the game."""
    if not os.path.exists(args.spin):
        raise h.Failure("%s not found: build it with make check-multiboot" % args.spin)
    qemu = h.Qemu(args, tmp, machine="q35", memory="64M", image=args.spin)
    deadline = time.monotonic() + args.timeout
    screen = []
    while time.monotonic() < deadline and not h.contains(screen, "Booting from Hard Disk"):
        screen = qemu.screen() or []
        time.sleep(0.1)
    if not h.contains(screen, "Booting from Hard Disk"):
        qemu.fail("the BIOS's text never came: this test would prove nothing", screen)
    drawn = sum(1 for line in screen for ch in line if ch != " ")
    if drawn < 50:
        qemu.fail("only %d cells drawn on the spinning sector's screen: not the screen this test wants" % drawn,
                  screen)
    # As long as the game gets to show itself, with the screen read as often.
    problem, screen = watch_invaders(args, qemu, 5)
    if problem is None:
        qemu.fail("the oracle takes a spinning boot sector's screen for grub-invaders", screen)
    qemu.stop()


def test_xen(args, test, tmp):
    gz = fetch(args, "xen-hypervisor-4.17-amd64", "boot/xen-4.17-amd64.gz")
    kernel = os.path.join(tmp, "xen.elf")
    with gzip.open(gz) as src, open(kernel, "wb") as dst:
        shutil.copyfileobj(src, dst)
    image = os.path.join(tmp, "xen-%s.img" % test.machine)
    r = build(args, kernel, image, "--cmdline", "console=com1 com1=115200,8n1")
    if r.returncode != 0:
        raise h.Failure("mkbootimg failed: " + r.stderr.strip())
    # Xen asks to keep EFI boot services (Multiboot 2 tag 7), which the UEFI loader ends.
    if "asks to keep EFI boot services" not in r.stderr:
        raise h.Failure("no warning that Xen stops on UEFI: " + r.stderr.strip())
    qemu = h.Qemu(args, tmp, machine=test.machine, memory="512M", image=image)
    # Xen drops the first word (our file name) as from any loader but GRUB 2.
    want = ["(XEN) Command line: console=com1 com1=115200,8n1", "Bootloader: mkbootimg",
            "dom0 kernel not specified"]
    deadline = time.monotonic() + max(args.timeout, 60)
    while time.monotonic() < deadline and qemu.wait(0.2) is None:
        if all(w in qemu.com1() for w in want):
            break
    log = qemu.com1()
    missing = [w for w in want if w not in log]
    if missing:
        qemu.fail("Xen's log lacks %s" % missing)
    qemu.stop()


def all_tests(args):
    tests = []
    for name in ("mbcheck1.elf", "mbcheck2.elf", "mbcheck1-elf64.elf64", "mbcheck1-aout.bin"):
        for m in h.MACHINES:
            tests.append(h.Test("multiboot-boot-%s-%s" % (name, m), boot_check, kernel=name, machine=m))
    tests.append(h.Test("multiboot-protocol-choice", test_protocol_choice))
    tests.append(h.Test("multiboot-required-tag-refused", test_required_tag))
    for m in h.MACHINES:
        tests.append(h.Test("multiboot-grub-invaders-%s" % m, test_grub_invaders, machine=m))
    tests.append(h.Test("multiboot-grub-invaders-oracle-refuses-a-spinning-boot-sector", test_oracle_refuses_spin))
    tests.append(h.Test("multiboot2-xen-q35", test_xen, machine="q35"))
    return tests


def main():
    parser = h.parser(__doc__)
    parser.add_argument("--build", default="build")
    parser.add_argument("--kernels", default="build/tests/kernels/multiboot")
    parser.add_argument("--spin", default="build/tests/harness/spin.img",
                        help="a boot sector that only spins (tests/harness/spin.asm)")
    args = parser.parse_args()
    return h.main(args, all_tests(args), "multiboot tests")


if __name__ == "__main__":
    sys.exit(main())
