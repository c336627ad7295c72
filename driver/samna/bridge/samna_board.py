"""One Speck2e devkit opened through samna, driven as sinabs drives it.

Open: open_device, the two EventFilterGraphs of sinabs' DynapcnnNetwork.to()
(BasicSourceNode -> model sink node; model source node -> BasicSinkNode),
drain the sink, reset and start the stop watch (sinabs' hw_forward order).
Inputs become samna event objects and are written to the source; a pump
thread reads the sink (blocking with a timeout where samna can) and sends
packed columns to speckd.
"""
import sys
import threading
import time
from array import array

import samna_config

# absl::StatusCode numbers, as bridge.proto's Error.code.
INVALID_ARGUMENT = 3
DEADLINE_EXCEEDED = 4
FAILED_PRECONDITION = 9
UNAVAILABLE = 14

# How long one blocking read waits before the pump looks at its other work.
READ_TIMEOUT_MS = 20


class BridgeError(Exception):
    def __init__(self, code, message, board_busy=False):
        super().__init__(message)
        self.code = code
        self.board_busy = board_busy


def columns(fmt, data):
    out = array(fmt)
    out.frombytes(data)
    return out


def address_bits(n):
    return (n - 1).bit_length() if n > 1 else 0


def neuron_address(x, y, c, channels, height, width):
    """sinabs' calculate_neuron_address (io.py), quirk included."""
    cbits, ybits = address_bits(channels), address_bits(height)
    return (y << (cbits + ybits)) | (x << cbits) | c


class StopWatch:
    """samna's stop watch under both of its spellings."""

    def __init__(self, stop_watch):
        self.sw = stop_watch
        self.modern = hasattr(stop_watch, "start")

    @property
    def api(self):
        return "start/stop/reset" if self.modern else "set_enable_value"

    def enable(self, on):
        if self.modern:
            self.sw.start() if on else self.sw.stop()
        else:
            self.sw.set_enable_value(bool(on))

    def reset(self):
        self.sw.reset()


