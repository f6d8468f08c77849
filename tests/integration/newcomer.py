#!/usr/bin/env python3
"""The newcomer's path, end to end: make install into a DESTDIR (and the
pkg-config file following PREFIX), the installed binary alone (copied away
from the build tree) building and booting the examples, --version/--help/usage
errors, the man pages under mandoc -Tlint, bash completion, `mkbootimg info`,
and the README: its links, its tutorials' files against examples/, and the C
tutorial's sh blocks run as written. Prints PASS/FAIL/SKIP lines and ends with
"N passed, N failed[, N skipped]".

QEMU runs with MKBOOTIMG_ACCEL=tcg unless MKBOOTIMG_ACCEL is set."""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
results = {"passed": 0, "failed": 0, "skipped": 0}
MAKE_VARS = []  # BUILD=..., so that make install uses the caller's build folder
os.environ.setdefault("MKBOOTIMG_ACCEL", "tcg")


def report(kind, name, why=""):
    key = {"PASS": "passed", "FAIL": "failed", "SKIP": "skipped"}[kind]
    results[key] += 1
    print(f"{kind} {name}" + (f": {why}" if why else ""), flush=True)


def run(cmd, timeout=120, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def check(name, ok, why=""):
    report("PASS" if ok else "FAIL", name, "" if ok else why)
    return ok


def makefile_version():
    with open(os.path.join(ROOT, "Makefile")) as f:
        return re.search(r"^VERSION\s*:=\s*(\S+)", f.read(), re.M).group(1)


def make_install(make, target, dest, prefix):
    return run([make, "-C", ROOT, "--no-print-directory", target, f"DESTDIR={dest}", f"PREFIX={prefix}"]
               + MAKE_VARS, timeout=600)


def test_prefix_change(tmp, make):
    """make install with PREFIX A, then with PREFIX B: the .pc file installed for B names B."""
    dest = os.path.join(tmp, "dest-prefix")
    r1 = make_install(make, "install", dest, "/opt/mkb-a")
    r2 = make_install(make, "install", dest, "/opt/mkb-b")
    pc = os.path.join(dest, "opt/mkb-b/share/pkgconfig/mkbootimg.pc")
    text = open(pc).read() if os.path.isfile(pc) else ""
    check("make install PREFIX=A, then PREFIX=B: the pkg-config file names B",
          r1.returncode == 0 and r2.returncode == 0 and "prefix=/opt/mkb-b\n" in text,
          (r1.stderr + r2.stderr)[-2000:] + text)


def test_install(tmp, make):
    dest = os.path.join(tmp, "dest")
    r = make_install(make, "install", dest, "/usr")
    if not check("make install DESTDIR PREFIX=/usr", r.returncode == 0, r.stderr[-2000:]):
        return None
    want = ["usr/bin/mkbootimg", "usr/share/man/man1/mkbootimg.1", "usr/share/man/man7/mkbootimg-protocol.7",
            "usr/include/mkbootimg/protocol.h", "usr/include/mkbootimg/image.h",
            "usr/share/pkgconfig/mkbootimg.pc", "usr/share/bash-completion/completions/mkbootimg",
            "usr/share/zsh/site-functions/_mkbootimg"]
    missing = [w for w in want if not os.path.isfile(os.path.join(dest, w))]
    check("install: every file in place", not missing, f"missing {missing}")
    with open(os.path.join(dest, "usr/share/pkgconfig/mkbootimg.pc")) as f:
        pc = f.read()
    check("install: pkg-config file names the prefix", "prefix=/usr\n" in pc and "Cflags: -I${includedir}" in pc, pc)
    # uninstall into a second tree leaves nothing but empty folders
    dest2 = os.path.join(tmp, "dest2")
    r1 = make_install(make, "install", dest2, "/opt/x")
    r2 = make_install(make, "uninstall", dest2, "/opt/x")
    left = [os.path.join(d, f) for d, _, fs in os.walk(dest2) for f in fs]
    check("make uninstall removes every file", r1.returncode == 0 and r2.returncode == 0 and not left,
          f"left {left} {r2.stderr}")
    # The binary alone, away from the build tree.
    alone = os.path.join(tmp, "alone")
    os.makedirs(alone)
    shutil.copy2(os.path.join(dest, "usr/bin/mkbootimg"), alone)
    return dest, os.path.join(alone, "mkbootimg")


def test_cli(mkb):
    r = run([mkb, "--version"])
    check("--version prints the Makefile's VERSION", r.returncode == 0 and
          r.stdout.startswith(f"mkbootimg {makefile_version()}"), r.stdout + r.stderr)
    for sub in ["", "run", "install", "info"]:
        args = [mkb] + ([sub] if sub else []) + ["--help"]
        r = run(args)
        check(f"mkbootimg {sub} --help".replace("  ", " "), r.returncode == 0 and "usage: mkbootimg" in r.stdout
              and r.stderr == "", f"status {r.returncode}: {r.stderr}")
        args = [mkb] + ([sub] if sub else []) + ["--no-such-option"]
        r = run(args)
        check(f"mkbootimg {sub} --no-such-option: usage on stderr, exit 2".replace("  ", " "),
              r.returncode == 2 and "usage: mkbootimg" in r.stderr and r.stdout == "",
              f"status {r.returncode}, stdout {r.stdout!r}")


def test_man(dest):
    if shutil.which("mandoc") is None:
        report("SKIP", "man pages lint clean", "mandoc not found (apt-get install mandoc)")
        return
    for page in ["usr/share/man/man1/mkbootimg.1", "usr/share/man/man7/mkbootimg-protocol.7"]:
        # -W warning: STYLE notes about manuals not in this machine's database do not count.
        r = run(["mandoc", "-Tlint", "-W", "warning", os.path.join(dest, page)])
        check(f"mandoc -Tlint {os.path.basename(page)}", r.returncode == 0 and r.stdout.strip() == "",
              r.stdout + r.stderr)


def test_completion(dest):
    comp = os.path.join(dest, "usr/share/bash-completion/completions/mkbootimg")
    script = f"""
source {comp}
try() {{ COMP_WORDS=("$@"); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 )); COMPREPLY=(); _mkbootimg; echo "${{COMPREPLY[*]}}"; }}
try mkbootimg ru
try mkbootimg run --t
try mkbootimg info --j
try mkbootimg run --machine ""
"""
    r = run(["bash", "-c", script])
    lines = r.stdout.split("\n")
    ok = (r.returncode == 0 and len(lines) >= 4 and "run" in lines[0].split()
          and set(lines[1].split()) == {"--test", "--timeout"} and lines[2].split() == ["--json"]
          and set(lines[3].split()) == {"q35", "pc"})
    check("bash completion: subcommands, options, option values", ok, repr(r.stdout) + r.stderr)


def boot_example(mkb, tmp, dest):
    src = os.path.join(ROOT, "examples", "c-kernel")
    work = os.path.join(tmp, "c-kernel")
    shutil.copytree(src, work, ignore=shutil.ignore_patterns("kernel.elf", "disk.img"))
    env = dict(os.environ)
    # The installed pkg-config file, as if installed for real (DESTDIR as the sysroot).
    env["PKG_CONFIG_PATH"] = os.path.join(dest, "usr/share/pkgconfig")
    env["PKG_CONFIG_SYSROOT_DIR"] = dest
    r = run(["make", "-C", work, f"MKBOOTIMG={mkb}", "test"], env=env, timeout=300)
    check("examples/c-kernel: copied away, installed headers and binary, make test boots",
          r.returncode == 0 and "Hello from a C kernel!" in r.stdout, r.stdout[-1500:] + r.stderr[-1500:])
    return os.path.join(work, "kernel.elf")


def test_info(mkb, kernel, tmp):
    img = os.path.join(tmp, "info.img")
    r = run([mkb, "--cmdline", "a b", "-o", img, kernel])
    if not check("installed binary builds an image", r.returncode == 0, r.stderr):
        return
    r = run([mkb, "info", img])
    check("info IMAGE: checksum matches, memory map", r.returncode == 0 and "(matches the payload)" in r.stdout
          and "Physical memory map" in r.stdout and 'command line   "a b"' in r.stdout, r.stdout + r.stderr)
    r = run([mkb, "info", "--json", img])
    try:
        j = json.loads(r.stdout)
        ok = j["kind"] == "image" and j["checksum"]["matches"] is True and j["cmdline"] == "a b" \
            and len(j["segments"]) == 3 and j["protocol"]
    except (ValueError, KeyError, TypeError):
        ok = False
    check("info --json IMAGE", ok, r.stdout[-1000:])
    r = run([mkb, "info", "--json", "--stack-size", "2M", kernel])
    try:
        j = json.loads(r.stdout)
        ok = j["kind"] == "kernel" and any("above 1 MiB" in w for w in j["warnings"])
    except (ValueError, KeyError, TypeError):
        ok = False
    check("info --json KERNEL: warns of a stack above 1 MiB", ok, r.stdout[-1000:] + r.stderr)
    with open(img, "r+b") as f:
        f.seek(j_payload_byte(mkb, img))
        b = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([b[0] ^ 0xff]))
    r = run([mkb, "info", img])
    check("info: a damaged payload is found, exit 1", r.returncode == 1 and "DOES NOT MATCH" in r.stdout,
          r.stdout + r.stderr)


