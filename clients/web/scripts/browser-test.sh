#!/bin/sh
# Builds the dashboard and runs its browser test against a freshly built
# speckd (Debian's chromium, headless). Screenshot: clients/web/test-results/.
set -eu
cd "$(dirname "$0")/.."
root="$(cd ../.. && pwd)"
"$root/deploy/build.sh"
SPECKD="$root/bazel-bin/server/speckd" SPECKCTL="$root/bazel-bin/clients/cli/speckctl" \
  node tests/dashboard.test.mjs
