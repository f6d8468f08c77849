#!/usr/bin/env python3
"""The image layouts of --firmware, checked with outside tools.

hybrid (the default) and uefi images must be GPT disks that gdisk calls
sound (sgdisk -v), with a BIOS boot partition or mkbootimg's payload
partition and an EFI system partition, whose FAT32 volume fsck.fat calls
clean and whose \\EFI\\BOOT\\BOOTX64.EFI mtools reads back byte for byte
equal to the loader the build made. bios images keep the MBR layout.

Needs sgdisk (gdisk), fsck.fat (dosfstools) and mdir/mcopy (mtools): make
deps installs them; without them the suite fails and says which is missing.
"""

import json
import os
import re
import shutil
import subprocess
import sys

import harness
from harness import Failure, Test

ESP_TYPE = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
BIOS_BOOT_TYPE = "21686148-6449-6E6F-744E-656564454649"
TOOLS = {"sgdisk": "gdisk", "fsck.fat": "dosfstools", "mdir": "mtools", "mcopy": "mtools"}


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def need_tools():
    for tool, package in TOOLS.items():
        if shutil.which(tool) is None:
            raise Failure("%s is not installed (package %s; make deps installs it)" % (tool, package))


def payload_type():
    with open(os.path.join(harness.REPO, "include/mkbootimg/image.h")) as f:
        return re.search(r'#define MKB_GPT_TYPE_PAYLOAD\s+"([0-9A-F-]+)"', f.read()).group(1)


def build(args, tmp, kernel, firmware=None, extra=()):
    image = os.path.join(tmp, "disk.img")
    cmd = [args.mkbootimg, "-q", "-o", image] + list(extra)
    if firmware:
        cmd += ["--firmware", firmware]
    r = run(cmd + [kernel])
    if r.returncode != 0:
        raise Failure("the build failed (%d)" % r.returncode, r.stderr)
    return image


def partition(image, number):
    """sgdisk -i: the partition's type GUID, first and last sector, name."""
    r = run(["sgdisk", "-i", str(number), image])
    info = {}
    for key, pattern in (("type", r"Partition GUID code: ([0-9A-F-]+)"),
                         ("first", r"First sector: (\d+)"), ("last", r"Last sector: (\d+)"),
                         ("name", r"Partition name: '(.*)'")):
        m = re.search(pattern, r.stdout)
        if m is None:
            raise Failure("sgdisk -i %d shows no %s" % (number, key), r.stdout + r.stderr)
        info[key] = m.group(1)
    return info


def check_gpt(image, first_type):
    r = run(["sgdisk", "-v", image])
    if r.returncode != 0 or "No problems found" not in r.stdout:
        raise Failure("sgdisk -v finds problems", r.stdout + r.stderr)
    p1, p2 = partition(image, 1), partition(image, 2)
    if p1["type"] != first_type or p1["name"] != "mkbootimg loader" or p1["first"] != "34":
        raise Failure("partition 1 is %s" % p1)
    if p2["type"] != ESP_TYPE or p2["name"] != "EFI system partition" or int(p2["first"]) % 2048:
        raise Failure("partition 2 is %s" % p2)
    return int(p2["first"]), int(p2["last"])


def check_esp(args, tmp, image, first, last):
    esp = os.path.join(tmp, "esp.img")
    with open(image, "rb") as src, open(esp, "wb") as dst:
        src.seek(first * 512)
        dst.write(src.read((last - first + 1) * 512))
    r = run(["fsck.fat", "-n", "-v", esp])
    if r.returncode != 0 or re.search(r"^(?!fsck.fat).*(differ|[Ww]arning|!)", r.stdout, re.M):
        raise Failure("fsck.fat -n finds problems (%d)" % r.returncode, r.stdout + r.stderr)
    m = re.search(r"(\d+) data clusters", r.stdout)
    if m is None or int(m.group(1)) < 65525 or "32 bit entries" not in r.stdout:
        raise Failure("not a FAT32 volume of at least 65,525 clusters", r.stdout)
    where = "%s@@%d" % (image, first * 512)
    r = run(["mdir", "-i", where, "::/EFI/BOOT"], env=dict(os.environ, MTOOLS_SKIP_CHECK="1"))
    if r.returncode != 0 or not re.search(r"^BOOTX64\s+EFI\s", r.stdout, re.M):
        raise Failure("mdir ::/EFI/BOOT lists no BOOTX64.EFI", r.stdout + r.stderr)
    copy = os.path.join(tmp, "BOOTX64.EFI")
    r = run(["mcopy", "-i", where, "::/EFI/BOOT/BOOTX64.EFI", copy])
    if r.returncode != 0:
        raise Failure("mcopy of BOOTX64.EFI failed", r.stderr)
    with open(copy, "rb") as a, open(args.efi, "rb") as b:
        if a.read() != b.read():
            raise Failure("BOOTX64.EFI in the ESP differs from %s" % args.efi)


def check_info(args, image, firmware):
    r = run([args.mkbootimg, "info", "--json", image])
    if r.returncode != 0:
        raise Failure("info calls the image damaged", r.stderr)
    j = json.loads(r.stdout)
    if j["firmware"] != firmware or len(j["partitions"]) != (0 if firmware == "bios" else 2):
        raise Failure("info says firmware %s, %d partitions" % (j["firmware"], len(j["partitions"])))


