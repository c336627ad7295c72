#!/usr/bin/env bash
# Runs a Python unittest file with Debian's python3 (Bazel 4's py_test looks
# for `python`, which Debian does not ship).
set -euo pipefail
cd "${TEST_SRCDIR}/speckd"
exec python3 "$1"
