#!/usr/bin/env python3
"""The newcomer's path, end to end: make install into a DESTDIR, the
installed binary alone (copied away from the build tree) building and
booting the examples, --version/--help/usage errors, the man pages under
mandoc -Tlint, bash completion, `mkbootimg info`, and the README's C
tutorial run as written. Prints PASS/FAIL/SKIP lines and ends with
"N passed, N failed[, N skipped]"."""

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


def test_install(tmp, make):
    dest = os.path.join(tmp, "dest")
    r = run([make, "-C", ROOT, "--no-print-directory", "install", f"DESTDIR={dest}", "PREFIX=/usr"], timeout=600)
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
    r1 = run([make, "-C", ROOT, "--no-print-directory", "install", f"DESTDIR={dest2}", "PREFIX=/opt/x"], timeout=600)
    r2 = run([make, "-C", ROOT, "--no-print-directory", "uninstall", f"DESTDIR={dest2}", "PREFIX=/opt/x"])
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


def j_payload_byte(mkb, img):
    j = json.loads(run([mkb, "info", "--json", img]).stdout)
    return j["payload_lba"] * 512


def test_readme_tutorial(mkb, tmp):
    """The README's "Writing a kernel in C": its two files and its commands, as written."""
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    sect = readme.split("## Writing a kernel in C", 1)[1].split("\n## ", 1)[0]
    ld = re.search(r"```ld\n(.*?)```", sect, re.S)
    c = re.search(r"```c\n(.*?)```", sect, re.S)
    cmds = re.search(r"\n((?:    \S.*\n(?:        .*\n)*)+)", sect[sect.index("```c"):])
    if not (ld and c and cmds):
        check("README tutorial: found its files and commands", False, "section layout changed")
        return
    work = os.path.join(tmp, "tutorial")
    os.makedirs(work)
    with open(os.path.join(work, "kernel.ld"), "w") as f:
        f.write(ld.group(1))
    with open(os.path.join(work, "kernel.c"), "w") as f:
        f.write(c.group(1))
    script = "\n".join(l[4:] for l in cmds.group(1).splitlines())
    script = script.replace("path/to/mkbootimg/include", os.path.join(ROOT, "include"))
    # mkbootimg: the installed binary; QEMU: headless, through `mkbootimg run`, which prints the screen.
    script = re.sub(r"^mkbootimg ", f"{mkb} ", script, flags=re.M)
    script = re.sub(r"^qemu-system-x86_64 -drive format=raw,file=(\S+)$",
                    rf"{mkb} run --headless --timeout 60 \1", script, flags=re.M)
    r = run(["sh", "-ec", script], cwd=work, timeout=300)
    check("README C tutorial, run as written, boots and prints", r.returncode == 0 and "Hello from kmain" in r.stdout,
          script + "\n" + r.stdout[-1500:] + r.stderr[-1500:])


def test_rust_example(mkb, tmp):
    if shutil.which("cargo") is None:
        report("SKIP", "examples/rust-kernel", "cargo not found")
        return
    work = os.path.join(tmp, "rust-kernel")
    shutil.copytree(os.path.join(ROOT, "examples", "rust-kernel"), work,
                    ignore=shutil.ignore_patterns("target"))
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(mkb) + os.pathsep + env["PATH"]  # runner = "mkbootimg run"
    r = run(["cargo", "run", "--offline", "-q", "--", "--test", "--timeout", "60", "--cmdline", "exit"],
            cwd=work, env=env, timeout=600)
    check("examples/rust-kernel: cargo run --offline boots it through runner = \"mkbootimg run\"",
          r.returncode == 0 and "Hello from a Rust kernel!" in r.stdout, r.stdout[-1500:] + r.stderr[-3000:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--make", default=os.environ.get("MAKE", "make"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="mkb-newcomer-") as tmp:
        got = test_install(tmp, args.make)
        if got is not None:
            dest, mkb = got
            test_cli(mkb)
            test_man(dest)
            test_completion(dest)
            kernel = boot_example(mkb, tmp, dest)
            if os.path.exists(kernel):
                test_info(mkb, kernel, tmp)
            test_readme_tutorial(mkb, tmp)
            test_rust_example(mkb, tmp)
    line = f"{results['passed']} passed, {results['failed']} failed"
    if results["skipped"]:
        line += f", {results['skipped']} skipped"
    print(line)
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
