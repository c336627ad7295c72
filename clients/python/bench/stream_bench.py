#!/usr/bin/env python3
"""How fast the Python client moves events, against a real speckd on
loopback: spikes received by one subscriber and events written, each way
next to its peers in the same run (figures vary between machines; the
ratios are what to compare).

  receive: raw little-endian columns into numpy (the client's default),
           protobuf's packed fields into numpy, and samna-style per-event
           Python objects (what samna's sink.get_events() hands a script)
  write:   raw columns from numpy (the default), packed protobuf fields

    bazel build //server:speckd //clients/python/...
    PYTHONPATH=bazel-bin/clients/python /usr/bin/python3 clients/python/bench/stream_bench.py

The network is the spike-count tutorial's (one output spike per input
event), the simulated devkit runs as fast as possible.
"""
import argparse
import os
import subprocess
import sys
import time

import numpy as np

import speckd

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")


def start_daemon(binary):
    process = subprocess.Popen([binary, "--listen=127.0.0.1:0", "--web_listen=", "--usb=off",
                                "--sim_pacing=as_fast_as_possible"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return process, process.stdout.readline().split()[3]


def tutorial_like(n):
    """n DVS events 1 us apart over the tutorial's 16x16 patch."""
    rng = np.random.default_rng(1)
    return speckd.dvs_events(np.arange(n, dtype=np.uint64) + 1000, rng.integers(0, 16, n),
                             rng.integers(0, 16, n), rng.integers(0, 2, n))


def receive(dev, events, how):
    """Spikes per second from the first written to the last received."""
    raw = how == "raw columns -> numpy"
    stream = dev.spikes(layer=0, lossless=True, raw_columns=raw)
    start = time.perf_counter()
    dev.write(events)
    got = 0
    for batch in stream:
        if how == "per-event objects (samna style)":
            objs = [speckd.Spike(int(l), int(f), int(x), int(y), int(t))
                    for t, l, f, x, y in batch.tolist()]
            got += len(objs)
        else:
            got += len(batch)
        if got >= len(events):
            break
    elapsed = time.perf_counter() - start
    stream.close()
    return got / elapsed


def write(dev, events, raw):
    start = time.perf_counter()
    dev.write(events, raw_columns=raw)
    return len(events) / (time.perf_counter() - start)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--speckd", default=os.path.join(ROOT, "bazel-bin", "server", "speckd"))
    args = parser.parse_args(argv)
    process, address = start_daemon(args.speckd)
    try:
        client = speckd.connect(address)
        events = tutorial_like(args.events)
        with client.open_device() as dev:
            dev.apply_configuration(os.path.join(ROOT, "examples", "tutorial", "config.json"))
            print(f"{args.events} events, one output spike each")
            results = {}
            for how in ("raw columns -> numpy", "packed protobuf -> numpy",
                        "per-event objects (samna style)"):
                dev.stop_watch.reset()
                results[how] = receive(dev, events, how)
                print(f"receive  {how:34s} {results[how] / 1e6:7.2f} M spikes/s")
            for raw in (True, False):
                dev.stop_watch.reset()
                rate = write(dev, events, raw)
                dev.wait_idle(timeout_s=120)
                print(f"write    {'raw columns' if raw else 'packed protobuf':34s} {rate / 1e6:7.2f} M events/s")
            base = results["packed protobuf -> numpy"]
            print(f"raw columns receive {results['raw columns -> numpy'] / base:.1f}x packed, "
                  f"{results['raw columns -> numpy'] / results['per-event objects (samna style)']:.0f}x "
                  "per-event objects")
    finally:
        process.terminate()
        process.wait()


if __name__ == "__main__":
    main(sys.argv[1:])
