#!/usr/bin/env python3
"""mkbootimg against bad paths and bad environments: each must give a clear
one-line message on standard error ("mkbootimg: ..."), exit 1, and leave
nothing half-written: no output, no temporary file beside it, an existing
output untouched, the kernel untouched. The same for kernels linked the
wrong way by the host's toolchain (linked-*: each message says what to do),
and for damaged images given to info; build-warnings checks the warnings a
build prints on stderr, and -q.

The harness (harness.py) prints "PASS name" / "FAIL name: why" / "SKIP name:
why" per case, then "N passed, N failed, N skipped". Exits 1 when a case
failed. Python 3 standard library only. Some cases need root (mounting a
small or read-only tmpfs); they are skipped when mounting is not allowed.
"""

import json
import os
import shutil
import stat
import struct
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness as h  # noqa: E402
from harness import Failure  # noqa: E402

ARGS = None


def mkbootimg(*arguments, timeout=20, env=None):
    try:
        return subprocess.run([ARGS.mkbootimg] + list(arguments), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                              universal_newlines=True, env=env)
    except subprocess.TimeoutExpired:
        raise Failure("no answer within %d s (it waits on something)" % timeout)


def listing(folder):
    try:
        return sorted(os.listdir(folder))
    except OSError:
        return []


def refused(result, *words, folder=None, before=None):
    """Exit 1, one line on stderr starting with 'mkbootimg: ' and holding words; folder as before."""
    err = result.stderr.strip()
    if result.returncode != 1:
        raise Failure("exit %d, not 1 (stderr: %r)" % (result.returncode, err))
    if not err.startswith("mkbootimg: ") or "\n" in err:
        raise Failure("stderr is not one 'mkbootimg: ' line: %r" % err)
    for w in words:
        if w.lower() not in err.lower():
            raise Failure("the message does not say %r: %r" % (w, err))
    if "Sanitizer" in result.stderr or "runtime error" in result.stderr:
        raise Failure("sanitizer report: %r" % result.stderr)
    if folder is not None and listing(folder) != (before or []):
        raise Failure("the folder changed: %s -> %s" % (before or [], listing(folder)))


def mount_tmpfs(where, options):
    if os.geteuid() != 0:
        raise h.Skip("root", "needs root to mount a tmpfs")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "mkb-badpaths", where],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    if r.returncode != 0:
        raise h.Skip("mount", "cannot mount a tmpfs here: %s" % r.stdout.strip())


