#!/usr/bin/env bash
# Installs what building and testing speckd needs on Debian 12, from Debian's
# own archive only. Idempotent: packages already present are skipped.
#   deploy/install-deps.sh            build + test dependencies
set -euo pipefail

packages=(
  bazel-bootstrap bazel-rules-java bazel-rules-proto
  libgrpc++-dev libprotobuf-dev protobuf-compiler-grpc
  libusb-1.0-0-dev libgmock-dev libbenchmark-dev libevent-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
