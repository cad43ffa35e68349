#!/usr/bin/env bash
# Builds the development guest (what `make guest` runs):
#   OUT/vmlinux                     uncompressed kernel with a PVH entry
#   OUT/kata-containers.img         ext4 root, Kata nvdimm/DAX layout
#   OUT/kata-containers-initrd.img  the same tree as a gzip cpio
#   OUT/vmlinux.config, OUT/guest.info
#
#   hack/guest/build.sh [--agent PATH] [--out DIR] [--no-cache]
#     --agent     the kata-agent to install (default $GUEST_AGENT, else
#                 .build-static/release/kata-agent): a static executable, or
#                 a #! script for a stand-in
#     --out       output directory (default $GUEST_OUT, else build/guest)
#     --no-cache  build the images even if the cache has them, and do not
#                 store them there (the kernel still comes from the cache)
#   KATA_GUEST_CACHE  cache directory (default /var/cache/kata-shim-guest)
#
# The kernel is cached by hack/guest/kernel.sh. The images are cached under a
# hash of every input (these scripts, the fragment, pause.c, the agent, and
# the Debian packages whose files end up in the image), so an unchanged
# rebuild only copies files. Two builds from the same inputs are
# byte-identical.
set -euo pipefail
umask 022
export LC_ALL=C TZ=UTC
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

agent="${GUEST_AGENT:-$repo/.build-static/release/kata-agent}"
out="${GUEST_OUT:-$repo/build/guest}"
cache="${KATA_GUEST_CACHE:-/var/cache/kata-shim-guest}"
use_cache=1
while [ $# -gt 0 ]; do
	case "$1" in
		--agent) agent="$2"; shift 2 ;;
		--out) out="$2"; shift 2 ;;
		--no-cache) use_cache=0; shift ;;
		*) echo "usage: $0 [--agent PATH] [--out DIR] [--no-cache]" >&2; exit 2 ;;
	esac
done

packages=(linux-source-6.1 build-essential bc bison flex libelf-dev libssl-dev cpio
	xz-utils fdisk e2fsprogs busybox-static crun qemu-system-x86 python3)
# Debian packages whose files or tools shape the image bytes.
image_packages=(linux-source-6.1 busybox-static crun libc6 gcc e2fsprogs cpio gzip)
# Fixed identities: ext4 UUID and directory hash seed.
fs_uuid=4b415441-2d67-7565-7374-000000000001
hash_seed=4b415441-2d67-7565-7374-000000000002
# E2FSPROGS_FAKE_TIME pins the times mke2fs and debugfs invent; 0 would mean
# "unset" to them, so the superblock says one second after the epoch.
export E2FSPROGS_FAKE_TIME=1

started=$EPOCHREALTIME
stage() {
	local name="$1"; shift
	local t0=$EPOCHREALTIME
	echo "=== guest: $name"
	"$@"
	echo "=== guest: $name took $(elapsed "$t0") s"
}
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
die() { echo "guest: $*" >&2; exit 1; }

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
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
}

check_agent() {
	[ -f "$agent" ] || die "the guest agent $agent does not exist: run \`make release\` first (it builds the kata-agent product), or pass another agent with GUEST_AGENT=/path"
	if [ "$(head -c 2 "$agent")" = '#!' ]; then
		echo "agent: $agent (a script: stand-in)"
	elif readelf -h "$agent" >/dev/null 2>&1; then
		# The guest has crun's libraries but no others; a dynamic agent
		# would fail there with a bare "not found".
		! readelf -l "$agent" | grep -q 'Requesting program interpreter' ||
			die "the guest agent $agent is dynamically linked; the guest needs a static executable (make release)"
		echo "agent: $agent (static, $(du -h "$agent" | cut -f1))"
	else
		die "the guest agent $agent is neither an ELF executable nor a #! script"
	fi
}

compute_key() {
	local f
	{
		for f in build.sh kernel.sh kernel.fragment init.sh pause.c pause-config.json mkdax.py; do
			echo "$f $(sha256sum <"$here/$f" | cut -d' ' -f1)"
		done
		echo "agent $(sha256sum <"$agent" | cut -d' ' -f1)"
		dpkg-query -W -f='${Package} ${Version}\n' "${image_packages[@]}"
	} >"$1"
}

build_kernel() {
	kernel_dir="$(bash "$here/kernel.sh" "$cache")"
}

