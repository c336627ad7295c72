#!/usr/bin/env python3
"""speckd's chip model against sinabs' time-stepped simulation, one run.

Both sides process the sinabs "Spike Count Visualization" tutorial:
examples/tutorial/events.csv (25001 DVS events over 5 s, polarities merged
into one channel) through the tutorial's network (a 16x16 convolution into
2 classes, then sinabs' IAFSqueeze).

  sinabs: events rasterized into 1 ms bins ([T, 1, 16, 16] counts), one
          forward pass over all T bins, torch on one thread; timed:
          rasterization + forward (what a user pays), median of >= 5 runs
          and >= 1 s. 10 ms bins are measured too, for reference.
  speckd: chip_model_bench on one core, two cases (their "input_events/s",
          median of 5 repetitions):
          BM_TutorialFile, the same files (config.json with the DVS
          layer's monitor on, so two output events per input), and
          BM_TutorialNetwork, the same network fed spikes straight into
          its core (what the sinabs network itself computes).

The target is speckd >= 1000x sinabs at 1 ms bins. Run from the repo root:

    bazel build -c opt //tests/bench:chip_model_bench && /usr/bin/python3 tests/bench/vs_sinabs.py

--sinabs_only skips speckd; --json prints the figures machine-readably.
sinabs is taken from an installed package if one imports, else from
../shared/third_party/python (next to the repo).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TUTORIAL_DIR = os.path.join(ROOT, "examples", "tutorial")
SINABS_DIR = os.path.join(ROOT, "..", "shared", "third_party", "python")
DEFAULT_BENCH = os.path.join(ROOT, "bazel-bin", "tests", "bench", "chip_model_bench")
BUILD_HINT = "bazel build -c opt //tests/bench:chip_model_bench"
TARGET_RATIO = 1000.0
MIN_RUNS, MIN_SECONDS = 5, 1.0


def import_sinabs():
    """sinabs.layers (not sinabs.backend.dynapcnn, which needs samna), or
    None with the reason printed if it cannot be imported."""
    os.environ.setdefault("PBR_VERSION", "3.1.3")
    try:
        import sinabs.layers
    except ImportError:
        sys.path.append(SINABS_DIR)
        try:
            import sinabs.layers
        except ImportError as e:
            print(f"sinabs is not available ({e}); not installed and not in "
                  f"{os.path.normpath(SINABS_DIR)}: skipping the sinabs side",
                  file=sys.stderr)
            return None
    return sinabs.layers


def load_events():
    """The tutorial's events as int64 columns t (us), x, y (p is merged)."""
    path = os.path.join(TUTORIAL_DIR, "events.csv")
    with open(path) as f:
        header = f.readline().strip().split(",")
    if header != ["timestamp_us", "x", "y", "p"]:
        sys.exit(f"{path}: unexpected header {header}")
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.int64)
    return data[:, 0], data[:, 1], data[:, 2]


def build_network(sl):
    """The tutorial's network (examples/tutorial/spike_count.py)."""
    import torch
    import torch.nn as nn

    conv = nn.Conv2d(1, 2, kernel_size=(16, 16), bias=False)
    weight = torch.zeros(2, 1, 16, 16)  # [class][channel][y][x]
    weight[0, 0, :8, :] = 1.0           # class 0: the top half
    weight[1, 0, 8:, :] = 1.0           # class 1: the bottom half
    conv.weight.data = weight
    return nn.Sequential(conv, sl.IAFSqueeze(batch_size=1, min_v_mem=-1.0))


def rasterize(t, x, y, bin_us):
    """Event counts per bin from the first event's bin: [T, 1, 16, 16]."""
    import torch

    b = t // bin_us - t[0] // bin_us
    frames = int(b[-1]) + 1
    counts = np.bincount((b * 16 + y) * 16 + x, minlength=frames * 256)
    return torch.from_numpy(counts.astype(np.float32)).reshape(frames, 1, 16, 16)


def run_sinabs(net, events, bin_us):
    """One user-visible run: rasterize, forward. Returns the output spikes."""
    net[1].reset_states()
    return net(rasterize(*events, bin_us))


def time_sinabs(net, events, bin_us):
    """(events/s, output spikes per class): median of >= MIN_RUNS runs
    lasting >= MIN_SECONDS in all."""
    import torch

    with torch.no_grad():
        out = run_sinabs(net, events, bin_us)  # warm-up
        times = []
        while len(times) < MIN_RUNS or sum(times) < MIN_SECONDS:
            start = time.perf_counter()
            run_sinabs(net, events, bin_us)
            times.append(time.perf_counter() - start)
    per_class = out.sum(dim=(0, 2, 3)).round().long().tolist()
    return len(events[0]) / statistics.median(times), per_class


def measure_sinabs(sl, events):
    """{bin_ms: (events/s, spikes per class)} for 1 ms and 10 ms bins."""
    import torch

    torch.set_num_threads(1)
    net = build_network(sl)
    return {ms: time_sinabs(net, events, ms * 1000) for ms in (1, 10)}


SPECKD_CASES = {"file": "BM_TutorialFile", "network": "BM_TutorialNetwork"}


