"""Event nodes: buffers a program writes to or reads from, and the devkit
model's own nodes. Events flow only along edges of started graphs."""
import collections
import threading
import time

from . import _control

# What a BasicSinkNode holds before it drops the oldest (samna's own bound is
# not documented).
SINK_CAPACITY = 1 << 22


class Node:
    def __init__(self):
        self._destinations = []
        self._lock = threading.Lock()

    def _connect(self, other):
        with self._lock:
            self._destinations.append(other)

    def _disconnect(self, other):
        with self._lock:
            if other in self._destinations:
                self._destinations.remove(other)

    def _emit(self, events):
        with self._lock:
            destinations = list(self._destinations)
        for d in destinations:
            d._receive(events)

    def _receive(self, events):
        self._emit(events)


class BasicSourceNode(Node):
    def write(self, events):
        events = list(events)
        _control.record("BasicSourceNode.write", events=len(events))
        self._emit(events)


class BasicSinkNode(Node):
    def __init__(self, name=None):
        super().__init__()
        self._name = name  # recorded in the call log when set
        self._events = collections.deque()
        self._cv = threading.Condition()
        self.dropped = 0

    def _receive(self, events):
        with self._cv:
            self._events.extend(events)
            while len(self._events) > SINK_CAPACITY:
                self._events.popleft()
                self.dropped += 1
            self._cv.notify_all()

    def get_events(self):
        if self._name:
            _control.record(f"{self._name}.get_events")
        with self._cv:
            out = list(self._events)
            self._events.clear()
            return out

    def _get_events_blocking(self, timeout_ms):
        deadline = time.monotonic() + timeout_ms / 1000.0
        with self._cv:
            while not self._events:
                left = deadline - time.monotonic()
                if left <= 0:
                    return []
                self._cv.wait(left)
            out = list(self._events)
            self._events.clear()
            return out


class BlockingSinkNode(BasicSinkNode):
    def get_events_blocking(self, timeout_ms):
        return self._get_events_blocking(timeout_ms)


class BasicSourceNode_speck2e_event_speck2e_input_event(BasicSourceNode):
    pass


def _sink(name=None):
    """A blocking sink, or one without get_events_blocking (older samna)."""
    if _control.settings().get("blocking_read", True):
        return BlockingSinkNode(name)
    return BasicSinkNode(name)


def BasicSinkNode_speck2e_event_output_event():
    return _sink("BasicSinkNode")


def BasicSinkNode_unifirm_modules_events_measurement():
    return _sink()
