"""A Speck2e devkit as samna presents it, computed by speckd's chip model.

Inputs written to the model's sink node wait in order until the stop watch
reaches their timestamp (events without one, neuron reads and writes, go at
once, in order); the board thread then runs them through the chip and emits
what it sends, stamped as the chip stamps it, from the model's source node.
"""
import collections
import threading
import time

from . import _control, _model, _nodes
from .speck2e import event
from .unifirm import modules, timestamp

# Idle draw per power channel in W (the 2f devkit's, sinabs' power notebook).
IDLE_POWER_W = (62e-6, 52e-6, 367e-6, 79e-6, 611e-6)


class _ModelSink(_nodes.Node):
    def __init__(self, board):
        super().__init__()
        self._board = board

    def _receive(self, events):
        self._board._enqueue(events)


class Model:
    """devkit.get_model(): the chip's nodes and apply_configuration."""

    def __init__(self, board):
        self._board = board
        self._sink = _ModelSink(board)
        self._source = _nodes.Node()

    def get_sink_node(self):
        return self._sink

    def get_source_node(self):
        return self._source

    def apply_configuration(self, config):
        _control.record("Model.apply_configuration")
        self._board._configure(config)


class IoModule:
    def __init__(self, board):
        self._board = board

    def set_slow_clk_rate(self, hz):
        _control.record("IoModule.set_slow_clk_rate", hz=hz)
        self._board._slow_rate = float(hz)
        self._board._update_slow_clock()

    def set_slow_clk(self, on):
        _control.record("IoModule.set_slow_clk", on=bool(on))
        self._board._slow_on = bool(on)
        self._board._update_slow_clock()


class PowerMonitor:
    def __init__(self, board):
        self._board = board
        self._source = _nodes.Node()
        self._rate = 0.0
        self._thread = None

    def get_source_node(self):
        return self._source

    def is_auto_power_measurement_active(self):
        return self._rate > 0

    def start_auto_power_measurement(self, hz):
        _control.record("PowerMonitor.start_auto_power_measurement", hz=hz)
        self._rate = float(hz)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self._rate

    def stop_auto_power_measurement(self):
        _control.record("PowerMonitor.stop_auto_power_measurement")
        self._rate = 0.0
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self):
        period = 1.0 / self._rate
        next_at = time.monotonic()
        while self._rate > 0 and not self._board._closed:
            t = self._board._clock.now_us()
            self._source._emit([modules.events.PowerMeasurement(c, w, t)
                                for c, w in enumerate(IDLE_POWER_W)])
            next_at += period
            time.sleep(max(0.0, next_at - time.monotonic()))


class DevKit:
    """What samna.device.open_device returns for a Speck2e devkit."""

    def __init__(self, info):
        self._info = info
        self._clock = timestamp._Clock()
        self._clock.listeners.append(self._clock_changed)
        self._stop_watch = timestamp.new_stop_watch(self._clock)
        self._model_node = Model(self)
        self._io = IoModule(self)
        self._power = PowerMonitor(self)
        self._chip = _model.Model()
        self._config = None
        self._slow_on, self._slow_rate = False, 0.0
        self._queue = collections.deque()
        self._cv = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="devkit", daemon=True)
        self._thread.start()

    # -- samna's API ---------------------------------------------------------

    def get_model(self):
        return self._model_node

    def get_stop_watch(self):
        return self._stop_watch

    def get_io_module(self):
        return self._io

    def get_power_monitor(self):
        return self._power

    def reset_board_soft(self, _=True):
        _control.record("DevKit.reset_board_soft")

    def _close(self):
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        self._thread.join()
        self._power.stop_auto_power_measurement()
        self._chip.close()

    # -- the board -------------------------------------------------------------

    def _configure(self, config):
        text = _model.speckd_json(config)
        with self._cv:
            self._chip.configure(text)
            self._config = config.to_dict()
            self._chip.set_time(self._clock.now_us())

    def _update_slow_clock(self):
        with self._cv:
            self._chip.slow_clock(self._slow_on, self._slow_rate)
            self._cv.notify_all()

    def _clock_changed(self, reset):
        with self._cv:
            if reset:
                self._chip.set_time(0)
            self._cv.notify_all()

    def _enqueue(self, events):
        with self._cv:
            self._queue.extend(events)
            self._cv.notify_all()

    def _due(self, now_us):
        """Inputs due at `now_us` (popped), in order."""
        due = []
        while self._queue:
            e = self._queue[0]
            t = getattr(e, "timestamp", None)
            if t is not None and t > now_us:
                break
            due.append(self._queue.popleft())
        return due

    def _wait(self):
        """Sleeps until the next input is due or something changes."""
        timeout = 0.01 if self._slow_on else 0.05
        if self._queue:
            t = getattr(self._queue[0], "timestamp", 0)
            if self._clock.enabled:
                timeout = min(timeout, max(0.0, (t - self._clock.now_us()) / 1e6))
        self._cv.wait(timeout)

    def _run(self):
        while True:
            with self._cv:
                if self._closed:
                    return
                now = self._clock.now_us()
                due = self._due(now)
                if not due and not (self._slow_on and self._config):
                    self._wait()
                    continue
                out = self._process(due, now) if self._config is not None else []
            if out:
                self._model_node._source._emit(out)
            if not due:
                with self._cv:
                    self._wait()

    def _process(self, due, now):
        out, batch = [], []
        for e in due:
            if isinstance(e, (event.Spike, event.DvsEvent)):
                spike = isinstance(e, event.Spike)
                batch.append((e.timestamp, 1 if spike else 0, e.layer if spike else 0,
                              e.feature if spike else 0, e.x, e.y,
                              0 if spike or not e.p else 1))
                continue
            out.extend(self._run_chip(batch, now))
            batch = []
            out.extend(self._neuron_event(e))
        out.extend(self._run_chip(batch, now))
        return out

    def _run_chip(self, batch, now):
        spikes, values, pins = self._chip.run(batch, now if self._clock.enabled else 0)
        stamp = self._clock.enabled
        out = [event.Spike(timestamp=t if stamp else 0, layer=layer, feature=f, x=x, y=y)
               for t, layer, f, x, y in spikes]
        out += [event.ReadoutValue(value=v, timestamp=t) for t, v in values]
        out += [event.ReadoutPinValue(index=i, timestamp=t) for t, i in pins]
        return out

    def _cxy(self, layer, address):
        """sinabs' neuron_address_to_cxy for core `layer`."""
        shape = self._config["cnn_layers"][layer]["dimensions"]["output_shape"]
        c, h = shape["feature_count"], shape["size"]["y"]
        cbits = (c - 1).bit_length() if c > 1 else 0
        ybits = (h - 1).bit_length() if h > 1 else 0
        return (address & ((1 << cbits) - 1), (address >> cbits) & ((1 << ybits) - 1),
                address >> (cbits + ybits))

    def _neuron_event(self, e):
        if self._config is None:
            return []
        f, x, y = self._cxy(e.layer, e.address)
        if isinstance(e, event.WriteNeuronValue):
            self._chip.write_neuron(e.layer, f, x, y, e.neuron_state)
            return []
        if isinstance(e, event.ReadNeuronValue):
            value = self._chip.read_neuron(e.layer, f, x, y)
            return [event.NeuronValue(layer=e.layer, address=e.address, neuron_state=value)]
        return []
