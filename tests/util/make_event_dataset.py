#!/usr/bin/env python3
"""Writes event datasets with NumPy and h5py themselves, for speckctl's
dataset tests: each sample in one of the array formats speckctl reads, and
the same events as a CSV twin, so a test can check that every reader gives
what the CSV gives.

    make_event_dataset.py OUT_DIR

OUT_DIR/tutorial/{top,bottom}/sK.*  two classes like sinabs' tutorial
                                     (events on the top or bottom half of a
                                     16x16 input)
OUT_DIR/twins/{top,bottom}/sK.csv   the same events as CSV
OUT_DIR/dvs/sK.npy                  128x128 DVS noise for a multi-core
                                     network (no labels)
"""
import os
import sys

import h5py
import numpy as np

EVENT_DTYPE = [("t", "<i8"), ("x", "<i2"), ("y", "<i2"), ("p", "i1")]


def structured(t, x, y, p, dtype=EVENT_DTYPE):
    a = np.zeros(len(t), dtype=dtype)
    a["t"], a["x"], a["y"], a["p"] = t, x, y, p
    return a


def write_npy(path, t, x, y, p):
    np.save(path + ".npy", structured(t, x, y, p))


def write_npy_big_endian_polarity_field(path, t, x, y, p):
    dtype = [("timestamp", ">u8"), ("x", ">u2"), ("y", "<u1"), ("polarity", "?")]
    np.save(path + ".npy", structured_named(t, x, y, p == 1, dtype))


def structured_named(t, x, y, p, dtype):
    a = np.zeros(len(t), dtype=dtype)
    names = a.dtype.names
    for name, column in zip(names, (t, x, y, p)):
        a[name] = column
    return a


def write_npz_columns(path, t, x, y, p):
    np.savez_compressed(path + ".npz", t=t, x=x, y=y, p=np.where(p == 1, 1, -1))


def write_npz_member(path, t, x, y, p):
    np.savez(path + ".npz", events=structured(t, x, y, p))


def write_h5_group(path, t, x, y, p):
    with h5py.File(path + ".h5", "w") as f:
        g = f.create_group("events")
        for name, column in zip("txyp", (t, x, y, p)):
            g.create_dataset(name, data=column, compression="gzip")


def write_h5_root(path, t, x, y, p):
    with h5py.File(path + ".hdf5", "w") as f:
        f["t"] = t.astype(np.uint32)
        f["x"] = x.astype(np.uint8)
        f["y"] = y.astype(np.uint16)
        f["p"] = p.astype(np.int8)


WRITERS = [write_npy, write_npz_columns, write_npz_member, write_h5_group,
           write_h5_root, write_npy_big_endian_polarity_field]


def write_csv(path, t, x, y, p):
    with open(path + ".csv", "w") as f:
        f.write("timestamp_us,x,y,p\n")
        for row in zip(t, x, y, p):
            f.write("%d,%d,%d,%d\n" % row)


def main(out):
    rng = np.random.default_rng(7)
    for cls, name in enumerate(["top", "bottom"]):
        for folder in ("tutorial", "twins"):
            os.makedirs(os.path.join(out, folder, name), exist_ok=True)
        for k in range(len(WRITERS)):
            n = 1500 + 250 * k + 37 * cls
            t = 5000 + 200 * np.arange(n, dtype=np.int64)
            x = rng.integers(0, 16, n)
            y = rng.integers(0, 8, n) + 8 * cls
            p = rng.integers(0, 2, n)
            WRITERS[k](os.path.join(out, "tutorial", name, "s%d" % k), t, x, y, p)
            write_csv(os.path.join(out, "twins", name, "s%d" % k), t, x, y, p)
    os.makedirs(os.path.join(out, "dvs"), exist_ok=True)
    for k in range(6):
        n = 2000 + 500 * k
        t = np.sort(rng.integers(0, 10**6, n))
        write_npy(os.path.join(out, "dvs", "s%d" % k), t, rng.integers(0, 128, n),
                  rng.integers(0, 128, n), rng.integers(0, 2, n))


if __name__ == "__main__":
    main(sys.argv[1])
