#!/usr/bin/env bash
# Builds the dashboard (clients/web/dist, with npm) and speckd and speckctl
# (bazel-bin/, with Bazel): the build step run.sh, install-service.sh and the
# dashboard's browser test share. Needs what deploy/install-deps.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."

(cd clients/web && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
bazel build //server:speckd //clients/cli:speckctl