def number(v):
    """A number of `info --json`: an integer, or a string such as "0x1f"."""
    return int(v, 0) if isinstance(v, str) else v


def j_payload_byte(mkb, img):
    j = json.loads(run([mkb, "info", "--json", img]).stdout)
    return number(j["payload_lba"]) * 512


def read(path):
    with open(os.path.join(ROOT, path)) as f:
        return f.read()


def readme_section(readme, title):
    """The text of the README section whose "## " heading starts with title,
    up to the next heading of level 1 or 2 (outside fenced blocks)."""
    lines, fenced, start = readme.splitlines(keepends=True), False, None
    for i, line in enumerate(lines):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"#{1,2} ", line):
            if start is not None:
                return "".join(lines[start:i])
            if line.startswith("## " + title):
                start = i + 1
    return "".join(lines[start:]) if start is not None else None


# A file shown in a tutorial: a paragraph that starts with its name in
# backticks, then the fenced block with its whole text.
FILE_BLOCK = re.compile(r"(?<=\n\n)`([^`\s]*[./][^`\s]*)`[^\n]*\n(?:[^\n]+\n)*\n```[\w-]*\n(.*?)^```$", re.M | re.S)


def test_readme_docs():
    """docs/SPEED.md and docs/HACKING.md exist and the README links them;
    every relative link of the README and the docs leads to a file."""
    readme = read("README.md")
    for doc in ("docs/SPEED.md", "docs/HACKING.md"):
        check(f"README links {doc}, which exists",
              os.path.isfile(os.path.join(ROOT, doc)) and f"]({doc})" in readme,
              "missing file" if not os.path.isfile(os.path.join(ROOT, doc)) else "no link in README.md")
    broken = []
    for page in ("README.md", "docs/SPEED.md", "docs/HACKING.md"):
        if not os.path.isfile(os.path.join(ROOT, page)):
            continue
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", read(page)):
            if "://" not in target and not os.path.exists(os.path.join(ROOT, os.path.dirname(page), target)):
                broken.append(f"{page}: {target}")
    check("README and docs: every relative link leads to a file", not broken, str(broken))
    # Links within the README lead to a heading (GitHub's anchors: lower case,
    # punctuation dropped, spaces as hyphens).
    anchors, fenced = set(), False
    for line in readme.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"#+ ", line):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    missing = sorted(set(re.findall(r"\]\(#([^)]+)\)", readme)) - anchors)
    check("README: every #link leads to a heading", not missing, str(missing))


