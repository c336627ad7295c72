#!/usr/bin/env python3
"""sinabs' "Spike Count Visualization" tutorial, step by step, on speckd.

The tutorial builds a one-layer spiking CNN whose hand-made 16x16 kernel
gives class 0 the top half of the input and class 1 the bottom half, turns
it into a chip configuration with sinabs, and feeds it 5 s of fake DVS
input: the top half is active for 2.5 s, then the bottom half. The spike
counts per 50 ms window then show class 0 firing, then class 1. sinabs'
result: 25001 spikes, 12475 for class 0 and 12526 for class 1.

With samna this needs the board attached to this machine; here it goes to
any speckd (the simulated devkit by default), with no samna at all:

    deploy/run.sh                                   # in another terminal
    python3 examples/tutorial/spike_count.py        # --plot to draw it
"""
import argparse
import sys

import numpy as np


def build_network():
    """Step 1: the CNN (sinabs layers on torch) with the hand-made kernel."""
    import torch
    import torch.nn as nn
    import sinabs.layers as sl

    conv = nn.Conv2d(1, 2, kernel_size=(16, 16), bias=False)
    weight = torch.zeros(2, 1, 16, 16)  # [class][channel][y][x]
    weight[0, 0, :8, :] = 1.0           # class 0: the top half
    weight[1, 0, 8:, :] = 1.0           # class 1: the bottom half
    conv.weight.data = weight
    return nn.Sequential(conv, sl.IAFSqueeze(batch_size=1, min_v_mem=-1.0))


def fake_input(seed=1):
    """Step 4: 25001 DVS events 200 us apart from 5 ms: random pixels of the
    top half for the first 2.5 s, of the bottom half after."""
    import speckd

    rng = np.random.default_rng(seed)
    t = 5000 + 200 * np.arange(25001, dtype=np.uint64)
    x = rng.integers(0, 16, len(t))
    y = rng.integers(0, 8, len(t)) + 8 * (t >= 2500000)
    p = rng.integers(0, 2, len(t))
    return speckd.dvs_events(t, x, y, p)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default=None,
                        help="HOST:PORT of speckd (default: $SPECKD_SERVER, else 127.0.0.1:50051)")
    parser.add_argument("--device", default="", help="default: speckd's default device")
    parser.add_argument("--realtime", action="store_true",
                        help="play the input in real time (5 s), as the board would")
    parser.add_argument("--plot", metavar="FILE", nargs="?", const="",
                        help="plot the counts with matplotlib (to FILE, or on screen)")
    args = parser.parse_args(argv)

    import speckd

    # Step 2: sinabs maps it to the chip (sinabs' DynapcnnNetwork), and
    # speckd.sinabs writes what sinabs would write for samna, plus the
    # tutorial's DVS layer: 16x16 pixels, polarities merged, into core 0.
    speckd.sinabs.import_sinabs()
    from sinabs.backend.dynapcnn import DynapcnnNetwork
    net = DynapcnnNetwork(build_network(), input_shape=(1, 16, 16), discretize=True)
    config = speckd.sinabs.make_configuration(
        net, dvs=speckd.sinabs.dvs_input(to_core=0, size=(16, 16)))

    # Step 3: the device (its lease is held until the end of the block).
    client = speckd.connect(args.server)
    with client.open_device(args.device) as dev:
        dev.apply_configuration(config)
        dev.set_pacing("real_time" if args.realtime else "as_fast_as_possible")
        dev.stop_watch.reset()
        events = fake_input()
        # Step 5: write it and count the output spikes per 50 ms window.
        windows = []
        with dev.spike_counts(interval_ms=50, feature_count=2, lossless=True) as counts:
            dev.write(events)
            for w in counts:
                windows.append(w)
                if w.start_us >= int(events["t"][-1]) // 50000 * 50000:
                    break
    counts = np.array([w.counts for w in windows])
    totals = counts.sum(axis=0)
    print(f"total spikes: {totals.sum()}")
    print(f"per class: {totals.tolist()}")
    print(f"first window: {counts[0].tolist()}, last window: {counts[-1].tolist()}")

    if args.plot is not None:
        import matplotlib
        if args.plot:
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        start_s = np.array([w.start_us for w in windows]) / 1e6
        for c in range(2):
            plt.plot(start_s, counts[:, c], label=f"class {c}")
        plt.xlabel("time (s)")
        plt.ylabel("spikes per 50 ms")
        plt.legend()
        if args.plot:
            plt.savefig(args.plot)
            print(f"plot: {args.plot}")
        else:
            plt.show()
    return 0 if totals.tolist() == [12475, 12526] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
