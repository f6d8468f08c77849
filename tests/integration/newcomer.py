#!/usr/bin/env python3
"""The newcomer's path, end to end: make install into a DESTDIR (and the
pkg-config file following PREFIX), the installed binary alone (copied away
from the build tree) building and booting the examples, --version/--help/usage
errors, the man pages under mandoc -Tlint, bash completion, `mkbootimg info`,
and the README: its links, its tutorials' files against examples/, and the C
tutorial's sh blocks run as written.

What several tests need is made once (harness.shared): the install into a
DESTDIR with the binary copied away, the example kernel built and booted, an
image of it. make install runs one at a time (the .pc file and its PREFIX
stamp live in the one BUILD folder).

The harness (harness.py) prints "PASS name", "FAIL name: why" or "SKIP name:
why" per test, then "N passed, N failed, N skipped"; exits 1 when a test
failed. QEMU runs with MKBOOTIMG_ACCEL=tcg unless MKBOOTIMG_ACCEL is set.
"""

import json
import os
import re
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness as h  # noqa: E402

ROOT = h.REPO
os.environ.setdefault("MKBOOTIMG_ACCEL", "tcg")


def run(cmd, timeout=120, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def check(ok, why=""):
    if not ok:
        raise h.Failure(why.strip().splitlines()[0] if why.strip() else "failed",
                        h.indent("output", why) if why.strip() else "")


def makefile_version():
    with open(os.path.join(ROOT, "Makefile")) as f:
        return re.search(r"^VERSION\s*:=\s*(\S+)", f.read(), re.M).group(1)


def make_install(args, target, dest, prefix):
    """make install or uninstall, one at a time: they share BUILD's .pc file."""
    with h.serial("make install"):
        return run([args.make, "-C", ROOT, "--no-print-directory", target, f"DESTDIR={dest}", f"PREFIX={prefix}"]
                   + ([f"BUILD={args.build}"] if args.build else []), timeout=600)


# ---- Made once: the install, the binary alone, the example kernel, its image ----

def installed(args):
    """(dest, the installed binary copied away): make install DESTDIR PREFIX=/usr."""
    def make(folder):
        dest = os.path.join(folder, "dest")
        r = make_install(args, "install", dest, "/usr")
        if r.returncode != 0:
            raise h.Failure("make install DESTDIR PREFIX=/usr failed", h.indent("stderr", r.stderr[-2000:]))
        alone = os.path.join(folder, "alone")
        os.makedirs(alone)
        shutil.copy2(os.path.join(dest, "usr/bin/mkbootimg"), alone)
        return dest, os.path.join(alone, "mkbootimg")
    return h.shared("install", make)


def pkg_config_env(dest):
    """The installed pkg-config file, as if installed for real (DESTDIR as the sysroot)."""
    env = dict(os.environ)
    env["PKG_CONFIG_PATH"] = os.path.join(dest, "usr/share/pkgconfig")
    env["PKG_CONFIG_SYSROOT_DIR"] = dest
    return env


def c_example(args):
    """(make test's result, kernel.elf): examples/c-kernel copied away, built
    with the installed headers and binary, booted by make test."""
    def make(folder):
        dest, mkb = installed(args)
        work = os.path.join(folder, "c-kernel")
        shutil.copytree(os.path.join(ROOT, "examples", "c-kernel"), work,
                        ignore=shutil.ignore_patterns("kernel.elf", "disk.img"))
        r = run(["make", "-C", work, f"MKBOOTIMG={mkb}", "test"], env=pkg_config_env(dest), timeout=300)
        return r, os.path.join(work, "kernel.elf")
    return h.shared("c-kernel", make)


def example_kernel(args):
    r, kernel = c_example(args)
    if not os.path.exists(kernel):
        raise h.Failure("examples/c-kernel did not build (see its test)", h.indent("make", r.stdout + r.stderr))
    return kernel


def info_image(args):
    """An image of the example kernel, made by the installed binary with --cmdline "a b"."""
    def make(folder):
        dest, mkb = installed(args)
        img = os.path.join(folder, "info.img")
        return run([mkb, "--cmdline", "a b", "-o", img, example_kernel(args)]), img
    return h.shared("info image", make)


def image_copy(args, tmp):
    r, img = info_image(args)
    if r.returncode != 0:
        raise h.Failure("the installed binary cannot build an image (see its test)", h.indent("stderr", r.stderr))
    copy = os.path.join(tmp, "info.img")
    shutil.copyfile(img, copy)
    return copy


# ---- make install and uninstall ----

def test_prefix_change(args, test, tmp):
    """make install with PREFIX A, then with PREFIX B: the .pc file installed for B names B."""
    dest = os.path.join(tmp, "dest-prefix")
    r1 = make_install(args, "install", dest, "/opt/mkb-a")
    r2 = make_install(args, "install", dest, "/opt/mkb-b")
    pc = os.path.join(dest, "opt/mkb-b/share/pkgconfig/mkbootimg.pc")
    text = open(pc).read() if os.path.isfile(pc) else ""
    check(r1.returncode == 0 and r2.returncode == 0 and "prefix=/opt/mkb-b\n" in text,
          (r1.stderr + r2.stderr)[-2000:] + text)


def test_install(args, test, tmp):
    installed(args)


def test_install_files(args, test, tmp):
    dest, mkb = installed(args)
    want = ["usr/bin/mkbootimg", "usr/share/man/man1/mkbootimg.1", "usr/share/man/man7/mkbootimg-protocol.7",
            "usr/include/mkbootimg/protocol.h", "usr/include/mkbootimg/image.h",
            "usr/share/pkgconfig/mkbootimg.pc", "usr/share/bash-completion/completions/mkbootimg",
            "usr/share/zsh/site-functions/_mkbootimg"]
    missing = [w for w in want if not os.path.isfile(os.path.join(dest, w))]
    check(not missing, f"missing {missing}")


def test_install_pc(args, test, tmp):
    dest, mkb = installed(args)
    with open(os.path.join(dest, "usr/share/pkgconfig/mkbootimg.pc")) as f:
        pc = f.read()
    check("prefix=/usr\n" in pc and "Cflags: -I${includedir}" in pc, pc)


def test_uninstall(args, test, tmp):
    """uninstall from a second tree leaves nothing but empty folders."""
    dest2 = os.path.join(tmp, "dest2")
    r1 = make_install(args, "install", dest2, "/opt/x")
    r2 = make_install(args, "uninstall", dest2, "/opt/x")
    left = [os.path.join(d, f) for d, _, fs in os.walk(dest2) for f in fs]
    check(r1.returncode == 0 and r2.returncode == 0 and not left, f"left {left} {r2.stderr}")


# ---- The command line ----

def test_version(args, test, tmp):
    dest, mkb = installed(args)
    r = run([mkb, "--version"])
    check(r.returncode == 0 and r.stdout.startswith(f"mkbootimg {makefile_version()}"), r.stdout + r.stderr)


def test_help(args, test, tmp):
    dest, mkb = installed(args)
    r = run([mkb] + test.words + ["--help"])
    check(r.returncode == 0 and "usage: mkbootimg" in r.stdout and r.stderr == "", f"status {r.returncode}: {r.stderr}")


def test_bad_option(args, test, tmp):
    dest, mkb = installed(args)
    r = run([mkb] + test.words + ["--no-such-option"])
    said = " ".join(["mkbootimg"] + test.words) + ": unrecognized option '--no-such-option'\n"
    check(r.returncode == 2 and r.stderr.startswith(said) and "usage: mkbootimg" in r.stderr and r.stdout == "",
          f"status {r.returncode}, stdout {r.stdout!r}, stderr {r.stderr!r}")


def test_man(args, test, tmp):
    dest, mkb = installed(args)
    if shutil.which("mandoc") is None:
        raise h.Skip("mandoc", "mandoc not found (apt-get install mandoc)")
    # -W warning: STYLE notes about manuals not in this machine's database do not count.
    r = run(["mandoc", "-Tlint", "-W", "warning", os.path.join(dest, test.page)])
    check(r.returncode == 0 and r.stdout.strip() == "", r.stdout + r.stderr)


def test_completion(args, test, tmp):
    dest, mkb = installed(args)
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
    check(ok, repr(r.stdout) + r.stderr)


# ---- The C example and info ----

def test_c_example(args, test, tmp):
    r, kernel = c_example(args)
    check(r.returncode == 0 and "Hello from a C kernel!" in r.stdout, r.stdout[-1500:] + r.stderr[-1500:])


def test_info_build(args, test, tmp):
    r, img = info_image(args)
    check(r.returncode == 0, r.stderr)


def test_info_text(args, test, tmp):
    dest, mkb = installed(args)
    r = run([mkb, "info", image_copy(args, tmp)])
    check(r.returncode == 0 and "(matches the payload)" in r.stdout and "Physical memory map" in r.stdout
          and 'command line   "a b"' in r.stdout, r.stdout + r.stderr)


def test_info_json(args, test, tmp):
    dest, mkb = installed(args)
    r = run([mkb, "info", "--json", image_copy(args, tmp)])
    try:
        j = json.loads(r.stdout)
        ok = j["kind"] == "image" and j["checksum"]["matches"] is True and j["cmdline"] == "a b" \
            and len(j["segments"]) == 3 and j["protocol"]
    except (ValueError, KeyError, TypeError):
        ok = False
    check(ok, r.stdout[-1000:])


def test_info_kernel(args, test, tmp):
    dest, mkb = installed(args)
    r = run([mkb, "info", "--json", "--stack-size", "2M", example_kernel(args)])
    try:
        j = json.loads(r.stdout)
        ok = j["kind"] == "kernel" and any("above 1 MiB" in w for w in j["warnings"])
    except (ValueError, KeyError, TypeError):
        ok = False
    check(ok, r.stdout[-1000:] + r.stderr)


def number(v):
    """A number of `info --json`: an integer, or a string such as "0x1f"."""
    return int(v, 0) if isinstance(v, str) else v


def test_info_damaged(args, test, tmp):
    dest, mkb = installed(args)
    img = image_copy(args, tmp)
    payload = number(json.loads(run([mkb, "info", "--json", img]).stdout)["payload_lba"]) * 512
    with open(img, "r+b") as f:
        f.seek(payload)
        b = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([b[0] ^ 0xff]))
    r = run([mkb, "info", img])
    check(r.returncode == 1 and "DOES NOT MATCH" in r.stdout
          and r.stderr == "mkbootimg: %s: the payload checksum does not match: the loader will refuse to boot it\n"
          % img, r.stdout + r.stderr)