def test_readme_files(title, example, want):
    """Each file a tutorial shows is the example's file, byte for byte."""
    sect = readme_section(read("README.md"), title)
    if sect is None:
        check(f"README has a section '{title}'", False, "heading not found")
        return None
    blocks = FILE_BLOCK.findall(sect)
    shown = dict(blocks)
    check(f"README '{title}': shows {sorted(want)}, each once",
          sorted(name for name, _ in blocks) == sorted(want), f"shows {sorted(name for name, _ in blocks)}")
    differ = [name for name in want if name in shown and shown[name] != read(os.path.join(example, name))]
    check(f"README '{title}': its files are those of {example}/", not differ, f"differ: {differ}")
    return sect


def flags_of(words):
    return {w for w in words if w.startswith("-") and w not in ("-o", "-T")}


def test_readme_c_tutorial(mkb, tmp, dest):
    """The README's C tutorial: its files are examples/c-kernel's, its compiler
    command has the Makefile's flags, and its sh blocks run as written boot."""
    sect = test_readme_files("A kernel in C", "examples/c-kernel", ["kernel.ld", "kernel.c"])
    if sect is None:
        return
    blocks = re.findall(r"^```sh\n(.*?)^```$", sect, re.M | re.S)
    if not check("README C tutorial: has sh blocks", len(blocks) >= 2, f"{len(blocks)} found"):
        return
    script = "\n".join(blocks)
    compile_cmd = next((c for c in script.replace("\\\n", " ").splitlines() if c.startswith("cc ")), "")
    makefile = read("examples/c-kernel/Makefile").replace("\\\n", " ")
    make_flags = set()
    for var in ("CFLAGS", "LDFLAGS"):
        m = re.search(rf"^{var}\s*:=(.*)$", makefile, re.M)
        make_flags |= flags_of(m.group(1).split()) if m else {f"<no {var}>"}
    readme_flags = flags_of(compile_cmd.replace("$(pkg-config --cflags mkbootimg)", "").split())
    check("README C tutorial: its cc command has the flags of examples/c-kernel/Makefile",
          readme_flags == make_flags, f"only in README: {sorted(readme_flags - make_flags)}, "
          f"only in the Makefile: {sorted(make_flags - readme_flags)}")
    work = os.path.join(tmp, "tutorial-c")
    os.makedirs(work)
    for name, body in FILE_BLOCK.findall(sect):
        with open(os.path.join(work, name), "w") as f:
            f.write(body)
    # mkbootimg: the installed binary, headless, so that no window opens.
    script = re.sub(r"^mkbootimg run ", f"{mkb} run --headless --timeout 60 ", script, flags=re.M)
    script = re.sub(r"^mkbootimg ", f"{mkb} ", script, flags=re.M)
    env = dict(os.environ)
    env["PKG_CONFIG_PATH"] = os.path.join(dest, "usr/share/pkgconfig")
    env["PKG_CONFIG_SYSROOT_DIR"] = dest
    env["PKG_CONFIG_ALLOW_SYSTEM_CFLAGS"] = "1"
    r = run(["sh", "-ec", script], cwd=work, env=env, timeout=300)
    check("README C tutorial, its sh blocks run as written: builds, boots, prints, passes as a test",
          r.returncode == 0 and r.stdout.count("Hello from a C kernel!") >= 2
          and "---- VGA text screen ----" in r.stdout,
          script + "\n" + r.stdout[-1500:] + r.stderr[-1500:])


