#!/usr/bin/env bash
# `make demo`: runs a busybox container in a Kata VM through a real containerd
# and this checkout's shim, then prints the guest's and the host's kernel.
#
#   bash hack/demo.sh        (as root, on Debian 12)
#
# Stages (each prints how long it took):
#   1. Debian packages: containerd, runc, QEMU, busybox-static, gcc, python3
#      and what the guest build needs (only the missing ones are installed)
#   2. `make release guest`: the static shim in .build-static/release and the
#      development guest in build/guest (output in build/demo-build.log)
#   3. the development configuration: hack/dev-config.sh build/demo/config
#   4. a private containerd: config, root, state, socket and opt all under
#      build/demo/containerd, the CRI plugin off, its PATH starting with
#      build/demo/bin (which holds containerd-shim-kata-v2)
#   5. the local busybox image (hack/busybox-image.sh build/images), imported
#   6. ctr run --rm --runtime io.containerd.kata.v2 --runtime-config-path
#      build/demo/config/configuration-qemu.toml localhost/busybox:local
#      demo-<pid> uname -r
#
# On exit, success or not, containerd is stopped by its pid (after the demo's
# task, if any, is killed and deleted) and build/demo is removed; DEMO_KEEP=1
# keeps build/demo for inspection (containerd.log, the bundles).
#
# Everything is private to this checkout: nothing under /etc, /var/lib or
# /opt is written, and no system service is started or reconfigured by the
# script itself. (Installing the containerd package, if it is missing, is
# what Debian does with it: the package's own service may start; the demo
# never talks to it.)
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin:/opt/swift/usr/bin"
export DEBIAN_FRONTEND=noninteractive

demo="$repo/build/demo"
lab="$demo/containerd"
bin="$demo/bin"
config="$demo/config/configuration-qemu.toml"
shim="$repo/.build-static/release/containerd-shim-kata-v2"
images="$repo/build/images"
namespace=demo
id="demo-$$"
socket="$lab/containerd.sock"
# The first boot of the guest under TCG on a slow machine takes a while.
run_timeout="${DEMO_TIMEOUT:-300}"

packages=(
	# the container side
	containerd runc busybox-static gcc libc6-dev python3
	# the VM and the development guest (hack/guest/build.sh's list)
	qemu-system-x86 linux-source-6.1 build-essential bc bison flex libelf-dev libssl-dev
	cpio xz-utils fdisk e2fsprogs crun
	# the static Swift build (CZlib) and the tools this script uses
	zlib1g-dev util-linux procps
)

started=$EPOCHREALTIME
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
current_stage="" stage_started=""
stage() {
	current_stage="$1" stage_started=$EPOCHREALTIME
	shift
	echo "=== demo: $current_stage"
	"$@"
	echo "=== demo: $current_stage took $(elapsed "$stage_started") s"
	current_stage=""
}
die() { echo "demo: $*" >&2; exit 1; }
ctr_() { ctr --address "$socket" --namespace "$namespace" "$@"; }

check_host() {
	[ "$(id -u)" = 0 ] || die "run as root (containerd, mounts and QEMU need it)"
	[ -r /etc/debian_version ] || echo "demo: warning: not Debian; the package names are Debian 12's" >&2
	command -v swift >/dev/null ||
		die "swift is not on PATH (nor in /opt/swift/usr/bin): install the Swift 6 toolchain first (README)"
	echo "host: $(uname -srm), $(nproc) cores, $(swift --version 2>/dev/null | head -n 1)"
}