# ---- The README and the docs ----

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


def test_readme_links_doc(args, test, tmp):
    """docs/SPEED.md and docs/HACKING.md exist and the README links them."""
    check(os.path.isfile(os.path.join(ROOT, test.doc)) and f"]({test.doc})" in read("README.md"),
          "missing file" if not os.path.isfile(os.path.join(ROOT, test.doc)) else "no link in README.md")


def test_readme_relative_links(args, test, tmp):
    broken = []
    for page in ("README.md", "docs/SPEED.md", "docs/HACKING.md"):
        if not os.path.isfile(os.path.join(ROOT, page)):
            continue
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", read(page)):
            if "://" not in target and not os.path.exists(os.path.join(ROOT, os.path.dirname(page), target)):
                broken.append(f"{page}: {target}")
    check(not broken, str(broken))


def test_readme_anchors(args, test, tmp):
    """Links within the README lead to a heading (GitHub's anchors: lower case,
    punctuation dropped, spaces as hyphens)."""
    readme = read("README.md")
    anchors, fenced = set(), False
    for line in readme.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"#+ ", line):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    missing = sorted(set(re.findall(r"\]\(#([^)]+)\)", readme)) - anchors)
    check(not missing, str(missing))


def tutorial(title):
    sect = readme_section(read("README.md"), title)
    if sect is None:
        raise h.Failure(f"README has no section '{title}'")
    return sect


