#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: installs what it needs, builds
# speckd and its dashboard, and runs the daemon with the simulated devkit.
# Prints where gRPC and the dashboard listen.
#   deploy/run.sh                          # gRPC 127.0.0.1:50051, dashboard 127.0.0.1:8080
#   deploy/run.sh --listen=0.0.0.0:50051   # any speckd flag passes through
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh
deploy/build.sh
exec bazel-bin/server/speckd --web_root="$PWD/clients/web/dist" "$@"
