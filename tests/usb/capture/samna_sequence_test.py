"""Checks samna_sequence.py against samna's API as sinabs uses it.

samna cannot be installed here (it comes from PyPI, which this machine cannot
reach, and it needs a board), so the script runs against a recording double
of the samna module: the calls it makes, their order and their arguments are
checked against docs/hardware.md's sequence and sinabs' usage. The double
answers nothing a board would (no spikes, no power samples): what a real
board answers is what the capture records.
"""
import json
import os
import sys
import tempfile
import types
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
RUNFILES = os.environ.get("TEST_SRCDIR", "")


def example(name):
    for base in (os.path.join(RUNFILES, "speckd"), os.path.join(HERE, "..", "..", "..")):
        path = os.path.join(base, "examples", "tutorial", name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(name)


class Recorder:
    def __init__(self):
        self.calls = []

    def add(self, name, *args):
        self.calls.append((name,) + args)

    def names(self):
        return [c[0] for c in self.calls]


def fake_samna(rec):
    samna = types.ModuleType("samna")
    samna.__version__ = "0.0-double"

    class Node:
        def __init__(self, name):
            self.name = name

        def write(self, events):
            rec.add("write", len(events), events[0])

        def get_events(self):
            rec.add("get_events", self.name)
            return []

    class Layer:
        def __init__(self):
            self.destinations = [types.SimpleNamespace() for _ in range(2)]

    class SpeckConfiguration:
        def __init__(self):
            self.cnn_layers = [Layer() for _ in range(9)]
            self.dvs_layer = types.SimpleNamespace(
                destinations=[types.SimpleNamespace() for _ in range(2)])

    class Model:
        def apply_configuration(self, config):
            rec.add("apply_configuration", config)

        def get_sink_node(self):
            return Node("model_sink")

        def get_source_node(self):
            return Node("model_source")

    class StopWatch:
        def reset(self):
            rec.add("stop_watch.reset")

        def start(self):
            rec.add("stop_watch.start")

        def stop(self):
            rec.add("stop_watch.stop")

    class PowerMonitor:
        def get_source_node(self):
            return Node("power_source")

        def start_auto_power_measurement(self, hz):
            rec.add("start_auto_power_measurement", hz)

        def stop_auto_power_measurement(self):
            rec.add("stop_auto_power_measurement")

    class DevKit:
        def get_model(self):
            return Model()

        def get_stop_watch(self):
            return StopWatch()

        def get_power_monitor(self):
            return PowerMonitor()

    class Graph:
        def sequential(self, nodes):
            rec.add("sequential", [n.name for n in nodes])

        def start(self):
            rec.add("graph.start")

        def stop(self):
            rec.add("graph.stop")

    info = types.SimpleNamespace(device_type_name="Speck2eDevKit", usb_bus_number=2,
                                 usb_device_address=3, serial_number="")
    other = types.SimpleNamespace(device_type_name="DVXplorer", usb_bus_number=2,
                                  usb_device_address=1, serial_number="")
    samna.device = types.SimpleNamespace(
        get_unopened_devices=lambda: [other, info],
        open_device=lambda i: rec.add("open_device", i) or DevKit(),
        close_device=lambda d: rec.add("close_device"))
    samna.speck2e = types.SimpleNamespace(
        configuration=types.SimpleNamespace(SpeckConfiguration=SpeckConfiguration),
        validate_configuration=lambda c: (rec.add("validate_configuration") or True, ""),
        event=types.SimpleNamespace(DvsEvent=lambda: types.SimpleNamespace(),
                                    Spike=type("Spike", (), {})))
    samna.BasicSourceNode_speck2e_event_speck2e_input_event = lambda: Node("source")
    samna.BasicSinkNode_speck2e_event_output_event = lambda: Node("sink")
    samna.BasicSinkNode_unifirm_modules_events_measurement = lambda: Node("power_sink")
    samna.graph = types.SimpleNamespace(EventFilterGraph=Graph)
    return samna


class SamnaSequenceTest(unittest.TestCase):
    def test_runs_sinabs_sequence_in_order(self):
        rec = Recorder()
        sys.modules["samna"] = fake_samna(rec)
        sys.path.insert(0, HERE)
        import samna_sequence
        samna_sequence.time.sleep = lambda s: None  # the double has no clock
        out = os.path.join(tempfile.mkdtemp(), "sequence.json")
        samna_sequence.main(["--config=" + example("config.json"),
                             "--events=" + example("events.csv"), "--out=" + out])
        names = rec.names()
        order = ["open_device", "validate_configuration", "apply_configuration",
                 "stop_watch.reset", "stop_watch.start", "write",
                 "start_auto_power_measurement", "stop_auto_power_measurement",
                 "stop_watch.stop", "close_device"]
        self.assertEqual([n for n in names if n in order], order)
        # The Speck2e devkit, not the camera listed first.
        self.assertEqual(rec.calls[names.index("open_device")][1].usb_device_address, 3)
        # Graphs wired as sinabs' DynapcnnNetwork.to().
        self.assertIn(("sequential", ["source", "model_sink"]), rec.calls)
        self.assertIn(("sequential", ["model_source", "sink"]), rec.calls)
        # The tutorial configuration, nested as samna wants it.
        config = rec.calls[names.index("apply_configuration")][1]
        core = config.cnn_layers[0]
        self.assertEqual(core.dimensions["kernel_size"], 16)
        self.assertEqual((len(core.weights), len(core.weights[0]),
                          len(core.weights[0][0]), len(core.weights[0][0][0])),
                         (2, 1, 16, 16))
        self.assertEqual(core.weights[0][0][0][0], 127)
        self.assertTrue(config.dvs_layer.destinations[0].enable)
        # All 25001 events, as DvsEvents with samna's fields.
        written = rec.calls[names.index("write")]
        self.assertEqual(written[1], 25001)
        self.assertEqual((written[2].x, written[2].y, written[2].p, written[2].timestamp),
                         (13, 0, True, 5000))
        with open(out) as f:
            steps = [s["step"] for s in json.load(f)["sequence"]]
        self.assertEqual(steps, ["found", "open", "validate", "apply",
                                 "stop_watch_started", "written", "read", "power", "close"])


if __name__ == "__main__":
    unittest.main()
