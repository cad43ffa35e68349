#!/usr/bin/env bash
# Generate Swift code for every .proto under proto/ into OUTDIR.
#
#   hack/protogen.sh Sources/Protocols/Generated
#
# Needs Debian's protoc (protobuf-compiler) and libprotobuf-dev for the
# google/protobuf imports. The plugin is protoc-gen-swift built from this
# package's own swift-protobuf dependency, so the generated code always
# matches the runtime library it is compiled against. Set PROTOC_GEN_SWIFT
# to use another build of the plugin.
#
# The well-known types (google/protobuf/*.proto) are only imported, never
# generated: SwiftProtobuf ships them.
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi

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

plugin="${PROTOC_GEN_SWIFT:-}"
if [ -z "$plugin" ]; then
	plugin="$root/.build/debug/protoc-gen-swift"
	if [ ! -x "$plugin" ]; then
		echo "building protoc-gen-swift..." >&2
		swift build --package-path "$root" --product protoc-gen-swift >&2
		plugin="$(swift build --package-path "$root" --show-bin-path)/protoc-gen-swift"
	fi
fi
if [ ! -x "$plugin" ]; then
	echo "protoc-gen-swift not found at $plugin" >&2
	exit 1
fi

# Sorted, relative to proto/, so that the output does not depend on the
# order the file system lists things in. proto/cri is the tests' CRI client's
# (Python stubs, generated when the tests run), not the package's.
mapfile -t protos < <(cd "$root/proto" && find . -name '*.proto' -type f -not -path './cri/*' | sed 's|^\./||' | LC_ALL=C sort)
if [ ${#protos[@]} -eq 0 ]; then
	echo "no .proto files under $root/proto" >&2
	exit 1
fi

mkdir -p "$out"
# Stale output from renamed or deleted protos must not survive.
find "$out" -maxdepth 1 -name '*.pb.swift' -type f -delete

cd "$root/proto"
"$protoc" \
	--plugin=protoc-gen-swift="$plugin" \
	-I "$root/proto" -I /usr/include \
	--swift_out="$out" \
	--swift_opt=Visibility=Public \
	--swift_opt=FileNaming=PathToUnderscores \
	"${protos[@]}"
