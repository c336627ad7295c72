#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/ from the examples and the
API's own messages (rerun after changing the protos):

    bazel build //clients/python/...
    PYTHONPATH=bazel-bin/clients/python /usr/bin/python3 tests/fuzz/make_seeds.py
"""
import base64
import json
import os
import struct

import numpy as np

from speckd.v1 import config_pb2, event_service_pb2, events_pb2, graph_service_pb2
from speckd.v1 import recording_pb2
from google.protobuf import json_format

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")


def write(kind, name, data):
    d = os.path.join(HERE, "corpus", kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def record(kind, stream, body):
    """One record of the recording format (docs/recordings.md)."""
    payload = bytes([kind, stream]) + body
    crc = crc32c(payload)
    masked = (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF
    return struct.pack("<II", len(payload), masked) + payload


def varint(n):
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


def recordings():
    header = recording_pb2.RecordingHeader(format_version=1, name="seed",
                                           device_id="speck2edevkit-sim:0")
    header.streams.add(id=1, kind=recording_pb2.INPUTS)
    header.streams.add(id=2, kind=recording_pb2.SPIKES)
    inputs = recording_pb2.RecordedInputs()
    inputs.dvs_events.timestamp_us = struct.pack("<3Q", 5000, 5200, 5400)
    inputs.dvs_events.x = bytes([13, 15, 1])
    inputs.dvs_events.y = bytes([0, 6, 2])
    inputs.dvs_events.p = bytes([1, 1, 0])
    spikes = events_pb2.StreamMessage(sequence=1)
    spikes.spikes.timestamp_us.extend([5000, 5200])
    spikes.spikes.layer.extend([0, 0])
    spikes.spikes.feature.extend([0, 1])
    spikes.spikes.x.extend([0, 0])
    spikes.spikes.y.extend([0, 0])
    notice = events_pb2.StreamMessage(sequence=2)
    notice.notice.kind = events_pb2.StreamNotice.DEVICE_LOST
    body = (b"SPECKREC" + struct.pack("<I", 1) +
            record(1, 0, header.SerializeToString()))
    data = (record(2, 1, varint(3) + inputs.SerializeToString()) +
            record(2, 2, varint(2) + spikes.SerializeToString()) +
            record(2, 2, varint(0) + notice.SerializeToString()))
    index = recording_pb2.RecordingIndex(stop_watch_us=5400)
    index.entries.add(offset=len(body), stream=1, items=3)
    data += record(3, 0, index.SerializeToString())
    end = recording_pb2.RecordingEnd(end_stop_watch_us=5400)
    end.counts.add(kind=recording_pb2.INPUTS, stream=1, records=1, items=3)
    end_offset = len(body) + len(data)
    clean = body + data + record(4, 0, end.SerializeToString())
    clean += struct.pack("<Q", end_offset) + b"SPECKEND"
    write("recording", "clean.speckrec", clean)
    write("recording", "cut.speckrec", (body + data)[:-7])
    damaged = bytearray(clean)
    damaged[len(body) + 14] ^= 0x40
    write("recording", "damaged.speckrec", bytes(damaged))


def main():
    tutorial = open(os.path.join(ROOT, "examples", "tutorial", "config.json")).read()
    cfg = json.loads(tutorial)
    write("config_json", "tutorial.json", tutorial)
    bad = json.loads(tutorial)
    bad["cnn_layers"][0]["dimensions"]["kernel_size"] = 17
    bad["cnn_layers"][0]["treshold_high"] = 5
    write("config_json", "kernel17_typo.json", json.dumps(bad))
    two = json.loads(tutorial)
    two["cnn_layers"].append(dict(two["cnn_layers"][0]))
    two["cnn_layers"][0]["destinations"] = [{"layer": 1, "enable": True, "pooling": 2}]
    write("config_json", "two_cores.json", json.dumps(two))
    write("config_json", "empty.json", "{}")
    write("config_json", "types.json", '{"cnn_layers": [{"weights": "x", "dimensions": []}], "dvs_layer": 3}')

    proto = config_pb2.SpeckConfiguration()
    json_format.ParseDict(cfg, proto)
    write("config_proto", "tutorial.bin", proto.SerializeToString())
    proto.cnn_layers[0].dimensions.kernel_size = 17
    write("config_proto", "kernel17.bin", proto.SerializeToString())

    rows = np.loadtxt(os.path.join(ROOT, "examples", "tutorial", "events.csv"),
                      delimiter=",", skiprows=1, dtype=np.int64)[:64]
    r = event_service_pb2.WriteEventsRequest(device_id="speck2edevkit-sim:0", flush=True)
    r.dvs_events.timestamp_us.extend(rows[:, 0].tolist())
    r.dvs_events.x.extend(rows[:, 1].tolist())
    r.dvs_events.y.extend(rows[:, 2].tolist())
    r.dvs_events.p.extend((rows[:, 3] != 0).tolist())
    r.spikes.timestamp_us.extend([5000, 6000])
    r.spikes.layer.extend([0, 0])
    r.spikes.feature.extend([0, 0])
    r.spikes.x.extend([3, 15])
    r.spikes.y.extend([4, 16])
    write("events", "batches.bin", r.SerializeToString())
    c = event_service_pb2.WriteEventsRequest()
    c.dvs_columns.timestamp_us = rows[:, 0].astype("<u8").tobytes()
    c.dvs_columns.x = rows[:, 1].astype("u1").tobytes()
    c.dvs_columns.y = rows[:, 2].astype("u1").tobytes()
    c.dvs_columns.p = rows[:, 3].astype("u1").tobytes()
    write("events", "columns.bin", c.SerializeToString())
    c.spike_columns.timestamp_us = b"\x01\x02\x03"
    write("events", "ragged_columns.bin", c.SerializeToString())

    g = graph_service_pb2.GraphSpec(name="counts")
    for name, kind, params in [("source", "device_source", {}),
                               ("select", "member_select", {"member": "layer", "white_list": [0]}),
                               ("collect", "spike_collection", {"interval_milli_sec": 50}),
                               ("count", "spike_count", {"feature_count": 2}),
                               ("frames", "activity_frame", {"layer": 13, "interval_milli_sec": 50}),
                               ("vote", "majority_readout", {"feature_count": 2}),
                               ("out", "endpoint", {})]:
        node = g.nodes.add(name=name)
        json_format.ParseDict(params, getattr(node, kind))
        getattr(node, kind).SetInParent()
    for a, b in [("source", "select"), ("select", "collect"), ("collect", "count"),
                 ("count", "out"), ("source", "frames"), ("collect", "vote")]:
        g.edges.add(source=a, target=b)
    write("graph_spec", "counts.bin", g.SerializeToString())
    g.edges.add(source="out", target="source")  # a cycle
    write("graph_spec", "cycle.bin", g.SerializeToString())

    frame = b"\x00" + struct.pack(">I", 2) + b"\x08\x01"
    write("grpc_web", "binary_frame.bin", frame)
    write("grpc_web", "text_frame.txt", base64.b64encode(frame) + base64.b64encode(frame))
    write("grpc_web", "trailer_flag.bin", b"\x80" + struct.pack(">I", 0))
    write("grpc_web", "content_type.txt", "application/grpc-web-text+proto")
    write("grpc_web", "timeout.txt", "1500m")
    write("grpc_web", "truncated.bin", b"\x00\x00\x00\x10\x00abc")

    events = open(os.path.join(ROOT, "examples", "tutorial", "events.csv")).read().splitlines()
    write("csv", "dvs.csv", "\n".join(events[:40]) + "\n")
    write("csv", "spikes.csv", "timestamp_us,layer,feature,x,y\n10,0,0,1,2\n20,0,1,15,15\n")
    write("csv", "bad.csv", "timestamp_us,x,y,p\n5,1,2,1\n4,130,2,1\nx,1,1,1\n")
    recordings()
    arrays()


def arrays():
    """NumPy files: structured and plain .npy, .npz stored and deflated."""
    import io
    events = np.zeros(3, dtype=[("t", "<i8"), ("x", "<i2"), ("y", ">u2"), ("p", "?")])
    events["t"] = [0, 200, 400]
    events["x"] = [1, 2, 3]

    def npy(a):
        b = io.BytesIO()
        np.save(b, a)
        return b.getvalue()

    def npz(save, **arrays):
        b = io.BytesIO()
        save(b, **arrays)
        return b.getvalue()

    write("npy", "structured.npy", npy(events))
    write("npy", "plain.npy", npy(np.arange(5, dtype=np.int32)))
    write("npy", "columns.npz", npz(np.savez_compressed, t=events["t"], x=events["x"]))
    write("npy", "member.npz", npz(np.savez, events=events))
    write("npy", "cut.npy", npy(events)[:-3])


if __name__ == "__main__":
    main()
