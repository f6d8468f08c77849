#!/usr/bin/env python3
"""Write a cpio "newc" archive, the format Linux unpacks as an initramfs
(Documentation/driver-api/early-userspace/buffer-format.rst), without the
cpio program.

usage: newc.py -o ARCHIVE ENTRY...

ENTRY is one of
  dir:NAME                  a directory, mode 0755
  file:NAME=PATH            the file at PATH, mode 0755
  text:NAME=TEXT            a file holding TEXT and a newline, mode 0644
  char:NAME=MAJOR,MINOR     a character device node, mode 0600

Entries are written in the order given; the archive ends with the trailer
and is padded with zeros to a multiple of 512 bytes, so that archives can be
concatenated (Linux skips the zeros between them). Python 3 standard library only.
"""

import argparse
import sys

S_IFDIR, S_IFREG, S_IFCHR = 0o040000, 0o100000, 0o020000


def header(ino, mode, size, name, rdev=(0, 0), nlink=1):
    """The 110-byte header and the NUL-terminated name, padded to 4 bytes."""
    fields = (ino, mode, 0, 0, nlink, 0, size, 0, 0, rdev[0], rdev[1], len(name) + 1, 0)
    text = b"070701" + b"".join(b"%08X" % f for f in fields) + name.encode() + b"\0"
    return text + b"\0" * (-len(text) % 4)


def archive(entries):
    """The archive's bytes. entries: (name, mode, data, rdev) tuples, name without a leading '/'."""
    out = bytearray()
    for ino, (name, mode, data, rdev) in enumerate(entries, start=1):
        out += header(ino, mode, len(data), name, rdev, nlink=2 if mode & S_IFDIR else 1)
        out += data + b"\0" * (-len(data) % 4)
    out += header(0, 0, 0, "TRAILER!!!")
    return bytes(out + b"\0" * (-len(out) % 512))


def entry(spec):
    """One (name, mode, data, rdev) from a command-line ENTRY."""
    kind, _, rest = spec.partition(":")
    name, _, value = rest.partition("=")
    name = name.lstrip("/")
    if kind == "dir":
        return (name, S_IFDIR | 0o755, b"", (0, 0))
    if kind == "file":
        with open(value, "rb") as f:
            return (name, S_IFREG | 0o755, f.read(), (0, 0))
    if kind == "text":
        return (name, S_IFREG | 0o644, value.encode() + b"\n", (0, 0))
    if kind == "char":
        major, minor = (int(x) for x in value.split(","))
        return (name, S_IFCHR | 0o600, b"", (major, minor))
    raise SystemExit("newc.py: %r: give dir:, file:, text: or char: (see --help)" % spec)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("-o", dest="output", required=True)
    p.add_argument("entries", nargs="+")
    args = p.parse_args()
    data = archive([entry(e) for e in args.entries])
    with open(args.output, "wb") as f:
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
