#!/usr/bin/env bash
# Every test, on a fresh Debian 12 machine: installs what it needs, then runs
# the whole Bazel suite.
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh
# Plain, append-only output when not on a terminal (CI logs, pipes).
[ -t 1 ] || set -- --config=ci "$@"
bazel test //... "$@"
