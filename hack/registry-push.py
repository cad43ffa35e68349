#!/usr/bin/env python3
"""Builds test images and pushes them to a registry (registry API v2, no
auth), with the standard library only. Prints the pushed manifest's digest.

  registry-push.py two-layer  REGISTRY NAME TAG
  registry-push.py index      REGISTRY NAME TAG MANIFEST_DIGEST ARCH...
  registry-push.py escape     REGISTRY NAME TAG
  registry-push.py zstd       REGISTRY NAME TAG
  registry-push.py corrupt    REGISTRY NAME TAG STORAGE_ROOT
  registry-push.py oci-layout REGISTRY NAME TAG LAYOUT_TAR
  registry-push.py docker     REGISTRY NAME TAG       (Docker v2 media types, in a manifest list)
  registry-push.py with-marker REGISTRY NAME TAG LAYOUT_TAR MARKER_PATH
      (the layout's image plus a layer holding MARKER_PATH; prints a JSON object
       with the manifest, config and layer digests)
"""
import gzip
import hashlib
import io
import json
import sys
import tarfile
import urllib.request

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
MTIME = 1_600_000_000


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def request(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(req) as response:
        return response.status, dict(response.headers), response.read()


def push_blob(registry, name, data):
    _, headers, _ = request("POST", f"http://{registry}/v2/{name}/blobs/uploads/")
    location = headers["Location"]
    if location.startswith("/"):
        location = f"http://{registry}{location}"
    separator = "&" if "?" in location else "?"
    request("PUT", f"{location}{separator}digest={digest(data)}", data,
            {"Content-Type": "application/octet-stream"})
    return {"digest": digest(data), "size": len(data)}


def push_manifest(registry, name, reference, document, media_type):
    data = json.dumps(document).encode() if not isinstance(document, bytes) else document
    request("PUT", f"http://{registry}/v2/{name}/manifests/{reference}", data, {"Content-Type": media_type})
    return digest(data)


def tar_layer(entries, fmt):
    """entries: (TarInfo fields dict, content bytes or None)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as archive:
        for fields, content in entries:
            info = tarfile.TarInfo(fields.pop("name"))
            info.mtime = MTIME
            info.mode = 0o644
            for key, value in fields.items():
                setattr(info, key, value)
            if content is not None:
                info.size = len(content)
                archive.addfile(info, io.BytesIO(content))
            else:
                archive.addfile(info)
    return buffer.getvalue()


def gz(data):
    return gzip.compress(data, mtime=0)


DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def push_image(registry, name, tag, layers, config=None, layer_type=LAYER_GZIP,
               manifest_type=OCI_MANIFEST, config_type=OCI_CONFIG):
    """layers: compressed layer bytes; diff_ids are computed from them."""
    diff_ids = []
    for layer in layers:
        try:
            diff_ids.append(digest(gzip.decompress(layer)))
        except OSError:
            diff_ids.append(digest(layer))
    config = config or {}
    config_document = {
        "architecture": "amd64", "os": "linux", "config": config,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    config_blob = json.dumps(config_document).encode()
    config_descriptor = push_blob(registry, name, config_blob)
    manifest = {
        "schemaVersion": 2, "mediaType": manifest_type,
        "config": {"mediaType": config_type, **config_descriptor},
        "layers": [{"mediaType": layer_type, **push_blob(registry, name, layer)} for layer in layers],
    }
    return push_manifest(registry, name, tag, manifest, manifest_type)


def docker(registry, name, tag):
    layer = gz(tar_layer([({"name": "docker.txt"}, b"docker media types\n")], tarfile.GNU_FORMAT))
    manifest_digest = push_image(registry, name, tag + "-amd64", [layer], {"Cmd": ["sh"]}, DOCKER_LAYER,
                                 DOCKER_MANIFEST, DOCKER_CONFIG)
    data = request("GET", f"http://{registry}/v2/{name}/manifests/{manifest_digest}", None,
                   {"Accept": DOCKER_MANIFEST})[2]
    document = {
        "schemaVersion": 2, "mediaType": DOCKER_LIST,
        "manifests": [{"mediaType": DOCKER_MANIFEST, "digest": manifest_digest, "size": len(data),
                       "platform": {"os": "linux", "architecture": "amd64"}}],
    }
    push_manifest(registry, name, tag, document, DOCKER_LIST)
    return manifest_digest


def two_layer(registry, name, tag):
    long_directory = "deep/" + "d" * 120
    lower = tar_layer([
        ({"name": "bin", "type": tarfile.DIRTYPE, "mode": 0o755}, None),
        ({"name": "bin/tool", "mode": 0o755}, b"#!/bin/sh\necho tool\n"),
        ({"name": "bin/link-to-tool", "type": tarfile.SYMTYPE, "linkname": "tool", "mode": 0o777}, None),
        ({"name": "bin/tool-hardlink", "type": tarfile.LNKTYPE, "linkname": "bin/tool", "mode": 0o755}, None),
        ({"name": "etc", "type": tarfile.DIRTYPE, "mode": 0o755}, None),
        ({"name": "etc/hello.txt", "uid": 1000, "gid": 1001}, b"hello\n"),
        ({"name": "etc/removed.txt"}, b"gone\n"),
        ({"name": "etc/abs-link", "type": tarfile.SYMTYPE, "linkname": "/etc/hello.txt", "mode": 0o777}, None),
        ({"name": "cache", "type": tarfile.DIRTYPE, "mode": 0o755}, None),
        ({"name": "cache/old1"}, b"old\n"),
        ({"name": "cache/sub", "type": tarfile.DIRTYPE, "mode": 0o755}, None),
        ({"name": "cache/sub/old2"}, b"old\n"),
        ({"name": "run", "type": tarfile.DIRTYPE, "mode": 0o755}, None),
        ({"name": "run/fifo", "type": tarfile.FIFOTYPE, "mode": 0o640}, None),
        ({"name": f"{long_directory}/file.txt", "mode": 0o600}, b"long\n"),
    ], tarfile.PAX_FORMAT)
    upper = tar_layer([
        ({"name": "etc/.wh.removed.txt"}, b""),
        ({"name": "cache/.wh..wh..opq"}, b""),
        ({"name": "cache/new"}, b"new\n"),
        ({"name": "etc/added.txt", "mode": 0o600}, b"added\n"),
        ({"name": "etc/link-dir", "type": tarfile.SYMTYPE, "linkname": "/etc", "mode": 0o777}, None),
        ({"name": "etc/link-dir/via-link.txt"}, b"through a symlink inside the root\n"),
        ({"name": f"{long_directory}/second-" + "n" * 110, "mode": 0o644}, b"gnu long name\n"),
    ], tarfile.GNU_FORMAT)
    config = {"Entrypoint": ["/bin/tool"], "Cmd": ["--flag"], "Env": ["PATH=/bin", "A=b"],
              "WorkingDir": "/etc", "User": "1000:1001"}
    return push_image(registry, name, tag, [gz(lower), gz(upper)], config)


def index(registry, name, tag, manifest_digest, *architectures):
    data = request("GET", f"http://{registry}/v2/{name}/manifests/{manifest_digest}", None,
                   {"Accept": OCI_MANIFEST})[2]
    document = {
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [{"mediaType": OCI_MANIFEST, "digest": manifest_digest, "size": len(data),
                       "platform": {"os": "linux", "architecture": arch}} for arch in architectures],
    }
    return push_manifest(registry, name, tag, document, OCI_INDEX)


def escape(registry, name, tag):
    layer = tar_layer([({"name": "inside.txt"}, b"inside\n"), ({"name": "../escape"}, b"escaped\n")],
                      tarfile.GNU_FORMAT)
    return push_image(registry, name, tag, [gz(layer)])


def zstd(registry, name, tag):
    return push_image(registry, name, tag, [b"\x28\xb5\x2f\xfd not really zstd"],
                      layer_type="application/vnd.oci.image.layer.v1.tar+zstd")


def corrupt(registry, name, tag, storage_root):
    layer = gz(tar_layer([({"name": "file"}, b"original\n")], tarfile.GNU_FORMAT))
    pushed = push_image(registry, name, tag, [layer])
    hexdigest = hashlib.sha256(layer).hexdigest()
    path = f"{storage_root}/docker/registry/v2/blobs/sha256/{hexdigest[:2]}/{hexdigest}/data"
    tampered = gz(tar_layer([({"name": "file"}, b"tampered\n")], tarfile.GNU_FORMAT))
    with open(path, "wb") as data:
        data.write(tampered)
    print(digest(layer), digest(tampered), file=sys.stderr)
    return pushed


def oci_layout(registry, name, tag, layout):
    with tarfile.open(layout) as archive:
        def read(member):
            return archive.extractfile(member).read()
        top = json.loads(read("index.json"))
        for member in archive.getmembers():
            if member.isfile() and member.name.startswith("blobs/sha256/"):
                push_blob(registry, name, read(member))
        entry = top["manifests"][0]
        manifest = read("blobs/sha256/" + entry["digest"].split(":")[1])
        return push_manifest(registry, name, tag, manifest, entry.get("mediaType", OCI_MANIFEST))


def with_marker(registry, name, tag, layout, marker):
    """The OCI layout's image with one more layer, which holds `marker` (a
    file whose name and text appear nowhere else): what must never reach the
    host when the guest pulls the image."""
    with tarfile.open(layout) as archive:
        def read(path):
            return archive.extractfile(path).read()
        entry = json.loads(read("index.json"))["manifests"][0]
        manifest = json.loads(read("blobs/sha256/" + entry["digest"].split(":")[1]))
        config = json.loads(read("blobs/sha256/" + manifest["config"]["digest"].split(":")[1]))
        layers = [read("blobs/sha256/" + layer["digest"].split(":")[1]) for layer in manifest["layers"]]
    extra = tar_layer([({"name": marker.lstrip("/")}, f"guest-only {marker}\n".encode())], tarfile.PAX_FORMAT)
    config["rootfs"]["diff_ids"].append(digest(extra))
    layers.append(gz(extra))
    config_descriptor = push_blob(registry, name, json.dumps(config).encode())
    layer_descriptors = [push_blob(registry, name, layer) for layer in layers]
    document = {
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, **config_descriptor},
        "layers": [{"mediaType": LAYER_GZIP, **d} for d in layer_descriptors],
    }
    manifest_digest = push_manifest(registry, name, tag, document, OCI_MANIFEST)
    return json.dumps({"manifest": manifest_digest, "config": config_descriptor["digest"],
                       "layers": [d["digest"] for d in layer_descriptors]})


if __name__ == "__main__":
    scenarios = {"two-layer": two_layer, "index": index, "escape": escape, "zstd": zstd,
                 "corrupt": corrupt, "oci-layout": oci_layout, "docker": docker, "with-marker": with_marker}
    if len(sys.argv) < 5 or sys.argv[1] not in scenarios:
        sys.exit(__doc__)
    print(scenarios[sys.argv[1]](*sys.argv[2:]))
