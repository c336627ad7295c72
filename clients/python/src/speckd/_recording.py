"""Recordings: those the daemon keeps (start, stop, list, download, delete,
replay), and recording files read here (docs/recordings.md has the format).

    rec = client.start_recording(name="run1")
    ...
    client.stop_recording("run1")
    client.download_recording("run1", "run1.speckrec")
    f = speckd.RecordingFile("run1.speckrec")
    f.inputs()          # a DVS_EVENT array (and f.input_spikes())
    f.spikes()          # a SPIKE array of the recorded output spikes
"""
import struct

import numpy as np

from speckd._events import DVS_EVENT, dvs_events, spike_array, spike_array_from_columns
from speckd._events import SPIKE
from speckd.v1 import events_pb2, recording_pb2, recording_service_pb2

_STREAMS = {"inputs": recording_pb2.INPUTS, "spikes": recording_pb2.SPIKES,
            "dvs_monitor": recording_pb2.DVS_MONITOR, "readout": recording_pb2.READOUT,
            "power": recording_pb2.POWER, "notices": recording_pb2.NOTICES}
_KINDS = {v: k for k, v in _STREAMS.items()}


class RecordingInfo:
    """A recording as the daemon reports it."""

    def __init__(self, raw):
        self.raw = raw
        self.name = raw.name
        self.device_id = raw.device_id
        self.active = raw.active
        self.ended_cleanly = raw.ended_cleanly
        self.size_bytes = raw.size_bytes
        # Items kept per stream: {"inputs": 25001, "spikes": 50002, ...}.
        self.counts = {_KINDS.get(c.kind, str(c.kind)): c.items for c in raw.counts}
        # Why it ended: "" while recording or when stopped, else the status.
        self.end_status = raw.end_status_message
        self.problem = raw.problem

    def __repr__(self):
        state = ("recording" if self.active else
                 "cut off" if not self.ended_cleanly else
                 "stopped" if not self.raw.end_status_code else f"ended: {self.end_status}")
        return (f"RecordingInfo({self.name!r}, device={self.device_id!r}, {state}, "
                f"{self.size_bytes} bytes, {self.counts})")


def start_request(device_id, name, streams, layers):
    request = recording_service_pb2.StartRecordingRequest(device_id=device_id, name=name or "")
    for s in streams or ():
        if s not in _STREAMS:
            raise ValueError(f"streams: {s!r} is not one of {', '.join(_STREAMS)}")
        request.streams.append(_STREAMS[s])
    for layer in layers or ():
        request.spike_filter.layers.append(int(layer))
    return request


_MASK = 0xA282EAD8


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _masked(crc):
    return (((crc >> 15) | (crc << 17)) + _MASK) & 0xFFFFFFFF


class DamagedRecordingError(ValueError):
    """A record of the file fails its checksum or length; `offset` is where."""

    def __init__(self, message, offset):
        super().__init__(message)
        self.offset = offset


class RecordingFile:
    """A recording file on disk, read record by record (never whole).
    `check=False` skips the checksums (pure Python CRC-32C is slow)."""

    def __init__(self, path, check=True):
        self.path = path
        self.check = check
        with open(path, "rb") as f:
            head = f.read(12)
            if head[:8] != b"SPECKREC":
                raise ValueError(f"{path} is not a speckd recording")
            version = struct.unpack("<I", head[8:12])[0]
            if version != 1:
                raise ValueError(f"{path} has format version {version}; this reads 1")
            first = self._next(f, 12)
        if first is None or first[0] != 1:
            raise ValueError(f"{path}: the header record is damaged")
        self.header = recording_pb2.RecordingHeader.FromString(first[2])
        self._header_end = first[3]
        self.streams = {s.id: _KINDS.get(s.kind, str(s.kind)) for s in self.header.streams}
        self.ended_cleanly = False

    def _next(self, f, offset):
        head = f.read(10)
        if len(head) < 10:
            return None
        length, crc = struct.unpack("<II", head[:8])
        if length < 2 or length > (64 << 20):
            raise DamagedRecordingError(f"record at byte {offset}: its length ({length}) is damaged", offset)
        body = f.read(length - 2)
        if len(body) < length - 2:
            return None  # cut off: where writing stopped
        if self.check and _masked(crc32c(head[8:10] + body)) != crc:
            raise DamagedRecordingError(f"record at byte {offset}: checksum mismatch", offset)
        return head[8], head[9], body, offset + 8 + length

    def records(self):
        """(stream kind, message) for each data record, in order: a
        RecordedInputs for "inputs", else the StreamMessage as received."""
        with open(self.path, "rb") as f:
            f.seek(self._header_end)
            offset = self._header_end
            while True:
                record = self._next(f, offset)
                if record is None:
                    return
                kind, stream, body, offset = record
                if kind == 4:
                    self.ended_cleanly = True
                    return
                if kind != 2:
                    continue
                # Skip the item count (a varint).
                i = 0
                while body[i] & 0x80:
                    i += 1
                message = body[i + 1:]
                name = self.streams.get(stream, str(stream))
                if name == "inputs":
                    yield name, recording_pb2.RecordedInputs.FromString(message)
                else:
                    yield name, events_pb2.StreamMessage.FromString(message)

    def inputs(self):
        """The DVS events written into the device, a DVS_EVENT array."""
        parts = [dvs_events(np.frombuffer(m.dvs_events.timestamp_us, "<u8"),
                            np.frombuffer(m.dvs_events.x, "u1"),
                            np.frombuffer(m.dvs_events.y, "u1"),
                            np.frombuffer(m.dvs_events.p, "u1"))
                 for kind, m in self.records() if kind == "inputs"]
        return np.concatenate(parts) if parts else np.empty(0, DVS_EVENT)

    def input_spikes(self):
        """The spikes written into cores, a SPIKE array."""
        parts = [spike_array_from_columns(m.spikes)
                 for kind, m in self.records() if kind == "inputs"]
        return np.concatenate(parts) if parts else np.empty(0, SPIKE)

    def spikes(self):
        """The recorded output spikes, a SPIKE array."""
        parts = []
        for kind, m in self.records():
            if kind != "spikes":
                continue
            if m.HasField("spikes"):
                parts.append(spike_array(m.spikes))
            elif m.HasField("spike_columns"):
                parts.append(spike_array_from_columns(m.spike_columns))
        return np.concatenate(parts) if parts else np.empty(0, SPIKE)
