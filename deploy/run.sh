#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: installs what it needs, builds
# speckd and runs it with the simulated devkit. Prints where it listens.
#   deploy/run.sh                          # gRPC on 127.0.0.1:50051
#   deploy/run.sh --listen=0.0.0.0:50051   # any speckd flag passes through
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh
bazel build //server:speckd
exec bazel-bin/server/speckd "$@"