def test_readme_shows(args, test, tmp):
    """A tutorial shows each file of the example, each once."""
    blocks = FILE_BLOCK.findall(tutorial(test.title))
    check(sorted(name for name, _ in blocks) == sorted(test.files), f"shows {sorted(name for name, _ in blocks)}")


def test_readme_same_files(args, test, tmp):
    """Each file a tutorial shows is the example's file, byte for byte."""
    shown = dict(FILE_BLOCK.findall(tutorial(test.title)))
    differ = [name for name in test.files if name in shown and shown[name] != read(os.path.join(test.example, name))]
    check(not differ, f"differ: {differ}")


def c_tutorial_script():
    blocks = re.findall(r"^```sh\n(.*?)^```$", tutorial("A kernel in C"), re.M | re.S)
    return blocks, "\n".join(blocks)


def test_c_tutorial_sh_blocks(args, test, tmp):
    blocks, _ = c_tutorial_script()
    check(len(blocks) >= 2, f"{len(blocks)} found")


def flags_of(words):
    return {w for w in words if w.startswith("-") and w not in ("-o", "-T")}


def test_c_tutorial_flags(args, test, tmp):
    """The C tutorial's compiler command has the flags of the example's Makefile."""
    _, script = c_tutorial_script()
    compile_cmd = next((c for c in script.replace("\\\n", " ").splitlines() if c.startswith("cc ")), "")
    makefile = read("examples/c-kernel/Makefile").replace("\\\n", " ")
    make_flags = set()
    for var in ("CFLAGS", "LDFLAGS"):
        m = re.search(rf"^{var}\s*:=(.*)$", makefile, re.M)
        make_flags |= flags_of(m.group(1).split()) if m else {f"<no {var}>"}
    readme_flags = flags_of(compile_cmd.replace("$(pkg-config --cflags mkbootimg)", "").split())
    check(readme_flags == make_flags, f"only in README: {sorted(readme_flags - make_flags)}, "
          f"only in the Makefile: {sorted(make_flags - readme_flags)}")


