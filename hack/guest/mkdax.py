#!/usr/bin/env python3
"""Wrap an ext4 file system into a Kata-style nvdimm root image.

    mkdax.py FS_IMAGE OUT_IMAGE

Layout (the one Kata's osbuilder writes, so the kernel command line is
Kata's `root=/dev/pmem0p1 rootflags=dax,...`):

    0        MBR: partition 1 from 3 MiB to the end. Read by kernels without
             NVDIMM_PFN, which see the whole file as pmem0.
    4 KiB    struct nd_pfn_sb (linux drivers/nvdimm/pfn.h): an fsdax info
             block, data offset and alignment 2 MiB, struct pages in guest RAM
             (the backing file is mapped read-only). With it the kernel makes
             pfn0.1 and a pmem0 that starts at 2 MiB and supports DAX. A raw
             QEMU nvdimm namespace has no struct pages, and ext4 refuses
             `dax` on it.
    2 MiB    MBR again, as pmem0 sees it then: partition 1 at +1 MiB.
    3 MiB    the ext4 file system (pmem0p1 either way).

The file size is rounded up to a multiple of 2 MiB (the alignment); QEMU's
memory-backend-file size must then be exactly the file size. Zero regions of
the file system are left as holes. Output depends only on the input.
"""
import os
import struct
import sys

MIB = 1 << 20
ALIGN = 2 * MIB          # nd_pfn_sb dataoff == align
FS_OFFSET = 3 * MIB      # Kata: 2 MiB DAX header + the 1 MiB partition offset
SECTOR = 512
# Fixed so that two builds from the same file system are byte-identical.
DISK_SIGNATURE = 0x4B415441
PFN_UUID = bytes.fromhex("4b415441d5a74f1e9c2a6d0e8f3b1c01")


def chs(lba):
    """CHS address for an MBR entry (255 heads, 63 sectors; clamped)."""
    c, rest = divmod(lba, 255 * 63)
    if c > 1023:
        return bytes((254, 255, 255))
    h, s = divmod(rest, 63)
    return bytes((h, ((c >> 2) & 0xC0) | (s + 1), c & 0xFF))


def mbr(start_lba, sectors):
    """A DOS partition table with one Linux partition."""
    b = bytearray(SECTOR)
    struct.pack_into("<I", b, 440, DISK_SIGNATURE)
    entry = (bytes((0x00,)) + chs(start_lba) + bytes((0x83,)) +
             chs(start_lba + sectors - 1) + struct.pack("<II", start_lba, sectors))
    b[446:462] = entry
    b[510:512] = b"\x55\xaa"
    return bytes(b)


def fletcher64(data):
    """nd_fletcher64 (drivers/nvdimm/core.c) over little-endian u32 words."""
    lo = hi = 0
    for (w,) in struct.iter_unpack("<I", data):
        lo = (lo + w) & 0xFFFFFFFF
        hi = (hi + lo) & 0xFFFFFFFF
    return (hi << 32) | lo


def pfn_sb(total):
    sb = bytearray(4096)
    struct.pack_into(
        "<16s16s16sIHHQQIIIIIH", sb, 0,
        b"NVDIMM_PFN_INFO\0",
        PFN_UUID,
        bytes(16),               # parent_uuid: a label-less namespace has none
        0,                       # flags
        1, 4,                    # version 1.4: page_size/page_struct_size valid
        ALIGN,                   # dataoff, from the namespace start
        (total - ALIGN) // 4096, # npfns
        1,                       # mode PFN_MODE_RAM: memmap in RAM, not on pmem
        0, 0,                    # start_pad, end_trunc
        ALIGN,                   # align
        4096, 64)                # page_size, page_struct_size
    # The checksum covers the whole block with the checksum field zero.
    struct.pack_into("<Q", sb, 4088, fletcher64(bytes(sb)))
    return bytes(sb)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    src, out = sys.argv[1], sys.argv[2]
    fs_size = os.path.getsize(src)
    if fs_size % 4096:
        sys.exit(f"{src}: size {fs_size} is not a multiple of 4 KiB")
    total = -(-(FS_OFFSET + fs_size) // ALIGN) * ALIGN
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.truncate(total)
        f.write(mbr(FS_OFFSET // SECTOR, (total - FS_OFFSET) // SECTOR))
        f.seek(4096)
        f.write(pfn_sb(total))
        f.seek(ALIGN)
        f.write(mbr((FS_OFFSET - ALIGN) // SECTOR, (total - FS_OFFSET) // SECTOR))
        with open(src, "rb") as s:
            pos = FS_OFFSET
            while True:
                chunk = s.read(MIB)
                if not chunk:
                    break
                if chunk.count(0) != len(chunk):
                    f.seek(pos)
                    f.write(chunk)
                pos += len(chunk)
    os.replace(tmp, out)
    print(f"{out}: {total} bytes ({total // MIB} MiB), ext4 at {FS_OFFSET // MIB} MiB, "
          f"{(total - FS_OFFSET) // MIB} MiB partition")


if __name__ == "__main__":
    main()
