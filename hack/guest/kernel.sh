#!/usr/bin/env bash
# Builds the guest vmlinux from Debian's linux-source-6.1: `make tinyconfig`,
# hack/guest/kernel.fragment, `make olddefconfig`, a check that every fragment
# line stuck, then `make vmlinux`.
#
# A kernel takes minutes under two cores, so each one is built once per
# machine and kept in CACHE/kernel/KEY/{vmlinux,config}. KEY hashes the
# fragment, this script and the installed linux-source version; nothing else
# changes the result. Prints that directory on stdout; progress goes to stderr.
#   hack/guest/kernel.sh CACHE
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
fragment="$here/kernel.fragment"
cache="${1:?usage: kernel.sh CACHE}"
tarball=/usr/src/linux-source-6.1.tar.xz

log() { echo "kernel: $*" >&2; }

version="$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null)" ||
	{ log "linux-source-6.1 is not installed"; exit 1; }
key="$( { sha256sum <"$fragment"; sha256sum <"$here/kernel.sh"; echo "$version"; } | sha256sum | cut -c1-16)"
dir="$cache/kernel/$key"

mkdir -p "$cache/kernel"
# Two builds at once (two checkouts, two make runs) wait for each other
# instead of compiling the same kernel twice on two cores.
exec 9>"$cache/kernel/.lock"
flock 9

# Left behind by a build that was killed (this one holds the lock).
rm -rf "$cache"/kernel/scratch.*

if [ -f "$dir/vmlinux" ] && [ -f "$dir/config" ]; then
	log "cached $dir (linux-source-6.1 $version)"
	echo "$dir"
	exit 0
fi

scratch="$(mktemp -d "$cache/kernel/scratch.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
log "building linux-source-6.1 $version, key $key, in $scratch"

t0=$SECONDS
tar -C "$scratch" -xf "$tarball"
src="$scratch/linux-source-6.1"
log "unpacked in $((SECONDS - t0)) s"

# A fixed identity keeps `uname -v` and /proc/version the same on every machine.
export KBUILD_BUILD_TIMESTAMP='1970-01-01 00:00:00 UTC'
export KBUILD_BUILD_USER=kata KBUILD_BUILD_HOST=guest KBUILD_BUILD_VERSION=1

t0=$SECONDS
make -C "$src" -s tinyconfig >&2
# Fragment lines -> scripts/config arguments.
args=()
while IFS= read -r line; do
	case "$line" in
		CONFIG_*=y) opt="${line%%=*}"; args+=(--enable "${opt#CONFIG_}") ;;
		CONFIG_*=n) opt="${line%%=*}"; args+=(--disable "${opt#CONFIG_}") ;;
		CONFIG_*=\"*) opt="${line%%=*}"; val="${line#*=}"; val="${val#\"}"; args+=(--set-str "${opt#CONFIG_}" "${val%\"}") ;;
		CONFIG_*=*) opt="${line%%=*}"; args+=(--set-val "${opt#CONFIG_}" "${line#*=}") ;;
		"# CONFIG_"*" is not set") opt="${line#\# CONFIG_}"; args+=(--disable "${opt% is not set}") ;;
	esac
done <"$fragment"
"$src/scripts/config" --file "$src/.config" "${args[@]}"
make -C "$src" -s olddefconfig >&2

# olddefconfig silently drops an option whose dependencies are missing.
bad=0
while IFS= read -r line; do
	case "$line" in
		CONFIG_*=*)
			grep -qxF -- "$line" "$src/.config" ||
				{ log "option did not stick: $line (now: $(grep -E "^(# )?${line%%=*}[= ]" "$src/.config" || echo absent))"; bad=1; } ;;
		"# CONFIG_"*" is not set")
			opt="${line#\# }"; opt="${opt% is not set}"
			! grep -q "^$opt=" "$src/.config" ||
				{ log "option did not stick: $line (now: $(grep "^$opt=" "$src/.config"))"; bad=1; } ;;
	esac
done <"$fragment"
[ "$bad" -eq 0 ] || { log "kernel.fragment does not apply to linux-source-6.1 $version"; exit 1; }
log "configured in $((SECONDS - t0)) s, every fragment option present"

t0=$SECONDS
make -C "$src" -s -j"$(nproc)" vmlinux >&2
log "vmlinux built in $((SECONDS - t0)) s"

# The PVH entry note is what lets qboot start the ELF directly.
readelf -n "$src/vmlinux" | grep -q 'Unknown note type: (0x00000012)' ||
	{ log "vmlinux has no PVH entry note"; exit 1; }

mkdir -p "$scratch/out"
cp "$src/vmlinux" "$scratch/out/vmlinux"
cp "$src/.config" "$scratch/out/config"
echo "linux-source-6.1 $version" >"$scratch/out/source-version"
rm -rf "$dir"
mv "$scratch/out" "$dir"
# Keep the three newest kernels (other checkouts or branches may still use
# an older fragment); each is about 20 MB.
ls -1dt "$cache"/kernel/*/ | grep -v '/scratch\.' | tail -n +4 | xargs -r rm -rf
log "cached $dir"
echo "$dir"
