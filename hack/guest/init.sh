#!/bin/sh
# /sbin/init of the development guest, and /init of its initrd (busybox sh).
# Mounts what the agent expects, then replaces itself with the agent, which
# thereby becomes PID 1 and reaps orphaned processes. Contract in README.md.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
AGENT=/usr/bin/kata-agent

# PID 1 exiting is a kernel panic, which `panic=1` turns into a reboot and
# then the same failure again. Power off with a reason instead.
die() {
	trap - EXIT
	echo "kata-guest-init: $*; powering off" >&2
	poweroff -f
	exit 1
}
# ash runs this when `exec` cannot start the agent (missing interpreter,
# wrong format) or when any step below makes the shell exit.
trap 'die "init exited before the agent started"' EXIT

is_mounted() { awk -v m="$1" '$2 == m { f = 1 } END { exit !f }' /proc/mounts; }

mount -t proc -o nosuid,nodev,noexec proc /proc || die "cannot mount /proc"

# On an initramfs the root is the kernel's rootfs, which cannot be
# pivot_root'ed away, and crun needs pivot_root. So copy the tree into a tmpfs
# and switch_root into it; /sbin/init then runs again on the tmpfs, read-only
# like the image, and takes the path below.
if [ "$(awk '$2 == "/" { t = $3 } END { print t }' /proc/mounts)" = rootfs ]; then
	mount -t tmpfs -o mode=0755 root /mnt || die "cannot mount the tmpfs root"
	for entry in /* /.[!.]*; do
		case "$entry" in
			/proc|/sys|/dev|/mnt) mkdir -m 0755 "/mnt$entry" ;;
			'/.[!.]*') ;;
			*) cp -a "$entry" /mnt/ || die "cannot copy $entry to the tmpfs root" ;;
		esac
	done
	mount -o remount,ro /mnt || die "cannot make the tmpfs root read-only"
	umount /proc
	trap 'die "switch_root to the tmpfs root failed"' EXIT
	exec switch_root /mnt /sbin/init
fi

mount -t sysfs -o nosuid,nodev,noexec sysfs /sys || die "cannot mount /sys"
# DEVTMPFS_MOUNT mounts /dev when the kernel mounts the root itself, not on
# the tmpfs root.
is_mounted /dev || mount -t devtmpfs -o nosuid,mode=0755 devtmpfs /dev || die "cannot mount /dev"
mkdir -p /dev/pts /dev/shm
# A private devpts instance whose ptmx everyone may open; /dev/ptmx must lead
# to it, not to the kernel's initial instance.
mount -t devpts -o nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5 devpts /dev/pts ||
	die "cannot mount /dev/pts"
rm -f /dev/ptmx && ln -s pts/ptmx /dev/ptmx
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t tmpfs -o nosuid,nodev,mode=1777 shm /dev/shm || die "cannot mount /dev/shm"
mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /run || die "cannot mount /run"
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs /tmp || die "cannot mount /tmp"
mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate cgroup2 /sys/fs/cgroup || die "cannot mount /sys/fs/cgroup"
ip link set lo up || die "cannot bring lo up"

[ -x "$AGENT" ] || die "$AGENT is missing or not executable"
trap 'die "cannot execute $AGENT"' EXIT
# From here on the agent is PID 1. If it ever exits the kernel panics, and
# Kata's `panic=1` with QEMU's -no-reboot ends the VM.
exec "$AGENT"
