#!/usr/bin/env python3
"""Soak: a real speckd under hours of mixed, abusive use, watched from
outside. Not a CI test (it runs for --minutes); it prints a sample line
every --report seconds and fails (exit 1) if the daemon's memory, file
descriptors or threads grow without bound, or if any accepted event is
lost.

What it does, all at once, for the whole run:
  - a writer per simulated devkit: writes the tutorial's DVS events in
    batches, forever later timestamps; between batches it sometimes
    re-applies the configuration or creates, reads and deletes a graph;
  - a control subscriber per devkit (LOSSLESS, raw columns) that must see
    one output spike per accepted event, exactly;
  - churning subscribers: connect (spikes, counts, activity, power), read a
    little, stall, and vanish without saying goodbye (or close properly);
  - grpc-web clients on the web port: unary calls, and requests abandoned
    half-sent.

    bazel build //server:speckd //clients/python/...
    PYTHONPATH=bazel-bin/clients/python /usr/bin/python3 tests/bench/soak.py --minutes=30
"""
import argparse
import http.client
import os
import random
import socket
import struct
import subprocess
import sys
import threading
import time

import numpy as np

import speckd

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
CONFIG = os.path.join(ROOT, "examples", "tutorial", "config.json")
stop = threading.Event()
errors = []


def start_daemon(binary, devices):
    p = subprocess.Popen([binary, "--listen=127.0.0.1:0", "--web_listen=127.0.0.1:0",
                          f"--sim_devices={devices}", "--sim_pacing=as_fast_as_possible",
                          "--usb=off"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    grpc_address = web_address = None
    while grpc_address is None or web_address is None:
        line = p.stdout.readline()
        if not line:
            raise RuntimeError("speckd did not start")
        if "listening on" in line:
            grpc_address = line.split()[3]
        if "dashboard at" in line:
            web_address = line.split("http://")[1].split("/")[0]
    return p, grpc_address, web_address


def sample(pid):
    status = open(f"/proc/{pid}/status").read()
    rss = int(status.split("VmRSS:")[1].split()[0]) // 1024
    threads = int(status.split("Threads:")[1].split()[0])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return rss, fds, threads


def guarded(fn):
    def run(*args):
        try:
            fn(*args)
        except Exception as e:  # a soak records what failed and goes on
            if not stop.is_set():
                errors.append(f"{fn.__name__}: {type(e).__name__}: {e}")
    return run


@guarded
def writer(address, device_id, totals):
    client = speckd.connect(address)
    rng = np.random.default_rng(abs(hash(device_id)) % 2**32)
    with client.open_device(device_id, holder=f"soak writer {device_id}") as dev:
        dev.apply_configuration(CONFIG)
        control = dev.spikes(layer=0, lossless=True)
        seen = [0]

        def count():
            for batch in control:
                seen[0] += len(batch)
        counter = threading.Thread(target=count, daemon=True)
        counter.start()
        t = [1000]

        def write_batch():
            batch = 20000
            events = speckd.dvs_events(np.arange(batch, dtype=np.uint64) * 5 + t[0],
                                       rng.integers(0, 16, batch), rng.integers(0, 16, batch),
                                       rng.integers(0, 2, batch))
            t[0] += batch * 5 + 5
            totals[device_id] = totals.get(device_id, 0) + dev.write(events).accepted

        n = 0
        while not stop.is_set():
            write_batch()
            n += 1
            if n % 50 == 0:
                dev.wait_idle()
                dev.apply_configuration(CONFIG)  # nothing queued: nothing dropped
            if n % 30 == 0:
                g = dev.graph()
                _, _, _, out = g.sequential(["device_source", ("spike_collection", {"interval_milli_sec": 10}),
                                             ("spike_count", {"feature_count": 2}), "endpoint"])
                g.start()
                with g.read(out) as windows:
                    write_batch()  # what the graph counts
                    next(windows)
                g.delete()
        dev.wait_idle(timeout_s=60)
        deadline = time.monotonic() + 60
        while seen[0] < totals[device_id] and time.monotonic() < deadline:
            time.sleep(0.05)
        control.close()
        totals[device_id + " seen"] = seen[0]
        totals[device_id + " dropped"] = control.dropped


@guarded
def churn(address, device_ids, seed):
    rng = random.Random(seed)
    client = speckd.connect(address)
    while not stop.is_set():
        view = client.device(rng.choice(device_ids))
        kind = rng.choice(["spikes", "counts", "activity", "power"])
        stream = {"spikes": lambda: view.spikes(max_queued_messages=rng.choice([2, 16, 0])),
                  "counts": lambda: view.spike_counts(interval_ms=rng.choice([1, 10, 50])),
                  "activity": lambda: view.activity(layer=13),
                  "power": lambda: view.power()}[kind]()
        for i, _ in enumerate(stream):
            if i >= rng.randint(0, 20) or stop.is_set():
                break
        time.sleep(rng.random() * 0.3)  # stalled: the daemon drops for it
        if rng.random() < 0.5:
            stream.close()
        else:  # vanish: the whole connection goes, nobody says goodbye
            client.close()
            client = speckd.connect(address)


def grpc_web_frame(message=b""):
    return b"\x00" + struct.pack(">I", len(message)) + message


@guarded
def web_clients(web):
    host, port = web.rsplit(":", 1)
    while not stop.is_set():
        c = http.client.HTTPConnection(host, int(port), timeout=10)
        c.request("POST", "/speckd.v1.DeviceService/ListDevices", body=grpc_web_frame(),
                  headers={"Content-Type": "application/grpc-web+proto", "X-Grpc-Web": "1"})
        r = c.getresponse()
        r.read()
        if r.status != 200:
            raise RuntimeError(f"grpc-web ListDevices: HTTP {r.status}")
        c.close()
        # Half a request, then gone.
        s = socket.create_connection((host, int(port)), timeout=5)
        s.sendall(b"POST /speckd.v1.DeviceService/ListDevices HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab")
        s.close()
        time.sleep(0.05)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--devices", type=int, default=2)
    parser.add_argument("--churners", type=int, default=4)
    parser.add_argument("--report", type=float, default=60, help="seconds between sample lines")
    parser.add_argument("--speckd", default=os.path.join(ROOT, "bazel-bin", "server", "speckd"))
    args = parser.parse_args(argv)
    daemon, address, web = start_daemon(args.speckd, args.devices)
    ids = [f"speck2edevkit-sim:{i}" for i in range(args.devices)]
    totals = {}
    threads = [threading.Thread(target=writer, args=(address, d, totals)) for d in ids]
    threads += [threading.Thread(target=churn, args=(address, ids, i), daemon=True)
                for i in range(args.churners)]
    threads.append(threading.Thread(target=web_clients, args=(web,), daemon=True))
    for t in threads:
        t.start()
    samples = []
    start = time.monotonic()
    next_report = 0
    print(f"soak: {args.minutes} min, {args.devices} devkits, {args.churners} churning subscribers, "
          "grpc-web clients")
    print(f"{'min':>6} {'rss MB':>7} {'fds':>5} {'threads':>7} {'events in':>12}")
    while time.monotonic() - start < args.minutes * 60:
        time.sleep(1)
        s = sample(daemon.pid)
        samples.append(s)
        elapsed = time.monotonic() - start
        if elapsed >= next_report:
            written = sum(v for k, v in totals.items() if " " not in k)
            print(f"{elapsed / 60:6.1f} {s[0]:7d} {s[1]:5d} {s[2]:7d} {written:12d}", flush=True)
            next_report += args.report
    stop.set()
    for t in threads[:args.devices]:
        t.join(timeout=120)
    final = sample(daemon.pid)
    daemon.terminate()
    daemon.wait()

    # Bounded: after a warm-up (the first tenth), the last tenth's peak is
    # not far above the second tenth's.
    tenth = max(1, len(samples) // 10)
    early = np.array(samples[tenth:2 * tenth]).max(axis=0)
    late = np.array(samples[-tenth:]).max(axis=0)
    print(f"peak after warm-up: rss {early[0]} MB, fds {early[1]}, threads {early[2]}; "
          f"at the end: rss {late[0]} MB, fds {late[1]}, threads {late[2]}")
    failed = list(errors)
    if late[0] > early[0] * 1.25 + 20:
        failed.append(f"memory grew: {early[0]} -> {late[0]} MB")
    if late[1] > early[1] + 20:
        failed.append(f"file descriptors grew: {early[1]} -> {late[1]}")
    if late[2] > early[2] + 10:
        failed.append(f"threads grew: {early[2]} -> {late[2]}")
    for d in ids:
        accepted, seen = totals.get(d, 0), totals.get(d + " seen", -1)
        print(f"{d}: {accepted} events accepted, {seen} spikes seen by the LOSSLESS control "
              f"subscriber, {totals.get(d + ' dropped', '?')} dropped")
        if seen != accepted:
            failed.append(f"{d}: {accepted} accepted but {seen} seen")
    for f in failed:
        print("FAIL:", f)
    print("soak passed" if not failed else "soak FAILED")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
