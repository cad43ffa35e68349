#!/usr/bin/env bash
# Builds the installer image into a temporary directory and runs its
# kata-runtime the way the DaemonSet does, but in a chroot into the unpacked
# image against a scratch host root: install, install again (nothing may
# change), uninstall (containerd's configuration back byte for byte). No
# network, no registry, no containerd started.
#   hack/test-installer-image.sh BIN_DIR
set -euo pipefail
bin="${1:?usage: $0 BIN_DIR}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
passed=0 failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }
check() { local what="$1"; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }

tmp="$(mktemp -d /tmp/installer-image-test-XXXXXX)"
rootfs="$tmp/bundle/rootfs"
cleanup() {
	umount "$rootfs/proc" 2>/dev/null || true
	umount "$rootfs/host" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

bash "$repo/hack/installer-image.sh" "$bin" "$tmp/out" > "$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; echo "FAIL hack/installer-image.sh"; exit 1; }
version="$("$bin/containerd-shim-kata-v2" --version | sed -n 's/.*version: \([^,]*\),.*/\1/p')"
layout="$tmp/out/kata-shim-installer"
image="$layout:$version"

check "umoci ls lists the tag $version" bash -c "umoci ls --layout '$layout' | grep -qx '$version'"
check "umoci stat reads the image" bash -c "umoci stat --image '$image' > '$tmp/stat.txt'"
check "the archive exists" test -s "$tmp/out/kata-shim-installer-$version.tar"
umoci stat --image "$image" --json > "$tmp/stat.json" 2>/dev/null || true
# The configuration as the image carries it (index → manifest → config blob).
config_json="$(python3 - "$layout" "$version" <<'PY'
import json, sys
layout, tag = sys.argv[1], sys.argv[2]
blob = lambda d: json.load(open(f"{layout}/blobs/{d.replace(':', '/')}"))
index = json.load(open(f"{layout}/index.json"))
manifest = next(m for m in index["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag)
print(json.dumps(blob(blob(manifest["digest"])["config"]["digest"])["config"]))
PY
)"
check "entrypoint is kata-runtime" grep -q '"Entrypoint": \["/opt/kata-artifacts/bin/kata-runtime"\]' <<< "$config_json"
check "cmd installs into /host" grep -q '"Cmd": \["install", "--host-root", "/host", "--restart-containerd"\]' <<< "$config_json"
check "version label" grep -q "\"org.opencontainers.image.version\": \"$version\"" <<< "$config_json"
check "the DaemonSet runs this image" grep -q "image: kata-shim-installer:$version\$" "$repo/configuration/installer/daemonset.yaml"

umoci unpack --image "$image" "$tmp/bundle" > /dev/null
artifacts="$rootfs/opt/kata-artifacts"
check "the image holds the shim" cmp -s "$bin/containerd-shim-kata-v2" "$artifacts/bin/containerd-shim-kata-v2"
check "the image holds kata-runtime" cmp -s "$bin/kata-runtime" "$artifacts/bin/kata-runtime"
for name in qemu qemu-coco-dev qemu-tdx qemu-snp; do
	check "the image holds configuration-$name.toml" cmp -s "$repo/configuration/configuration-$name.toml" "$artifacts/share/defaults/kata-containers/configuration-$name.toml"
done
if [ -f "$repo/build/guest/vmlinux" ]; then
	check "the image holds the guest kernel as vmlinux.container" cmp -s "$repo/build/guest/vmlinux" "$artifacts/share/kata-containers/vmlinux.container"
	check "vmlinuz.container links to it" test "$(readlink "$artifacts/share/kata-containers/vmlinuz.container")" = vmlinux.container
fi

# A scratch host: containerd's own default configuration.
host="$tmp/host"
mkdir -p "$host/etc/containerd"
containerd config default > "$host/etc/containerd/config.toml"
cp -p "$host/etc/containerd/config.toml" "$tmp/original.toml"
mount --bind "$host" "$rootfs/host"
mount -t proc proc "$rootfs/proc"
in_image() { chroot "$rootfs" /opt/kata-artifacts/bin/kata-runtime "$@"; }
# in_image with its output in $tmp/LOG (printed at the end when a check failed).
logged() { local log="$1"; shift; in_image "$@" > "$tmp/$log" 2>&1; }
snapshot() { (cd "$host" && find . -printf '%p %m %y %l %T@\n' | sort && find . -type f -exec sha256sum {} + | sort); }

check "install in the image" logged install.log install --host-root /host
check "the shim is installed" cmp -s "$bin/containerd-shim-kata-v2" "$host/opt/kata/bin/containerd-shim-kata-v2"
check "the shim is executable" test -x "$host/opt/kata/bin/containerd-shim-kata-v2"
check "the installed tree is the image's" diff -r "$artifacts" "$host/opt/kata" -x kata-runtime-install.manifest
check "the backup is the original" cmp -s "$tmp/original.toml" "$host/etc/containerd/config.toml.kata-shim.bak"
check "the configuration keeps the original as its start" bash -c "head -c $(stat -c %s "$tmp/original.toml") '$host/etc/containerd/config.toml' | cmp -s - '$tmp/original.toml'"
for handler in kata-qemu kata-qemu-coco-dev kata-qemu-tdx kata-qemu-snp; do
	check "containerd 1.6 finds the shim of $handler on its PATH" test "$(readlink "$host/usr/local/bin/containerd-shim-$handler-v2")" = /opt/kata/bin/containerd-shim-kata-v2
	check "containerd reads the handler $handler" bash -c "containerd --config '$host/etc/containerd/config.toml' config dump 2>/dev/null | grep -qF '[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.$handler]'"
done

snapshot > "$tmp/first.txt"
sleep 1
check "a second install in the image succeeds" logged install2.log install --host-root /host --restart-containerd --restart-command 'echo restarted > /tmp/restarted'
check "an unchanged node's containerd is not restarted" grep -q 'not restarting containerd' "$tmp/install2.log"
check "... and the restart command did not run" test ! -e "$rootfs/tmp/restarted"
snapshot > "$tmp/second.txt"
check "the second install changed nothing (contents, modes, mtimes)" cmp -s "$tmp/first.txt" "$tmp/second.txt"

check "uninstall in the image" logged uninstall.log uninstall --host-root /host --restart-containerd --restart-command 'echo restarted > /tmp/restarted'
check "the restart command ran in the image's shell" grep -qx restarted "$rootfs/tmp/restarted"
check "containerd's configuration is back byte for byte" cmp -s "$tmp/original.toml" "$host/etc/containerd/config.toml"
check "nothing else is left on the host" test "$(cd "$host" && find . | sort | tr '\n' ' ')" = ". ./etc ./etc/containerd ./etc/containerd/config.toml "
logged uninstall2.log uninstall --host-root /host || true
check "a second uninstall says there is nothing to do" grep -q 'Nothing to uninstall' "$tmp/uninstall2.log"

if [ "$failed" -ne 0 ]; then
	for log in "$tmp"/*.log; do echo "--- $log"; cat "$log"; done
	diff "$tmp/first.txt" "$tmp/second.txt" 2>/dev/null | head -20 || true
fi
echo "installer image: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