def test_c_tutorial_runs(args, test, tmp):
    """The C tutorial's sh blocks, run as written: builds, boots, prints, passes as a test."""
    dest, mkb = installed(args)
    blocks, script = c_tutorial_script()
    check(len(blocks) >= 2, "the C tutorial has %d sh blocks (see its test)" % len(blocks))
    work = os.path.join(tmp, "tutorial-c")
    os.makedirs(work)
    for name, body in FILE_BLOCK.findall(tutorial("A kernel in C")):
        with open(os.path.join(work, name), "w") as f:
            f.write(body)
    # mkbootimg: the installed binary, headless, so that no window opens.
    script = re.sub(r"^mkbootimg run ", f"{mkb} run --headless --timeout 60 ", script, flags=re.M)
    script = re.sub(r"^mkbootimg ", f"{mkb} ", script, flags=re.M)
    env = pkg_config_env(dest)
    env["PKG_CONFIG_ALLOW_SYSTEM_CFLAGS"] = "1"
    r = run(["sh", "-ec", script], cwd=work, env=env, timeout=300)
    check(r.returncode == 0 and r.stdout.count("Hello from a C kernel!") >= 2
          and "---- VGA text screen ----" in r.stdout, script + "\n" + r.stdout[-1500:] + r.stderr[-1500:])


# ---- The Rust example ----

def rust_copy(args, tmp):
    """examples/rust-kernel copied to tmp, and an environment whose PATH finds
    the installed binary (runner = "mkbootimg run")."""
    if shutil.which("cargo") is None:
        raise h.Skip("cargo", "cargo not found")
    dest, mkb = installed(args)
    work = os.path.join(tmp, "rust-kernel")
    shutil.copytree(os.path.join(ROOT, "examples", "rust-kernel"), work, ignore=shutil.ignore_patterns("target"))
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(mkb) + os.pathsep + env["PATH"]
    return work, env


def test_cargo_run(args, test, tmp):
    work, env = rust_copy(args, tmp)
    r = run(["cargo", "run", "--offline", "-q", "--", "--headless", "--timeout", "60"], cwd=work, env=env,
            timeout=600)
    check(r.returncode == 0 and r.stdout.count("Hello from a Rust kernel!") >= 2, r.stdout[-1500:] + r.stderr[-3000:])


def test_cargo_test(args, test, tmp):
    work, env = rust_copy(args, tmp)
    r = run(["cargo", "test", "--offline"], cwd=work, env=env, timeout=600)
    check(r.returncode == 0 and "tests/boot.rs" in r.stderr, r.stdout[-1500:] + r.stderr[-3000:])


