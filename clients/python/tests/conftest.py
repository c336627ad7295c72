"""A real speckd for each test: the built binary on a loopback port, with
one simulated devkit running as fast as possible (unplug/replug allowed)."""
import os
import subprocess
import tempfile
import sys

import numpy as np
import pytest

# sinabs, nir, nirtorch: an installed copy wins; ../shared's copy is the
# fallback (appended after site-packages).
if os.environ.get("SPECKD_THIRD_PARTY"):
    sys.path.append(os.environ["SPECKD_THIRD_PARTY"])

ROOT = os.environ.get("SPECKD_ROOT", os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def _speckd_binary():
    path = os.environ.get("SPECKD") or os.path.join(ROOT, "bazel-bin", "server", "speckd")
    if not os.path.exists(path):
        pytest.exit(f"speckd is not built at {path} (bazel build //server:speckd)")
    return path


class Daemon:
    def __init__(self, *flags):
        listen = [] if any(f.startswith("--listen=") for f in flags) else ["--listen=127.0.0.1:0"]
        # Recordings go to a scratch directory of the test's.
        self.data_dir = tempfile.mkdtemp(prefix="speckd-data-")
        # The log goes to a file: a pipe nobody drains would fill (the audit
        # log writes a line per write stream) and stall the daemon.
        self.log_path = os.path.join(self.data_dir, "speckd.log")
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [_speckd_binary(), *listen, "--web_listen=", "--usb=off",
             "--sim_pacing=as_fast_as_possible", "--sim_faults",
             f"--data_dir={self.data_dir}", *flags],
            stdout=subprocess.PIPE, stderr=self._log, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("speckd listening on "):
            self.process.kill()
            with open(self.log_path) as log:
                raise RuntimeError(f"speckd did not start: {line}{log.read()}")
        self.address = line.split()[3]

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


@pytest.fixture
def daemon():
    d = Daemon()
    yield d
    d.stop()


@pytest.fixture
def client(daemon):
    import speckd
    c = speckd.connect(daemon.address)
    yield c
    c.close()


def example(name):
    return os.path.join(ROOT, "examples", "tutorial", name)


@pytest.fixture
def tutorial_events():
    import speckd
    data = np.loadtxt(example("events.csv"), delimiter=",", skiprows=1, dtype=np.int64)
    return speckd.dvs_events(data[:, 0], data[:, 1], data[:, 2], data[:, 3])
