#!/usr/bin/env bash
# Benchmarks, each side by side with containerd's own runc shim in the same run.
#   bench/run.sh BIN_DIR   (make bench builds the static release binaries first)
set -euo pipefail
bin="${1:-.build-static/release}"
echo "## ttrpc round trip (unix socket)"
"$bin/ttrpc-bench" --calls 10000
echo
echo "## development guest (make guest) and QEMU supervision"
swift build --product vm-bench >/dev/null
"$(swift build --show-bin-path)/vm-bench" --runs 5
echo
echo "## the shim with a real containerd, beside containerd-shim-runc-v2"
config_dir="$(mktemp -d /tmp/kbench-XXXXXX)"
trap 'rm -rf "$config_dir"' EXIT
bash hack/dev-config.sh "$config_dir" >/dev/null
bash bench/shim-bench.sh "$bin/containerd-shim-kata-v2" "$config_dir/configuration-qemu.toml" 10
