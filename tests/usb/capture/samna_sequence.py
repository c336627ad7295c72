#!/usr/bin/env python3
"""The fixed sequence a lab runs with samna while recording a Speck2e devkit's
USB traffic, so speckd can learn the protocol (docs/hardware.md, "Capture kit").

It does what sinabs does, in this order, and prints what happened as JSON:
open -> apply the tutorial configuration -> stop watch reset and start ->
write the tutorial's DVS events -> read the output -> power monitor for 1 s
-> close. Run it with the samna you use (pip install samna), on the machine
with the board, while usbmon is being recorded:

    python3 tests/usb/capture/samna_sequence.py \\
        --config=examples/tutorial/config.json \\
        --events=examples/tutorial/events.csv --out=sequence.json

The configuration is speckd's JSON (samna's field names, flat arrays in
samna's index order, docs/formats.md); it is assigned attribute by attribute
to a fresh samna SpeckConfiguration, as sinabs does.
"""
import argparse
import csv
import json
import sys
import time

# Flat arrays in speckd's JSON and the nesting samna wants, from the layer's
# dimensions: weights [f][c][x][y], neurons_initial_value [f][x][y].
ARRAYS = ("weights", "neurons_initial_value", "biases")


def nest(flat, shape):
    if len(shape) == 1:
        return list(flat[: shape[0]])
    step = len(flat) // shape[0]
    return [nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def shape_of(name, layer):
    dims = layer["dimensions"]
    f = dims["output_shape"]["feature_count"]
    if name == "weights":
        k = dims["kernel_size"]
        return [f, dims["input_shape"]["feature_count"], k, k]
    if name == "neurons_initial_value":
        size = dims["output_shape"]["size"]
        return [f, size["x"], size["y"]]
    return [f]


# Configuration objects filled field by field, as sinabs does; other dicts
# (dimensions, pooling, origin, cut) are small structs samna takes whole.
OBJECTS = ("dvs_layer", "readout")


def assign(target, values, layer=None):
    """Sets samna attributes from a dict of samna field names."""
    for name, value in values.items():
        if name in ARRAYS:
            setattr(target, name, nest(value, shape_of(name, layer)))
        elif name in OBJECTS:
            assign(getattr(target, name), value)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            # cnn_layers[i], destinations[i]: existing elements, per field.
            items = getattr(target, name)
            for i, item in enumerate(value):
                assign(items[i], item, item if name == "cnn_layers" else layer)
        else:
            setattr(target, name, value)  # pybind11 takes nested dicts


def start_stop_watch(stop_watch):
    # samna renamed it (A.7): start()/reset() now, set_enable_value before.
    if hasattr(stop_watch, "start"):
        stop_watch.reset()
        stop_watch.start()
    else:
        stop_watch.set_enable_value(True)
        stop_watch.reset()


def stop_stop_watch(stop_watch):
    if hasattr(stop_watch, "stop"):
        stop_watch.stop()
    else:
        stop_watch.set_enable_value(False)


def read_events(path, samna):
    events = []
    with open(path) as f:
        for row in csv.DictReader(f):
            ev = samna.speck2e.event.DvsEvent()
            ev.x, ev.y = int(row["x"]), int(row["y"])
            ev.p = bool(int(row["p"]))
            ev.timestamp = int(row["timestamp_us"])
            events.append(ev)
    return events


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--events", required=True)
    parser.add_argument("--board", type=int, default=0,
                        help="which Speck2e devkit, by USB address rank")
    parser.add_argument("--out", default="-")
    args = parser.parse_args(argv)

    import samna  # the lab's own installation

    steps = []
    t0 = time.monotonic()

    def step(name, **facts):
        steps.append(dict(step=name, at_s=round(time.monotonic() - t0, 3), **facts))
        print(f"{steps[-1]['at_s']:8.3f} s  {name} {facts}", file=sys.stderr)

    boards = sorted(
        (d for d in samna.device.get_unopened_devices()
         if d.device_type_name == "Speck2eDevKit"),
        key=lambda d: d.usb_device_address)
    if len(boards) <= args.board:
        sys.exit(f"samna_sequence: no Speck2eDevKit number {args.board} "
                 f"({len(boards)} unopened)")
    info = boards[args.board]
    step("found", bus=info.usb_bus_number, address=info.usb_device_address,
         samna=getattr(samna, "__version__", "unknown"))
    devkit = samna.device.open_device(info)
    step("open")

    config = samna.speck2e.configuration.SpeckConfiguration()
    with open(args.config) as f:
        assign(config, json.load(f))
    ok, message = samna.speck2e.validate_configuration(config)
    step("validate", ok=bool(ok), message=str(message))
    model = devkit.get_model()
    model.apply_configuration(config)
    time.sleep(1)  # as sinabs does after applying
    step("apply")

    source = samna.BasicSourceNode_speck2e_event_speck2e_input_event()
    sink = samna.BasicSinkNode_speck2e_event_output_event()
    graph_in = samna.graph.EventFilterGraph()
    graph_in.sequential([source, model.get_sink_node()])
    graph_out = samna.graph.EventFilterGraph()
    graph_out.sequential([model.get_source_node(), sink])
    graph_in.start()
    graph_out.start()
    sink.get_events()  # flush

    stop_watch = devkit.get_stop_watch()
    start_stop_watch(stop_watch)
    step("stop_watch_started")

    events = read_events(args.events, samna)
    source.write(events)
    step("written", events=len(events))
    time.sleep(max(ev.timestamp for ev in events) * 1e-6)
    out = []
    while True:  # sinabs' hw_forward: poll until a poll adds nothing
        time.sleep(0.1)
        got = sink.get_events()
        if not got:
            break
        out.extend(got)
    spikes = [e for e in out if isinstance(e, samna.speck2e.event.Spike)]
    per_feature = {}
    for s in spikes:
        if s.layer == 0:
            per_feature[s.feature] = per_feature.get(s.feature, 0) + 1
    step("read", events=len(out), spikes=len(spikes),
         core0_per_feature=dict(sorted(per_feature.items())))

    monitor = devkit.get_power_monitor()
    power = samna.BasicSinkNode_unifirm_modules_events_measurement()
    graph_power = samna.graph.EventFilterGraph()
    graph_power.sequential([monitor.get_source_node(), power])
    graph_power.start()
    power.get_events()
    monitor.start_auto_power_measurement(10.0)
    time.sleep(1)
    monitor.stop_auto_power_measurement()
    samples = power.get_events()
    step("power", samples=len(samples))

    stop_stop_watch(stop_watch)
    for g in (graph_power, graph_out, graph_in):
        g.stop()
    samna.device.close_device(devkit)
    step("close")

    text = json.dumps({"sequence": steps}, indent=2)
    if args.out == "-":
        print(text)
    else:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
