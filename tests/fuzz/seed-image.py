#!/usr/bin/env python3
"""Seeds from images made by mkbootimg: for each IMAGE, OUT/seed-NAME holds
the image from its manifest to the end of its payload, after
  - for fuzz-info (fuzz-info.c): an odd byte and the stage-2 sector count (16 bits);
  - with --manifest, for fuzz-manifest (fuzz-manifest.c): the manifest's LBA - 34 (8 bits).

    seed-image.py [--manifest] MKBOOTIMG OUT IMAGE...
"""

import json
import os
import struct
import subprocess
import sys

SECTOR = 512
STAGE2_LBA = 34


def main():
    words = sys.argv[1:]
    manifest = words[:1] == ["--manifest"]
    mkbootimg, out, images = words[manifest], words[manifest + 1], words[manifest + 2:]
    os.makedirs(out, exist_ok=True)
    for image in images:
        info = json.loads(subprocess.run([mkbootimg, "info", "--json", image], check=True,
                                         stdout=subprocess.PIPE).stdout)
        with open(image, "rb") as f:
            data = f.read()
        (sectors,) = struct.unpack_from("<H", data, STAGE2_LBA * SECTOR + 4)
        end = (info["payload_lba"] + info["payload_sectors"]) * SECTOR
        head = bytes([sectors]) if manifest else b"\x01" + struct.pack("<H", sectors)
        seed = head + data[info["manifest_lba"] * SECTOR:end]
        with open(os.path.join(out, "seed-" + os.path.basename(image)), "wb") as f:
            f.write(seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
