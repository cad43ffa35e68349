#!/usr/bin/env bash
# `make demo`: runs a busybox container in a Kata VM through a real containerd
# and this checkout's shim, then prints the guest's and the host's kernel;
# then the Confidential Containers flow through CRI: a kata-qemu-coco-dev pod
# whose image the guest pulls itself (the host keeps no layer of it), with an
# agent policy that blocks exec.
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
#   7. guest pull: a "hub" network namespace holding Debian's docker-registry
#      (the pod reaches it at 198.18.200.1:5000; containerd through a socat
#      forwarder on loopback, as a registry mirror), an image pushed to it
#      whose last layer holds a file with a random name, kata-snapshotter as
#      CRI's snapshotter, the pod network from hack/cni/netns-veth; a pod of
#      handler kata-qemu-coco-dev with Kata's allow-all-except-exec-process
#      policy (hack/cri/cri.py drives CRI); then: the guest kernel, the file
#      found in the container and nowhere on the host, no layer blob in
#      containerd's content store, and the exec refused by the policy
#
# On exit, success or not, the pod is removed through CRI, containerd, the
# snapshotter, the registry and the forwarder are stopped by their pids (after
# the demo's task, if any, is killed and deleted), the hub namespace is
# deleted and build/demo is removed; DEMO_KEEP=1
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
	# guest pull: the registry, the forwarder into its namespace, the pod network
	docker-registry socat iproute2 python3-pip
)
# The CRI client's PyPI packages (hack/cri/cri.py).
pypi_packages=(grpcio grpcio-tools websocket-client)

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
	[ ${#missing[@]} -ne 0 ] || echo "all ${#packages[@]} packages installed"
	if [ ${#missing[@]} -ne 0 ]; then
		echo "installing: ${missing[*]}"
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
	python3 -c 'import grpc, grpc_tools, websocket' 2>/dev/null ||
		python3 -m pip install --quiet --break-system-packages "${pypi_packages[@]}"
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
	# CRI's handler kata-qemu-coco-dev: containerd 1.6 runs the shim named
	# after runtime_type from its PATH (kata-runtime install makes the same link).
	ln -s "$shim" "$bin/containerd-shim-kata-qemu-coco-dev-v2"
	cat >"$lab/config.toml" <<-TOML
		version = 2
		root = "$lab/root"
		state = "$lab/state"
		[grpc]
		  address = "$socket"
		[debug]
		  level = "debug"
		[plugins."io.containerd.internal.v1.opt"]
		  path = "$lab/opt"
		[plugins."io.containerd.grpc.v1.cri"]
		  sandbox_image = "$gateway:$registry_port/pause:local"
		  stream_server_address = "127.0.0.1"
		  stream_server_port = "0"
		  [plugins."io.containerd.grpc.v1.cri".containerd]
		    # Guest pull: the layers stay off the host; CRI passes the image's labels.
		    snapshotter = "kata-guest-pull"
		    disable_snapshot_annotations = false
		    default_runtime_name = "kata-qemu-coco-dev"
		    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata-qemu-coco-dev]
		      runtime_type = "io.containerd.kata-qemu-coco-dev.v2"
		      privileged_without_host_devices = true
		      pod_annotations = ["io.katacontainers.*"]
		      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata-qemu-coco-dev.options]
		        ConfigPath = "$demo/config/configuration-qemu-coco-dev.toml"
		  [plugins."io.containerd.grpc.v1.cri".cni]
		    bin_dir = "$demo/cni/bin"
		    conf_dir = "$demo/cni/conf"
		    max_conf_num = 1
		  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."$gateway:$registry_port"]
		    endpoint = ["http://127.0.0.1:$forward_port"]
		[proxy_plugins."kata-guest-pull"]
		  type = "snapshot"
		  address = "$demo/snapshotter.sock"
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

build_images() {
	bash hack/busybox-image.sh "$images"
}

import_image() {
	ctr_ images import "$images/busybox.tar"
}

# --- guest pull --------------------------------------------------------------
hub="kdemo-hub-$$"
gateway=198.18.200.1
registry_port=5000
registry_pid="" forwarder_pid="" snapshotter_pid="" forward_port="" marker="" pushed=""
image="$gateway:$registry_port/busybox-marked:1"
cni_cache_existed=0
[ -e /var/lib/cni ] && cni_cache_existed=1

# Debian's docker-registry in a network namespace of the demo's own ("hub"),
# which the pod reaches over its veth; containerd reaches it through socat.
start_registry() {
	mkdir -p "$demo/registry"
	ip netns add "$hub"
	ip -n "$hub" link set lo up
	cat >"$demo/registry/config.yml" <<-YAML
		version: 0.1
		log: {level: warn, accesslog: {disabled: true}}
		storage: {filesystem: {rootdirectory: $demo/registry/storage}}
		http: {addr: "0.0.0.0:$registry_port"}
	YAML
	ip netns exec "$hub" docker-registry serve "$demo/registry/config.yml" >"$demo/registry/registry.log" 2>&1 &
	registry_pid=$!
	forward_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
	socat "TCP-LISTEN:$forward_port,bind=127.0.0.1,fork,reuseaddr" \
		"EXEC:nsenter --net=/run/netns/$hub socat STDIO TCP\:127.0.0.1\:$registry_port" >"$demo/registry/forwarder.log" 2>&1 &
	forwarder_pid=$!
	local probe="import urllib.request, urllib.error
try: urllib.request.urlopen('http://127.0.0.1:$forward_port/v2/', timeout=2)
except urllib.error.HTTPError: pass"
	for _ in $(seq 100); do python3 -c "$probe" 2>/dev/null && break; sleep 0.2; done
	python3 -c "$probe" || die "the registry in $hub does not answer"
	marker="/kata-demo-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n').txt"
	python3 hack/registry-push.py oci-layout "127.0.0.1:$forward_port" pause local "$images/pause.tar" >/dev/null
	pushed="$(python3 hack/registry-push.py with-marker "127.0.0.1:$forward_port" busybox-marked 1 "$images/busybox.tar" "$marker" | tail -n 1)"
	echo "registry in namespace $hub at $gateway:$registry_port (host side: 127.0.0.1:$forward_port)"
	echo "pushed $image: busybox plus a layer holding $marker"
}

start_snapshotter() {
	"$repo/.build-static/release/kata-snapshotter" --root "$demo/snapshotter" --address "$demo/snapshotter.sock" \
		>"$demo/snapshotter.log" 2>&1 &
	snapshotter_pid=$!
	for _ in $(seq 100); do [ -S "$demo/snapshotter.sock" ] && break; sleep 0.1; done
	[ -S "$demo/snapshotter.sock" ] || { cat "$demo/snapshotter.log" >&2; die "kata-snapshotter did not start"; }
	echo "kata-snapshotter pid $snapshotter_pid"
	# The pod network: a veth whose far end is in the hub (hack/cni/netns-veth).
	mkdir -p "$demo/cni/bin" "$demo/cni/conf" "$demo/cni/data" "$demo/logs"
	ln -sf "$repo/hack/cni/netns-veth" "$demo/cni/bin/netns-veth"
	ln -sf "$repo/hack/cni/netns-veth" "$demo/cni/bin/loopback"
	printf '{"cniVersion":"0.4.0","name":"kata-demo","plugins":[{"type":"netns-veth","hub":"%s","subnet":"198.18.200.0/24","gateway":"%s","dataDir":"%s"}]}\n' \
		"$hub" "$gateway" "$demo/cni/data" >"$demo/cni/conf/10-kata-demo.conflist"
}

cri() { python3 hack/cri/cri.py --endpoint "unix://$socket" "$@"; }
pod="" container=""
pod_kernel="" pod_marker="" exec_refusal=""
run_pod() {
	local policy
	policy="$(base64 -w0 configuration/policies/allow-all-except-exec-process.rego)"
	printf '{"metadata":{"name":"coco-demo","namespace":"default","uid":"coco-demo-%s","attempt":1},"hostname":"coco-demo","log_directory":"%s","annotations":{"io.katacontainers.config.agent.policy":"%s"},"linux":{}}\n' \
		"$$" "$demo/logs" "$policy" >"$demo/pod.json"
	printf '{"metadata":{"name":"c"},"image":{"image":"%s"},"command":["sh","-c","uname -r; cat %s; exec sleep 3600"],"log_path":"c.log","linux":{}}\n' \
		"$image" "$marker" >"$demo/container.json"
	echo "+ cri.py pull $image; runp --handler kata-qemu-coco-dev; create; start"
	cri pull "$image" >/dev/null
	pod="$(timeout "$run_timeout" python3 hack/cri/cri.py --endpoint "unix://$socket" runp --handler kata-qemu-coco-dev "$demo/pod.json")"
	container="$(cri create "$pod" "$demo/container.json" "$demo/pod.json")"
	timeout "$run_timeout" python3 hack/cri/cri.py --endpoint "unix://$socket" start "$container"
	for _ in $(seq "$run_timeout"); do
		[ "$(wc -l <"$demo/logs/c.log" 2>/dev/null || echo 0)" -ge 2 ] && break
		sleep 1
	done
	pod_kernel="$(awk 'NR == 1 { print $4 }' "$demo/logs/c.log")"
	pod_marker="$(awk 'NR == 2 { $1 = $2 = $3 = ""; sub(/^ +/, ""); print }' "$demo/logs/c.log")"
	exec_refusal="$(cri exec-sync "$container" -- true 2>&1 || true)"
}

show_pod() {
	local found blobs layers kept=0 layer
	echo "guest kernel (coco-dev pod): $pod_kernel"
	echo "host kernel: $(uname -r)"
	echo "in the container: $pod_marker"
	found="$(find "$lab" /run /var/lib /tmp -xdev \( -path "$demo/registry" -o -path "$images" \) -prune -o \
		-name "${marker#/}" -print 2>/dev/null || true)"
	echo "${marker#/} on the host: ${found:-nowhere}"
	blobs="$(ctr --address "$socket" --namespace k8s.io content ls | awk 'NR > 1 { print $1 }')"
	layers="$(python3 -c 'import json, sys; print("\n".join(json.loads(sys.argv[1])["layers"]))' "$pushed")"
	for layer in $layers; do grep -qxF "$layer" <<<"$blobs" && kept=$((kept + 1)); done
	echo "layer blobs of the image in containerd's content store: $kept of $(wc -w <<<"$layers")"
	echo "exec into the pod: $(tr -d '\n' <<<"$exec_refusal" | sed 's/.*\(ExecProcessRequest is blocked by policy\).*/refused: \1/')"
	[ -n "$pod_kernel" ] && [ "$pod_marker" = "guest-only $marker" ] && [ -z "$found" ] && [ "$kept" = 0 ] &&
		grep -q 'ExecProcessRequest is blocked by policy' <<<"$exec_refusal" || die "the guest-pull pod did not show what it should"
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
		if [ -n "$pod" ]; then
			timeout 60 python3 hack/cri/cri.py --endpoint "unix://$socket" stopp "$pod" >/dev/null 2>&1
			timeout 60 python3 hack/cri/cri.py --endpoint "unix://$socket" rmp "$pod" >/dev/null 2>&1
		fi
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
	# The guest-pull pieces, by pid; the hub namespace; libcni's cache if it was ours.
	for pid in "$snapshotter_pid" "$forwarder_pid" "$registry_pid"; do
		[ -n "$pid" ] || continue
		pkill -KILL -P "$pid" 2>/dev/null
		kill "$pid" 2>/dev/null
	done
	for pid in "$snapshotter_pid" "$forwarder_pid" "$registry_pid"; do
		[ -n "$pid" ] && wait "$pid" 2>/dev/null
	done
	ip netns list 2>/dev/null | grep -q "^$hub\b" && ip netns del "$hub"
	[ "$cni_cache_existed" = 1 ] || { rmdir /var/lib/cni/results /var/lib/cni 2>/dev/null; }
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
	# CRI's (cgroup parent /k8s.io/<pod>), when no other pod uses it.
	rmdir /sys/fs/cgroup/*/k8s.io/* /sys/fs/cgroup/k8s.io/* 2>/dev/null
	rmdir /sys/fs/cgroup/*/k8s.io /sys/fs/cgroup/k8s.io 2>/dev/null
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
stage "images (hack/busybox-image.sh)" build_images
stage "registry in a network namespace" start_registry
stage "guest-pull snapshotter and pod network" start_snapshotter
stage "private containerd" start_containerd
stage "busybox image" import_image
stage "container (ctr run, Kata VM)" run_container
echo "guest kernel: $guest_kernel"
echo "host kernel: $(uname -r)"
stage "confidential pod (CRI, kata-qemu-coco-dev, guest pull, policy)" run_pod
show_pod
