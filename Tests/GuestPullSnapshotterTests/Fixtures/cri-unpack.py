#!/usr/bin/env python3
"""Unpacks an OCI image layout into a containerd snapshotter the way
containerd 1.6's CRI pull does (unpacker.go): per layer, Stat the chain id;
if absent, Prepare an `extract-<unique> <chain id>` key on the parent chain
with the `containerd.io/snapshot.ref` label and CRI's snapshot labels
(cri.image-ref, cri.layer-digest, cri.manifest-digest, cri.image-layers),
expect AlreadyExists from a remote snapshotter, then Stat the chain id.
Talks to containerd's own Snapshots service, so containerd's metadata store
sits between it and the proxy snapshotter exactly as in a pull. A Prepare
that returns mounts (the snapshotter wants the layer's content on the host)
is a failure.

    cri-unpack.py --address SOCK --snapshotter NAME --namespace NS \
        --lease ID --proto-root DIR --layout DIR --image-ref REF
Prints {"chain_ids": [...], "layers": [...], "manifest": "sha256:..."} as JSON.
"""
import argparse
import hashlib
import json
import os
import sys
import tempfile
import time


def load_stubs(proto_root, out):
    from grpc_tools import protoc
    import grpc_tools
    include = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    status = protoc.main(["protoc", "-I", proto_root, "-I", include,
                          "--python_out=" + out, "--grpc_python_out=" + out,
                          "containerd/snapshots/v1/snapshots.proto", "containerd/types/mount.proto"])
    if status != 0:
        sys.exit("grpc_tools.protoc failed on %s (pip install grpcio-tools)" % proto_root)
    sys.path.insert(0, out)
    from containerd.snapshots.v1 import snapshots_pb2, snapshots_pb2_grpc
    return snapshots_pb2, snapshots_pb2_grpc


def blob(layout, digest):
    algorithm, hexdigest = digest.split(":", 1)
    with open(os.path.join(layout, "blobs", algorithm, hexdigest), "rb") as f:
        return f.read()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("address", "snapshotter", "namespace", "lease", "proto-root", "layout", "image-ref"):
        parser.add_argument("--" + name, required=True)
    args = parser.parse_args()

    import grpc
    with tempfile.TemporaryDirectory() as stubs:
        pb, pb_grpc = load_stubs(args.proto_root, stubs)
        with open(os.path.join(args.layout, "index.json")) as f:
            index = json.load(f)
        manifest_digest = index["manifests"][0]["digest"]
        manifest = json.loads(blob(args.layout, manifest_digest))
        config = json.loads(blob(args.layout, manifest["config"]["digest"]))
        diff_ids = config["rootfs"]["diff_ids"]
        layers = [layer["digest"] for layer in manifest["layers"]]

        # identity.ChainID: chain(n) = sha256(chain(n-1) + " " + diff_id(n)).
        chain_ids = []
        for diff_id in diff_ids:
            if not chain_ids:
                chain_ids.append(diff_id)
            else:
                chain_ids.append("sha256:" + hashlib.sha256((chain_ids[-1] + " " + diff_id).encode()).hexdigest())

        metadata = [("containerd-namespace", args.namespace), ("containerd-lease", args.lease)]
        channel = grpc.insecure_channel("unix://" + args.address)
        stub = pb_grpc.SnapshotsStub(channel)
        parent = ""
        for chain_id, layer in zip(chain_ids, layers):
            try:
                stub.Stat(pb.StatSnapshotRequest(snapshotter=args.snapshotter, key=chain_id), metadata=metadata)
                parent = chain_id
                continue
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.NOT_FOUND:
                    raise
            labels = {
                "containerd.io/snapshot.ref": chain_id,
                "containerd.io/snapshot/cri.image-ref": args.image_ref,
                "containerd.io/snapshot/cri.layer-digest": layer,
                "containerd.io/snapshot/cri.manifest-digest": manifest_digest,
                "containerd.io/snapshot/cri.image-layers": ",".join(layers),
            }
            key = "extract-%d-%s %s" % (time.time_ns(), os.getpid(), chain_id)
            try:
                response = stub.Prepare(pb.PrepareSnapshotRequest(snapshotter=args.snapshotter, key=key,
                                                                  parent=parent, labels=labels), metadata=metadata)
                sys.exit("Prepare %r returned mounts %s: the snapshotter wants layer %s unpacked on the host"
                         % (key, list(response.mounts), layer))
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.ALREADY_EXISTS:
                    raise
            info = stub.Stat(pb.StatSnapshotRequest(snapshotter=args.snapshotter, key=chain_id), metadata=metadata).info
            if info.kind != pb.COMMITTED or info.parent != parent:
                sys.exit("Stat %s after AlreadyExists: kind %d parent %r, expected committed on %r"
                         % (chain_id, info.kind, info.parent, parent))
            parent = chain_id
        print(json.dumps({"chain_ids": chain_ids, "layers": layers, "manifest": manifest_digest}))


if __name__ == "__main__":
    main()
