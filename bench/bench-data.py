#!/usr/bin/env python3
"""Write N MiB of pseudo-random bench data and print its sum of 64-bit
little-endian words modulo 2^64, as 16 hex digits.  usage: bench-data.py MIB OUT"""
import random
import struct
import sys

mib, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(mib)
total = 0
with open(out, "wb") as f:
    for _ in range(mib):
        block = rng.randbytes(1 << 20)
        total += sum(struct.unpack("<131072Q", block))
        f.write(block)
print("%016x" % (total & (2**64 - 1)))
