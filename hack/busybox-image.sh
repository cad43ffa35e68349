#!/usr/bin/env bash
# Builds two local container images, without a registry or image tools:
#   OUT_DIR/busybox.tar   imports as localhost/busybox:local
#   OUT_DIR/pause.tar     imports as localhost/pause:local
#
#   hack/busybox-image.sh OUT_DIR
#   ctr -n NAMESPACE images import OUT_DIR/busybox.tar
#
# Each archive is an OCI image layout (oci-layout, index.json, blobs/sha256/)
# whose index names the image with the io.containerd.image.name annotation,
# which `ctr images import` (containerd 1.6) uses as the image name. One
# gzip layer, amd64/linux.
#   busybox: Debian's busybox-static as /bin/busybox plus a symlink per applet
#            (busybox --list-full), /etc/passwd and /etc/group, empty /tmp
#            /proc /sys /dev /root /run; cmd /bin/sh,
#            PATH=/bin:/usr/bin:/sbin:/usr/sbin. /etc/hostname and
#            /etc/resolv.conf are left out: runtimes mount over them.
#   pause:   /pause from hack/guest/pause.c (gcc -static); entrypoint /pause.
#
# The output is deterministic (fixed times and owners, sorted entries, gzip
# without a name or time), and the work is skipped when both archives are
# newer than every input (this script, pause.c, /bin/busybox). Concurrent
# runs on one OUT_DIR take turns (flock) and publish by rename.
# Needs: python3 (standard library only), gcc, busybox-static.
set -euo pipefail
umask 022
export LC_ALL=C TZ=UTC

[ $# -eq 1 ] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
self="$here/$(basename "$0")"
pause_src="$here/guest/pause.c"
busybox=/bin/busybox
out="$1"
die() { echo "busybox-image: $*" >&2; exit 1; }

[ -x "$busybox" ] || die "$busybox is missing: apt-get install busybox-static"
[ -f "$pause_src" ] || die "$pause_src is missing"
command -v gcc >/dev/null || die "gcc is missing: apt-get install gcc libc6-dev"
command -v python3 >/dev/null || die "python3 is missing: apt-get install python3"

mkdir -p "$out"
out="$(cd "$out" && pwd)"
exec 9>"$out/.busybox-image.lock"
flock 9

up_to_date() {
	local target input
	for target in "$out/busybox.tar" "$out/pause.tar"; do
		[ -f "$target" ] || return 1
		for input in "$self" "$pause_src" "$(readlink -f "$busybox")"; do
			[ "$target" -nt "$input" ] || return 1
		done
	done
}
if up_to_date; then
	echo "busybox-image: $out/busybox.tar and $out/pause.tar are up to date"
	exit 0
fi

scratch="$(mktemp -d "$out/.scratch.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

gcc -static -Os -s -Wall -Werror -o "$scratch/pause" "$pause_src"

python3 - "$scratch" "$busybox" <<'PY'
import gzip, hashlib, io, json, os, struct, subprocess, sys, tarfile

scratch, busybox = sys.argv[1], sys.argv[2]
MTIME = 0
CREATED = "1970-01-01T00:00:00Z"

def is_static(path):
    """True when the ELF file has no PT_INTERP (no dynamic loader)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise SystemExit(f"busybox-image: {path} is not a 64-bit ELF file")
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    return all(struct.unpack_from("<I", data, phoff + i * phentsize)[0] != 3 for i in range(phnum))

def info(name, kind, mode, size=0, link=""):
    t = tarfile.TarInfo(name)
    t.type, t.mode, t.size, t.linkname = kind, mode, size, link
    t.mtime, t.uid, t.gid, t.uname, t.gname = MTIME, 0, 0, "", ""
    return t

def tar_bytes(entries):
    """entries: {path: (kind, mode, data-or-linkname)}; parents first, sorted."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(entries):
            kind, mode, payload = entries[name]
            if kind == tarfile.REGTYPE:
                tar.addfile(info(name, kind, mode, len(payload)), io.BytesIO(payload))
            elif kind == tarfile.SYMTYPE:
                tar.addfile(info(name, kind, mode, link=payload))
            else:
                tar.addfile(info(name, kind, mode))
    return buf.getvalue()

def directory(entries, path, mode=0o755):
    if not path.strip("/"):
        return
    parts = path.strip("/").split("/")
    for i in range(1, len(parts) + 1):
        entries.setdefault("/".join(parts[:i]), (tarfile.DIRTYPE, mode if i == len(parts) else 0o755, None))

def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()

def image(name, ref, layer_entries, config_section, archive):
    layer = tar_bytes(layer_entries)
    compressed = gzip.compress(layer, compresslevel=9, mtime=0)
    config = {
        "created": CREATED,
        "architecture": "amd64",
        "os": "linux",
        "config": config_section,
        "rootfs": {"type": "layers", "diff_ids": [digest(layer)]},
        "history": [{"created": CREATED, "created_by": "hack/busybox-image.sh"}],
    }
    config_bytes = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": digest(config_bytes), "size": len(config_bytes)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": digest(compressed), "size": len(compressed)}],
    }
    manifest_bytes = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": manifest["mediaType"],
            "digest": digest(manifest_bytes), "size": len(manifest_bytes),
            "platform": {"architecture": "amd64", "os": "linux"},
            "annotations": {"io.containerd.image.name": name,
                            "org.opencontainers.image.ref.name": ref},
        }],
    }
    outer = {"oci-layout": (tarfile.REGTYPE, 0o644, b'{"imageLayoutVersion":"1.0.0"}'),
             "index.json": (tarfile.REGTYPE, 0o644, json.dumps(index, sort_keys=True, separators=(",", ":")).encode())}
    directory(outer, "blobs/sha256")
    for blob in (config_bytes, manifest_bytes, compressed):
        outer["blobs/sha256/" + digest(blob)[7:]] = (tarfile.REGTYPE, 0o644, blob)
    with open(os.path.join(scratch, archive), "wb") as f:
        f.write(tar_bytes(outer))

