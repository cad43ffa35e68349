#!/usr/bin/env bash
# containerd's runc shim and ours, side by side in one run, against one private
# containerd 1.6 that this script starts and stops itself:
#   (a) `start`: the shim binary run the way containerd runs it (argv, cwd =
#       a bundle with config.json and a `log` fifo, TTRPC_ADDRESS), until it
#       has printed its address and exited; median of RUNS. The daemon each
#       start leaves behind is stopped by its pid and its socket removed.
#   (b) idle RSS of the long-running shim with one running container
#       (`ctr run -d ... sleep 600`), from /proc/PID/status, with the RSS of
#       its whole process tree (ours: QEMU and virtiofsd) beside it
#   (c) wall time of `ctr run --rm ... true`; median of RUNS after one warm-up
#
#   bench/shim-bench.sh SHIM_BINARY CONFIG_TOML [RUNS]
#       ours = SHIM_BINARY as containerd-shim-kata-v2 on containerd's PATH,
#       run with --runtime io.containerd.kata.v2 --runtime-config-path CONFIG_TOML
#   bench/shim-bench.sh --self-test [RUNS]
#       checks this script: "ours" is the runc shim again, under the name
#       containerd-shim-selftest-v2 (--runtime io.containerd.selftest.v2)
#
# RUNS defaults to 10. BENCH_RUN_TIMEOUT (default 180 s) bounds each
# `ctr run`, BENCH_START_TIMEOUT (default 30 s) each `start`. When our side
# fails, the rest of its measurements are skipped, the table shows
# "failed", the reason is printed, and the script exits 1; it never waits
# longer than those timeouts. Needs root, containerd 1.6 and runc (Debian
# packages), python3 and gcc (hack/busybox-image.sh).
set -euo pipefail
export LC_ALL=C
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

