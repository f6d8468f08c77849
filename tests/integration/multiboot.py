#!/usr/bin/env python3
"""mkbootimg Multiboot tests.

Test kernels (tests/kernels/multiboot/, built by multiboot.mk) check the
machine state, the magic, every information structure, the command line and
the module from inside, and exit QEMU with 33 (pass) or 35 (fail) through
isa-debug-exit; each boots on -M pc and -M q35. Build-time tests check the
protocol choice and refusals. Real Multiboot kernels from Debian packages
(grub-invaders: Multiboot 1, its screen read back through QMP; the Xen
hypervisor: Multiboot 2, its COM1 log) are fetched with apt-get download into
build/multiboot-packages and skipped when that fails.

Prints "PASS name", "FAIL name: why" or "SKIP name: why" per test, then
"N passed, N failed[, N skipped]"; exits 1 when a test failed.
Python 3 standard library only.
"""

import argparse
import concurrent.futures
import glob
import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

EXIT_PASS = 33
MACHINES = ("pc", "q35")


class Skip(Exception):
    pass


class Failure(Exception):
    pass


def qemu(image, machine, extra=(), timeout=30, memory="256M"):
    cmd = ["qemu-system-x86_64", "-M", machine, "-m", memory, "-display", "none",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-no-reboot",
           "-drive", f"file={image},format=raw", "-serial", "stdio", *extra]
    try:
        r = subprocess.run(cmd, capture_output=True, stdin=subprocess.DEVNULL, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return None, (e.stdout or b"").decode(errors="replace")
    return r.returncode, r.stdout.decode(errors="replace")


def build(args, kernel, image, *flags):
    return subprocess.run([os.path.join(args.build, "mkbootimg"), *flags, "-o", image, kernel],
                          capture_output=True, text=True)


def boot_check(args, tmp, name, machine):
    kernel = os.path.join(args.kernels, name)
    image = os.path.join(tmp, f"{name}-{machine}.img")
    r = build(args, kernel, image, "--cmdline", "a=1 b=two",
              "--module", os.path.join(args.kernels, "module.txt") + "=m=1")
    if r.returncode != 0:
        raise Failure("mkbootimg failed: " + r.stderr.strip())
    status, log = qemu(image, machine)
    if status != EXIT_PASS:
        raise Failure(f"QEMU exit status {status}, not {EXIT_PASS}\n{log}")


def expect_refusal(args, tmp, kernel, flags, text):
    r = build(args, kernel, os.path.join(tmp, "refused.img"), *flags)
    if r.returncode == 0 or text not in r.stderr:
        raise Failure(f"expected a refusal naming {text!r}, got status {r.returncode}: {r.stderr.strip()}")


def test_protocol_choice(args, tmp):
    k1 = os.path.join(args.kernels, "mbcheck1.elf")
    k2 = os.path.join(args.kernels, "mbcheck2.elf")
    expect_refusal(args, tmp, k2, ["--protocol", "multiboot1"], "no Multiboot 1 header")
    expect_refusal(args, tmp, k1, ["--protocol", "native"], "not 64-bit")
    r = build(args, k1, os.path.join(tmp, "v.img"), "-v")
    if "Multiboot 1 kernel" not in r.stderr:
        raise Failure("-v does not say Multiboot 1: " + r.stderr)
    # Both headers: Multiboot 2 wins. The Multiboot 1 header of mbcheck1 copied
    # into mbcheck2's padding would move code; instead append an MB1 header to
    # the MB2 kernel's first 8 KiB where the ELF has zero padding.
    data = bytearray(open(k2, "rb").read())
    hdr = (0x1BADB002).to_bytes(4, "little") + (0).to_bytes(4, "little") + \
        ((-0x1BADB002) & 0xFFFFFFFF).to_bytes(4, "little")
    spot = data.find(b"\0" * 64, 0x40, 8192)
    spot = (spot + 3) & ~3
    if spot < 0 or spot + 12 > 8192:
        raise Skip("no zero padding in the first 8 KiB")
    data[spot:spot + 12] = hdr
    both = os.path.join(tmp, "both.elf")
    open(both, "wb").write(data)
    r = build(args, both, os.path.join(tmp, "both.img"), "-v")
    if r.returncode != 0 or "Multiboot 2 kernel" not in r.stderr:
        raise Failure("a kernel with both headers is not Multiboot 2: " + r.stderr)
    r = build(args, both, os.path.join(tmp, "both1.img"), "-v", "--protocol", "multiboot1")
    if r.returncode != 0 or "Multiboot 1 kernel" not in r.stderr:
        raise Failure("--protocol multiboot1 not honoured: " + r.stderr)


def test_required_tag(args, tmp):
    """An information request for APM (type 10), not optional: refused, named."""
    data = bytearray(open(os.path.join(args.kernels, "mbcheck2.elf"), "rb").read())
    at = data.find((0xE85250D6).to_bytes(4, "little"))
    tag = at + 16
    assert int.from_bytes(data[tag:tag + 2], "little") == 1
    data[tag + 8:tag + 12] = (10).to_bytes(4, "little")
    kernel = os.path.join(tmp, "apm.elf")
    open(kernel, "wb").write(data)
    expect_refusal(args, tmp, kernel, [], "type 10 (APM table)")
    data[tag + 2:tag + 4] = (1).to_bytes(2, "little")  # optional: accepted
    open(kernel, "wb").write(data)
    r = build(args, kernel, os.path.join(tmp, "apm.img"))
    if r.returncode != 0:
        raise Failure("an optional request was refused: " + r.stderr)


def fetch(args, package, member):
    """Extract package into build/multiboot-packages and return member's path."""
    root = os.path.join(args.build, "multiboot-packages")
    dest = os.path.join(root, package)
    path = os.path.join(dest, member)
    if os.path.exists(path):
        return path
    os.makedirs(root, exist_ok=True)
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise Skip("apt-get or dpkg-deb missing")
    try:
        r = subprocess.run(["apt-get", "download", package], cwd=root, capture_output=True,
                           text=True, timeout=120)
    except subprocess.TimeoutExpired:
        raise Skip(f"apt-get download {package} timed out (no network?)")
    debs = glob.glob(os.path.join(root, package + "_*.deb"))
    if r.returncode != 0 or not debs:
        raise Skip(f"apt-get download {package} failed (no network?): {r.stderr.strip()[-200:]}")
    subprocess.run(["dpkg-deb", "-x", debs[0], dest], check=True)
    if not os.path.exists(path):
        raise Failure(f"{package} has no {member}")
    return path


def qmp_screen(sock_path, out):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(sock_path)
    f = s.makefile("rw")
    f.readline()
    for cmd in ({"execute": "qmp_capabilities"},
                {"execute": "pmemsave", "arguments": {"val": 0xB8000, "size": 4000, "filename": out}},
                {"execute": "quit"}):
        f.write(json.dumps(cmd) + "\n")
        f.flush()
        while True:
            line = f.readline()
            if not line or "return" in line or "error" in line:
                break
    s.close()


def test_grub_invaders(args, tmp, machine):
    kernel = fetch(args, "grub-invaders", "boot/invaders.exec")
    image = os.path.join(tmp, f"invaders-{machine}.img")
    r = build(args, kernel, image)
    if r.returncode != 0:
        raise Failure("mkbootimg failed: " + r.stderr.strip())
    sock = os.path.join(tmp, f"qmp-{machine}")
    screen = os.path.join(tmp, f"screen-{machine}.bin")
    p = subprocess.Popen(["qemu-system-x86_64", "-M", machine, "-m", "64M", "-display", "none",
                          "-drive", f"file={image},format=raw",
                          "-qmp", f"unix:{sock},server=on,wait=off"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(3)
        qmp_screen(sock, screen)
        p.wait(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    data = open(screen, "rb").read()
    text = "".join(chr(c) if 32 <= c < 127 else " " for c in data[0::2])
    rows = [text[i:i + 80] for i in range(0, 2000, 80)]
    # The invaders: rows of the same glyphs side by side, drawn by the game.
    drawn = sum(1 for c in data[0::2] if c not in (0, 32))
    if drawn < 50 or "mkbootimg" in text:
        raise Failure("the screen shows no invaders:\n" + "\n".join(rows))


def test_xen(args, tmp, machine):
    gz = fetch(args, "xen-hypervisor-4.17-amd64", "boot/xen-4.17-amd64.gz")
    kernel = os.path.join(tmp, "xen.elf")
    if not os.path.exists(kernel):
        with gzip.open(gz) as src, open(kernel, "wb") as dst:
            shutil.copyfileobj(src, dst)
    image = os.path.join(tmp, f"xen-{machine}.img")
    r = build(args, kernel, image, "--cmdline", "console=com1 com1=115200,8n1")
    if r.returncode != 0:
        raise Failure("mkbootimg failed: " + r.stderr.strip())
    status, log = qemu(image, machine, timeout=60, memory="512M")
    # Xen drops the first word (our file name) as from any loader but GRUB 2.
    want = ["(XEN) Command line: console=com1 com1=115200,8n1", "Bootloader: mkbootimg",
            "dom0 kernel not specified"]
    missing = [w for w in want if w not in log]
    if missing:
        raise Failure(f"Xen's log lacks {missing}:\n{log[-3000:]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--kernels", default="build/tests/kernels/multiboot")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="mkbootimg-multiboot-")
    tests = []
    for name in ("mbcheck1.elf", "mbcheck2.elf", "mbcheck1-elf64.elf64", "mbcheck1-aout.bin"):
        for m in MACHINES:
            tests.append((f"multiboot-boot-{name}-{m}", lambda n=name, m=m: boot_check(args, tmp, n, m)))
    tests.append(("multiboot-protocol-choice", lambda: test_protocol_choice(args, tmp)))
    tests.append(("multiboot-required-tag-refused", lambda: test_required_tag(args, tmp)))
    for m in MACHINES:
        tests.append((f"multiboot-grub-invaders-{m}", lambda m=m: test_grub_invaders(args, tmp, m)))
    tests.append(("multiboot2-xen-q35", lambda: test_xen(args, tmp, "q35")))
    passed = failed = skipped = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 4) as pool:
        futures = [(name, pool.submit(fn)) for name, fn in tests]
        for name, fut in futures:
            try:
                fut.result()
                print(f"PASS {name}", flush=True)
                passed += 1
            except Skip as e:
                print(f"SKIP {name}: {e}", flush=True)
                skipped += 1
            except Exception as e:  # noqa: BLE001 (a test's crash is its failure)
                print(f"FAIL {name}: {e}", flush=True)
                failed += 1
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
