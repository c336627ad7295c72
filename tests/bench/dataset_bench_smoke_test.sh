#!/bin/sh
# Runs the dataset benchmark on a tiny dataset and checks it prints its
# scaling table (no timing assertions).
set -eu
out=$("$1" --samples=4 --events=2000 2>&1)
echo "$out"
echo "$out" | grep -q "x 1 thread"
echo "$out" | grep -Eq "^ +1 +[0-9.]+ +[0-9.]+ +[0-9.]+ +1\.00"
