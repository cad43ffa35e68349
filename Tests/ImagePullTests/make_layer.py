#!/usr/bin/env python3
"""Writes a tar layer from a JSON list of entries on stdin, standard library only.

  make_layer.py OUT [gnu|pax|ustar] [gzip]

Each entry: {"name": ..., "type": "file"|"dir"|"symlink"|"hardlink"|"fifo",
"content": text, "linkname": ..., "mode": int, "uid": int, "gid": int,
"major": int, "minor": int}; types also "char" and "block".
"""
import gzip
import io
import json
import sys
import tarfile

TYPES = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
         "hardlink": tarfile.LNKTYPE, "fifo": tarfile.FIFOTYPE, "char": tarfile.CHRTYPE,
         "block": tarfile.BLKTYPE}
FORMATS = {"gnu": tarfile.GNU_FORMAT, "pax": tarfile.PAX_FORMAT, "ustar": tarfile.USTAR_FORMAT}

out = sys.argv[1]
fmt = FORMATS[sys.argv[2] if len(sys.argv) > 2 else "gnu"]
buffer = io.BytesIO()
with tarfile.open(fileobj=buffer, mode="w", format=fmt) as archive:
    for entry in json.load(sys.stdin):
        info = tarfile.TarInfo(entry["name"])
        info.type = TYPES[entry.get("type", "file")]
        info.mode = entry.get("mode", 0o644)
        info.mtime = 1_600_000_000
        info.linkname = entry.get("linkname", "")
        info.uid, info.gid = entry.get("uid", 0), entry.get("gid", 0)
        info.devmajor, info.devminor = entry.get("major", 0), entry.get("minor", 0)
        content = entry.get("content", "").encode()
        if info.type == tarfile.REGTYPE:
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
        else:
            archive.addfile(info)
data = buffer.getvalue()
if "gzip" in sys.argv[3:]:
    data = gzip.compress(data, mtime=0)
with open(out, "wb") as file:
    file.write(data)