class Board:
    def __init__(self, samna, info, name, send, pb):
        self.samna, self.name, self.send, self.pb = samna, name, send, pb
        try:
            self.handle = samna.device.open_device(info)
        except RuntimeError as e:
            raise BridgeError(FAILED_PRECONDITION, f"samna cannot open {name}: {e}",
                              board_busy=True)
        if self.handle is None:
            raise BridgeError(UNAVAILABLE, f"samna cannot open {name}")
        self.events = samna.speck2e.event
        self.config = None
        self.lock = threading.Lock()
        self.syncs = []        # request ids answered after the next read
        self.neuron_wait = None  # {(layer, address): value or None}
        self.neuron_cv = threading.Condition(self.lock)
        self.power_sink = None
        self.power_graph = None
        self._build_graphs()
        self.stop_watch = StopWatch(self.handle.get_stop_watch())
        print(f"bridge: {name} open; stop watch API {self.stop_watch.api}, "
              f"{'blocking' if self.blocking else 'polled'} reads", file=sys.stderr, flush=True)
        self.sink.get_events()
        self.stop_watch.reset()
        self.stop_watch.enable(True)
        self.stopping = False
        self.pump = threading.Thread(target=self._pump, name=f"pump {name}", daemon=True)
        self.pump.start()

    def _build_graphs(self):
        s = self.samna
        model = self.handle.get_model()
        self.source = s.BasicSourceNode_speck2e_event_speck2e_input_event()
        self.sink = s.BasicSinkNode_speck2e_event_output_event()
        self.graph_in = s.graph.EventFilterGraph()
        self.graph_in.sequential([self.source, model.get_sink_node()])
        self.graph_out = s.graph.EventFilterGraph()
        self.graph_out.sequential([model.get_source_node(), self.sink])
        self.graph_in.start()
        self.graph_out.start()
        self.blocking = hasattr(self.sink, "get_events_blocking")

    def close(self):
        self.stopping = True
        self.pump.join()
        self.stop_watch.enable(False)
        self.set_power_rate(0)
        self.graph_in.stop()
        self.graph_out.stop()
        self.samna.device.close_device(self.handle)

    # -- configuration ------------------------------------------------------

    def apply(self, config):
        s = self.samna
        try:
            samna_cfg = samna_config.to_samna(s.speck2e.configuration.SpeckConfiguration, config)
        except (AttributeError, TypeError, ValueError) as e:
            raise BridgeError(INVALID_ARGUMENT, f"samna refused a field: {e}")
        ok, message = s.speck2e.validate_configuration(samna_cfg)
        if not ok:
            raise BridgeError(INVALID_ARGUMENT, f"samna: {message}")
        try:
            self.handle.get_model().apply_configuration(samna_cfg)
        except RuntimeError as e:
            raise BridgeError(INVALID_ARGUMENT, f"samna: {e}")
        clock = samna_config.slow_clock(config)
        if clock is not None:
            self.set_slow_clock(*clock)
        self.config = config

    def set_slow_clock(self, enable, rate_hz):
        io = self.handle.get_io_module()
        if enable:
            io.set_slow_clk_rate(rate_hz)
        io.set_slow_clk(bool(enable))

    # -- inputs -------------------------------------------------------------

    def write(self, w):
        ts, kind = columns("Q", w.timestamp_us), w.kind
        layer, feature = w.layer, columns("H", w.feature)
        xs, ys, ps = w.x, w.y, w.p
        Spike, Dvs = self.events.Spike, self.events.DvsEvent
        out = []
        append = out.append
        for i in range(len(ts)):
            if kind[i]:
                e = Spike()
                e.layer = layer[i]
                e.feature = feature[i]
            else:
                e = Dvs()
                e.p = bool(ps[i])
            e.x = xs[i]
            e.y = ys[i]
            e.timestamp = ts[i]
            append(e)
        self.source.write(out)

    # -- outputs ------------------------------------------------------------

    def _read(self):
        if self.blocking:
            return self.sink.get_events_blocking(READ_TIMEOUT_MS)
        events = self.sink.get_events()
        if not events:
            time.sleep(READ_TIMEOUT_MS / 4000)  # samna without a blocking read
        return events

    def _pump(self):
        while not self.stopping:
            events = self._read()
            with self.lock:
                syncs, self.syncs = self.syncs, []
            if syncs:
                events = list(events) + list(self.sink.get_events())
            power = self.power_sink.get_events() if self.power_sink is not None else []
            if events or power:
                self._forward(events, power)
            for request_id in syncs:
                self.send(self.pb.BridgeMessage(reply=self.pb.Reply(id=request_id)))

    def _forward(self, events, power):
        ev = self.events
        st, sl, sf, sx, sy = array("Q"), bytearray(), array("H"), bytearray(), bytearray()
        rt, rv, pt, pi = array("Q"), array("I"), array("Q"), array("I")
        ignored = 0
        for e in events:
            if isinstance(e, ev.Spike):
                st.append(e.timestamp)
                sl.append(e.layer)
                sf.append(e.feature)
                sx.append(e.x)
                sy.append(e.y)
            elif isinstance(e, ev.ReadoutValue):
                rt.append(e.timestamp)
                rv.append(e.value)
            elif isinstance(e, ev.ReadoutPinValue):
                pt.append(e.timestamp)
                pi.append(e.index)
            elif isinstance(e, ev.NeuronValue):
                self._neuron_value(e)
            else:
                ignored += 1
        wt, wc, wv = array("Q"), bytearray(), array("d")
        for m in power:
            wt.append(m.timestamp)
            wc.append(m.channel)
            wv.append(m.value)
        if not (st or rt or pt or wt or ignored):
            return
        self.send(self.pb.BridgeMessage(outputs=self.pb.Outputs(
            board=self.name, spike_timestamp_us=st.tobytes(), spike_layer=bytes(sl),
            spike_feature=sf.tobytes(), spike_x=bytes(sx), spike_y=bytes(sy),
            readout_timestamp_us=rt.tobytes(), readout_value=rv.tobytes(),
            pin_timestamp_us=pt.tobytes(), pin_index=pi.tobytes(),
            power_timestamp_us=wt.tobytes(), power_channel=bytes(wc),
            power_value_w=wv.tobytes(), ignored=ignored)))

    def sync(self, request_id):
        with self.lock:
            self.syncs.append(request_id)

    # -- stop watch, power ----------------------------------------------------

    def set_stop_watch(self, reset, enable):
        if reset:
            self.stop_watch.reset()
        if enable is not None:
            self.stop_watch.enable(enable)

    def set_power_rate(self, rate_hz):
        monitor = self.handle.get_power_monitor()
        if self.power_sink is not None:
            monitor.stop_auto_power_measurement()
            self.power_graph.stop()
            self.power_sink = self.power_graph = None
        if rate_hz <= 0:
            return
        s = self.samna
        sink = s.BasicSinkNode_unifirm_modules_events_measurement()
        graph = s.graph.EventFilterGraph()
        graph.sequential([monitor.get_source_node(), sink])
        graph.start()
        sink.get_events()
        monitor.start_auto_power_measurement(float(rate_hz))
        self.power_graph, self.power_sink = graph, sink

    # -- neuron state ---------------------------------------------------------

    def _addresses(self, layer, features, xs, ys):
        if self.config is None:
            raise BridgeError(FAILED_PRECONDITION, "no configuration applied")
        cores = self.config.get("cnn_layers", [])
        if layer >= len(cores):
            raise BridgeError(INVALID_ARGUMENT, f"core {layer} is not configured")
        out = cores[layer].get("dimensions", {}).get("output_shape", {})
        size = out.get("size", {})
        c, h, w = out.get("feature_count", 0), size.get("y", 0), size.get("x", 0)
        return [neuron_address(x, y, f, c, h, w) for f, x, y in zip(features, xs, ys)]

    def read_neurons(self, r, timeout_s=5.0):
        addresses = self._addresses(r.layer, columns("H", r.feature), columns("H", r.x),
                                    columns("H", r.y))
        with self.lock:
            self.neuron_wait = {(r.layer, a): None for a in addresses}
        reads = []
        for a in addresses:
            e = self.events.ReadNeuronValue()
            e.layer = r.layer
            e.address = a
            reads.append(e)
        self.source.write(reads)
        deadline = time.monotonic() + timeout_s
        with self.lock:
            while any(v is None for v in self.neuron_wait.values()):
                left = deadline - time.monotonic()
                if left <= 0:
                    self.neuron_wait = None
                    raise BridgeError(DEADLINE_EXCEEDED,
                                      f"samna sent no NeuronValue within {timeout_s:g} s")
                self.neuron_cv.wait(left)
            values, self.neuron_wait = self.neuron_wait, None
        return array("h", [values[(r.layer, a)] for a in addresses]).tobytes()

    def _neuron_value(self, e):
        with self.lock:
            key = (e.layer, e.address)
            if self.neuron_wait is not None and key in self.neuron_wait:
                self.neuron_wait[key] = e.neuron_state
                self.neuron_cv.notify_all()

    def write_neurons(self, r):
        addresses = self._addresses(r.layer, columns("H", r.feature), columns("H", r.x),
                                    columns("H", r.y))
        writes = []
        for a, v in zip(addresses, columns("h", r.value)):
            e = self.events.WriteNeuronValue()
            e.layer = r.layer
            e.address = a
            e.neuron_state = v
            writes.append(e)
        self.source.write(writes)
