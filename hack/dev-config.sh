#!/usr/bin/env bash
# Writes the configuration that tests and the demo use on a development host:
#   OUTDIR/configuration-qemu-coco-dev.toml   the shipped files, unchanged
#   OUTDIR/configuration-qemu.toml
#   OUTDIR/config.d/50-dev-host.toml           TCG, virtio-serial, this tree's guest
#
#   hack/dev-config.sh [--initrd] OUTDIR
#     --initrd  boot build/guest/kata-containers-initrd.img instead of the image
#
# The drop-in holds absolute paths into this checkout (build/guest, made by
# `make guest`), so it is generated, never committed. It must never go into a
# system config.d/: see the comment in the file it writes.
set -euo pipefail

usage() { echo "usage: $0 [--initrd] OUTDIR" >&2; exit 2; }
initrd=0
out=""
while [ $# -gt 0 ]; do
	case "$1" in
		--initrd) initrd=1; shift ;;
		-*) usage ;;
		*) [ -z "$out" ] || usage; out="$1"; shift ;;
	esac
done
[ -n "$out" ] || usage

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
guest="$repo/build/guest"
qemu=/usr/bin/qemu-system-x86_64
virtiofsd=/usr/lib/qemu/virtiofsd

out="$(realpath -m "$out")"
case "$out/" in
	/etc/*|/opt/kata/*|/usr/share/defaults/*)
		echo "dev-config: refusing to write into $out: this overlay must never reach a system configuration directory" >&2
		exit 1 ;;
esac
mkdir -p "$out/config.d"

for f in configuration-qemu-coco-dev.toml configuration-qemu.toml; do
	install -m 0644 "$repo/configuration/$f" "$out/$f"
done

for f in vmlinux kata-containers.img kata-containers-initrd.img; do
	[ -f "$guest/$f" ] || echo "dev-config: note: $guest/$f does not exist yet: run \`make guest\`" >&2
done
for f in "$qemu" "$virtiofsd" /usr/share/qemu/qboot.rom; do
	[ -e "$f" ] || echo "dev-config: note: $f does not exist: apt-get install qemu-system-x86" >&2
done

if [ "$initrd" = 1 ]; then
	rootfs="# Boot the initramfs; clear the shipped image, since a guest boots one or the other.
image = \"\"
initrd = \"$guest/kata-containers-initrd.img\""
else
	rootfs="# Boot the image (ext4, nvdimm with DAX). For the initramfs instead, run
# hack/dev-config.sh --initrd, which writes image = \"\" and initrd = \"...\".
image = \"$guest/kata-containers.img\""
fi

cat > "$out/config.d/50-dev-host.toml" <<TOML
# 50-dev-host.toml: overlay for a development host, written by
# hack/dev-config.sh for the checkout at $repo.
#
# NEVER install this file into a system config.d/ (for example under
# /etc/kata-containers or /opt/kata/share/defaults/kata-containers). A drop-in
# there applies to every runtime class whose configuration lives in that
# directory: all of them would switch to TCG emulation, to the virtio-serial
# agent channel and to this checkout's development guest. It belongs only in
# the directory that hack/dev-config.sh generates for tests and the demo.

[hypervisor.qemu]
# This host's KVM (kvm_pvm) cannot boot a stock kernel: emulate. TCG has no
# "-cpu host"; the QEMU command line uses "-cpu max".
accelerator = "tcg"
# There is no /dev/vhost-vsock here: reach the agent on a virtio-serial port
# (agent.channel.0) backed by a unix socket.
agent_channel = "virtio-serial"
# There is no /dev/vhost-net here either: keep virtio-net in QEMU's userspace.
disable_vhost_net = true

# Debian's QEMU (qemu-system-x86).
path = "$qemu"
valid_hypervisor_paths = ["$qemu"]
# qboot: the fastest way into the uncompressed kernel's PVH entry under TCG.
firmware = "/usr/share/qemu/qboot.rom"

# The development guest built by \`make guest\`.
kernel = "$guest/vmlinux"
$rootfs

# TCG's "-cpu max" takes no "pmu=off", and TCG needs no machine accelerators.
cpu_features = ""
machine_accelerators = ""

# Debian's C virtiofsd (kata-qemu shares the rootfs with it). It takes
# "-o source=DIR" and "-o cache=MODE" where the Rust virtiofsd that Kata ships
# takes "--shared-dir" and "--cache", and "-o announce_submounts" where that
# one takes "--announce-submounts".
virtio_fs_daemon = "$virtiofsd"
valid_virtio_fs_daemon_paths = ["$virtiofsd"]
virtio_fs_extra_args = ["--thread-pool-size=1", "-o", "announce_submounts"]

# Small and quick under emulation; dial_timeout is left as shipped.
default_memory = 512
default_vcpus = 1
TOML
echo "$out/configuration-qemu-coco-dev.toml"
