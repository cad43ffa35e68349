#!/usr/bin/env python3
"""A small CRI v1 client: drives containerd's CRI plugin over gRPC as kubelet
does, for the tests and the demo (no crictl on Debian 12).

    cri.py --endpoint unix:///path/containerd.sock COMMAND ...

Commands print JSON (or an id) on stdout and exit non-zero with the gRPC
status on stderr when the call fails:

    version
    runp POD.json [--handler H]            -> pod sandbox id
    create POD_ID CONTAINER.json POD.json  -> container id
    start | stop [--timeout S] | rm        CONTAINER_ID
    stopp | rmp                            POD_ID
    inspectp POD_ID | inspect CONTAINER_ID -> status
    pods                                   -> pod sandbox ids, one a line
    exec-sync CONTAINER_ID [--timeout S] -- CMD...  -> {stdout, stderr, exit_code}
    exec CONTAINER_ID [--stdin TEXT] -- CMD...      -> {stdout, stderr, exit_code, status}
    stats CONTAINER_ID                     -> container stats
    pull IMAGE [--pod POD.json]            -> image ref (ImageService.PullImage)
    rmi IMAGE                              (ImageService.RemoveImage)

POD.json and CONTAINER.json are PodSandboxConfig and ContainerConfig in
protobuf's JSON mapping. `exec` opens the URL that Exec returns and speaks
Kubernetes' v4.channel.k8s.io WebSocket protocol: one byte of channel (0
stdin, 1 stdout, 2 stderr, 3 status) before each message.

The stubs are generated from proto/cri/api.proto with grpcio-tools on first
use, into .build/cri-stubs/<hash of the proto> (CRI_STUBS_DIR overrides).
"""
import argparse
import hashlib
import importlib
import json
import os
import sys
from urllib.parse import urlparse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROTO = os.path.join(ROOT, "proto", "cri", "api.proto")


