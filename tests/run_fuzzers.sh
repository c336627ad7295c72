#!/usr/bin/env bash
# Builds every libFuzzer target (tests/fuzz, clang with ASan + UBSan) and
# fuzzes each for SECONDS (default 20) from a copy of its seed corpus, then
# prints executions, coverage and corpus size per target. Fails on the first
# crash, leak, timeout or sanitizer report (the input is kept in
# $FUZZ_OUT/<target>/, default /tmp/speckd-fuzz). For a long (nightly) run,
# by time or by executions per target:
#   SECONDS_PER_TARGET=3600 tests/run_fuzzers.sh
#   RUNS_PER_TARGET=1000000 tests/run_fuzzers.sh
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${SECONDS_PER_TARGET:-${1:-20}}
budget=(-max_total_time="$seconds")
[ -n "${RUNS_PER_TARGET:-}" ] && budget=(-runs="$RUNS_PER_TARGET")
out=${FUZZ_OUT:-/tmp/speckd-fuzz}
targets=(config_json_fuzz config_proto_fuzz events_fuzz graph_spec_fuzz grpc_web_fuzz csv_fuzz
  recording_fuzz aedat4_fuzz npy_fuzz)
# Build outputs live beside the other configurations' (bazel-out/*-fuzz).
ci=()
[ -t 1 ] || ci=(--config=ci)
bazel build --config=fuzz "${ci[@]}" "${targets[@]/#///tests/fuzz:}"
bin=$(bazel info --config=fuzz bazel-bin 2>/dev/null)
rm -rf "$out" && mkdir -p "$out"
status=0
for t in "${targets[@]}"; do
  corpus="$out/$t/corpus"
  mkdir -p "$corpus" "$out/$t/crashes"
  kind=${t%_fuzz}
  cp tests/fuzz/corpus/"$kind"/* "$corpus"/
  dict=()
  [ "$kind" = config_json ] && dict=(-dict=tests/fuzz/config_json.dict)
  # The targets read examples/ from their runfiles, as under `bazel test`.
  if ! TEST_SRCDIR="$bin/tests/fuzz/$t.runfiles" \
      ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "$bin/tests/fuzz/$t" "${dict[@]}" "${budget[@]}" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/$t/crashes/" \
      "$corpus" > "$out/$t/log" 2>&1; then
    echo "run_fuzzers: $t FAILED; see $out/$t/log and $out/$t/crashes/" >&2
    tail -40 "$out/$t/log" >&2
    status=1
    continue
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t/log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/$t/log")
  cov=$(grep -o 'cov: [0-9]*' "$out/$t/log" | tail -1)
  files=$(ls "$corpus" | wc -l)
  printf 'run_fuzzers: %-18s %9s runs  %7s/s  %s  corpus %s\n' "$t" "$runs" "$rate" "$cov" "$files"
done
exit $status
