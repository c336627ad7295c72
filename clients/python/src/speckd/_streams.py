"""Subscriptions as iterators: each yields decoded data (numpy arrays,
windows, frames), counts what the daemon dropped for this subscriber, keeps
the notices, and resubscribes when the daemon restarts or the device comes
back, recording the gap."""
import threading
import time

import grpc
import numpy as np

from speckd import _events
from speckd._errors import translate


class SpikeWindow:
    """Spike counts per feature in one window [start_us, end_us)."""

    __slots__ = ("start_us", "end_us", "counts")

    def __init__(self, start_us, end_us, counts):
        self.start_us, self.end_us, self.counts = start_us, end_us, counts

    def __repr__(self):
        return f"SpikeWindow(start_us={self.start_us}, end_us={self.end_us}, counts={self.counts})"


class SpikeCollection:
    """The spikes of one window (samna's SpikeCollection); `continued`: the
    window goes on in the next item."""

    __slots__ = ("start_us", "end_us", "spikes", "continued")

    def __init__(self, start_us, end_us, spikes, continued):
        self.start_us, self.end_us, self.spikes, self.continued = start_us, end_us, spikes, continued


class ActivityFrame:
    """Spikes per neuron of one layer in a window: `counts` is height×width."""

    __slots__ = ("layer", "start_us", "end_us", "counts", "total")

    def __init__(self, layer, start_us, end_us, counts, total):
        self.layer, self.start_us, self.end_us = layer, start_us, end_us
        self.counts, self.total = counts, total


class Gap:
    """A stretch a stream could not see: from a failure to its resubscription."""

    __slots__ = ("reason", "seconds")

    def __init__(self, reason, seconds):
        self.reason, self.seconds = reason, seconds

    def __repr__(self):
        return f"Gap({self.reason!r}, {self.seconds:.2f} s)"


def _windows(empty_before, start, end, counts, width):
    """The windows a message stands for: the empty ones it counts, then it."""
    step = end - start
    for i in range(empty_before, 0, -1):
        yield SpikeWindow(start - i * step, start - (i - 1) * step, [0] * width)
    yield SpikeWindow(start, end, list(counts))


def decode(message, feature_count=0):
    """The items of one StreamMessage (empty for keep-alives and notices)."""
    kind = message.WhichOneof("payload")
    if kind == "spikes":
        return [_events.spike_array(message.spikes)]
    if kind == "spike_columns":
        return [_events.spike_array_from_columns(message.spike_columns)]
    if kind == "dvs_events":
        return [_events.dvs_array(message.dvs_events)]
    if kind == "spike_collection":
        c = message.spike_collection
        return [SpikeCollection(c.window_start_us, c.window_end_us,
                                _events.spike_array(c.spikes), c.continued)]
    if kind == "spike_counts":
        out = []
        for w in message.spike_counts.windows:
            out.extend(_windows(w.empty_windows_before, w.window_start_us, w.window_end_us,
                                w.counts, feature_count or len(w.counts)))
        return out
    if kind == "activity_frame":
        f = message.activity_frame
        counts = np.array(f.counts, dtype=np.uint32).reshape(f.height, f.width)
        return [ActivityFrame(f.layer, f.window_start_us, f.window_end_us, counts, f.total)]
    if kind == "readout":
        r = message.readout
        return list(r.values) + list(r.pins) + list(r.majority)
    if kind == "measurements":
        return [_events.measurement_array(message.measurements)]
    return []


class Stream:
    """One subscription. Iterate it for data; `dropped` counts the items the
    daemon discarded for this subscriber (its queue overflowed: read faster,
    or subscribe LOSSLESS); `notices` keeps what the daemon said (device lost,
    reconfigured, ...); `gaps` the times it had to resubscribe. close() (or
    leaving a `with` block) ends it.
    """

    def __init__(self, name, open_call, feature_count=0, resubscribe=True,
                 retry_for_s=60.0):
        self.name = name
        self.dropped = 0
        self.dropped_since_last = 0
        self.messages = 0
        self.notices = []
        self.gaps = []
        self._open = open_call
        self._features = feature_count
        self._resubscribe = resubscribe
        self._retry_for_s = retry_for_s
        self._closed = threading.Event()
        self._pending = []
        self._live = threading.Condition()
        self._attached = 0  # subscriptions made so far
        self._call = self._open()
        # Subscribed once the daemon sent its headers: data written from now
        # on reaches this stream.
        try:
            self._call.initial_metadata()
        except grpc.RpcError as error:
            raise translate(error) from None
        self._attached = 1

    def wait_subscribed(self, times=1, timeout_s=30.0):
        """True once the stream has been subscribed `times` times (2: it
        resubscribed once), False after `timeout_s`."""
        with self._live:
            return self._live.wait_for(lambda: self._attached >= times, timeout_s)

    def __iter__(self):
        return self

    def __next__(self):
        while not self._pending:
            if self._closed.is_set():
                raise StopIteration
            message = self._read()
            if message is None:
                raise StopIteration
            self.messages += 1
            self.dropped_since_last = message.dropped_since_last
            self.dropped += message.dropped_since_last
            if message.WhichOneof("payload") == "notice":
                self.notices.append(message.notice)
                continue
            self._pending = decode(message, self._features)
        return self._pending.pop(0)

    def _read(self):
        while True:
            try:
                return next(self._call)
            except StopIteration:
                return None
            except grpc.RpcError as error:
                if self._closed.is_set() or error.code() == grpc.StatusCode.CANCELLED:
                    return None
                if not self._resubscribe or error.code() != grpc.StatusCode.UNAVAILABLE:
                    raise translate(error) from None
                self._reopen(error.details() or "unavailable")

    def _reopen(self, reason):
        """Subscribes again (the daemon restarted, the device came back),
        backing off up to 1 s between tries, for retry_for_s at most."""
        began = time.monotonic()
        delay = 0.05
        while not self._closed.is_set():
            try:
                self._call = self._open()
                self._call.initial_metadata()
                # A refusal (the device is still away) ends the call at once.
                if self._call.done() and self._call.code() != grpc.StatusCode.OK:
                    raise self._call
                self.gaps.append(Gap(reason, time.monotonic() - began))
                with self._live:
                    self._attached += 1
                    self._live.notify_all()
                return
            except grpc.RpcError as error:
                if time.monotonic() - began > self._retry_for_s:
                    raise translate(error) from None
            self._closed.wait(delay)
            delay = min(delay * 2, 1.0)

    def close(self):
        self._closed.set()
        self._call.cancel()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