install_packages() {
	local p missing=()
	for p in "${packages[@]}"; do
		dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		echo "all ${#packages[@]} packages installed"
		return
	fi
	echo "installing: ${missing[*]}"
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build_log="$repo/build/demo-build.log"
build() {
	mkdir -p "$repo/build"
	echo "make release guest (output in $build_log; on a fresh machine the"
	echo "guest kernel build takes a while, later runs reuse it)"
	if ! make release guest >"$build_log" 2>&1; then
		tail -n 40 "$build_log" >&2
		die "make release guest failed; the whole output is in $build_log"
	fi
	grep '^=== guest: ' "$build_log" | tail -n 1 || true
	[ -x "$shim" ] || die "$shim was not built"
}

write_config() {
	bash hack/dev-config.sh "$demo/config"
	[ -f "$config" ] || die "hack/dev-config.sh did not write $config"
}

containerd_pid=""
start_containerd() {
	rm -rf "$lab" "$bin"
	mkdir -p "$lab" "$bin"
	ln -s "$shim" "$bin/containerd-shim-kata-v2"
	cat >"$lab/config.toml" <<-TOML
		version = 2
		root = "$lab/root"
		state = "$lab/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$socket"
		[debug]
		  level = "debug"
		[plugins."io.containerd.internal.v1.opt"]
		  path = "$lab/opt"
	TOML
	# containerd finds the shim of io.containerd.kata.v2 on its own PATH.
	PATH="$bin:$PATH" setsid containerd --config "$lab/config.toml" >"$lab/containerd.log" 2>&1 </dev/null &
	containerd_pid=$!
	echo "containerd pid $containerd_pid, socket $socket"
	for _ in $(seq 300); do
		kill -0 "$containerd_pid" 2>/dev/null || { tail -n 20 "$lab/containerd.log" >&2; die "containerd exited at start"; }
		ctr --address "$socket" version >/dev/null 2>&1 && return
		sleep 0.1
	done
	die "containerd did not answer on $socket within 30 s"
}

import_image() {
	bash hack/busybox-image.sh "$images"
	ctr_ images import "$images/busybox.tar"
}

guest_kernel=""
run_container() {
	local status=0
	echo "+ ctr run --rm --runtime io.containerd.kata.v2 --runtime-config-path $config localhost/busybox:local $id uname -r"
	guest_kernel="$(timeout "$run_timeout" ctr --address "$socket" --namespace "$namespace" run --rm \
		--runtime io.containerd.kata.v2 --runtime-config-path "$config" \
		localhost/busybox:local "$id" uname -r)" || status=$?
	if [ "$status" -ne 0 ]; then
		[ "$status" -ne 124 ] || echo "demo: ctr run did not finish within $run_timeout s" >&2
		echo "demo: the container failed (exit $status); the last lines of containerd's log:" >&2
		tail -n 40 "$lab/containerd.log" >&2 || true
		return "$status"
	fi
	guest_kernel="$(printf '%s' "$guest_kernel" | tr -d '\r' | tail -n 1)"
}

# The shims serving this demo's containerd (argv[0] a containerd-shim-*, one
# argument exactly our socket; or a pid in a bundle's shim.pid), and
# everything below them (QEMU, virtiofsd).
demo_processes() {
	local f pid args
	for pid in $(pgrep -f -- "$socket" || true); do
		args="$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null)" || continue
		case "$(head -n 1 <<<"$args")" in *containerd-shim-*) ;; *) continue ;; esac
		grep -qxF -- "$socket" <<<"$args" || continue
		echo "$pid"
		descendants "$pid"
	done
	for f in "$lab"/state/io.containerd.runtime.v2.task/*/*/shim.pid; do
		[ -f "$f" ] || continue
		pid="$(cat "$f")"
		{ [ -n "$pid" ] && [ -d "/proc/$pid" ]; } || continue
		echo "$pid"
		descendants "$pid"
	done
	# A sandbox whose shim died without stopping it: QEMU (-name
	# sandbox-ID) and virtiofsd (source=.../sandboxes/ID/shared).
	for pid in $(pgrep -f -- "$id" || true); do
		args="$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null)" || continue
		case "$(head -n 1 <<<"$args")" in *qemu-system-* | *virtiofsd) ;; *) continue ;; esac
		grep -qF -e "sandbox-$id" -e "/$id/" <<<"$args" && echo "$pid"
	done
}
descendants() {
	local child
	for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		echo "$child"
		descendants "$child"
	done
}

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	local status=$? pids f path m
	trap - EXIT INT TERM
	set +e
	[ -z "$current_stage" ] || echo "=== demo: $current_stage failed after $(elapsed "$stage_started") s (exit $status)"
	if [ -n "$containerd_pid" ] && kill -0 "$containerd_pid" 2>/dev/null; then
		echo "=== demo: cleanup"
		if ctr_ task ls -q 2>/dev/null | grep -qx "$id"; then
			timeout 20 ctr --address "$socket" --namespace "$namespace" task kill -s KILL "$id" >/dev/null 2>&1
			timeout 20 ctr --address "$socket" --namespace "$namespace" task delete --force "$id" >/dev/null 2>&1
		fi
		timeout 20 ctr --address "$socket" --namespace "$namespace" containers delete "$id" >/dev/null 2>&1
		pids="$(demo_processes | sort -u)"
		kill "$containerd_pid" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$containerd_pid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$containerd_pid" 2>/dev/null && kill -KILL "$containerd_pid" 2>/dev/null
		wait "$containerd_pid" 2>/dev/null
	fi
	# Shims outlive containerd: stop the ones this demo started, and what
	# they started, by pid.
	pids="$(printf '%s\n%s\n' "${pids:-}" "$(demo_processes)" | sort -u)"
	if [ -n "${pids//[[:space:]]/}" ]; then
		echo "demo: stopping leftover processes: $(echo "$pids" | tr '\n' ' ')"
		# shellcheck disable=SC2086 # one pid a word
		kill -KILL $pids 2>/dev/null
		sleep 0.5
	fi
	# Their sockets (containerd 1.6 puts them under /run/containerd/s).
	for f in "$lab"/state/io.containerd.runtime.v2.task/*/*/address; do
		[ -f "$f" ] || continue
		path="$(cat "$f")"
		path="${path#unix://}"
		case "$path" in /*) [ -S "$path" ] && rm -f "$path" ;; esac
	done
	# The shim's runtime directories and ctr's IO fifos for the demo's id:
	# a shim that stops cleanly removes its own, ctr its fifos.
	for path in /run/vc/vm/"$id" /run/vc/sbs/"$id" /run/kata-containers/shared/sandboxes/"$id" /run/kata-containers/"$id"; do
		[ -e "$path" ] || continue
		echo "demo: removing $path (left by the shim)"
		findmnt -rn -o TARGET | grep -F "$path/" | sort -r | while read -r m; do umount -l "$m"; done
		findmnt -rn -o TARGET | grep -qxF "$path" && umount -l "$path"
		rm -rf "$path"
	done
	for path in /run/containerd/fifo/*/"$id"-stdin /run/containerd/fifo/*/"$id"-stdout /run/containerd/fifo/*/"$id"-stderr; do
		[ -e "$path" ] && rm -f "$path" && rmdir "$(dirname "$path")" 2>/dev/null
	done
	# Container root filesystems mounted under the demo's state.
	findmnt -rn -o TARGET 2>/dev/null | grep -F "$demo/" | sort -r | while read -r m; do umount -l "$m"; done
	# The namespace's parent cgroup (ctr's default cgroups path is
	# /NAMESPACE/ID), if a runtime made one; rmdir removes only empty ones.
	rmdir /sys/fs/cgroup/*/"$namespace"/"$id" /sys/fs/cgroup/"$namespace"/"$id" 2>/dev/null
	rmdir /sys/fs/cgroup/*/"$namespace" /sys/fs/cgroup/"$namespace" 2>/dev/null
	if [ "${DEMO_KEEP:-0}" = 1 ]; then
		echo "demo: kept $demo (DEMO_KEEP=1)"
	else
		rm -rf "$demo"
	fi
	echo "=== demo: all stages took $(elapsed "$started") s"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

stage "host" check_host
stage "Debian packages" install_packages
stage "build (make release guest)" build
stage "configuration (hack/dev-config.sh)" write_config
stage "private containerd" start_containerd
stage "busybox image" import_image
stage "container (ctr run, Kata VM)" run_container
echo "guest kernel: $guest_kernel"
echo "host kernel: $(uname -r)"