def umount(where):
    subprocess.run(["umount", where], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# ---- The cases: each gets a fresh folder t and the kernel's path there ----

def missing_folder(t, k):
    out = os.path.join(t, "missing", "out.img")
    refused(mkbootimg("-o", out, k), out + ": cannot create a temporary file beside it: No such file or directory",
            folder=t, before=listing(t))


def output_is_input(t, k):
    before, data = listing(t), open(k, "rb").read()
    refused(mkbootimg("-o", k, k), k + ": the output would replace the kernel", folder=t, before=before)
    if open(k, "rb").read() != data:
        raise Failure("the kernel was changed")


def output_is_input_symlink(t, k):
    os.symlink(os.path.basename(k), os.path.join(t, "link.img"))
    before, data = listing(t), open(k, "rb").read()
    refused(mkbootimg("-o", os.path.join(t, "link.img"), k), "link.img: the output would replace the kernel",
            folder=t, before=before)
    if open(k, "rb").read() != data:
        raise Failure("the kernel was changed")


def output_is_input_hardlink(t, k):
    os.link(k, os.path.join(t, "hard.img"))
    before = listing(t)
    refused(mkbootimg("-o", os.path.join(t, "hard.img"), k), "hard.img: the output would replace the kernel",
            folder=t, before=before)


def output_is_folder(t, k):
    os.mkdir(os.path.join(t, "dir"))
    refused(mkbootimg("-o", os.path.join(t, "dir"), k), os.path.join(t, "dir") + ": exists and is not a regular file",
            folder=t, before=listing(t))


def output_dev_full(t, k):
    refused(mkbootimg("-o", "/dev/full", k), "mkbootimg: /dev/full: exists and is not a regular file")
    if not stat.S_ISCHR(os.stat("/dev/full").st_mode):
        raise Failure("/dev/full is no longer a device")


def output_readonly_folder(t, k):
    ro = os.path.join(t, "ro")
    os.mkdir(ro)
    if os.geteuid() == 0:
        mount_tmpfs(ro, "ro,size=1m")
    else:
        os.chmod(ro, 0o555)
    try:
        refused(mkbootimg("-o", os.path.join(ro, "out.img"), k), os.path.join(ro, "out.img") +
                ": cannot create a temporary file beside it: " +
                ("Read-only file system" if os.geteuid() == 0 else "Permission denied"), folder=ro, before=[])
    finally:
        if os.geteuid() == 0:
            umount(ro)
        else:
            os.chmod(ro, 0o755)


def output_full_filesystem(t, k):
    small = os.path.join(t, "small")
    os.mkdir(small)
    mount_tmpfs(small, "size=8k")
    try:
        refused(mkbootimg("-o", os.path.join(small, "out.img"), k),
                os.path.join(small, "out.img") + ": write: No space left on device", folder=small, before=[])
    finally:
        umount(small)


def existing_output_kept(t, k):
    out = os.path.join(t, "out.img")
    with open(out, "wb") as f:
        f.write(b"the old image")
    bad = os.path.join(t, "bad.elf")
    with open(bad, "wb") as f:
        f.write(open(k, "rb").read()[:100])
    before = listing(t)
    refused(mkbootimg("-o", out, bad), bad + ": program header table", "lies outside the file (0x64 bytes)",
            folder=t, before=before)
    if open(out, "rb").read() != b"the old image":
        raise Failure("the existing output was changed")


def input_missing(t, k):
    missing = os.path.join(t, "missing.elf")
    refused(mkbootimg("-o", os.path.join(t, "out.img"), missing), missing + ": No such file or directory",
            folder=t, before=listing(t))


def input_folder(t, k):
    refused(mkbootimg("-o", os.path.join(t, "out.img"), t), "mkbootimg: %s: not a regular file" % t,
            folder=t, before=listing(t))


def input_fifo(t, k):
    fifo = os.path.join(t, "fifo")
    os.mkfifo(fifo)
    refused(mkbootimg("-o", os.path.join(t, "out.img"), fifo, timeout=10), fifo + ": not a regular file",
            folder=t, before=listing(t))


def input_device(t, k):
    refused(mkbootimg("-o", os.path.join(t, "out.img"), "/dev/zero"), "mkbootimg: /dev/zero: not a regular file",
            folder=t, before=listing(t))


def input_empty(t, k):
    empty = os.path.join(t, "empty.elf")
    open(empty, "wb").close()
    refused(mkbootimg("-o", os.path.join(t, "out.img"), empty), empty + ": not an ELF file", folder=t,
            before=listing(t))


def input_truncated(t, k):
    data = open(k, "rb").read()
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for n in (4, 63, 64, 120, len(data) // 2, len(data) - 1):
        # What is cut off: the ELF header, the program headers, or a segment's bytes.
        if n < 64:
            said = ("not an ELF file",)
        elif n < phoff + phnum * phentsize:
            said = ("program header table (offset %#x, %d entries) lies outside the file (%#x bytes)"
                    % (phoff, phnum, n),)
        else:
            said = ("segment ", "lie outside the file (%#x bytes)" % n)
        cut = os.path.join(t, "cut.elf")
        with open(cut, "wb") as f:
            f.write(data[:n])
        before = listing(t)
        r = mkbootimg("-o", os.path.join(t, "out.img"), cut)
        if r.returncode == 0 and n >= len(data) - 1:
            os.unlink(os.path.join(t, "out.img"))  # a kernel that does not need its last byte
            continue
        refused(r, cut + ": " + said[0], *said[1:], folder=t, before=before)


def input_garbage(t, k):
    garbage = os.path.join(t, "garbage.elf")
    for seed in range(8):
        data = bytes((i * 2654435761 + seed * 97) >> 7 & 0xFF for i in range(4096))
        if seed % 2:
            data = b"\x7fELF\x02\x01\x01" + data[7:]
        with open(garbage, "wb") as f:
            f.write(data)
        said = (": ELF machine is ", "not x86-64 (EM_X86_64 = 62)") if seed % 2 else (": not an ELF file",)
        refused(mkbootimg("-o", os.path.join(t, "out.img"), garbage), garbage + said[0], *said[1:],
                folder=t, before=listing(t))


def module_fifo(t, k):
    fifo = os.path.join(t, "fifo")
    os.mkfifo(fifo)
    refused(mkbootimg("--module", fifo, "-o", os.path.join(t, "out.img"), k, timeout=10),
            fifo + ": module is not a regular file", folder=t, before=listing(t))


def module_folder(t, k):
    refused(mkbootimg("--module", t, "-o", os.path.join(t, "out.img"), k), "mkbootimg: %s: module is not a "
            "regular file" % t, folder=t, before=listing(t))


def module_missing(t, k):
    refused(mkbootimg("--module", os.path.join(t, "nope.bin"), "-o", os.path.join(t, "out.img"), k),
            os.path.join(t, "nope.bin") + ": cannot open module: No such file or directory",
            folder=t, before=listing(t))


def run_fifo(t, k):
    fifo = os.path.join(t, "fifo")
    os.mkfifo(fifo)
    refused(mkbootimg("run", "--dry-run", fifo, timeout=10), fifo + ": not a regular file or a block device",
            folder=t, before=listing(t))


def kernel_changes(t, k):
    """A writer rewrites the kernel (same size, other bytes) while mkbootimg runs, many
    times: each run either succeeds with an image of one of the two kernels, or is
    refused with nothing left behind."""
    if not ARGS.big_kernel:
        raise Failure("%s not found (make check-badpaths builds it)" % ARGS.big_kernel_given)
    a = open(ARGS.big_kernel, "rb").read()
    b = bytearray(a)
    b[len(b) // 2] ^= 0xFF  # inside the kernel's data: another checksum
    kernel = os.path.join(t, "kernel.elf")
    out = os.path.join(t, "out.img")
    images = []
    for data in (a, bytes(b)):
        with open(kernel, "wb") as f:
            f.write(data)
        if mkbootimg("-o", out, kernel).returncode != 0:
            raise Failure("cannot build the reference image")
        images.append(open(out, "rb").read())
        os.unlink(out)
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set():
            with open(kernel, "r+b") as f:
                f.write(a if i % 2 else b)
            i += 1
            time.sleep(0.0005)
    thread = threading.Thread(target=writer)
    thread.start()
    refusals = 0
    try:
        for _ in range(ARGS.change_runs):
            r = mkbootimg("-o", out, kernel)
            if r.returncode == 0:
                if open(out, "rb").read() not in images:
                    raise Failure("an image of neither kernel was written")
                os.unlink(out)
            else:
                refused(r, kernel + ": the kernel changed while mkbootimg read it; run mkbootimg again",
                        folder=t, before=["kernel.elf"])
                refusals += 1
    finally:
        stop.set()
        thread.join()
    print("  (%d of %d runs refused a changing kernel)" % (refusals, ARGS.change_runs))


# ---- Linker mistakes: tiny.S linked the wrong way by the host's toolchain ----

HERE = os.path.dirname(os.path.abspath(__file__))
TINY_S = os.path.join(HERE, "..", "kernels", "tiny.S")
TINY_LD = os.path.join(HERE, "..", "kernels", "tiny.ld")
# tiny.ld without its PHDRS: the linker then makes the segments a dynamic link needs.
HIGHER_HALF_LD = """ENTRY(_start)
SECTIONS { . = 0xffffffff80100000; .text : AT(0x100000) { *(.text.entry) *(.text .text.*) } }
"""
LINK_HINT = "link with -static -no-pie, or -static-pie for a relocatable kernel (mkbootimg " \
            "applies its relocations)"


def link(t, name, *flags, tool=None):
    """tiny.S built with cc and flags into t/name; Skip when this toolchain cannot
    (ld.lld missing: "clang"; the compiler lacking the support: "toolchain")."""
    out = os.path.join(t, name)
    command = [tool or ARGS.cc] + list(flags) + ["-o", out]
    try:
        r = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True, timeout=60)
    except OSError as e:
        raise h.Skip("clang" if tool else "toolchain", "%s: %s" % (command[0], e))
    if r.returncode != 0 or not os.path.exists(out):
        raise h.Skip("toolchain", "%s cannot link this here: %s" % (" ".join(command), r.stdout.strip()[-200:]))
    return out


def linked_pie(t, k):
    """gcc's default: a PIE with a dynamic loader, linked at 0, no linker script."""
    kernel = link(t, "pie.elf", "-nostdlib", "-pie", TINY_S)
    refused(mkbootimg("-o", os.path.join(t, "out.img"), kernel),
            "pie.elf: dynamically linked (PT_INTERP): " + LINK_HINT, folder=t, before=listing(t))


def linked_static_pie(t, k):
    """-static-pie: a relocatable kernel, placed at the default base (tests/integration/pie.py boots them)."""
    kernel = link(t, "spie.elf", "-nostdlib", "-static-pie", "-Wl,--build-id=none", TINY_S)
    r = mkbootimg("-o", os.path.join(t, "out.img"), kernel)
    if r.returncode != 0:
        raise Failure("a -static-pie kernel was refused: %s" % r.stderr.strip())


def linked_dynamic_higher_half(t, k):
    """-static forgotten: linked higher-half, but against libc.so, with a PT_INTERP."""
    script = os.path.join(t, "hh.ld")
    with open(script, "w") as f:
        f.write(HIGHER_HALF_LD)
    kernel = link(t, "dyn.elf", "-no-pie", "-nostartfiles", "-Wl,--build-id=none", "-Wl,--no-as-needed",
                  "-T", script, TINY_S, "-lc")
    refused(mkbootimg("-o", os.path.join(t, "out.img"), kernel),
            "dyn.elf: dynamically linked (PT_INTERP): " + LINK_HINT, folder=t, before=listing(t))


def linked_32bit(t, k):
    kernel = link(t, "k32.elf", "-m32", "-nostdlib", "-static", "-no-pie", "-Wl,--build-id=none", TINY_S)
    refused(mkbootimg("-o", os.path.join(t, "out.img"), kernel), "k32.elf: ELF class is 32-bit",
            "-m64", "Multiboot header", folder=t, before=listing(t))


def linked_missing_entry(t, k):
    """ENTRY() names no symbol: ld.lld leaves the entry point 0."""
    script = os.path.join(t, "missing.ld")
    with open(TINY_LD) as f:
        text = f.read()
    with open(script, "w") as f:
        f.write(text.replace("ENTRY(_start)", "ENTRY(kmain)"))
    obj = link(t, "tiny.o", "-c", TINY_S)
    kernel = link(t, "lld.elf", "-T", script, obj, tool=ARGS.ld_lld)
    refused(mkbootimg("-o", os.path.join(t, "out.img"), kernel),
            "lld.elf: entry point is 0, in no PT_LOAD segment", "ENTRY()", "-e", "_start",
            folder=t, before=listing(t))


def linked_garbage_entry(t, k):
    """-e with an address where nothing is loaded."""
    kernel = link(t, "e.elf", "-nostdlib", "-static", "-no-pie", "-Wl,--build-id=none", "-Wl,-e,0x1234567",
                  "-T", TINY_LD, TINY_S)
    refused(mkbootimg("-o", os.path.join(t, "out.img"), kernel),
            "e.elf: entry point 0x1234567 is outside every PT_LOAD segment", "ENTRY()",
            "garbage-collected", folder=t, before=listing(t))


def build_warnings(t, k):
    """info's warnings on stderr when an image is built, and none with -q."""
    script = os.path.join(t, "rwx.ld")
    with open(TINY_LD) as f:
        text = f.read()
    with open(script, "w") as f:
        f.write(text.replace("FLAGS(5)", "FLAGS(7)"))
    kernel = link(t, "rwx.elf", "-nostdlib", "-static", "-no-pie", "-Wl,--build-id=none",
                  "-Wl,--no-warn-rwx-segments", "-T", script, TINY_S)
    out = os.path.join(t, "out.img")
    r = mkbootimg("-o", out, kernel)
    want = "mkbootimg: %s: warning: segment 0 is writable and executable" % kernel
    if r.returncode != 0 or not r.stderr.startswith(want) or not os.path.exists(out):
        raise Failure("exit %d, stderr %r" % (r.returncode, r.stderr))
    info = mkbootimg("info", kernel)
    if "  warning: segment 0 is writable and executable" not in info.stdout:
        raise Failure("info does not give the same warning: %r" % info.stdout)
    for quiet in ("-q", "--quiet"):
        r = mkbootimg(quiet, "-o", out, kernel)
        if r.returncode != 0 or r.stderr != "":
            raise Failure("%s: exit %d, stderr %r" % (quiet, r.returncode, r.stderr))


def info_damaged(t, k):
    """info calls a damaged image damaged: exit 1 and one line on stderr, its report on stdout."""
    img = os.path.join(t, "disk.img")
    if mkbootimg("-o", img, k).returncode != 0:
        raise Failure("cannot build the image")
    data = bytearray(open(img, "rb").read())
    payload = json.loads(mkbootimg("info", "--json", img).stdout)["payload_lba"] * 512
    data[payload + 3] ^= 0xFF
    bad = os.path.join(t, "bad.img")
    with open(bad, "wb") as f:
        f.write(data)
    r = mkbootimg("info", bad)
    refused(r, bad + ": the payload checksum does not match: the loader will refuse to boot it")
    if "DOES NOT MATCH" not in r.stdout:
        raise Failure("no report on stdout: %r" % r.stdout)
    with open(bad, "wb") as f:
        f.write(data[:payload + 512])
    # The payload's one sector is still there, with the byte flipped: both.
    refused(mkbootimg("info", bad), bad + ": the file is shorter than the image the manifest describes; the "
            "payload checksum does not match: the loader will refuse to boot it")


def bad_environment_tmpdir(t, k):
    """Building an image with TMPDIR pointing nowhere: it needs no TMPDIR."""
    env = dict(os.environ, TMPDIR=os.path.join(t, "missing"))
    r = mkbootimg("-o", os.path.join(t, "out.img"), k, env=env)
    if r.returncode != 0:
        raise Failure("building an image needs no TMPDIR: exit %d %r" % (r.returncode, r.stderr))


CASES = [missing_folder, output_is_input, output_is_input_symlink, output_is_input_hardlink, output_is_folder,
         output_dev_full, output_readonly_folder, output_full_filesystem, existing_output_kept, input_missing,
         input_folder, input_fifo, input_device, input_empty, input_truncated, input_garbage, module_fifo,
         module_folder, module_missing, run_fifo, kernel_changes, bad_environment_tmpdir, linked_pie,
         linked_static_pie, linked_dynamic_higher_half, linked_32bit, linked_missing_entry, linked_garbage_entry,
         build_warnings, info_damaged]


def case_test(case):
    """The harness's test of a case: case(t, k) with t its folder and k a copy of the kernel there."""
    def run(args, test, tmp):
        k = os.path.join(tmp, "kernel.elf")
        shutil.copyfile(args.kernel, k)
        case(tmp, k)
    return h.Test(case.__name__.replace("_", "-"), run)


def main():
    global ARGS
    parser = h.parser(__doc__)
    parser.add_argument("--mkbootimg", default="build/mkbootimg")
    parser.add_argument("--kernel", default="build/tests/kernels/tiny.elf", help="a small valid kernel")
    parser.add_argument("--big-kernel", default="build/tests/kernels/entry-check-higher-half.elf",
                        help="a kernel large enough to change while it is read")
    parser.add_argument("--change-runs", type=int, default=30)
    parser.add_argument("--cc", default=os.environ.get("CC") or "cc",
                        help="the compiler that links tiny.S the wrong ways (linked-* cases)")
    parser.add_argument("--ld-lld", default="ld.lld")
    args = ARGS = parser.parse_args()
    args.mkbootimg = os.path.abspath(args.mkbootimg)
    args.big_kernel_given = args.big_kernel
    if args.big_kernel and not os.path.exists(args.big_kernel):
        args.big_kernel = None
    return h.main(args, [case_test(case) for case in CASES], "bad paths", prefix="badpaths/", needs_qemu=False)


if __name__ == "__main__":
    sys.exit(main())