# busybox
if not is_static(busybox):
    raise SystemExit(f"busybox-image: {busybox} is dynamically linked: apt-get install busybox-static")
with open(busybox, "rb") as f:
    busybox_bytes = f.read()
entries = {}
for d in ("bin", "sbin", "usr/bin", "usr/sbin", "etc", "dev", "proc", "sys", "run", "var"):
    directory(entries, d)
directory(entries, "root", 0o700)
directory(entries, "tmp", 0o1777)
entries["bin/busybox"] = (tarfile.REGTYPE, 0o755, busybox_bytes)
applets = subprocess.run([busybox, "--list-full"], check=True, capture_output=True, text=True).stdout.split()
for applet in applets:
    applet = applet.strip("/")
    if applet == "bin/busybox" or applet in entries:
        continue
    directory(entries, os.path.dirname(applet))
    entries[applet] = (tarfile.SYMTYPE, 0o777, "/bin/busybox")
entries["etc/passwd"] = (tarfile.REGTYPE, 0o644,
    b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
entries["etc/group"] = (tarfile.REGTYPE, 0o644, b"root:x:0:\nnogroup:x:65534:\n")
image("localhost/busybox:local", "local", entries,
      {"Env": ["PATH=/bin:/usr/bin:/sbin:/usr/sbin"], "Cmd": ["/bin/sh"], "WorkingDir": "/"},
      "busybox.tar")

# pause
with open(os.path.join(scratch, "pause"), "rb") as f:
    pause_bytes = f.read()
image("localhost/pause:local", "local", {"pause": (tarfile.REGTYPE, 0o755, pause_bytes)},
      {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
       "Entrypoint": ["/pause"], "WorkingDir": "/"},
      "pause.tar")
print(f"busybox-image: busybox with {len(applets)} applets")
PY

mv -f "$scratch/busybox.tar" "$out/busybox.tar"
mv -f "$scratch/pause.tar" "$out/pause.tar"
echo "busybox-image: wrote $out/busybox.tar ($(du -h "$out/busybox.tar" | cut -f1)) and $out/pause.tar ($(du -h "$out/pause.tar" | cut -f1))"
