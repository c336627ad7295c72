"""speckd.sinabs against the real sinabs' golden cases (../shared/reference):
the configuration it makes holds exactly the fields sinabs writes for samna,
and applied to speckd it gives the cases' event-driven spikes exactly.

Needs torch (Debian's python3-torch) and sinabs (installed, or the copy in
../shared/third_party/python); skipped, saying so, without them."""
import numpy as np
import pytest

import speckd
from reference_nets import NO_REFERENCE, build_network, reference_cases

torch = pytest.importorskip("torch", reason="SKIPPED: torch is not installed (apt-get install python3-torch)")
CASES = reference_cases()
pytestmark = pytest.mark.skipif(not CASES, reason=NO_REFERENCE)


def dynapcnn(case):
    speckd.sinabs.import_sinabs()
    from sinabs.backend.dynapcnn import DynapcnnNetwork
    return DynapcnnNetwork(build_network(case), input_shape=tuple(case["network"]["input_shape"]),
                           dvs_input=case["network"]["dvs_input"], discretize=True)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fields_are_exactly_what_sinabs_writes(name):
    case = CASES[name]
    cores, dvs_layer = speckd.sinabs.sinabs_fields(dynapcnn(case))
    written = case["chip_config"]["cnn_layers_written"]
    assert sorted(cores) == sorted(int(c) for c in written)
    for core, fields in written.items():
        assert cores[int(core)] == fields, f"core {core}"
    assert dvs_layer == case["chip_config"]["dvs_layer_written"]


def test_samna_stays_unimportable_and_the_placeholder_fails_loudly():
    speckd.sinabs.import_sinabs()
    with pytest.raises(ImportError):
        import samna  # noqa: F401
    from sinabs.backend.dynapcnn.chips.speck2e import Speck2EConfigBuilder
    with pytest.raises(RuntimeError, match="samna is not installed"):
        Speck2EConfigBuilder.get_input_buffer()


@pytest.mark.parametrize("name", sorted(CASES))
def test_speckd_runs_the_configuration_as_sinabs_meant(client, name):
    case = CASES[name]
    cfg = speckd.sinabs.make_configuration(dynapcnn(case))
    expected = case["expected_event_driven"]
    out_core = expected["output_core"]
    target = case["input"]["target"]
    events = np.array(case["input"]["events"], dtype=np.int64)  # t_us, x, y, feature
    inputs = speckd.spikes(t=events[:, 0], layer=np.full(len(events), target["core"]),
                           feature=events[:, 3], x=events[:, 1], y=events[:, 2])
    with client.open_device() as dev:
        dev.apply_configuration(cfg)
        if any(layer.get("leak_enable") for layer in cfg["cnn_layers"]):
            # The case adds biases once per time bin: the slow clock's period.
            rate = 1e6 / case["expected"]["time_binning"]["dt_us"]
            dev._call(dev._client._devices.SetSlowClock, speckd.v1.device_service_pb2.SetSlowClockRequest(
                device_id=dev.id, lease_id=dev.lease_id,
                slow_clock=speckd.v1.device_service_pb2.SlowClock(enabled=True, rate_hz=rate)))
        with dev.spikes(layer=out_core, lossless=True) as stream:
            dev.write(inputs)
            want = [s for s in expected["spikes"] if s[1] == out_core]
            got = []
            for batch in stream:
                got.extend(batch.tolist())
                if len(got) >= len(want):
                    break
    # [t, layer, feature, x, y] against [t_us, core, feature, y, x], in order.
    assert [[t, c, f, y, x] for t, c, f, x, y in got] == want


def test_the_tutorial_script_prints_sinabs_result(daemon, tmp_path):
    """examples/tutorial/spike_count.py, as a lab user runs it."""
    import os
    import subprocess
    import sys
    from conftest import ROOT
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    plot = tmp_path / "counts.png"
    run = subprocess.run(
        [sys.executable, os.path.join(ROOT, "examples", "tutorial", "spike_count.py"),
         f"--server={daemon.address}", f"--plot={plot}"] if _has_matplotlib() else
        [sys.executable, os.path.join(ROOT, "examples", "tutorial", "spike_count.py"),
         f"--server={daemon.address}"],
        capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "total spikes: 25001\n" in run.stdout
    assert "per class: [12475, 12526]\n" in run.stdout
    assert "first window: [225, 0], last window: [0, 26]\n" in run.stdout
    if _has_matplotlib():
        assert plot.stat().st_size > 1000


def _has_matplotlib():
    try:
        import matplotlib  # noqa: F401
        return True
    except ImportError:
        return False
