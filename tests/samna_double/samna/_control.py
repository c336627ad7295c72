"""How a test steers the samna double, and where it records what was called.

SAMNA_DOUBLE: a JSON file (re-read at every get_all_devices, so a test can
plug and unplug boards by rewriting it) or inline JSON:
  version        samna.__version__ ("0.48.6")
  devices        [{"type": "Speck2eDevKit", "bus": 2, "address": 9, "serial": ""}]
  busy           [address, ...]: opened by another process (open_device raises)
  stop_watch     "modern" (start/stop/reset) or "legacy" (set_enable_value)
  blocking_read  whether sinks have get_events_blocking (true)
  reject         validate_configuration answers (False, this text)
  hang           the name of a call that never returns ("apply_configuration")
SAMNA_DOUBLE_CALLS: a file that gets one JSON line per samna call.
SAMNA_DOUBLE_BOARD_MODEL: the board_model binary that computes the chip.
"""
import json
import os
import threading
import time

DEFAULT_DEVICES = [{"type": "Speck2eDevKit", "bus": 2, "address": 9, "serial": ""}]
_log_lock = threading.Lock()


def settings():
    text = os.environ.get("SAMNA_DOUBLE", "")
    if not text:
        return {}
    if text.lstrip().startswith("{"):
        return json.loads(text)
    with open(text) as f:
        return json.load(f)


def record(call, **args):
    """Appends `call` to the call log; hangs forever if told to."""
    path = os.environ.get("SAMNA_DOUBLE_CALLS")
    if path:
        line = json.dumps({"call": call, **args}, sort_keys=True)
        with _log_lock, open(path, "a") as f:
            f.write(line + "\n")
    if settings().get("hang") == call:
        while True:
            time.sleep(3600)
