"""speckd.nir: each sinabs golden case written to a NIR file (sinabs.to_nir),
read back through speckd.nir, gives the configuration sinabs gives directly
(NIR's IF has no lower bound and resets by subtraction, so threshold_low
becomes -threshold_high and return_to_zero false: the mixed_sign_bias case
shows both), and
the tutorial through NIR gives its 25001 spikes on speckd. Nodes the chip
cannot run are refused by name.

Needs torch, sinabs and nir (installed, or ../shared/third_party/python)."""
import numpy as np
import pytest

import speckd
from conftest import example
from reference_nets import NO_REFERENCE, build_network, reference_cases

torch = pytest.importorskip("torch", reason="SKIPPED: torch is not installed (apt-get install python3-torch)")
CASES = reference_cases()
pytestmark = pytest.mark.skipif(not CASES, reason=NO_REFERENCE)


def nir_module():
    speckd.sinabs.import_sinabs()
    import nir
    # ../shared's copy is not pip-installed, so it has no version to write.
    if not hasattr(nir, "version"):
        nir.version = "1.0.4"
    return nir


def write_nir(case, path):
    """The case's network as a NIR file, as sinabs.to_nir writes it, with the
    input shapes NIR's Conv2d and Flatten want (to_nir leaves them unset)."""
    nir = nir_module()
    import sinabs
    shape = tuple(case["network"]["input_shape"])
    graph = sinabs.to_nir(build_network(case), torch.zeros((1,) + shape))
    layers = iter(case["layers"])
    for name in sorted((n for n in graph.nodes if n.isdigit()), key=int):
        node = graph.nodes[name]
        kind = type(node).__name__
        if kind == "Conv2d":
            node.input_shape = np.array(next(layers)["input_shape"][1:])
        elif kind == "Affine":
            next(layers)
        elif kind == "Flatten":
            node.input_type = {"input": np.array(case["layers"][-1]["input_shape"])}
    nir.write(str(path), graph)
    return shape


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_nir_file_gives_sinabs_configuration(name, tmp_path):
    case = CASES[name]
    path = tmp_path / f"{name}.nir"
    shape = write_nir(case, path)
    from test_sinabs import dynapcnn
    direct = speckd.sinabs.make_configuration(dynapcnn(case))
    via_nir = speckd.nir.make_configuration(path, input_shape=shape)
    assert len(via_nir["cnn_layers"]) == len(direct["cnn_layers"])
    for core, (a, b) in enumerate(zip(via_nir["cnn_layers"], direct["cnn_layers"])):
        # What NIR's IF cannot say, sinabs.from_nir fills in: no lower bound
        # (min_v_mem = -threshold) and reset by subtraction.
        if "threshold_low" in a:
            assert a.pop("threshold_low") == -a["threshold_high"], f"core {core}"
            b.pop("threshold_low")
        if "return_to_zero" in a:
            assert a.pop("return_to_zero") is False, f"core {core}"
            b.pop("return_to_zero")
        assert a == b, f"core {core}"
    assert via_nir["dvs_layer"] == direct["dvs_layer"]


def test_the_tutorial_through_nir_runs_on_speckd(client, tmp_path, tutorial_events):
    path = tmp_path / "tutorial.nir"
    shape = write_nir(CASES["tutorial_spike_count"], path)
    cfg = speckd.nir.make_configuration(path, input_shape=shape,
                                        dvs=speckd.sinabs.dvs_input(to_core=0, size=(16, 16)))
    with client.open_device() as dev:
        dev.apply_configuration(cfg)
        with dev.spike_counts(interval_ms=50, feature_count=2, lossless=True) as counts:
            dev.write(tutorial_events)
            total = [0, 0]
            for w in counts:
                total = [a + b for a, b in zip(total, w.counts)]
                if sum(total) >= 25001:
                    break
    assert total == [12475, 12526]


def test_nodes_the_chip_cannot_run_are_named():
    nir = nir_module()
    graph = nir.NIRGraph(
        nodes={"input": nir.Input(input_type=np.array([4])),
               "fc": nir.Affine(weight=np.ones((2, 4)), bias=np.zeros(2)),
               "lif": nir.LIF(tau=np.ones(2), r=np.ones(2), v_leak=np.zeros(2),
                              v_threshold=np.ones(2)),
               "output": nir.Output(output_type=np.array([2]))},
        edges=[("input", "fc"), ("fc", "lif"), ("lif", "output")])
    with pytest.raises(speckd.nir.UnsupportedGraphError) as refused:
        speckd.nir.make_configuration(graph, input_shape=(4, 1, 1))
    assert refused.value.problems == [
        "NIR node 'lif' (LIF): the chip's neurons integrate and fire (IF) without a time constant"]
    graph.nodes["lif"] = nir.IF(r=np.ones(2), v_threshold=np.array([1.0, 2.0]))
    with pytest.raises(speckd.nir.UnsupportedGraphError, match="v_threshold differs across neurons"):
        speckd.nir.make_configuration(graph, input_shape=(4, 1, 1))
