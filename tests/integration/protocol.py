"""Integration tests of boot protocol version 2 (mkbootimg-protocol(7)).

run.py imports this file and runs these tests in its pool, beside its own,
with the suites' harness (harness.py).

- modules/*: modules of 1, 3 000 001 and 0 bytes. entry-check-modules
  computes each module's CRC-32 and compares it with the command line
  "crc=..." (zlib.crc32 here), checks the module array and the MODULES
  memory type; this side compares the sizes and strings it prints. And a
  65th module, one more than the loader takes, is refused at build time.
- sample/*: the sample kernel's COM1 lines, exactly, with and without modules.
- framebuffer/*: --framebuffer, MKBOOTIMG_REQUEST_FRAMEBUFFER, the flag
  overriding the note, the closest mode below a request; QMP screendump
  shows the mode's size and the sample kernel's colour bars and grey ramp.
- rsdp/*: entry-check finds the RSDP where ACPI says, checksums good; 0
  when the machine has no ACPI.
- stack/*: a 1 MiB stack asked for by a note; entry-check writes all of it
  and reads its guard page, which must fault.
- notes/*: hand-written notes (tests/kernels/note.S) accepted or refused.
- header/*: include/mkbootimg/protocol.h as strict C99 and as C++.
"""

import os
import re
import shutil
import struct
import subprocess
import sys
import time
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness as h  # noqa: E402

REPO = h.REPO
MIB = 1 << 20
# The boot-information version protocol.h defines: the one the tool gives.
with open(os.path.join(REPO, "include/mkbootimg/protocol.h")) as f:
    INFO_VERSION = int(re.search(r"#define MKBOOTIMG_INFO_VERSION (\d+)", f.read()).group(1))

# ---- Files and images shared by several tests, made once per run ----

# The modules: (file name, bytes, string). Module 1's argument has a '=' in
# its string: only the first '=' ends the file name. Module 2 has no string.
def _make_modules(folder):
    big = bytes((i * 2654435761 >> 13) & 0xFF for i in range(3000001))
    modules = [("one.bin", b"\x5a", "one byte"),
               ("big.bin", big, "root=/dev/sda1 quiet"),
               ("empty.bin", b"", None)]
    flags = []
    for name, data, string in modules:
        path = os.path.join(folder, name)
        with open(path, "wb") as f:
            f.write(data)
        flags += ["--module", path if string is None else path + "=" + string]
    expected = ["module %d: %d bytes crc32 %08x string '%s'" % (i, len(data), zlib.crc32(data), string or "")
                for i, (name, data, string) in enumerate(modules)]
    crcs = ",".join("%08x" % zlib.crc32(data) for name, data, string in modules)
    return flags, expected, crcs


def modules():
    return h.shared("modules", _make_modules)


def mkbootimg(args, *arguments):
    return subprocess.run([args.mkbootimg] + list(arguments), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)


def kernel(args, name):
    path = os.path.join(args.images, name + ".elf")
    if not os.path.exists(path):
        raise h.Failure("%s not found: build it with make check-integration" % path)
    return path


def image(args, key, kernel_path, *flags):
    """An image of kernel_path built with flags, made once per run."""
    def make(folder):
        out = os.path.join(folder, key.replace("/", "-") + ".img")
        result = mkbootimg(args, *(list(flags) + ["-o", out, kernel_path]))
        return out, result
    out, result = h.shared("image " + key, make)
    if result.returncode != 0:
        raise h.Failure("mkbootimg %s failed (exit %d)" % (" ".join(flags), result.returncode),
                        h.indent("stderr", result.stderr))
    return out


# ---- Booting ----

def boot(args, test, tmp, image_path, until=None, extra=()):
    """Boot; return (qemu, status, com1) once QEMU has exited, or once
    until(com1) holds (QEMU then still runs: the caller stops it)."""
    qemu = h.Qemu(args, tmp, machine=test.machine, image=image_path, extra=extra)
    deadline = time.monotonic() + args.timeout
    status = None
    while time.monotonic() < deadline:
        status = qemu.wait(0.05)
        if status is not None or (until and until(qemu.com1())):
            break
    return qemu, status, qemu.com1()


