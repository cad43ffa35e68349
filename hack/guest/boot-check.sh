#!/usr/bin/env bash
# Boots the development guest under TCG the way Kata does, with a stand-in
# agent, checks it and times it:
#   1. builds the images with a stand-in /usr/bin/kata-agent (kernel from the
#      cache) into a temporary directory;
#   2. boots the nvdimm image (Kata's command line, DAX) and the initrd once
#      each with checks: PID 1 handed to the agent, mounts, DAX, the
#      agent.channel.0 port, crun running the pause bundle and a busybox
#      container with cgroup limits and a seccomp filter;
#   3. boots each RUNS more times (default 5) and prints the median time from
#      QEMU's launch to the stand-in's first line.
# Starts one QEMU at a time, stops only those, and removes everything it made.
#   hack/guest/boot-check.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
runs="${RUNS:-5}"
tmp="$(mktemp -d /tmp/kata-guest-check.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT

# The stand-in agent: a busybox script, PID 1 after init's exec.
cat >"$tmp/kata-agent" <<'STANDIN'
#!/bin/sh
echo "KATA-AGENT-STANDIN pid=$$ uptime=$(cut -d' ' -f1 /proc/uptime)"
if grep -qw standin.diag /proc/cmdline; then
	check() { echo "CHECK $*"; }
	check "root $(awk '$2 == "/" { r = $1 " " $3 " " $4 } END { print r }' /proc/mounts)"
	check "nd-devices $(ls /sys/bus/nd/devices 2>/dev/null | tr '\n' ' ')"
	for m in /dev /dev/pts /dev/shm /run /tmp /sys/fs/cgroup /proc /sys; do
		check "mount $m $(awk -v m="$m" '$2 == m { t = $3 " " $4 } END { print t }' /proc/mounts)"
	done
	check "ptmx -> $(readlink /dev/ptmx)"
	check "lo flags $(cat /sys/class/net/lo/flags)"
	check "controllers $(cat /sys/fs/cgroup/cgroup.controllers)"
	check "vsock $([ -c /dev/vsock ] && echo present || echo missing)"
	# Port names can appear a moment after the port itself.
	i=0
	while [ $i -lt 40 ]; do
		names=$(cat /sys/class/virtio-ports/*/name 2>/dev/null | tr '\n' ' ')
		[ -n "${names% }" ] && break
		sleep 0.05; i=$((i + 1))
	done
	for p in /sys/class/virtio-ports/*; do
		[ -e "$p/name" ] && check "vport $(basename "$p") name=$(cat "$p/name")"
	done
	check "crun $(crun --version | head -1)"
	check "clock $(date -u +%Y-%m-%d) kernel $(uname -r)"

	# The pod sandbox: pause runs until SIGTERM, then exits 0.
	crun run --bundle /pause_bundle pause-test >/tmp/pause.log 2>&1 &
	pid=$!
	i=0
	until crun state pause-test 2>/dev/null | grep -q '"status": "running"'; do
		[ $i -lt 100 ] || break
		sleep 0.1; i=$((i + 1))
	done
	crun kill pause-test TERM
	wait $pid && rc=0 || rc=$?
	check "pause exit=$rc $(cat /tmp/pause.log)"

	# A container from the busybox test root, read-only, with cgroup limits,
	# the eBPF device filter and a seccomp filter. It holds CAP_SYS_ADMIN and
	# CAP_MKNOD, so only the filters can refuse sethostname and opening a
	# device node it made (mknod itself is allowed for every device).
	mkdir -p /tmp/bb
	cat >/tmp/bb/config.json <<'JSON'
{
	"ociVersion": "1.0.2",
	"process": {
		"terminal": false,
		"user": {"uid": 0, "gid": 0},
		"args": ["/bin/sh", "-c", "echo BUSYBOX-CONTAINER hostname=$(hostname) pid=$$ memory.max=$(cat /sys/fs/cgroup/memory.max) memory.swap.max=$(cat /sys/fs/cgroup/memory.swap.max) pids.max=$(cat /sys/fs/cgroup/pids.max) cpu.max=$(cat /sys/fs/cgroup/cpu.max | tr ' ' /); if hostname other 2>/dev/null; then echo SECCOMP-NOT-ENFORCED; else echo seccomp=enforced; fi; mknod /dev/kmsg1 c 1 11; if head -c1 /dev/kmsg1 >/dev/null 2>&1; then echo DEVICE-FILTER-OPEN; else echo device-filter=enforced; fi; mknod /dev/null1 c 1 3 && head -c1 /dev/null1 && echo null-device=allowed"],
		"capabilities": {
			"bounding": ["CAP_MKNOD", "CAP_SYS_ADMIN"],
			"effective": ["CAP_MKNOD", "CAP_SYS_ADMIN"],
			"permitted": ["CAP_MKNOD", "CAP_SYS_ADMIN"]
		},
		"env": ["PATH=/bin"],
		"cwd": "/",
		"noNewPrivileges": true
	},
	"root": {"path": "/usr/share/kata-agent/rootfs/busybox", "readonly": true},
	"hostname": "standin-bb",
	"mounts": [
		{"destination": "/proc", "type": "proc", "source": "proc"},
		{"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
		{"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
		{"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
		{"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
		{"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
		{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
		{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"]}
	],
	"linux": {
		"cgroupsPath": "/standin/bb",
		"resources": {
			"devices": [{"allow": false, "access": "rwm"}],
			"memory": {"limit": 67108864, "swap": 67108864},
			"pids": {"limit": 64},
			"cpu": {"quota": 50000, "period": 100000}
		},
		"namespaces": [
			{"type": "pid"}, {"type": "network"}, {"type": "ipc"},
			{"type": "uts"}, {"type": "mount"}, {"type": "cgroup"}
		],
		"seccomp": {
			"defaultAction": "SCMP_ACT_ALLOW",
			"architectures": ["SCMP_ARCH_X86_64"],
			"syscalls": [{"names": ["sethostname"], "action": "SCMP_ACT_ERRNO"}]
		}
	}
}
JSON
	crun run --bundle /tmp/bb bb-test 2>&1 | sed 's/^/CHECK container /'
fi
echo STANDIN-DONE
poweroff -f
STANDIN
chmod 0755 "$tmp/kata-agent"

echo "=== boot-check: building images with the stand-in agent"
bash "$here/build.sh" --agent "$tmp/kata-agent" --out "$tmp/guest" --no-cache 2>&1 | sed 's/^/  /'
img="$tmp/guest/kata-containers.img"
initrd="$tmp/guest/kata-containers-initrd.img"

qemu=(qemu-system-x86_64 -cpu max -m 512M,slots=2,maxmem=2G -nodefaults -nographic -no-reboot
	-serial stdio -bios /usr/share/qemu/qboot.rom
	-device virtio-serial-pci,id=vser0
	-chardev "socket,id=ch0,path=$tmp/agent.sock,server=on,wait=off"
	-device virtserialport,bus=vser0.0,chardev=ch0,name=agent.channel.0
	-kernel "$tmp/guest/vmlinux")
nvdimm=(-machine q35,accel=tcg,nvdimm=on
	-object "memory-backend-file,id=mem0,mem-path=$img,size=$(stat -c %s "$img"),readonly=on"
	-device nvdimm,id=nv0,memdev=mem0,unarmed=on)
nvdimm_args="console=ttyS0 root=/dev/pmem0p1 rootflags=dax,data=ordered,errors=remount-ro ro rootfstype=ext4 quiet panic=1"
initrd_opts=(-machine q35,accel=tcg -initrd "$initrd")
initrd_args="console=ttyS0 quiet panic=1"

failed=0
expect() { # LOG LABEL REGEX
	if grep -qE -- "$3" "$1"; then echo "  ok   $2"; else echo "  FAIL $2 (no match for /$3/)"; failed=1; fi
}
common_checks() {
	local log="$1"
	expect "$log" "the agent is PID 1" 'KATA-AGENT-STANDIN pid=1 '
	for m in "/dev devtmpfs" "/dev/pts devpts .*ptmxmode=666" "/dev/shm tmpfs" "/run tmpfs" "/tmp tmpfs" "/sys/fs/cgroup cgroup2" "/proc proc" "/sys sysfs"; do
		expect "$log" "mount ${m%% *}" "CHECK mount $m"
	done
	expect "$log" "/dev/ptmx -> pts/ptmx" 'CHECK ptmx -> pts/ptmx'
	expect "$log" "lo is up" 'CHECK lo flags 0x9'
	expect "$log" "cgroup v2 controllers" 'CHECK controllers .*cpuset.*cpu.*pids.*memory|CHECK controllers .*memory'
	expect "$log" "virtio-serial port agent.channel.0" 'CHECK vport vport[0-9]+p[0-9]+ name=agent.channel.0'
	expect "$log" "crun runs" 'CHECK crun crun version [0-9]'
	expect "$log" "pause bundle exits 0 on SIGTERM" 'CHECK pause exit=0'
	expect "$log" "busybox container: cgroup limits" 'BUSYBOX-CONTAINER hostname=standin-bb pid=1 memory.max=67108864 memory.swap.max=0 pids.max=64 cpu.max=50000/100000'
	expect "$log" "busybox container: seccomp filter" 'CHECK container seccomp=enforced'
	expect "$log" "busybox container: device filter" 'CHECK container device-filter=enforced'
	expect "$log" "busybox container: allowed device" 'CHECK container null-device=allowed'
	expect "$log" "stand-in finished" 'STANDIN-DONE'
	if grep -qE 'Kernel panic|kata-guest-init:' "$log"; then
		echo "  FAIL panic or init error:"; grep -E 'Kernel panic|kata-guest-init:' "$log" | sed 's/^/    /'; failed=1
	fi
}

echo "=== boot-check: nvdimm image ($(stat -c %s "$img") bytes), Kata's command line, with checks"
python3 "$here/qemu-run.py" --marker KATA-AGENT-STANDIN --timeout 120 --log "$tmp/nvdimm.log" -- \
	"${qemu[@]}" "${nvdimm[@]}" -append "$nvdimm_args standin.diag" || failed=1
common_checks "$tmp/nvdimm.log"
expect "$tmp/nvdimm.log" "root is pmem0p1, ext4, read-only, DAX" 'CHECK root /dev/root ext4 ro,.*dax'
expect "$tmp/nvdimm.log" "fsdax device pfn0.1" 'CHECK nd-devices .*pfn0\.1'
grep '^CHECK' "$tmp/nvdimm.log" | sed 's/^/    /'

echo "=== boot-check: initrd ($(stat -c %s "$initrd") bytes), with checks"
python3 "$here/qemu-run.py" --marker KATA-AGENT-STANDIN --timeout 120 --log "$tmp/initrd.log" -- \
	"${qemu[@]}" "${initrd_opts[@]}" -append "$initrd_args standin.diag" || failed=1
common_checks "$tmp/initrd.log"
expect "$tmp/initrd.log" "root is the read-only tmpfs copy" 'CHECK root root tmpfs ro'
grep '^CHECK' "$tmp/initrd.log" | sed 's/^/    /'

echo "=== boot-check: nvdimm, $runs boots, launch to the stand-in's first line"
python3 "$here/qemu-run.py" --marker KATA-AGENT-STANDIN --runs "$runs" --timeout 60 -- \
	"${qemu[@]}" "${nvdimm[@]}" -append "$nvdimm_args" || failed=1
echo "=== boot-check: initrd, $runs boots"
python3 "$here/qemu-run.py" --marker KATA-AGENT-STANDIN --runs "$runs" --timeout 60 -- \
	"${qemu[@]}" "${initrd_opts[@]}" -append "$initrd_args" || failed=1

if [ "$failed" -ne 0 ]; then echo "=== boot-check: FAILED"; exit 1; fi
echo "=== boot-check: all checks passed"
