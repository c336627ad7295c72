#!/usr/bin/env bash
# Installs what building, running and testing speckd needs on Debian 12, from
# Debian's archive only (npm packages come later, from the npm registry).
# Idempotent: packages already present are skipped.
#   deploy/install-deps.sh            build and run (daemon + dashboard)
#   deploy/install-deps.sh --tests    also what tests need: chromium, clang and
#                                    its sanitizer runtimes, umockdev, the
#                                    Python client's packages
#   deploy/install-deps.sh --package  also what deploy/build-deb.sh needs
set -euo pipefail

packages=(
  bazel-bootstrap bazel-rules-java bazel-rules-proto
  libgrpc++-dev libprotobuf-dev protobuf-compiler-grpc
  libusb-1.0-0-dev libgmock-dev libbenchmark-dev libevent-dev libhdf5-dev
  libflatbuffers-dev flatbuffers-compiler liblz4-dev libsystemd-dev libssl-dev
)
# The dashboard is built with Node.js (18 or newer) and npm.
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
# Tests: a real browser, clang with its sanitizer runtimes for the
# thread-safety and ThreadSanitizer passes, umockdev (a mocked sysfs and
# usbfs under Debian's real libusb) for the USB layer, and Debian's Python
# with grpcio, protobuf, numpy and pytest for the Python client, and torch,
# h5py, matplotlib and pbr for sinabs and NIR (their copies are in
# ../shared/third_party/python; there is no package index here), and yaml
# for the Kubernetes example's test.
# Tests also make certificates (openssl), build and check the Debian package
# (dpkg-dev's dpkg-shlibdeps, curl, systemd-analyze).
[ "${1:-}" = "--tests" ] && packages+=(chromium clang libclang-rt-14-dev umockdev libumockdev-dev
  python3-grpcio python3-protobuf python3-numpy python3-pytest python3-venv
  python3-torch python3-h5py python3-matplotlib python3-pbr python3-yaml
  openssl dpkg-dev curl systemd)
[ "${1:-}" = "--package" ] && packages+=(dpkg-dev)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "install-deps: installing ${missing[*]}" >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 18 ]; then
  echo "install-deps: Node.js $(node --version) is too old for the dashboard (18 or newer)" >&2
  exit 1
fi
