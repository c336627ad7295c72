"""Events as numpy structured arrays (and samna-style objects), and their
columnar speckd.v1 batches."""
import numpy as np

from speckd.v1 import events_pb2

# DVS events into the DVS layer: time (stop-watch µs), pixel, polarity.
DVS_EVENT = np.dtype([("t", "<u8"), ("x", "<u2"), ("y", "<u2"), ("p", "u1")])
# Spikes into (or out of) a core: time, layer (0..8 cores, 13 DVS layer),
# feature and position.
SPIKE = np.dtype([("t", "<u8"), ("layer", "u1"), ("feature", "<u2"),
                  ("x", "<u2"), ("y", "<u2")])
# Power-monitor samples: time, rail (0 VDD_IO .. 4 VDD_PIXEL_ANALOG), watts.
MEASUREMENT = np.dtype([("t", "<u8"), ("channel", "u1"), ("value", "<f8")])

# At most this many events per message written (well under gRPC's 4 MiB).
BATCH = 16384
# Raw columns are 11-14 bytes per event: 256 Ki events is ~3.5 MiB.
COLUMNS_BATCH = 1 << 18


class DvsEvent:
    """samna.speck2e.event.DvsEvent, for samna-style code."""

    __slots__ = ("x", "y", "p", "timestamp")

    def __init__(self, x=0, y=0, p=0, timestamp=0):
        self.x, self.y, self.p, self.timestamp = x, y, p, timestamp

    def __repr__(self):
        return f"DvsEvent(x={self.x}, y={self.y}, p={self.p}, timestamp={self.timestamp})"


class Spike:
    """samna.speck2e.event.Spike, for samna-style code."""

    __slots__ = ("layer", "feature", "x", "y", "timestamp")

    def __init__(self, layer=0, feature=0, x=0, y=0, timestamp=0):
        self.layer, self.feature, self.x, self.y = layer, feature, x, y
        self.timestamp = timestamp

    def __repr__(self):
        return (f"Spike(layer={self.layer}, feature={self.feature}, x={self.x}, "
                f"y={self.y}, timestamp={self.timestamp})")


def dvs_events(t, x, y, p):
    """A DVS event array from four columns."""
    out = np.empty(len(t), dtype=DVS_EVENT)
    out["t"], out["x"], out["y"], out["p"] = t, x, y, p
    return out


def spikes(t, layer, feature, x, y):
    """A spike array from five columns."""
    out = np.empty(len(t), dtype=SPIKE)
    out["t"], out["layer"], out["feature"], out["x"], out["y"] = t, layer, feature, x, y
    return out


def as_array(events):
    """A DVS_EVENT or SPIKE array from an array or a list of samna-style
    objects; TypeError naming what is wrong otherwise."""
    if isinstance(events, np.ndarray):
        names = set(events.dtype.names or ())
        if {"t", "x", "y", "p"} <= names:
            return events.astype(DVS_EVENT, copy=False)
        if {"t", "layer", "feature", "x", "y"} <= names:
            return events.astype(SPIKE, copy=False)
        raise TypeError("events: a structured array with fields t, x, y, p (DVS) "
                        f"or t, layer, feature, x, y (spikes); got {events.dtype}")
    events = list(events)
    if all(isinstance(e, DvsEvent) for e in events):
        return dvs_events([e.timestamp for e in events], [e.x for e in events],
                          [e.y for e in events], [int(bool(e.p)) for e in events])
    if all(isinstance(e, Spike) for e in events):
        return spikes([e.timestamp for e in events], [e.layer for e in events],
                      [e.feature for e in events], [e.x for e in events],
                      [e.y for e in events])
    raise TypeError("events: a list of speckd.DvsEvent or of speckd.Spike, "
                    "not a mix of kinds")


def _bytes(column, dtype):
    return np.ascontiguousarray(column, dtype=dtype).tobytes()


def check_ranges(array):
    """ValueError naming the first event whose field does not fit its raw
    column (never wrapped); run once, before anything is sent."""
    narrow = ("x", "y", "p") if array.dtype == DVS_EVENT else ("layer", "x", "y")
    for name in narrow:
        column = array[name]
        if len(column) and column.max() > 255:
            i = int(np.argmax(column > 255))
            raise ValueError(f"events[{i}].{name}: {int(column[i])} is out of range "
                             "(at most 255; speckd checks the chip's own limits)")


def columns(events):
    """(DvsEventColumns or None, SpikeColumns or None) per message to write:
    raw little-endian columns, no per-event work in Python. Values must fit
    (check_ranges)."""
    array = as_array(events)
    dvs = array.dtype == DVS_EVENT
    for start in range(0, len(array), COLUMNS_BATCH):
        part = array[start:start + COLUMNS_BATCH]
        if dvs:
            yield events_pb2.DvsEventColumns(
                timestamp_us=_bytes(part["t"], "<u8"), x=_bytes(part["x"], "u1"),
                y=_bytes(part["y"], "u1"), p=_bytes(part["p"], "u1")), None
        else:
            yield None, events_pb2.SpikeColumns(
                timestamp_us=_bytes(part["t"], "<u8"), layer=_bytes(part["layer"], "u1"),
                feature=_bytes(part["feature"], "<u2"), x=_bytes(part["x"], "u1"),
                y=_bytes(part["y"], "u1"))


def spike_array_from_columns(c):
    """A SPIKE array from SpikeColumns (numpy reads the bytes as they are)."""
    t = np.frombuffer(c.timestamp_us, dtype="<u8")
    out = np.empty(len(t), dtype=SPIKE)
    out["t"] = t
    out["layer"] = np.frombuffer(c.layer, dtype="u1")
    out["feature"] = np.frombuffer(c.feature, dtype="<u2")
    out["x"] = np.frombuffer(c.x, dtype="u1")
    out["y"] = np.frombuffer(c.y, dtype="u1")
    return out


def batches(events):
    """(DvsEventBatch or None, SpikeBatch or None) per message to write, as
    packed varints (what columns() replaces; kept for comparison)."""
    array = as_array(events)
    dvs = array.dtype == DVS_EVENT
    for start in range(0, len(array), BATCH):
        part = array[start:start + BATCH]
        if dvs:
            yield events_pb2.DvsEventBatch(
                timestamp_us=part["t"].tolist(), x=part["x"].tolist(),
                y=part["y"].tolist(), p=part["p"].astype(bool).tolist()), None
        else:
            yield None, events_pb2.SpikeBatch(
                timestamp_us=part["t"].tolist(), layer=part["layer"].tolist(),
                feature=part["feature"].tolist(), x=part["x"].tolist(),
                y=part["y"].tolist())


def spike_array(batch):
    """A SPIKE array from a SpikeBatch."""
    return spikes(np.array(batch.timestamp_us, dtype="<u8"), np.array(batch.layer, dtype="u1"),
                  np.array(batch.feature, dtype="<u2"), np.array(batch.x, dtype="<u2"),
                  np.array(batch.y, dtype="<u2"))


def dvs_array(batch):
    """A DVS_EVENT array from a DvsEventBatch."""
    return dvs_events(np.array(batch.timestamp_us, dtype="<u8"), np.array(batch.x, dtype="<u2"),
                      np.array(batch.y, dtype="<u2"), np.array(batch.p, dtype="u1"))


def measurement_array(batch):
    out = np.empty(len(batch.timestamp_us), dtype=MEASUREMENT)
    out["t"] = batch.timestamp_us
    out["channel"] = batch.channel
    out["value"] = batch.value
    return out