def fail(qemu, why, screen=None):
    """Stop QEMU and raise a Failure with its COM1 log."""
    qemu.fail(why, screen)


def expect_pass(qemu, status, args):
    """entry-check's verdict: every check passed."""
    if status == h.EXIT_PASS:
        return
    if status is None:
        fail(qemu, "no verdict within %d s (hung?)" % args.timeout)
    fail(qemu, "entry-check reported failed checks (exit %d)" % status if status == h.EXIT_FAIL
         else "QEMU exited %d without a verdict" % status)


def sample_done(com1):
    """The sample kernel's last line is the memory summary."""
    return re.search(r"^memory: \d+ MiB usable$", com1, re.M) is not None


def com1_lines(com1):
    return com1.splitlines()


# ---- Modules ----

def modules_test(args, test, tmp):
    flags, expected, crcs = modules()
    img = image(args, "entry-check-modules", kernel(args, "entry-check-modules"),
                "--cmdline", "crc=" + crcs, *flags)
    qemu, status, com1 = boot(args, test, tmp, img)
    expect_pass(qemu, status, args)
    lines = com1_lines(com1)
    missing = [line for line in expected if line not in lines]
    if missing:
        fail(qemu, "module lines missing or wrong: %s" % "; ".join(missing))
    for check in ("ok module crc32", "ok modules in MODULES memory", "ok MODULES type only with modules"):
        if check not in lines:
            fail(qemu, "%r not on COM1" % check)
    qemu.stop()


def too_many_modules_test(args, test, tmp):
    """The loader takes 64 modules (MKB_MAX_MODULES): the 65th is refused at build time, not at boot."""
    path = os.path.join(tmp, "m.bin")
    with open(path, "wb") as f:
        f.write(b"m")
    flags = []
    for i in range(65):
        flags += ["--module", "%s=m%d" % (path, i)]
    out = os.path.join(tmp, "too-many.img")
    result = mkbootimg(args, *(flags + ["-o", out, kernel(args, "tiny")]))
    details = h.indent("stderr", result.stderr)
    if result.returncode != 1 or os.path.exists(out):
        raise h.Failure("mkbootimg exited %d%s with 65 modules; the loader stops at boot with more than 64"
                        % (result.returncode, " and wrote the image" if os.path.exists(out) else ""), details)
    want = "mkbootimg: %s: 65 modules, more than the loader's limit of 64\n" % kernel(args, "tiny")
    if result.stderr != want:
        raise h.Failure("the message is not %r" % want, details)


# ---- The sample kernel ----

def sample_elf(args):
    path = os.path.splitext(args.sample)[0] + ".elf"
    if not os.path.exists(path):
        raise h.Failure("%s not found: build it with make" % path)
    return path


def sample_test(args, test, tmp):
    """The sample kernel's lines, exactly, in order; the screen shows them too."""
    if test.options.get("modules"):
        module_flags, module_lines, crcs = modules()
        flags = ["--cmdline", "sample with modules"] + module_flags
        expected = ["Hello World!", "cmdline: sample with modules"] + module_lines
        key = "sample-modules"
    else:
        flags = ["--cmdline", "a sample command line"]
        expected = ["Hello World!", "cmdline: a sample command line"]
        key = "sample-plain"
    img = image(args, key, sample_elf(args), *flags)
    qemu, status, com1 = boot(args, test, tmp, img, until=sample_done, extra=test.options.get("qemu_args", ()))
    if status is not None or not sample_done(com1):
        fail(qemu, "no memory line on COM1 (QEMU exit %s)" % status)
    screen = qemu.screen() or []  # each character goes to the screen before COM1
    lines = com1_lines(com1)
    rsdp = test.options.get("rsdp", r"0x[1-9a-f][0-9a-f]*")
    patterns = [re.escape(e) for e in expected] + ["rsdp: " + rsdp, r"memory: \d+ MiB usable"]
    if len(lines) != len(patterns) or not all(re.fullmatch(p, l) for p, l in zip(patterns, lines)):
        fail(qemu, "COM1 is not the expected %d lines (%s)" % (len(patterns), " / ".join(patterns)), screen)
    # Long lines wrap on the 80-column screen: compare without line breaks.
    flat = "".join(screen)
    for line in lines:
        if line.replace(" ", "") not in flat.replace(" ", ""):
            fail(qemu, "%r is on COM1 but not on the screen" % line, screen)
    if not screen or screen[0] != "Hello World!":
        fail(qemu, "the screen's first line is not Hello World!", screen)
    qemu.stop()


