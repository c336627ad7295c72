#!/usr/bin/env python3
"""The chip model's speed targets, measured in one run on this machine.

  1. The tutorial against sinabs' 1 ms bins, one core each: >= 1000x
     (tests/bench/vs_sinabs.py, run here as a module).
  2. The gesture-like 4-core DVS network (BM_GestureNetwork of
     chip_model_bench): >= 3 G SynOps/s on one core, median of 5
     repetitions.
  3. Dataset mode (dataset_bench): N threads >= 0.9 N x one thread.

An absolute figure (2) moves with the machine's load: on a shared VM the
same binary varies by up to 25 % from minute to minute, so the script
prints the load average beside it. Run from the repo root:

    bazel build -c opt //tests/bench:chip_model_bench //tests/bench:dataset_bench && /usr/bin/python3 tests/bench/chip_model_targets.py

Exits 1 when a figure could not be measured (the reason is printed), 0
otherwise, met or not: the verdicts are in the table.
"""
import json
import os
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vs_sinabs  # noqa: E402 (next to this file)

BIN = os.path.join(vs_sinabs.ROOT, "bazel-bin", "tests", "bench")
GESTURE_TARGET = 3e9  # SynOps/s
SCALING_TARGET = 0.9  # of N x one thread


def run(argv):
    """stdout of argv, or None with the reason printed."""
    if not os.access(argv[0], os.X_OK):
        print(f"no binary at {argv[0]}; build it with\n    bazel build -c opt "
              "//tests/bench:chip_model_bench //tests/bench:dataset_bench",
              file=sys.stderr)
        return None
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"{argv[0]} failed (exit {proc.returncode}):\n{proc.stderr}",
              file=sys.stderr)
        return None
    return proc.stdout


def gesture():
    """(median SynOps/s, best SynOps/s) of BM_GestureNetwork, or None."""
    out = run([os.path.join(BIN, "chip_model_bench"),
               "--benchmark_filter=^BM_GestureNetwork$",
               "--benchmark_repetitions=5", "--benchmark_min_time=0.5",
               "--benchmark_format=json"])
    if out is None:
        return None
    rates = [b["synops/s"] for b in json.loads(out).get("benchmarks", [])
             if b.get("run_type") == "iteration" and "synops/s" in b]
    if not rates:
        print("chip_model_bench printed no BM_GestureNetwork synops/s",
              file=sys.stderr)
        return None
    return statistics.median(rates), max(rates)


def scaling():
    """{threads: samples/s} from dataset_bench's table, or None."""
    out = run([os.path.join(BIN, "dataset_bench")])
    if out is None:
        return None
    rows = {int(m[1]): float(m[2]) for m in re.finditer(
        r"^\s+(\d+)\s+([\d.]+)\s", out, re.MULTILINE)}
    if 1 not in rows:
        print(f"dataset_bench printed no 1-thread row:\n{out}", file=sys.stderr)
        return None
    return rows


def tutorial():
    """(file ratio, network ratio) over sinabs' 1 ms bins, or None."""
    sl = vs_sinabs.import_sinabs()
    speckd = vs_sinabs.measure_speckd(vs_sinabs.DEFAULT_BENCH)
    if sl is None or speckd is None:
        return None
    events = vs_sinabs.load_events()
    f = vs_sinabs.figures(vs_sinabs.measure_sinabs(sl, events), speckd,
                          len(events[0]))
    return f["ratio_file_over_sinabs_1ms"], f["ratio_network_over_sinabs_1ms"]


def verdict(met):
    return "met" if met else "NOT MET"


def main():
    missing = []
    t = tutorial()
    if t is None:
        missing.append("tutorial vs sinabs")
    else:
        worst = min(t)
        print(f"tutorial vs sinabs' 1 ms bins: files {t[0]:,.0f}x, network "
              f"{t[1]:,.0f}x (target >= {vs_sinabs.TARGET_RATIO:,.0f}x): "
              f"{verdict(worst >= vs_sinabs.TARGET_RATIO)}")
    g = gesture()
    if g is None:
        missing.append("gesture network")
    else:
        print(f"gesture-like network: {g[0] / 1e9:.2f} G SynOps/s median of 5, "
              f"best {g[1] / 1e9:.2f} G (target >= {GESTURE_TARGET / 1e9:.0f} "
              f"G): {verdict(g[0] >= GESTURE_TARGET)}")
    s = scaling()
    if s is None:
        missing.append("dataset scaling")
    else:
        n = max(s)
        ratio = s[n] / s[1]
        print(f"dataset mode: {s[1]:.1f} samples/s on 1 thread, {s[n]:.1f} on "
              f"{n} = {ratio:.2f}x (target >= {SCALING_TARGET * n:.1f}x): "
              f"{verdict(ratio >= SCALING_TARGET * n)}")
    print(f"load average (1 min): {os.getloadavg()[0]:.2f} on "
          f"{os.cpu_count()} CPUs")
    if missing:
        print(f"FAILED: not measured: {', '.join(missing)} (see above)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