usage() {
	echo "usage: $0 SHIM_BINARY CONFIG_TOML [RUNS]" >&2
	echo "       $0 --self-test [RUNS]" >&2
	exit 2
}
self_test=0
if [ "${1:-}" = --self-test ]; then
	self_test=1
	runs="${2:-10}"
	[ $# -le 2 ] || usage
else
	{ [ $# -ge 2 ] && [ $# -le 3 ]; } || usage
	shim_binary="$(realpath "$1")"
	config_toml="$(realpath "$2")"
	runs="${3:-10}"
	[ -x "$shim_binary" ] || { echo "shim-bench: $1 is not an executable" >&2; exit 2; }
	[ -f "$config_toml" ] || { echo "shim-bench: $2 does not exist" >&2; exit 2; }
fi
case "$runs" in '' | *[!0-9]* | 0) usage ;; esac
run_timeout="${BENCH_RUN_TIMEOUT:-180}"
start_timeout="${BENCH_START_TIMEOUT:-30}"

[ "$(id -u)" = 0 ] || { echo "shim-bench: needs root" >&2; exit 1; }
for tool in containerd ctr containerd-shim-runc-v2 runc; do
	command -v "$tool" >/dev/null || { echo "shim-bench: $tool not found: apt-get install containerd runc" >&2; exit 1; }
done
runc_shim="$(command -v containerd-shim-runc-v2)"
publish_binary="$(command -v containerd)"

# The two sides: runtime name, the binary containerd resolves it to, and the
# options `ctr run` passes.
dir="$(mktemp -d /tmp/shim-bench-XXXXXX)"
bin="$dir/bin"
mkdir -p "$bin"
: >"$dir/ids"  # every container id used, for the cleanup
socket="$dir/containerd.sock"
namespace=bench
image=localhost/busybox:local
sides=(runc ours)
declare -A runtime binary label failed
runtime[runc]=io.containerd.runc.v2
binary[runc]="$runc_shim"
label[runc]="runc shim"
if [ "$self_test" = 1 ]; then
	ln -s "$runc_shim" "$bin/containerd-shim-selftest-v2"
	runtime[ours]=io.containerd.selftest.v2
	binary[ours]="$bin/containerd-shim-selftest-v2"
	label[ours]="self-test (runc shim again)"
	ours_options=()
else
	ln -s "$shim_binary" "$bin/containerd-shim-kata-v2"
	runtime[ours]=io.containerd.kata.v2
	binary[ours]="$bin/containerd-shim-kata-v2"
	label[ours]="kata shim"
	ours_options=(--runtime-config-path "$config_toml")
fi
failed[runc]=""
failed[ours]=""
run_options() { # SIDE
	echo "--runtime"
	echo "${runtime[$1]}"
	[ "$1" = runc ] || [ ${#ours_options[@]} -eq 0 ] || printf '%s\n' "${ours_options[@]}"
}

ctr_() { timeout "${CTR_TIMEOUT:-30}" ctr --address "$socket" --namespace "$namespace" "$@"; }
now() { echo "$EPOCHREALTIME"; }
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }
median() {
	[ $# -gt 0 ] || { echo "-"; return; }
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR % 2) printf "%.1f\n", v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
fail() { # SIDE WHAT OUTPUT
	failed[$1]="$2"
	echo "shim-bench: ${label[$1]}: $2" >&2
	[ -z "${3:-}" ] || printf '%s\n' "$3" | tail -n 20 | sed 's/^/    /' >&2
}

# Shim daemons serving this containerd: argv[0] is a containerd-shim-*, and
# one argument is exactly our socket (and, given an ID, one is exactly the ID).
shim_daemons() { # [ID]
	local pid args
	for pid in $(pgrep -f -- "$socket" || true); do
		args="$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null)" || continue
		case "$(head -n 1 <<<"$args")" in *containerd-shim-*) ;; *) continue ;; esac
		grep -qxF -- "$socket" <<<"$args" || continue
		[ -z "${1:-}" ] || grep -qxF -- "$1" <<<"$args" || continue
		echo "$pid"
	done
}
descendants() { # PID
	local child
	for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		echo "$child"
		descendants "$child"
	done
}
# A shim daemon and everything below it (ours: QEMU, virtiofsd).
shim_tree() { # ID
	local pid
	for pid in $(shim_daemons "$1"); do
		echo "$pid"
		descendants "$pid"
	done
}
# What a kata sandbox ID leaves running when its shim dies without stopping
# it: QEMU (-name sandbox-ID) and virtiofsd (source=.../sandboxes/ID/shared).
sandbox_orphans() { # ID
	local pid args
	for pid in $(pgrep -f -- "$1" || true); do
		args="$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null)" || continue
		case "$(head -n 1 <<<"$args")" in *qemu-system-* | *virtiofsd) ;; *) continue ;; esac
		grep -qF -e "sandbox-$1" -e "/$1/" <<<"$args" && echo "$pid"
	done
}
alive() { # PID: running (not gone, not a zombie)
	local state
	state="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d ' ' -f 1)" && [ -n "$state" ] && [ "$state" != Z ]
}
# SIGTERM, then SIGKILL after 3 s, for exactly these pids.
stop_pids() {
	[ $# -gt 0 ] || return 0
	kill "$@" 2>/dev/null || true
	local pid any
	for _ in $(seq 30); do
		any=0
		for pid in "$@"; do alive "$pid" && any=1; done
		[ "$any" = 1 ] || return 0
		sleep 0.1
	done
	kill -KILL "$@" 2>/dev/null || true
}
# Everything the container ID may have left behind, after containerd has
# deleted what it could: the shim's processes (PIDS, taken while the shim
# still ran, and any QEMU or virtiofsd of the sandbox ID), the shim's runtime
# directories for ID (only ours makes them), and ctr's IO fifos for ID.
# Whatever is found is reported: a shim should leave none of it.
clean_up_id() { # ID [PIDS...]
	local id="$1" left="" pid path m
	shift
	for pid in "$@" $(sandbox_orphans "$id"); do alive "$pid" && left="$left $pid"; done
	if [ -n "$left" ]; then
		echo "shim-bench: $id left processes behind:$left; stopping them" >&2
		# shellcheck disable=SC2086 # one pid a word
		stop_pids $left
	fi
	for path in /run/vc/vm/"$id" /run/vc/sbs/"$id" /run/kata-containers/shared/sandboxes/"$id" /run/kata-containers/"$id"; do
		[ -e "$path" ] || continue
		echo "shim-bench: $id left $path behind; removing it" >&2
		findmnt -rn -o TARGET | grep -F "$path/" | sort -r | while read -r m; do umount -l "$m"; done
		findmnt -rn -o TARGET | grep -qxF "$path" && umount -l "$path"
		rm -rf "$path"
	done
	for path in /run/containerd/fifo/*/"$id"-stdin /run/containerd/fifo/*/"$id"-stdout /run/containerd/fifo/*/"$id"-stderr; do
		[ -e "$path" ] && rm -f "$path" && rmdir "$(dirname "$path")" 2>/dev/null
	done
	return 0
}
socket_path() { # ADDRESS (unix:///path, /path, or {"address":"unix:///path",...})
	local address="$1"
	case "$address" in
		'{'*) address="$(python3 -c 'import json, sys; print(json.loads(sys.argv[1]).get("address", ""))' "$address")" ;;
	esac
	address="${address#unix://}"
	case "$address" in /*) echo "$address" ;; esac  # abstract sockets (@...) leave no file
}

containerd_pid=""
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	local status=$? id pids
	trap - EXIT INT TERM
	set +e
	if [ -n "$containerd_pid" ] && kill -0 "$containerd_pid" 2>/dev/null; then
		for id in $(ctr_ task ls -q 2>/dev/null); do
			ctr_ task kill -s KILL "$id" >/dev/null 2>&1
			ctr_ task delete --force "$id" >/dev/null 2>&1
		done
		for id in $(ctr_ containers ls -q 2>/dev/null); do ctr_ containers delete "$id" >/dev/null 2>&1; done
		kill "$containerd_pid"
		for _ in $(seq 100); do kill -0 "$containerd_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$containerd_pid" 2>/dev/null
		wait "$containerd_pid" 2>/dev/null
	fi
	# Shims outlive containerd: the ones still serving our socket, and below them.
	pids=""
	for id in $(shim_daemons); do pids="$pids $id $(descendants "$id" | tr '\n' ' ')"; done
	# shellcheck disable=SC2086 # one pid a word
	[ -z "${pids// /}" ] || { echo "shim-bench: stopping leftover shim processes:$pids" >&2; stop_pids $pids; }
	for f in "$dir"/start/*/address "$dir"/state/io.containerd.runtime.v2.task/*/*/address; do
		[ -f "$f" ] && rm -f "$(socket_path "$(cat "$f")")"
	done
	while read -r id; do clean_up_id "$id"; done <"$dir/ids"
	findmnt -rn -o TARGET 2>/dev/null | grep -F "$dir/" | sort -r | while read -r m; do umount -l "$m"; done
	# runc leaves the namespace's parent cgroup (ctr's default cgroups path
	# is /NAMESPACE/ID); rmdir removes it only when it is empty.
	rmdir /sys/fs/cgroup/*/"$namespace" /sys/fs/cgroup/"$namespace" 2>/dev/null
	rm -rf "$dir"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_containerd() {
	cat >"$dir/config.toml" <<-TOML
		version = 2
		root = "$dir/root"
		state = "$dir/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$socket"
		[plugins."io.containerd.internal.v1.opt"]
		  path = "$dir/opt"
	TOML
	(cd "$dir" && PATH="$bin:$PATH" exec setsid containerd --config "$dir/config.toml" >"$dir/containerd.log" 2>&1 </dev/null) &
	containerd_pid=$!
	for _ in $(seq 300); do
		kill -0 "$containerd_pid" 2>/dev/null || { tail -n 20 "$dir/containerd.log" >&2; echo "shim-bench: containerd exited at start" >&2; exit 1; }
		ctr --address "$socket" version >/dev/null 2>&1 && return
		sleep 0.1
	done
	echo "shim-bench: containerd did not answer within 30 s" >&2
	exit 1
}

# (a) One `start` as containerd runs it; prints the time in ms.
start_once() { # SIDE ID
	local side="$1" id="$2" bundle="$dir/start/$2" logfd out status=0 t0 t1 pids
	mkdir -p "$bundle"
	cp "$dir/spec.json" "$bundle/config.json"
	mkfifo "$bundle/log"
	exec {logfd}<>"$bundle/log"
	t0=$(now)
	out="$(cd "$bundle" && TTRPC_ADDRESS="$socket.ttrpc" PATH="$bin:$PATH" timeout "$start_timeout" \
		"${binary[$side]}" -namespace "$namespace" -address "$socket" -publish-binary "$publish_binary" \
		-id "$id" start 2>"$bundle/start.err" </dev/null)" || status=$?
	t1=$(now)
	# The daemon this start left behind.
	pids="$(shim_tree "$id")"
	# shellcheck disable=SC2086 # one pid a word
	stop_pids $pids
	[ -z "$out" ] || rm -f "$(socket_path "$out")"
	exec {logfd}>&-
	# shellcheck disable=SC2086 # one pid a word
	clean_up_id "$id" $pids
	if [ "$status" -ne 0 ] || [ -z "$out" ]; then
		[ "$status" -ne 124 ] || echo "(timed out after $start_timeout s)" >>"$bundle/start.err"
		fail "$side" "start exited with $status${out:+ printing $out}" "$(cat "$bundle/start.err")"
		rm -rf "$bundle"
		return 1
	fi
	rm -rf "$bundle"
	ms_between "$t0" "$t1"
}

# Deletes the container ID through containerd, then whatever it left.
delete_container() { # ID
	local pids
	pids="$(shim_tree "$1")"
	ctr_ task kill -s KILL "$1" >/dev/null 2>&1 || true
	ctr_ task delete --force "$1" >/dev/null 2>&1 || true
	ctr_ containers delete "$1" >/dev/null 2>&1 || true
	# shellcheck disable=SC2086 # one pid a word
	clean_up_id "$1" $pids
}

# (c) One `ctr run --rm ... true`; prints the time in ms.
run_once() { # SIDE ID
	local side="$1" id="$2" out status=0 t0 t1 options
	mapfile -t options < <(run_options "$side")
	t0=$(now)
	out="$(CTR_TIMEOUT="$run_timeout" ctr_ run --rm "${options[@]}" "$image" "$id" true 2>&1)" || status=$?
	t1=$(now)
	if [ "$status" -ne 0 ]; then
		[ "$status" -ne 124 ] || out="$out${out:+$'\n'}(timed out after $run_timeout s)"
		fail "$side" "ctr run --rm ${options[*]} $image $id true exited with $status" \
			"$out"$'\n'"containerd.log:"$'\n'"$(tail -n 10 "$dir/containerd.log")"
		delete_container "$id"
		return 1
	fi
	ms_between "$t0" "$t1"
}

# (b) The idle shim's RSS with one running container; prints "SHIM_KIB TREE_KIB".
rss_once() { # SIDE ID
	local side="$1" id="$2" out status=0 pid p tree=0 rss options
	mapfile -t options < <(run_options "$side")
	out="$(CTR_TIMEOUT="$run_timeout" ctr_ run -d "${options[@]}" "$image" "$id" sleep 600 2>&1)" || status=$?
	if [ "$status" -eq 0 ]; then
		sleep 2  # idle: let start-up allocations settle
		pid=""
		[ ! -f "$dir/state/io.containerd.runtime.v2.task/$namespace/$id/shim.pid" ] ||
			pid="$(cat "$dir/state/io.containerd.runtime.v2.task/$namespace/$id/shim.pid")"
		[ -n "$pid" ] || pid="$(shim_daemons "$id" | head -n 1)"
		if [ -n "$pid" ] && rss="$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)" && [ -n "$rss" ]; then
			for p in $pid $(descendants "$pid"); do
				tree=$((tree + $(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)))
			done
		else
			status=1
			out="no shim process found for $id (no shim.pid in the bundle, no containerd-shim-* with -address $socket and -id $id)"
		fi
	fi
	delete_container "$id"
	if [ "$status" -ne 0 ]; then
		[ "$status" -ne 124 ] || out="$out${out:+$'\n'}(timed out after $run_timeout s)"
		fail "$side" "ctr run -d ${options[*]} $image $id sleep 600: exit $status" \
			"$out"$'\n'"containerd.log:"$'\n'"$(tail -n 10 "$dir/containerd.log")"
		return 1
	fi
	echo "$rss $tree"
}

# ---- run
echo "shim-bench: runc shim $runc_shim; ours: ${label[ours]} ${binary[ours]} -> $(readlink -f "${binary[ours]}")${ours_options[*]:+ (${ours_options[*]})}; $runs runs; containerd $(containerd --version | awk '{print $3}')"
start_containerd
bash "$repo/hack/busybox-image.sh" "$repo/build/images" >/dev/null
ctr_ images import "$repo/build/images/busybox.tar" >/dev/null
ctr oci spec >"$dir/spec.json"

declare -A start_ms run_ms rss_kib tree_kib
for side in "${sides[@]}"; do start_ms[$side]=""; run_ms[$side]=""; done

echo "(a) start x $runs"
for i in $(seq "$runs"); do
	for side in "${sides[@]}"; do
		[ -z "${failed[$side]}" ] || continue
		# (fail() runs in the $(...) subshell: record the failure here too)
		id="start-$side-$i-$$"
		echo "$id" >>"$dir/ids"
		if t="$(start_once "$side" "$id")"; then
			start_ms[$side]="${start_ms[$side]} $t"
		else
			failed[$side]="start failed (see above)"
		fi
	done
done

echo "(b) idle RSS"
for side in "${sides[@]}"; do
	[ -z "${failed[$side]}" ] || continue
	id="rss-$side-$$"
	echo "$id" >>"$dir/ids"
	if r="$(rss_once "$side" "$id")"; then
		rss_kib[$side]="${r% *}"
		tree_kib[$side]="${r#* }"
	else
		failed[$side]="idle RSS run failed (see above)"
	fi
done

echo "(c) ctr run --rm true x $runs (+1 warm-up)"
for i in $(seq 0 "$runs"); do
	for side in "${sides[@]}"; do
		[ -z "${failed[$side]}" ] || continue
		id="run-$side-$i-$$"
		echo "$id" >>"$dir/ids"
		if t="$(run_once "$side" "$id")"; then
			[ "$i" -eq 0 ] || run_ms[$side]="${run_ms[$side]} $t"
		else
			failed[$side]="ctr run failed (see above)"
		fi
	done
done

# ---- table
cell() { # SIDE VALUE
	if [ -n "$2" ] && [ "$2" != - ]; then echo "$2"; elif [ -n "${failed[$1]}" ]; then echo failed; else echo -; fi
}
ratio() { # RUNC OURS
	awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && a > 0) printf "%.2f", b / a; else print "-" }'
}
kib_to_mib() { if [ -n "$1" ]; then awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; fi; }
row() { # NAME RUNC OURS
	printf '| %-40s | %10s | %10s | %9s |\n' "$1" "$(cell runc "$2")" "$(cell ours "$3")" "$(ratio "$2" "$3")"
}
# shellcheck disable=SC2086 # the lists are space-separated numbers
{
	echo
	echo "ours = ${label[ours]} (${runtime[ours]}), runc = containerd-shim-runc-v2 (${runtime[runc]})"
	printf '| %-40s | %10s | %10s | %9s |\n' "metric" runc ours ours/runc
	printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..42})" "$(printf -- '-%.0s' {1..12})" "$(printf -- '-%.0s' {1..12})" "$(printf -- '-%.0s' {1..11})"
	row "start, median of $runs (ms)" "$(median ${start_ms[runc]})" "$(median ${start_ms[ours]})"
	row "idle shim RSS, 1 container (MiB)" "$(kib_to_mib "${rss_kib[runc]:-}")" "$(kib_to_mib "${rss_kib[ours]:-}")"
	row "  with its process tree (MiB)" "$(kib_to_mib "${tree_kib[runc]:-}")" "$(kib_to_mib "${tree_kib[ours]:-}")"
	row "ctr run --rm true, median of $runs (ms)" "$(median ${run_ms[runc]})" "$(median ${run_ms[ours]})"
}
# Our sandbox Create, split: the shim logs one line per Create into the
# bundle's log FIFO, which containerd copies into its log.
split_lines="$(grep -o 'create [^ ]*: total=[^"]*' "$dir/containerd.log" 2>/dev/null || true)"
if [ -n "$split_lines" ]; then
	echo
	echo "sandbox Create of ours, split (median of $(printf '%s\n' "$split_lines" | wc -l) Creates, ms):"
	for field in total virtiofsd qemu agent_ready agent_sandbox agent_container shim_own; do
		values="$(printf '%s\n' "$split_lines" | grep -o " $field=[0-9]*" | cut -d= -f2 || true)"
		# shellcheck disable=SC2086
		[ -z "$values" ] || printf '  %-16s %8s\n' "$field" "$(median $values)"
	done
fi
status=0
for side in "${sides[@]}"; do
	if [ -n "${failed[$side]}" ]; then
		echo "shim-bench: FAILED: ${label[$side]}: ${failed[$side]}" >&2
		status=1
	fi
done
exit "$status"
