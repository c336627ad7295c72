#!/usr/bin/env python3
"""The samna bridge's own cost next to the samna objects it has to make and
read, side by side in one process, then the whole chain (samna_bench).

samna's Python API takes one object per input event and gives one per
output; any samna client, sinabs included, pays for those. Per round of N
events this times:
  objects  N input Spike objects built (fields assigned) and written to a
           source, N output Spike objects read field by field: the floor;
  bridge   the bridge's own code for the same N events: Board.write (packed
           columns -> the same objects -> the source) and Board._forward
           (the same output objects -> packed columns -> a bridge message).
It reports medians and bridge/objects - 1, the bridge's share (goal <= 20 %),
then runs samna_bench for events/s through SamnaDevice, bridge and double
(goal >= 0.3 M/s).

The objects are the samna double's (tests/samna_double: plain Python with
__slots__); samna's are pybind11 objects, so absolute rates on a lab machine
differ while the bridge's share is what this measures.

    bazel build -c opt //driver/samna:bridge_pb2 //tests/bench:samna_bench
    python3 tests/bench/samna_bridge_bench.py [--events=200000] [--rounds=7]
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
from array import array

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OPT_BIN = os.path.join(ROOT, "bazel-out", "k8-opt", "bin")
sys.path[:0] = [os.path.join(ROOT, "tests", "samna_double"),
                os.path.join(ROOT, "driver", "samna", "bridge"),
                os.path.join(OPT_BIN, "driver", "samna", "bridge")]

import bridge_pb2 as pb  # noqa: E402
import samna  # noqa: E402  (the double)
import samna_board  # noqa: E402

Spike = samna.speck2e.event.Spike


class Source:
    def write(self, events):
        self.last = events


def inputs(n):
    ts = array("Q", range(n))
    layer = bytes(n)
    feature = array("H", [0] * n)
    xs = bytes(i % 8 for i in range(n))
    ys = bytes(i % 16 for i in range(n))
    return ts, layer, feature, xs, ys


def objects_round(columns, outputs, source):
    ts, layer, feature, xs, ys = [list(c) for c in columns]
    out = []
    append = out.append
    for i in range(len(ts)):
        e = Spike()
        e.layer = layer[i]
        e.feature = feature[i]
        e.x = xs[i]
        e.y = ys[i]
        e.timestamp = ts[i]
        append(e)
    source.write(out)
    read = 0
    for e in outputs:
        if isinstance(e, Spike):
            read += e.timestamp + e.layer + e.feature + e.x + e.y
    return read


def bridge_round(board, write, outputs):
    board.write(write)
    board._forward(outputs, [])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--skip_chain", action="store_true",
                        help="only the in-process comparison")
    args = parser.parse_args()
    n = args.events
    columns = inputs(n)
    ts, layer, feature, xs, ys = columns
    write = pb.WriteEvents(board="bench", timestamp_us=ts.tobytes(), kind=b"\x01" * n,
                           layer=layer, feature=feature.tobytes(), x=xs, y=ys, p=bytes(n))
    outputs = [Spike(timestamp=t, layer=0, feature=t % 2, x=0, y=0) for t in range(n)]
    sent = []
    board = samna_board.Board.__new__(samna_board.Board)
    board.events, board.source, board.name, board.pb = samna.speck2e.event, Source(), "bench", pb
    board.send = sent.append
    source = Source()

    timings = {"objects": [], "bridge": []}
    for _ in range(args.rounds):  # interleaved, so drift hits both alike
        start = time.perf_counter()
        objects_round(columns, outputs, source)
        timings["objects"].append(time.perf_counter() - start)
        start = time.perf_counter()
        bridge_round(board, write, outputs)
        timings["bridge"].append(time.perf_counter() - start)
        sent.clear()
    objects = statistics.median(timings["objects"])
    bridge = statistics.median(timings["bridge"])
    share = bridge / objects - 1
    print(f"samna objects (build {n} inputs, read {n} outputs): {objects * 1e3:.1f} ms, "
          f"{n / objects / 1e6:.2f} M events/s each way")
    print(f"bridge (columns -> objects -> columns):            {bridge * 1e3:.1f} ms, "
          f"{n / bridge / 1e6:.2f} M events/s each way")
    print(f"bridge_share {share * 100:.1f} % on top of samna's objects "
          f"(median of {args.rounds}; goal <= 20 %: {'met' if share <= 0.20 else 'NOT met'})")
    if args.skip_chain:
        return
    bench = os.path.join(OPT_BIN, "tests", "bench", "samna_bench")
    if not os.path.exists(bench):
        sys.exit(f"build it first: bazel build -c opt //tests/bench:samna_bench ({bench})")
    env = dict(os.environ)
    subprocess.run([bench, f"--events={n}"], check=True,
                   cwd=bench + ".runfiles/speckd", env=env)


if __name__ == "__main__":
    main()
