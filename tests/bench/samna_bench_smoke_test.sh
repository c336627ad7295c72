#!/bin/sh
# Runs the samna bridge benchmarks briefly (no timing assertions): the
# in-process comparison and the end-to-end chain, each must report.
set -eu
runfiles="$TEST_SRCDIR/$TEST_WORKSPACE"
out=$(PYTHONPATH="$runfiles/driver/samna/bridge:$runfiles/tests/samna_double" \
  /usr/bin/python3 "$runfiles/tests/bench/samna_bridge_bench.py" \
  --events=20000 --rounds=1 --skip_chain)
echo "$out"
echo "$out" | grep -q "bridge_share"
out=$("$runfiles/tests/bench/samna_bench" --events=20000 --repetitions=1 2>&1)
echo "$out"
echo "$out" | grep -q "samna_bridge_events/s"
