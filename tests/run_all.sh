#!/usr/bin/env bash
# Every test, on a fresh Debian 12 machine: installs what it needs (Debian
# packages including chromium and clang, npm packages), runs the whole Bazel
# suite, the daemon's suites again under AddressSanitizer, LeakSanitizer and
# UndefinedBehaviorSanitizer, every source through clang's thread-safety
# analysis, the daemon's suites under ThreadSanitizer, a time-boxed run of
# every fuzz target, the Debian package (built and checked, not installed),
# and the dashboard in a real browser.
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh --tests
if [ ! -d ../shared/reference ]; then
  echo "run_all.sh: ../shared/reference is not next to this checkout: the" \
    "sinabs golden-case tests (driver/chip:reference_test) are skipped;" \
    "everything else runs." >&2
fi
# Plain, append-only output when not on a terminal (CI logs, pipes).
[ -t 1 ] || set -- --config=ci "$@"
# "Run every test" means run them: results cached by an earlier run (the disk
# cache is shared across checkouts) do not count. Builds stay cached.
set -- --nocache_test_results "$@"
# The daemon's suites: its libraries and the end-to-end tests over gRPC.
daemon_suites=(
  //driver/... //server/...
  //tests:api_errors_test //tests:descriptor_exhaustion_test
  //tests:device_faults_test //tests:device_recovery_test
  //tests:graph_service_test
  //tests:input_queue_test //tests:recording_test //tests:stream_limits_test
  //tests:streaming_test //tests:tutorial_e2e_test //tests:usb_recovery_test
  //tests/fuzz/...
)
bazel test //... "$@"
bazel test --config=asan "$@" "${daemon_suites[@]}"
# Locking annotations checked by the compiler (-Wthread-safety as errors).
bazel build --config=clang "$@" //...
bazel test --config=tsan "$@" "${daemon_suites[@]}"
# Every decoder fuzzed (libFuzzer, ASan + UBSan), 20 s each from its seeds.
tests/run_fuzzers.sh 20
tests/deb/check_package.sh
clients/web/scripts/browser-test.sh
