"""speckd's chip model in a subprocess (board_model), the double's "chip".

Frames both ways: u32 length, then a command byte and its payload
(board_model.cc has the list). speckd_json() turns a double configuration
into speckd's configuration JSON, flattening samna's nested arrays."""
import json
import os
import struct
import subprocess
import threading

INPUT = struct.Struct("<QBBHBBB")   # t, kind, layer, feature, x, y, p
SPIKE = struct.Struct("<QBHBB")     # t, layer, feature, x, y
VALUE = struct.Struct("<QI")        # t, value (readout value or pin index)


def flatten(nested):
    if not isinstance(nested, list):
        return [nested]
    out = []
    for item in nested:
        out.extend(flatten(item))
    return out


def speckd_json(config):
    d = config.to_dict()
    for core in d["cnn_layers"]:
        for key in ("weights", "biases", "neurons_initial_value"):
            core[key] = flatten(core[key])
    return json.dumps(d)


class Model:
    def __init__(self):
        path = os.environ.get("SAMNA_DOUBLE_BOARD_MODEL")
        if not path:
            raise RuntimeError("samna double: SAMNA_DOUBLE_BOARD_MODEL is not set")
        self._proc = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._lock = threading.Lock()

    def close(self):
        self._proc.stdin.close()
        self._proc.wait()

    def _call(self, command, payload=b""):
        with self._lock:
            frame = command + payload
            self._proc.stdin.write(struct.pack("<I", len(frame)) + frame)
            self._proc.stdin.flush()
            (size,) = struct.unpack("<I", self._proc.stdout.read(4))
            reply = self._proc.stdout.read(size)
        if reply[:1] == b"E":
            raise RuntimeError(reply[1:].decode())
        return reply[1:]

    def configure(self, text):
        self._call(b"C", text.encode())

    def validate(self, text):
        try:
            self._call(b"V", text.encode())
            return True, ""
        except RuntimeError as e:
            return False, str(e)

    def run(self, inputs, advance_to_us):
        """inputs: (t, kind, layer, feature, x, y, p) tuples. Returns
        (spikes, readout values, readout pins) as tuples."""
        payload = struct.pack("<Q", advance_to_us) + b"".join(INPUT.pack(*i) for i in inputs)
        reply = self._call(b"R", payload)
        (n,) = struct.unpack_from("<I", reply, 0)
        at = 4
        spikes = list(SPIKE.iter_unpack(reply[at:at + n * SPIKE.size]))
        at += n * SPIKE.size
        (m,) = struct.unpack_from("<I", reply, at)
        at += 4
        values = list(VALUE.iter_unpack(reply[at:at + m * VALUE.size]))
        at += m * VALUE.size
        (k,) = struct.unpack_from("<I", reply, at)
        at += 4
        pins = list(VALUE.iter_unpack(reply[at:at + k * VALUE.size]))
        return spikes, values, pins

    def set_time(self, t_us):
        self._call(b"T", struct.pack("<Q", t_us))

    def slow_clock(self, enable, rate_hz):
        self._call(b"K", struct.pack("<Bd", 1 if enable else 0, rate_hz))

    def read_neuron(self, layer, feature, x, y):
        return struct.unpack("<h", self._call(b"N", struct.pack("<BHHH", layer, feature, x, y)))[0]

    def write_neuron(self, layer, feature, x, y, value):
        self._call(b"W", struct.pack("<BHHHh", layer, feature, x, y, value))


_validator = None
_validator_lock = threading.Lock()


def validate(text):
    global _validator
    with _validator_lock:
        if _validator is None:
            _validator = Model()
        return _validator.validate(text)
