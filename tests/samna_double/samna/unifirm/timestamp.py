"""samna.unifirm.timestamp.StopWatch: the board's event time base, under
either spelling of its API (SAMNA_DOUBLE "stop_watch": modern or legacy)."""
import threading
import time

from .. import _control


class _Clock:
    """Microseconds since the last reset while enabled; held while not."""

    def __init__(self):
        self.lock = threading.Lock()
        self.enabled = False
        self.base_us = 0
        self.origin = time.monotonic()
        self.listeners = []

    def now_us(self):
        with self.lock:
            if not self.enabled:
                return self.base_us
            return self.base_us + int((time.monotonic() - self.origin) * 1e6)

    def set_enabled(self, on):
        with self.lock:
            if on == self.enabled:
                return
            if self.enabled:
                self.base_us += int((time.monotonic() - self.origin) * 1e6)
            self.origin = time.monotonic()
            self.enabled = on
        self._changed()

    def reset(self):
        with self.lock:
            self.base_us = 0
            self.origin = time.monotonic()
        self._changed(reset=True)

    def _changed(self, reset=False):
        for listener in self.listeners:
            listener(reset)


class StopWatch:
    def __init__(self, clock):
        self._clock = clock

    def reset(self):
        _control.record("StopWatch.reset")
        self._clock.reset()


class ModernStopWatch(StopWatch):
    def start(self):
        _control.record("StopWatch.start")
        self._clock.set_enabled(True)

    def stop(self):
        _control.record("StopWatch.stop")
        self._clock.set_enabled(False)


class LegacyStopWatch(StopWatch):
    def set_enable_value(self, on):
        _control.record("StopWatch.set_enable_value", value=bool(on))
        self._clock.set_enabled(bool(on))


def new_stop_watch(clock):
    if _control.settings().get("stop_watch", "modern") == "legacy":
        return LegacyStopWatch(clock)
    return ModernStopWatch(clock)