# The root tree. Everything the agent needs is in place at build time: the
# root is mounted read-only.
make_root() {
	local root="$1" applet lib
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,dev,proc,sys/fs/cgroup,run,tmp,mnt,root}
	chmod 1777 "$root/tmp"
	chmod 0700 "$root/root"

	# busybox with a symlink per applet, where Debian's busybox puts it;
	# /sbin/init is ours.
	cp /bin/busybox "$root/bin/busybox"
	for applet in $(/bin/busybox --list-full); do
		case "$applet" in sbin/init|linuxrc|bin/busybox) continue ;; esac
		mkdir -p "$root/$(dirname "$applet")"
		ln -s /bin/busybox "$root/$applet"
	done
	install -m 0755 "$here/init.sh" "$root/sbin/init"

	# crun is dynamically linked: exactly the libraries ldd resolves, and the
	# loader, at the same paths, which the loader searches without a cache.
	cp /usr/bin/crun "$root/usr/bin/crun"
	for lib in $(ldd /usr/bin/crun | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done

	install -m 0755 "$agent" "$root/usr/bin/kata-agent"

	# /etc: the agent is a static glibc program. glibc >= 2.34 has the files
	# and dns NSS back ends built in, static builds included, so host names
	# resolve with nsswitch.conf, hosts and resolv.conf alone. resolv.conf is
	# empty: the agent bind-mounts the sandbox's DNS over it.
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
	printf 'root:x:0:\ntty:x:5:\n' >"$root/etc/group"
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
	printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
	: >"$root/etc/resolv.conf"
	ln -s /proc/self/mounts "$root/etc/mtab"

	# The pod sandbox bundle: the agent runs /pause from it.
	mkdir -p "$root/pause_bundle/rootfs"/{proc,dev,sys}
	install -m 0644 "$here/pause-config.json" "$root/pause_bundle/config.json"
	gcc -static -Os -s -Wall -Werror -o "$root/pause_bundle/rootfs/pause" "$here/pause.c"

	# A busybox container root for agent-level tests; read-only, so every
	# mount point and bind-mount target exists already. busybox is a hard
	# link to the one in /bin (one copy in the image).
	local bb="$root/usr/share/kata-agent/rootfs/busybox"
	mkdir -p "$bb"/{bin,proc,sys,dev,tmp,etc,run}
	chmod 1777 "$bb/tmp"
	ln "$root/bin/busybox" "$bb/bin/busybox"
	for applet in $(/bin/busybox --list); do
		[ "$applet" = busybox ] || ln -s busybox "$bb/bin/$applet"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$bb/etc/passwd"
	printf 'root:x:0:\n' >"$bb/etc/group"
	printf 'busybox\n' >"$bb/etc/hostname"
	: >"$bb/etc/hosts"
	: >"$bb/etc/resolv.conf"

	# Fixed times for every file (SOURCE_DATE_EPOCH = 0).
	find "$root" -exec touch -h -d @0 {} +
}

make_image() {
	local root="$1" img="$2" fs="$3.fs" kib inodes used total fs_bytes i
	# Room for the tree, 10% slack, the 4 MiB journal and metadata; the
	# image (3 MiB header + file system) a multiple of 2 MiB.
	kib=$(du -sk "$root" | cut -f1)
	inodes=$(( $(find "$root" | wc -l) + 512 ))
	total=$(( (3072 + kib * 11 / 10 + 4096 + inodes / 4 + 8192 + 2047) / 2048 * 2048 ))
	fs_bytes=$(( (total - 3072) * 1024 ))
	rm -f "$fs"
	truncate -s "$fs_bytes" "$fs"
	# 4 KiB blocks and no inline data: DAX needs both.
	mkfs.ext4 -q -F -b 4096 -I 256 -N "$inodes" -m 0 -J size=4 -L kata-root \
		-U "$fs_uuid" -E root_owner=0:0,hash_seed="$hash_seed" -d "$root" "$fs"
	# mke2fs copies ctime from the source files (the time they were made)
	# and stamps the inodes it creates itself; set all to 0. Inodes of a
	# fresh file system are allocated from 11 upwards without gaps.
	used=$(dumpe2fs -h "$fs" 2>/dev/null | awk -F: '/^Inode count/ { n = $2 } /^Free inodes/ { f = $2 } END { print n - f }')
	for i in 2 $(seq 11 "$used"); do
		echo "sif <$i> atime 0"; echo "sif <$i> ctime 0"; echo "sif <$i> mtime 0"; echo "sif <$i> crtime 0"
	done >"$3.debugfs"
	debugfs -w -f "$3.debugfs" "$fs" >/dev/null 2>"$3.debugfs.err" ||
		{ cat "$3.debugfs.err" >&2; die "debugfs failed on $fs"; }
	! grep -v '^debugfs ' "$3.debugfs.err" | grep -q . ||
		{ cat "$3.debugfs.err" >&2; die "debugfs reported errors on $fs"; }
	e2fsck -fn "$fs" >"$3.fsck" 2>&1 || { cat "$3.fsck" >&2; die "e2fsck finds errors in $fs"; }
	python3 "$here/mkdax.py" "$fs" "$img"
	rm -f "$fs" "$3.debugfs" "$3.debugfs.err" "$3.fsck"
	# The partition the kernel without the DAX header sees.
	sfdisk -d "$img" | grep -q 'start= *6144, .*type=83' || die "unexpected partition table in $img"
}