def load_stubs():
    with open(PROTO, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    out = os.environ.get("CRI_STUBS_DIR") or os.path.join(ROOT, ".build", "cri-stubs", digest)
    if not os.path.exists(os.path.join(out, "api_pb2_grpc.py")):
        from grpc_tools import protoc
        os.makedirs(out, exist_ok=True)
        status = protoc.main(["protoc", "-I", os.path.dirname(PROTO), f"--python_out={out}",
                              f"--grpc_python_out={out}", PROTO])
        if status != 0:
            sys.exit(f"cri.py: protoc failed on {PROTO} ({status})")
    sys.path.insert(0, out)
    return importlib.import_module("api_pb2"), importlib.import_module("api_pb2_grpc")


def main():
    parser = argparse.ArgumentParser(description="CRI v1 client")
    parser.add_argument("--endpoint", required=True, help="unix:///path/to/containerd.sock")
    parser.add_argument("--call-timeout", type=float, default=300, help="seconds per gRPC call")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("version")
    sub.add_parser("pods")
    p = sub.add_parser("runp"); p.add_argument("pod"); p.add_argument("--handler", default="")
    p = sub.add_parser("create"); p.add_argument("pod_id"); p.add_argument("container"); p.add_argument("pod")
    for name in ("start", "rm", "stopp", "rmp", "inspectp", "inspect", "stats"):
        p = sub.add_parser(name); p.add_argument("id")
    p = sub.add_parser("stop"); p.add_argument("id"); p.add_argument("--timeout", type=int, default=0)
    p = sub.add_parser("exec-sync"); p.add_argument("id"); p.add_argument("--timeout", type=int, default=0)
    p.add_argument("cmd", nargs="+")
    p = sub.add_parser("exec"); p.add_argument("id"); p.add_argument("--stdin", default=None)
    p.add_argument("cmd", nargs="+")
    p = sub.add_parser("pull"); p.add_argument("image"); p.add_argument("--pod", default=None)
    p = sub.add_parser("rmi"); p.add_argument("image")
    args = parser.parse_args()

    import grpc
    from google.protobuf import json_format
    api, rpc = load_stubs()
    channel = grpc.insecure_channel(args.endpoint)
    runtime = rpc.RuntimeServiceStub(channel)
    images = rpc.ImageServiceStub(channel)
    timeout = args.call_timeout

    def config(path, message):
        with open(path) as f:
            return json_format.ParseDict(json.load(f), message())

    def show(message):
        print(json.dumps(json_format.MessageToDict(message, preserving_proto_field_name=True), indent=1, sort_keys=True))

    try:
        c = args.command
        if c == "version":
            show(runtime.Version(api.VersionRequest(version="v1"), timeout=timeout))
        elif c == "pods":
            for item in runtime.ListPodSandbox(api.ListPodSandboxRequest(), timeout=timeout).items:
                print(item.id)
        elif c == "runp":
            reply = runtime.RunPodSandbox(api.RunPodSandboxRequest(config=config(args.pod, api.PodSandboxConfig),
                                                                  runtime_handler=args.handler), timeout=timeout)
            print(reply.pod_sandbox_id)
        elif c == "create":
            reply = runtime.CreateContainer(api.CreateContainerRequest(
                pod_sandbox_id=args.pod_id, config=config(args.container, api.ContainerConfig),
                sandbox_config=config(args.pod, api.PodSandboxConfig)), timeout=timeout)
            print(reply.container_id)
        elif c == "start":
            runtime.StartContainer(api.StartContainerRequest(container_id=args.id), timeout=timeout)
        elif c == "stop":
            runtime.StopContainer(api.StopContainerRequest(container_id=args.id, timeout=args.timeout), timeout=timeout)
        elif c == "rm":
            runtime.RemoveContainer(api.RemoveContainerRequest(container_id=args.id), timeout=timeout)
        elif c == "stopp":
            runtime.StopPodSandbox(api.StopPodSandboxRequest(pod_sandbox_id=args.id), timeout=timeout)
        elif c == "rmp":
            runtime.RemovePodSandbox(api.RemovePodSandboxRequest(pod_sandbox_id=args.id), timeout=timeout)
        elif c == "inspectp":
            show(runtime.PodSandboxStatus(api.PodSandboxStatusRequest(pod_sandbox_id=args.id), timeout=timeout))
        elif c == "inspect":
            show(runtime.ContainerStatus(api.ContainerStatusRequest(container_id=args.id), timeout=timeout))
        elif c == "stats":
            show(runtime.ContainerStats(api.ContainerStatsRequest(container_id=args.id), timeout=timeout))
        elif c == "exec-sync":
            reply = runtime.ExecSync(api.ExecSyncRequest(container_id=args.id, cmd=args.cmd, timeout=args.timeout),
                                     timeout=timeout)
            print(json.dumps({"stdout": reply.stdout.decode(errors="replace"),
                              "stderr": reply.stderr.decode(errors="replace"), "exit_code": reply.exit_code}))
        elif c == "pull":
            request = api.PullImageRequest(image=api.ImageSpec(image=args.image))
            if args.pod:
                request.sandbox_config.CopyFrom(config(args.pod, api.PodSandboxConfig))
            print(images.PullImage(request, timeout=timeout).image_ref)
        elif c == "rmi":
            images.RemoveImage(api.RemoveImageRequest(image=api.ImageSpec(image=args.image)), timeout=timeout)
        elif c == "exec":
            reply = runtime.Exec(api.ExecRequest(container_id=args.id, cmd=args.cmd, stdin=args.stdin is not None,
                                                 stdout=True, stderr=True), timeout=timeout)
            print(json.dumps(stream_exec(reply.url, args.stdin)))
    except grpc.RpcError as error:
        sys.exit(f"cri.py {args.command}: {error.code().name}: {error.details()}")


def stream_exec(url, stdin):
    """Runs the exec behind a streaming URL over WebSocket (v4.channel.k8s.io)."""
    import websocket
    parsed = urlparse(url)
    ws_url = ("wss" if parsed.scheme == "https" else "ws") + "://" + parsed.netloc + parsed.path
    if parsed.query:
        ws_url += "?" + parsed.query
    ws = websocket.create_connection(ws_url, subprotocols=["v4.channel.k8s.io"], timeout=120)
    if stdin is not None:
        ws.send_binary(b"\x00" + stdin.encode())
    out, err, status = b"", b"", b""
    while True:
        try:
            opcode, data = ws.recv_data()
        except websocket.WebSocketConnectionClosedException:
            break
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            break
        if not data:
            continue
        channel, payload = data[0], data[1:]
        if channel == 1:
            out += payload
        elif channel == 2:
            err += payload
        elif channel == 3:
            status += payload
    ws.close()
    parsed_status = json.loads(status) if status else {}
    exit_code = 0
    if parsed_status.get("status") == "Failure":
        exit_code = -1
        for cause in parsed_status.get("details", {}).get("causes", []):
            if cause.get("reason") == "ExitCode":
                exit_code = int(cause.get("message", "-1"))
    return {"stdout": out.decode(errors="replace"), "stderr": err.decode(errors="replace"),
            "exit_code": exit_code, "status": parsed_status}


if __name__ == "__main__":
    main()
