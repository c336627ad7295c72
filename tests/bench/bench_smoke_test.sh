#!/bin/sh
# Runs a benchmark binary briefly and checks it reports its counters.
set -eu
out=$("$1" --benchmark_min_time=0.01 2>&1)
echo "$out"
echo "$out" | grep -q "input_events/s"
echo "$out" | grep -q "synops/s"