make_initrd() {
	local root="$1" initrd="$2"
	# The kernel runs /init from an initramfs; switch_root wants a regular file.
	install -m 0755 "$here/init.sh" "$root/init"
	touch -h -d @0 "$root" "$root/init"
	(cd "$root" && find . -print0 | sort -z |
		cpio --null --create --format=newc --reproducible --owner=0:0 --quiet) |
		gzip -n >"$initrd"
	rm -f "$root/init"
}

build_images() {
	local dest="$1" root="$scratch/root"
	stage "root tree" make_root "$root"
	stage "ext4 image with DAX header" make_image "$root" "$dest/kata-containers.img" "$scratch/fs"
	stage "initrd" make_initrd "$root" "$dest/kata-containers-initrd.img"
	rm -rf "$root"
}

publish() {
	local from="$1" f
	mkdir -p "$out"
	for f in kata-containers.img kata-containers-initrd.img; do
		cp --reflink=auto --sparse=always "$from/$f" "$out/$f.tmp"
		mv "$out/$f.tmp" "$out/$f"
	done
	cp "$kernel_dir/vmlinux" "$out/vmlinux.tmp" && mv "$out/vmlinux.tmp" "$out/vmlinux"
	cp "$kernel_dir/config" "$out/vmlinux.config"
	{
		echo "image key $key"
		echo "kernel $(basename "$kernel_dir") $(cat "$kernel_dir/source-version")"
		cat "$scratch/inputs"
		(cd "$out" && sha256sum vmlinux kata-containers.img kata-containers-initrd.img)
		(cd "$out" && stat -c 'size %n %s' vmlinux kata-containers.img kata-containers-initrd.img)
	} >"$out/guest.info"
}

main() {
	stage "Debian packages" install_packages
	stage "agent" check_agent
	mkdir -p "$cache/image"
	# One image build at a time per cache; a killed one leaves its scratch.
	exec 8>"$cache/image/.lock"
	flock 8
	rm -rf "$cache"/image/scratch.*
	scratch="$(mktemp -d "$cache/image/scratch.XXXXXX")"
	trap 'rm -rf "$scratch"' EXIT
	compute_key "$scratch/inputs"
	key="$(sha256sum <"$scratch/inputs" | cut -c1-16)"
	echo "image key $key"
	stage "kernel" build_kernel

	local entry="$cache/image/$key"
	if [ "$use_cache" = 1 ] && [ -f "$out/guest.info" ] && grep -qx "image key $key" "$out/guest.info" &&
		(cd "$out" && sha256sum --status -c <(grep -E '^[0-9a-f]{64}  ' guest.info)); then
		echo "=== guest: $out is up to date"
	elif [ "$use_cache" = 1 ] && [ -f "$entry/kata-containers.img" ] && [ -f "$entry/kata-containers-initrd.img" ]; then
		echo "=== guest: images cached in $entry"
		touch "$entry"
		stage "copy to $out" publish "$entry"
	else
		local dest="$scratch/images"
		mkdir -p "$dest"
		build_images "$dest"
		if [ "$use_cache" = 1 ]; then
			# Keep the three newest image sets.
			rm -rf "$entry"
			mv "$dest" "$entry"
			dest="$entry"
			ls -1dt "$cache"/image/*/ | grep -v '/scratch\.' | tail -n +4 | xargs -r rm -rf
		fi
		stage "copy to $out" publish "$dest"
	fi
	echo "=== guest: done in $(elapsed "$started") s"
	(cd "$out" && ls -l vmlinux kata-containers.img kata-containers-initrd.img | awk '{ printf "  %s %s\n", $5, $9 }')
}

main
