#!/usr/bin/env bash
# Checks that each release binary is statically linked and runs in an empty
# chroot: nothing but the binary, an empty /tmp and /proc. (/proc is the one
# thing a static Swift binary needs: the runtime finds its own path through
# /proc/self/exe when dladdr cannot, and aborts without it. The guest's init
# mounts /proc before it starts the agent.)
#   hack/test-static.sh BIN_DIR PRODUCT...
set -euo pipefail
bin="$1"; shift
passed=0 failed=0
root="$(mktemp -d /tmp/static-chroot-XXXXXX)"
cleanup() { umount "$root/proc" 2>/dev/null || true; rm -rf "$root"; }
trap cleanup EXIT
for product in "$@"; do
	exe="$bin/$product"
	if readelf -l "$exe" | grep -q 'Requesting program interpreter'; then
		echo "FAIL $product: dynamically linked"; failed=$((failed + 1)); continue
	fi
	umount "$root/proc" 2>/dev/null || true
	rm -rf "${root:?}"/*; mkdir -p "$root/tmp" "$root/proc"
	cp "$exe" "$root/$product"
	mount -t proc proc "$root/proc"
	case "$product" in
		# No runc shim inside the chroot: the Swift side alone, 200 calls.
		ttrpc-bench) args=(--calls 200 --warmup 10 --runc-shim /absent) ;;
		*) args=(--help) ;;
	esac
	if out="$(chroot "$root" "/$product" "${args[@]}" 2>&1)"; then
		echo "ok   $product runs in an empty chroot ($(du -h "$exe" | cut -f1))"; passed=$((passed + 1))
	else
		echo "FAIL $product in an empty chroot: $out"; failed=$((failed + 1))
	fi
done
echo "static: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