def measure_speckd(bench):
    """{case: input events/s} for SPECKD_CASES, or None (reason printed)."""
    if not os.access(bench, os.X_OK):
        print(f"speckd: no benchmark binary at {bench}; build it with\n"
              f"    {BUILD_HINT}", file=sys.stderr)
        return None
    env = dict(os.environ, SPECKD_TUTORIAL_DIR=TUTORIAL_DIR)
    pattern = "^(" + "|".join(SPECKD_CASES.values()) + ")$"
    # Median of 5 repetitions, as sinabs' side is a median of runs.
    proc = subprocess.run(
        [bench, f"--benchmark_filter={pattern}", "--benchmark_format=json",
         "--benchmark_min_time=0.3", "--benchmark_repetitions=5",
         "--benchmark_report_aggregates_only=true"],
        env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"speckd: {bench} failed (exit {proc.returncode}):\n{proc.stderr}",
              file=sys.stderr)
        return None
    try:  # no JSON at all when the filter matches nothing
        benchmarks = json.loads(proc.stdout).get("benchmarks", [])
    except ValueError:
        benchmarks = []
    rates = {b.get("run_name", b["name"]): b.get("input_events/s")
             for b in benchmarks if b.get("aggregate_name") == "median"}
    found = {case: rates.get(name) for case, name in SPECKD_CASES.items()}
    if None in found.values():
        print(f"speckd: {bench} lacks {', '.join(SPECKD_CASES.values())} with "
              f"an input_events/s counter ({proc.stderr.strip()}); rebuild it "
              f"with\n    {BUILD_HINT}", file=sys.stderr)
        return None
    return {case: float(rate) for case, rate in found.items()}


def figures(sinabs, speckd, n_events):
    """The comparison as a flat dict (None where a side was not measured)."""
    one_ms = sinabs.get(1, (None, None))
    ten_ms = sinabs.get(10, (None, None))
    speckd = speckd or {}
    f = {
        "events": n_events,
        "sinabs_1ms_events_per_s": one_ms[0],
        "sinabs_1ms_spikes_per_class": one_ms[1],
        "sinabs_10ms_events_per_s": ten_ms[0],
        "sinabs_10ms_spikes_per_class": ten_ms[1],
        "target_ratio": TARGET_RATIO,
        "load_average_1min": os.getloadavg()[0],
        "cpus": os.cpu_count(),
    }
    for case in SPECKD_CASES:
        rate = speckd.get(case)
        ratio = rate / one_ms[0] if rate and one_ms[0] else None
        f[f"speckd_{case}_events_per_s"] = rate
        f[f"ratio_{case}_over_sinabs_1ms"] = ratio
        f[f"target_met_{case}"] = ratio >= TARGET_RATIO if ratio else None
    return f


def print_table(f):
    """The figures as a short human-readable table."""
    def rate(v):
        return "not measured" if v is None else f"{v / 1e6:10.3f} M events/s"

    def spikes(v):
        return "" if v is None else f"  spikes per class {v} (total {sum(v)})"

    print(f"tutorial: {f['events']} events; sinabs: 1 torch thread, median of runs")
    print(f"  sinabs,  1 ms bins : {rate(f['sinabs_1ms_events_per_s'])}"
          f"{spikes(f['sinabs_1ms_spikes_per_class'])}")
    print(f"  sinabs, 10 ms bins : {rate(f['sinabs_10ms_events_per_s'])}"
          f"{spikes(f['sinabs_10ms_spikes_per_class'])}  (reference only)")
    labels = {"file": "the tutorial's files (DVS in, DVS monitor on)",
              "network": "its network (spikes into the core)"}
    for case, label in labels.items():
        ratio, met = f[f"ratio_{case}_over_sinabs_1ms"], f[f"target_met_{case}"]
        verdict = "" if ratio is None else (
            f"  = {ratio:,.0f}x sinabs 1 ms, {'met' if met else 'NOT MET'}")
        print(f"  speckd, {label}: {rate(f[f'speckd_{case}_events_per_s'])}{verdict}")
    print(f"  target: >= {TARGET_RATIO:,.0f}x sinabs' 1 ms bins, one core each")
    print("  sinabs' known result: 25001 spikes, [12475, 12526] per class")
    print(f"  load average (1 min): {f['load_average_1min']:.2f} on {f['cpus']} CPUs")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--speckd_bench", default=DEFAULT_BENCH,
                        help=f"chip_model_bench binary (default: {DEFAULT_BENCH})")
    parser.add_argument("--sinabs_only", action="store_true", help="skip speckd")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)

    events = load_events()
    sl = import_sinabs()
    sinabs = measure_sinabs(sl, events) if sl else {}
    speckd = None if args.sinabs_only else measure_speckd(args.speckd_bench)
    f = figures(sinabs, speckd, len(events[0]))
    if args.json:
        print(json.dumps(f, indent=2))
    else:
        print_table(f)
    missing = [side for side, absent in (("sinabs", not sl), (
        "speckd", speckd is None and not args.sinabs_only)) if absent]
    if missing:
        print(f"FAILED: no {' or '.join(missing)} figures (see above)", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