def test_cargo_test_fails(args, test, tmp):
    work, env = rust_copy(args, tmp)
    with open(os.path.join(work, "tests", "boot.rs")) as f:
        failing = f.read().replace("assert!(info.version >= 2);", "assert!(info.version >= 1000);")
    with open(os.path.join(work, "tests", "boot.rs"), "w") as f:
        f.write(failing)
    r = run(["cargo", "test", "--offline"], cwd=work, env=env, timeout=600)
    check(r.returncode != 0 and "0x11" in r.stderr, r.stdout[-1500:] + r.stderr[-3000:])


C_FILES = ["kernel.ld", "kernel.c"]
RUST_FILES = ["Cargo.toml", ".cargo/config.toml", "kernel.ld", "build.rs", "src/main.rs", "tests/boot.rs"]


def all_tests(args):
    T = h.Test
    tests = [T(f"README links {doc}, which exists", test_readme_links_doc, doc=doc)
             for doc in ("docs/SPEED.md", "docs/HACKING.md")]
    tests += [T("README and docs: every relative link leads to a file", test_readme_relative_links),
              T("README: every #link leads to a heading", test_readme_anchors),
              T("make install PREFIX=A, then PREFIX=B: the pkg-config file names B", test_prefix_change),
              T("make install DESTDIR PREFIX=/usr", test_install),
              T("install: every file in place", test_install_files),
              T("install: pkg-config file names the prefix", test_install_pc),
              T("make uninstall removes every file", test_uninstall),
              T("--version prints the Makefile's VERSION", test_version)]
    for sub in ["", "run", "install", "info"]:
        words = [sub] if sub else []
        tests.append(T(" ".join(["mkbootimg"] + words + ["--help"]), test_help, words=words))
        tests.append(T(" ".join(["mkbootimg"] + words + ["--no-such-option: usage on stderr, exit 2"]),
                       test_bad_option, words=words))
    for page in ["usr/share/man/man1/mkbootimg.1", "usr/share/man/man7/mkbootimg-protocol.7"]:
        tests.append(T(f"mandoc -Tlint {os.path.basename(page)}", test_man, page=page))
    tests += [T("bash completion: subcommands, options, option values", test_completion),
              T("examples/c-kernel: copied away, installed headers and binary, make test boots", test_c_example),
              T("installed binary builds an image", test_info_build),
              T("info IMAGE: checksum matches, memory map", test_info_text),
              T("info --json IMAGE", test_info_json),
              T("info --json KERNEL: warns of a stack above 1 MiB", test_info_kernel),
              T("info: a damaged payload is found, exit 1", test_info_damaged)]
    for title, example, files in (("A kernel in C", "examples/c-kernel", C_FILES),
                                  ("A kernel in Rust", "examples/rust-kernel", RUST_FILES)):
        tests.append(T(f"README '{title}': shows {sorted(files)}, each once", test_readme_shows, title=title,
                       files=files))
        tests.append(T(f"README '{title}': its files are those of {example}/", test_readme_same_files, title=title,
                       example=example, files=files))
    tests += [T("README C tutorial: has sh blocks", test_c_tutorial_sh_blocks),
              T("README C tutorial: its cc command has the flags of examples/c-kernel/Makefile", test_c_tutorial_flags),
              T("README C tutorial, its sh blocks run as written: builds, boots, prints, passes as a test",
                test_c_tutorial_runs),
              T("examples/rust-kernel: cargo run --offline boots it through runner = \"mkbootimg run\"", test_cargo_run),
              T("examples/rust-kernel: cargo test --offline passes its test kernel", test_cargo_test),
              T("examples/rust-kernel: a failed assert! fails cargo test", test_cargo_test_fails)]
    return tests


def main():
    parser = h.parser(__doc__)
    parser.add_argument("--make", default=os.environ.get("MAKE", "make"))
    parser.add_argument("--build", help="the build folder (make's BUILD) that make install uses")
    args = parser.parse_args()
    # mkbootimg run, as the tutorials call it, finds QEMU on the PATH: --qemu's folder first.
    if shutil.which(args.qemu):
        os.environ["PATH"] = os.path.dirname(os.path.abspath(shutil.which(args.qemu))) + os.pathsep + \
            os.environ.get("PATH", "")
    return h.main(args, all_tests(args), "newcomer tests")


if __name__ == "__main__":
    sys.exit(main())