# ---- Framebuffer ----

def screendump(qemu, path):
    """(width, height, rows of (r, g, b)) of the screen, through QMP."""
    qemu.monitor().command("screendump", filename=path)
    with open(path, "rb") as f:
        data = f.read()
    # PPM: "P6", width, height, maxval, one whitespace byte, then RGB bytes.
    fields = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    if not fields:
        raise OSError("screendump is not a binary PPM")
    width, height, maxval = (int(x) for x in fields.groups())
    pixels = data[fields.end():]
    if maxval != 255 or len(pixels) < width * height * 3:
        raise OSError("screendump: maxval %d, %d bytes for %dx%d" % (maxval, len(pixels), width, height))
    return width, height, lambda x, y: tuple(pixels[(y * width + x) * 3:(y * width + x) * 3 + 3])


BARS = [(255, 255, 255), (255, 255, 0), (0, 255, 255), (0, 255, 0),
        (255, 0, 255), (255, 0, 0), (0, 0, 255), (0, 0, 0)]


def picture_problem(width, height, pixel):
    """What is wrong with the sample kernel's picture, or None."""
    for i, colour in enumerate(BARS):
        x, y = (2 * i + 1) * width // 16, height * 3 // 8
        if pixel(x, y) != colour:
            return "bar %d at (%d, %d) is %s, not %s" % (i, x, y, pixel(x, y), colour)
    greys = [pixel((2 * i + 1) * width // 16, height * 7 // 8) for i in range(8)]
    if any(r != g or g != b for r, g, b in greys) or greys != sorted(greys) \
            or greys[0][0] > 40 or greys[-1][0] < 215:
        return "the ramp is not grey from black to white: %s" % greys
    return None


def framebuffer_test(args, test, tmp):
    kernel_path = kernel(args, "sample-fbnote") if test.options.get("note") else sample_elf(args)
    flags = list(test.options.get("flags", ()))
    img = image(args, test.name.rsplit("/", 1)[0], kernel_path, *flags)
    width, height, bpp = test.options["expect"]
    qemu, status, com1 = boot(args, test, tmp, img, until=sample_done)
    if status is not None or not sample_done(com1):
        fail(qemu, "no memory line on COM1 (QEMU exit %s)" % status)
    line = re.search(r"^framebuffer: (\d+)x(\d+)x(\d+) at 0x([0-9a-f]+)$", com1, re.M)
    if not line:
        fail(qemu, "no framebuffer line on COM1")
    got = tuple(int(x) for x in line.groups()[:3])
    if got != (width, height, bpp) or int(line.group(4), 16) == 0:
        fail(qemu, "COM1 says framebuffer %dx%dx%d at 0x%s, want %dx%dx%d at a non-zero address"
             % (got + (line.group(4), width, height, bpp)))
    try:
        w, hgt, pixel = screendump(qemu, os.path.join(tmp, "screen.ppm"))
    except OSError as e:
        fail(qemu, "screendump: %s" % e)
    if (w, hgt) != (width, height):
        fail(qemu, "the screen is %dx%d, want %dx%d" % (w, hgt, width, height))
    problem = picture_problem(w, hgt, pixel)
    if problem:
        fail(qemu, "the picture is not the sample kernel's: " + problem)
    qemu.stop()


def text_mode_test(args, test, tmp):
    """--framebuffer 0 overrides the kernel's note: text mode, Hello World! on screen."""
    img = image(args, "fb-text-over-note", kernel(args, "sample-fbnote"), "--framebuffer", "0")
    qemu, status, com1 = boot(args, test, tmp, img, until=sample_done)
    if status is not None or not sample_done(com1):
        fail(qemu, "no memory line on COM1 (QEMU exit %s)" % status)
    screen = qemu.screen() or []
    if "framebuffer:" in com1:
        fail(qemu, "a framebuffer line on COM1, despite --framebuffer 0", screen)
    if not screen or screen[0] != "Hello World!":
        fail(qemu, "Hello World! is not on the text screen", screen)
    qemu.stop()


# ---- RSDP and stack: entry-check's own checks, and what it printed ----

def entry_check_test(args, test, tmp):
    img = os.path.join(args.images, test.options["kernel"] + ".img")
    if not os.path.exists(img):
        raise h.Failure("%s not found: build it with make check-integration" % img)
    qemu, status, com1 = boot(args, test, tmp, img, extra=test.options.get("qemu_args", ()))
    expect_pass(qemu, status, args)
    for pattern in test.options["com1"]:
        if not re.search(pattern, com1, re.M):
            fail(qemu, "nothing on COM1 matches %r" % pattern)
    qemu.stop()


# ---- Notes: what the tool accepts and refuses at build time ----

def note_test(args, test, tmp):
    out = os.path.join(tmp, "note.img")
    result = mkbootimg(args, "-o", out, kernel(args, test.options["kernel"]))
    want = test.options["exit"]
    details = h.indent("stderr", result.stderr)
    if result.returncode != want:
        raise h.Failure("mkbootimg exited %d, want %d" % (result.returncode, want), details)
    if want == 0:
        stack = h.read_manifest(out)["stack_size"]
        if stack != test.options["stack_size"]:
            raise h.Failure("the image's stack is %#x bytes, want %#x" % (stack, test.options["stack_size"]))
        return
    if os.path.exists(out):
        raise h.Failure("mkbootimg refused the kernel but left an image", details)
    want = "mkbootimg: %s: %s\n" % (kernel(args, test.options["kernel"]), test.options["message"])
    if result.stderr != want:
        raise h.Failure("the message is not %r" % want, details)


# ---- The header compiles as C99 and C++, every macro used ----

def _sections(data):
    """{name: (type, bytes)} of an ELF64 little-endian object."""
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    names = headers[shstrndx]
    result = {}
    for name, kind, flags, addr, offset, size, *rest in headers:
        start = names[4] + name
        result[data[start:data.index(b"\0", start)].decode()] = (kind, data[offset:offset + size])
    return result


def _notes(blob):
    """[(type, descriptor words)] of the notes in a section, checking the documented layout."""
    notes, at = [], 0
    while at < len(blob):
        namesz, descsz, kind = struct.unpack_from("<III", blob, at)
        name = blob[at + 12:at + 24]
        if namesz != 10 or name != b"mkbootimg\0\0\0" or descsz % 4:
            raise ValueError("note at byte %d: namesz %d, name %r, descsz %d" % (at, namesz, name, descsz))
        notes.append((kind, list(struct.unpack_from("<%dI" % (descsz // 4), blob, at + 24))))
        at += 24 + descsz
    return sorted(notes)


def header_test(args, test, tmp):
    compiler = (args.cc if test.options["language"] == "c" else args.cxx).split()
    if not shutil.which(compiler[0]):
        if test.options["language"] == "c":
            raise h.Failure("%s not found" % compiler[0])
        raise h.Skip("cxx", "%s not found" % compiler[0])
    obj = os.path.join(tmp, "header-check.o")
    command = compiler + test.options["flags"] + ["-ffreestanding", "-Wall", "-Wextra", "-Werror",
                                                  "-I", os.path.join(REPO, "include"), "-c", "-o", obj,
                                                  os.path.join(REPO, "tests/kernels/header-check.c")]
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    if result.returncode != 0:
        raise h.Failure("does not compile", h.indent("compiler", result.stdout) + "  command: %s\n" % " ".join(command))
    with open(obj, "rb") as f:
        kind, blob = _sections(f.read()).get(".note.mkbootimg", (None, b""))
    try:
        notes = _notes(blob)
    except (ValueError, struct.error) as e:
        raise h.Failure("the notes are not laid out as documented: %s" % e)
    want = [(1, [MIB]), (2, [1024, 768, 32]), (3, [INFO_VERSION])]
    if kind != 7 or notes != want:  # SHT_NOTE
        raise h.Failure(".note.mkbootimg: section type %s, notes %s; want SHT_NOTE (7), %s" % (kind, notes, want))


# ---- The list ----

def Test(name, image, machine, fn, **options):
    return h.Test(name, fn, machine=machine, **options)


def all_tests(args):
    tests = []
    for machine in h.MACHINES:
        tests.append(Test("modules/%s" % machine, None, machine, modules_test))
    tests.append(Test("modules/65-refused-at-build-time", None, None, too_many_modules_test))
    tests.append(Test("sample/lines/q35", None, "q35", sample_test))
    tests.append(Test("sample/modules/pc", None, "pc", sample_test, modules=True))
    tests.append(Test("sample/no-acpi/pc", None, "pc", sample_test, rsdp="0x0", qemu_args=("-no-acpi",)))
    for machine in h.MACHINES:
        tests.append(Test("framebuffer/flag-800x600x32/%s" % machine, None, machine, framebuffer_test,
                          flags=("--framebuffer", "800x600x32"), expect=(800, 600, 32)))
    tests.append(Test("framebuffer/note-1024x768x32/q35", None, "q35", framebuffer_test, note=True,
                      expect=(1024, 768, 32)))
    tests.append(Test("framebuffer/flag-overrides-note/q35", None, "q35", framebuffer_test, note=True,
                      flags=("--framebuffer", "800x600x32"), expect=(800, 600, 32)))
    # No 1000x700 mode: the largest at or below it.
    tests.append(Test("framebuffer/closest-below-1000x700x32/q35", None, "q35", framebuffer_test,
                      flags=("--framebuffer", "1000x700x32"), expect=(800, 600, 32)))
    tests.append(Test("framebuffer/text-overrides-note/q35", None, "q35", text_mode_test))
    found = [r"^ok rsdp$", r"^info: rsdp 0x[1-9a-f][0-9a-f]*, revision \d+"]
    for machine in h.MACHINES:
        tests.append(Test("rsdp/%s" % machine, None, machine, entry_check_test,
                          kernel="entry-check-higher-half", com1=found))
    tests.append(Test("rsdp/none/pc-no-acpi", None, "pc", entry_check_test, kernel="entry-check-higher-half",
                      com1=[r"^ok rsdp$", r"^info: rsdp 0x0 \(none\)$"], qemu_args=("-no-acpi",)))
    stack = [r"^info: stack 0x\w+-0xffffff0000000000 \(1024 KiB\)", r"^ok whole stack usable$",
             r"^ok stack guard page faults$", r"^ok stack_physical$"]
    for machine in h.MACHINES:
        tests.append(Test("stack/note-1M/%s" % machine, None, machine, entry_check_test,
                          kernel="entry-check-stacknote", com1=stack))
    tests.append(Test("notes/assembly-stack-1M", None, None, note_test, kernel="note-stack", exit=0,
                      stack_size=MIB))
    tests.append(Test("notes/refused-bad-size", None, None, note_test, kernel="note-bad-size", exit=1,
                      message="note mkbootimg stack size: descriptor of 8 bytes, expected 4"))
    tests.append(Test("notes/refused-unknown-type", None, None, note_test, kernel="note-unknown-type", exit=1,
                      message="note mkbootimg type 99 (unknown): this mkbootimg knows types 1 to 5 (stack size, "
                              "framebuffer, info version, smp, kaslr); is the kernel built for a newer one?"))
    tests.append(Test("notes/refused-newer-info-version", None, None, note_test, kernel="note-new-version",
                      exit=1, message="note mkbootimg info version: the kernel needs boot information version 99, "
                                      "this mkbootimg gives version %d; use a newer mkbootimg" % INFO_VERSION))
    tests.append(Test("header/c99", None, None, header_test, language="c",
                      flags=["-std=c99", "-pedantic"]))
    tests.append(Test("header/c++", None, None, header_test, language="c++", flags=["-x", "c++"]))
    return tests