def kernel_of(args, test, tmp):
    """The test's kernel, and for "big" a 6 MiB module too: a multi-MiB payload."""
    if test.kernel == "big":
        module = os.path.join(tmp, "module.bin")
        with open(module, "wb") as f:
            f.write(os.urandom(6 * 1024 * 1024 + 123))
        return args.big, ["--module", module + "=data"]
    return args.tiny, []


def test_gpt_layout(args, test, tmp):
    need_tools()
    kernel, extra = kernel_of(args, test, tmp)
    image = build(args, tmp, kernel, test.firmware, extra)
    first, last = check_gpt(image, BIOS_BOOT_TYPE if test.firmware != "uefi" else payload_type())
    check_esp(args, tmp, image, first, last)
    check_info(args, image, test.firmware or "hybrid")


def test_bios_layout(args, test, tmp):
    image = build(args, tmp, args.tiny, "bios")
    with open(image, "rb") as f:
        head = f.read(1024)
    entry = head[0x1be:0x1ce]
    if entry[0] != 0x80 or entry[4] != 0xda or int.from_bytes(entry[8:12], "little") != 34:
        raise Failure("the MBR's partition entry is %s, not active 0xDA from LBA 34" % entry.hex())
    if head[512:520] == b"EFI PART" or os.path.getsize(image) % (16 * 63 * 512):
        raise Failure("a bios image has a GPT, or is not whole cylinders")
    check_info(args, image, "bios")


def test_sparse(args, test, tmp):
    image = build(args, tmp, args.tiny)
    st = os.stat(image)
    if st.st_size < 34 * 1024 * 1024 or st.st_blocks * 512 > 512 * 1024:
        raise Failure("%d bytes, %d of them allocated: the ESP's free space is not a hole"
                      % (st.st_size, st.st_blocks * 512))


def test_same_kernel_same_image(args, test, tmp):
    a = build(args, tmp, args.tiny)
    os.rename(a, a + ".1")
    b = build(args, tmp, args.tiny)
    with open(a + ".1", "rb") as x, open(b, "rb") as y:
        if x.read() != y.read():
            raise Failure("two builds of one kernel differ (GUIDs or volume ID not derived)")


def test_damaged_gpt(args, test, tmp):
    """A flipped bit in the GPT header: sgdisk and info agree it is damaged."""
    need_tools()
    image = build(args, tmp, args.tiny)
    with open(image, "r+b") as f:
        f.seek(512 + 40)
        b = f.read(1)
        f.seek(512 + 40)
        f.write(bytes([b[0] ^ 1]))
    r = run(["sgdisk", "-v", image])
    if "corrupt GPT" not in r.stdout:
        raise Failure("sgdisk -v does not call the GPT corrupt", r.stdout)
    r = run([args.mkbootimg, "info", image])
    why = harness.refusal(r.returncode, r.stderr, 1, "the GPT header at LBA 1 fails its CRC32")
    if why:
        raise Failure(why, r.stderr)


def test_uefi_runs_on_ovmf(args, test, tmp):
    """A uefi image has no BIOS loader: run boots it on OVMF by itself and says so.
    (What SeaBIOS shows for it, stage 1's message, is check-uefi's layout/uefi-not-on-seabios.)"""
    image = build(args, tmp, args.tiny, "uefi")
    r = run([args.mkbootimg, "run", "--test", "--accel", "tcg", "--headless", "--timeout", "60",
             image], timeout=90)
    if r.returncode != 0 or "firmware: UEFI (OVMF), as this image has no BIOS loader" not in r.stderr:
        raise Failure("run of a uefi image: status %d, want 0 and the note that OVMF boots it"
                      % r.returncode, r.stdout + r.stderr)


def test_iso_refused(args, test, tmp):
    out = os.path.join(tmp, "disk.iso")
    r = run([args.mkbootimg, "-o", out, args.tiny])
    why = harness.refusal(r.returncode, r.stderr, 1, "does not write ISO images (yet)", "-o NAME.img")
    if why:
        raise Failure(why, r.stderr)
    if os.listdir(tmp):
        raise Failure("something was written: %s" % os.listdir(tmp))


def tests():
    out = []
    for firmware in (None, "uefi"):
        for kernel in ("tiny", "big"):
            out.append(Test("gpt-%s-%s" % (firmware or "hybrid", kernel), test_gpt_layout,
                            firmware=firmware, kernel=kernel))
    out += [Test("bios-mbr", test_bios_layout), Test("sparse", test_sparse),
            Test("same-kernel-same-image", test_same_kernel_same_image),
            Test("damaged-gpt", test_damaged_gpt), Test("uefi-runs-on-ovmf", test_uefi_runs_on_ovmf),
            Test("iso-refused", test_iso_refused)]
    return out


def main():
    p = harness.parser(__doc__)
    p.add_argument("--mkbootimg", required=True)
    p.add_argument("--tiny", required=True, help="a small kernel")
    p.add_argument("--big", required=True, help="a kernel of some MiB")
    p.add_argument("--efi", required=True, help="the BOOTX64.EFI the tool embeds")
    args = p.parse_args()
    return harness.main(args, tests(), "layout", "layout/", needs_qemu=False)


if __name__ == "__main__":
    sys.exit(main())
