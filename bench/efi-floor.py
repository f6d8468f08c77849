#!/usr/bin/env python3
"""A UEFI floor image: a copy of an mkbootimg image whose \\EFI\\BOOT\\BOOTX64.EFI
is replaced by a floor application (bench/efi-floor.c), so that OVMF reads
the same disk, the same GPT and the same EFI system partition, and starts
the floor where it would start the loader.

usage: efi-floor.py IMAGE APP OUT
       efi-floor.py --payload IMAGE MKBOOTIMG   (prints -D flags for the load floor)
"""
import json
import shutil
import struct
import subprocess
import sys
import uuid

SECTOR = 512
ESP = uuid.UUID("c12a7328-f81f-11d2-ba4b-00a0c93ec93b").bytes_le


def esp_offset(image):
    """The byte offset of the EFI system partition, from the primary GPT."""
    with open(image, "rb") as f:
        f.seek(SECTOR)
        header = f.read(92)
        if header[:8] != b"EFI PART":
            sys.exit(f"efi-floor: {image}: no GPT (make it with --firmware hybrid or uefi)")
        entries_lba, count, size = struct.unpack_from("<QII", header, 72)
        f.seek(entries_lba * SECTOR)
        table = f.read(count * size)
    for i in range(count):
        entry = table[i * size:(i + 1) * size]
        if entry[:16] == ESP:
            return struct.unpack_from("<Q", entry, 32)[0] * SECTOR
    sys.exit(f"efi-floor: {image}: no EFI system partition in its GPT")


def main():
    if sys.argv[1] == "--payload":
        info = json.loads(subprocess.run([sys.argv[3], "info", "--json", sys.argv[2]], check=True,
                                         capture_output=True, text=True).stdout)
        print(f"-DPAYLOAD_LBA={info['payload_lba']} -DPAYLOAD_SECTORS={info['payload_sectors']}")
        return
    image, app, out = sys.argv[1:4]
    offset = esp_offset(image)
    shutil.copyfile(image, out)
    subprocess.run(["mcopy", "-o", "-i", f"{out}@@{offset}", app, "::/EFI/BOOT/BOOTX64.EFI"], check=True)


if __name__ == "__main__":
    main()
