#!/usr/bin/env bash
# Checks that each release binary is statically linked and runs in an empty
# chroot (nothing but the binary and an empty /tmp).
#   hack/test-static.sh BIN_DIR PRODUCT...
set -euo pipefail
bin="$1"; shift
passed=0 failed=0
root="$(mktemp -d /tmp/static-chroot-XXXXXX)"
trap 'rm -rf "$root"' EXIT
for product in "$@"; do
	exe="$bin/$product"
	if readelf -l "$exe" | grep -q 'Requesting program interpreter'; then
		echo "FAIL $product: dynamically linked"; failed=$((failed + 1)); continue
	fi
	rm -rf "$root"/*; mkdir -p "$root/tmp"
	cp "$exe" "$root/$product"
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
