#!/usr/bin/env bash
# Generate Swift code from the .proto files under proto/.
#
#   hack/protogen.sh Sources/Protocols/Generated
#   hack/protogen.sh --snapshots Sources/SnapshotsProtocol/Generated
#
# Without --snapshots: messages only, for every .proto except
# proto/containerd/snapshots (the Protocols target; no transport).
# With --snapshots: proto/containerd/snapshots, messages and gRPC service code
# (the SnapshotsProtocol target of kata-snapshotter); its imports of protos
# generated into Protocols are mapped to that module
# (proto/containerd/snapshots/module_mappings.asciipb).
#
# Needs Debian's protoc (protobuf-compiler) and libprotobuf-dev for the
# google/protobuf imports. The plugins are protoc-gen-swift and
# protoc-gen-grpc-swift-2 built from this package's own swift-protobuf and
# grpc-swift-protobuf dependencies, so the generated code always matches the
# runtime libraries it is compiled against. Set PROTOC_GEN_SWIFT and
# PROTOC_GEN_GRPC_SWIFT to use other builds of the plugins.
#
# The well-known types (google/protobuf/*.proto) are only imported, never
# generated: SwiftProtobuf ships them.
set -euo pipefail

usage() {
	echo "usage: $0 [--snapshots] OUTDIR" >&2
	exit 2
}
snapshots=false
if [ "${1:-}" = "--snapshots" ]; then
	snapshots=true
	shift
fi
[ $# -eq 1 ] || usage

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case "$1" in
	/*) out="$1" ;;
	*) out="$PWD/$1" ;;
esac

protoc="${PROTOC:-protoc}"
if ! command -v "$protoc" >/dev/null 2>&1; then
	echo "protoc not found: install protobuf-compiler and libprotobuf-dev" >&2
	exit 1
fi
if [ ! -f /usr/include/google/protobuf/any.proto ]; then
	echo "/usr/include/google/protobuf/any.proto missing: install libprotobuf-dev" >&2
	exit 1
fi

# PLUGIN_PATH PRODUCT: the given path, else the debug build of PRODUCT
# (built when missing).
plugin_path() {
	local path="$1" product="$2"
	if [ -z "$path" ]; then
		path="$root/.build/debug/$product"
		if [ ! -x "$path" ]; then
			echo "building $product..." >&2
			swift build --package-path "$root" --product "$product" >&2
			path="$(swift build --package-path "$root" --show-bin-path)/$product"
		fi
	fi
	if [ ! -x "$path" ]; then
		echo "$product not found at $path" >&2
		exit 1
	fi
	echo "$path"
}

# Sorted, relative to proto/, so that the output does not depend on the
# order the file system lists things in. proto/cri is the tests' CRI client's
# (Python stubs, generated when the tests run), not the package's.
if $snapshots; then
	mapfile -t protos < <(cd "$root/proto" && find ./containerd/snapshots -name '*.proto' -type f | sed 's|^\./||' | LC_ALL=C sort)
else
	mapfile -t protos < <(cd "$root/proto" && find . -name '*.proto' -type f -not -path './cri/*' -not -path './containerd/snapshots/*' | sed 's|^\./||' | LC_ALL=C sort)
fi
if [ ${#protos[@]} -eq 0 ]; then
	echo "no .proto files under $root/proto" >&2
	exit 1
fi

swift_plugin="$(plugin_path "${PROTOC_GEN_SWIFT:-}" protoc-gen-swift)"
args=(
	--plugin=protoc-gen-swift="$swift_plugin"
	-I "$root/proto" -I /usr/include
	--swift_out="$out"
	--swift_opt=Visibility=Public
	--swift_opt=FileNaming=PathToUnderscores
)
if $snapshots; then
	grpc_plugin="$(plugin_path "${PROTOC_GEN_GRPC_SWIFT:-}" protoc-gen-grpc-swift-2)"
	mappings="$root/proto/containerd/snapshots/module_mappings.asciipb"
	args+=(
		--swift_opt=ProtoPathModuleMappings="$mappings"
		--plugin=protoc-gen-grpc-swift="$grpc_plugin"
		--grpc-swift_out="$out"
		--grpc-swift_opt=Visibility=Public
		--grpc-swift_opt=FileNaming=PathToUnderscores
		--grpc-swift_opt=ProtoPathModuleMappings="$mappings"
	)
fi

mkdir -p "$out"
# Stale output from renamed or deleted protos must not survive.
find "$out" -maxdepth 1 -name '*.swift' -type f -delete

cd "$root/proto"
"$protoc" "${args[@]}" "${protos[@]}"
