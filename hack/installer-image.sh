#!/usr/bin/env bash
# Builds the installer image (the DaemonSet's kata-shim-installer:<version>)
# as an OCI layout with umoci: no daemon, no registry, no network.
#   hack/installer-image.sh BIN_DIR OUT_DIR
# BIN_DIR holds the static release binaries (make release: .build-static/release).
# OUT_DIR gets
#   kata-shim-installer/               the OCI layout, tag <version>
#   kata-shim-installer-<version>.tar  the same as an archive for
#       ctr -n k8s.io images import --base-name docker.io/library/kata-shim-installer kata-shim-installer-<version>.tar
# The image holds /opt/kata-artifacts in the shape `kata-runtime install`
# copies (bin/, share/defaults/kata-containers/, share/kata-containers/ with the
# guest from GUEST_DIR, default build/guest, when it is there) and a static
# busybox for the pod's shell, `sleep`, `test` and `nsenter`.
set -euo pipefail
bin="${1:?usage: $0 BIN_DIR OUT_DIR}"
out="${2:?usage: $0 BIN_DIR OUT_DIR}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
guest="${GUEST_DIR:-$repo/build/guest}"
name=kata-shim-installer

for tool in umoci readelf tar; do
	command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install umoci binutils tar (.ci/run does)" >&2; exit 1; }
done
[ -x /bin/busybox ] || { echo "/bin/busybox is missing: apt-get install busybox-static (.ci/run does)" >&2; exit 1; }
for product in containerd-shim-kata-v2 kata-runtime; do
	[ -x "$bin/$product" ] || { echo "$bin/$product does not exist: run make release first" >&2; exit 1; }
	if readelf -l "$bin/$product" | grep -q 'Requesting program interpreter'; then
		echo "$bin/$product is dynamically linked; the image has no C library: use make release (static)" >&2; exit 1
	fi
done
if readelf -l /bin/busybox | grep -q 'Requesting program interpreter'; then
	echo "/bin/busybox is dynamically linked: apt-get install busybox-static" >&2; exit 1
fi
version="$("$bin/containerd-shim-kata-v2" --version | sed -n 's/.*version: \([^,]*\),.*/\1/p')"
[ -n "$version" ] || { echo "cannot read the version from $bin/containerd-shim-kata-v2 --version" >&2; exit 1; }

mkdir -p "$out"
layout="$out/$name"
bundle="$(mktemp -d "${TMPDIR:-/tmp}/installer-bundle-XXXXXX")"
trap 'rm -rf "$bundle"' EXIT
rm -rf "$layout" "$out/$name-$version.tar"
umoci init --layout "$layout"
umoci new --image "$layout:$version"
rmdir "$bundle" && umoci unpack --image "$layout:$version" "$bundle"
rootfs="$bundle/rootfs"

artifacts="$rootfs/opt/kata-artifacts"
install -d -m 0755 "$artifacts/bin" "$artifacts/share/defaults/kata-containers" "$artifacts/share/kata-containers" \
	"$rootfs/bin" "$rootfs/host" "$rootfs/proc" "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"
install -m 0755 "$bin/containerd-shim-kata-v2" "$bin/kata-runtime" "$artifacts/bin/"
install -m 0644 "$repo"/configuration/configuration-qemu*.toml "$artifacts/share/defaults/kata-containers/"
# The guest under the names the configuration files give it: vmlinux.container
# and kata-containers.img (configuration-qemu.toml), vmlinuz.container and
# kata-containers-confidential.img (the confidential ones) as links to them.
assets="$artifacts/share/kata-containers"
if [ -f "$guest/vmlinux" ] && [ -f "$guest/kata-containers.img" ]; then
	install -m 0644 "$guest/vmlinux" "$assets/vmlinux.container"
	install -m 0644 "$guest/kata-containers.img" "$assets/kata-containers.img"
	ln -s vmlinux.container "$assets/vmlinuz.container"
	ln -s kata-containers.img "$assets/kata-containers-confidential.img"
	echo "guest: $guest/vmlinux and $guest/kata-containers.img"
else
	echo "guest: none ($guest has no vmlinux and kata-containers.img; make guest builds them)"
fi
install -m 0755 /bin/busybox "$rootfs/bin/busybox"
for applet in sh sleep test nsenter cat ls; do ln -s busybox "$rootfs/bin/$applet"; done

umoci repack --image "$layout:$version" "$bundle"
# After repack: repack writes a new manifest from the unpacked one.
umoci config --image "$layout:$version" --os linux --architecture amd64 \
	--config.env PATH=/opt/kata-artifacts/bin:/bin \
	--config.entrypoint /opt/kata-artifacts/bin/kata-runtime \
	--config.cmd install --config.cmd --host-root --config.cmd /host --config.cmd --restart-containerd \
	--config.label "org.opencontainers.image.title=$name" \
	--config.label "org.opencontainers.image.version=$version" \
	--config.label "org.opencontainers.image.description=Installs the Swift containerd-shim-kata-v2 and its runtime classes on a node"
umoci gc --layout "$layout"
tar -C "$layout" -cf "$out/$name-$version.tar" .
echo "image: $layout:$version ($(du -sh "$layout" | cut -f1)), archive $out/$name-$version.tar"