def test_rust_example(mkb, tmp):
    test_readme_files("A kernel in Rust", "examples/rust-kernel",
                      ["Cargo.toml", ".cargo/config.toml", "kernel.ld", "build.rs", "src/main.rs", "tests/boot.rs"])
    if shutil.which("cargo") is None:
        report("SKIP", "examples/rust-kernel: cargo run, cargo test", "cargo not found")
        return
    work = os.path.join(tmp, "rust-kernel")
    shutil.copytree(os.path.join(ROOT, "examples", "rust-kernel"), work,
                    ignore=shutil.ignore_patterns("target"))
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(mkb) + os.pathsep + env["PATH"]  # runner = "mkbootimg run"
    r = run(["cargo", "run", "--offline", "-q", "--", "--headless", "--timeout", "60"],
            cwd=work, env=env, timeout=600)
    check("examples/rust-kernel: cargo run --offline boots it through runner = \"mkbootimg run\"",
          r.returncode == 0 and r.stdout.count("Hello from a Rust kernel!") >= 2, r.stdout[-1500:] + r.stderr[-3000:])
    r = run(["cargo", "test", "--offline"], cwd=work, env=env, timeout=600)
    check("examples/rust-kernel: cargo test --offline passes its test kernel",
          r.returncode == 0 and "tests/boot.rs" in r.stderr, r.stdout[-1500:] + r.stderr[-3000:])
    with open(os.path.join(work, "tests", "boot.rs")) as f:
        failing = f.read().replace("assert!(info.version >= 2);", "assert!(info.version >= 1000);")
    with open(os.path.join(work, "tests", "boot.rs"), "w") as f:
        f.write(failing)
    r = run(["cargo", "test", "--offline"], cwd=work, env=env, timeout=600)
    check("examples/rust-kernel: a failed assert! fails cargo test",
          r.returncode != 0 and "0x11" in r.stderr, r.stdout[-1500:] + r.stderr[-3000:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--make", default=os.environ.get("MAKE", "make"))
    ap.add_argument("--build", help="the build folder (make's BUILD) that make install uses")
    args = ap.parse_args()
    if args.build:
        MAKE_VARS.append(f"BUILD={args.build}")
    test_readme_docs()
    with tempfile.TemporaryDirectory(prefix="mkb-newcomer-") as tmp:
        test_prefix_change(tmp, args.make)
        got = test_install(tmp, args.make)
        if got is not None:
            dest, mkb = got
            test_cli(mkb)
            test_man(dest)
            test_completion(dest)
            kernel = boot_example(mkb, tmp, dest)
            if os.path.exists(kernel):
                test_info(mkb, kernel, tmp)
            test_readme_c_tutorial(mkb, tmp, dest)
            test_rust_example(mkb, tmp)
    line = f"{results['passed']} passed, {results['failed']} failed"
    if results["skipped"]:
        line += f", {results['skipped']} skipped"
    print(line)
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
