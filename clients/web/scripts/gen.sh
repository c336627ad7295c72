#!/bin/sh
# TypeScript clients for the speckd.v1 API, generated from the same protos as
# the daemon, with Debian's protoc and protobuf-ts's plugin.
set -eu
cd "$(dirname "$0")/.."
root=../..
out=src/gen
rm -rf "$out"
mkdir -p "$out"
protoc \
  --plugin=protoc-gen-ts=node_modules/.bin/protoc-gen-ts \
  --ts_out="$out" \
  --ts_opt=long_type_number,optimize_code_size \
  -I "$root" \
  "$root"/proto/speckd/v1/*.proto
