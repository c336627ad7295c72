"""speckd.nir: speckd configurations from NIR graphs (the Neuromorphic
Intermediate Representation that sinabs, snnTorch, Norse, Lava, Rockpool
and others read and write).

    cfg = speckd.nir.make_configuration("model.nir", input_shape=(1, 16, 16))

A graph goes through sinabs (`sinabs.from_nir`, then `DynapcnnNetwork`, as a
sinabs user would) and then speckd.sinabs.make_configuration, so the
configuration is what sinabs would upload. Nodes the chip cannot run are
refused up front, each named with the reason.
"""
import os

# What the Speck2e's cores can do, by NIR node type (sinabs maps these).
_CHIP_NODES = {"Input", "Output", "Conv2d", "Affine", "IF", "SumPool2d", "Flatten"}
_WHY_NOT = {
    "LIF": "the chip's neurons integrate and fire (IF) without a time constant",
    "CubaLIF": "the chip's neurons integrate and fire (IF) without synaptic currents",
    "LI": "the chip has no leaky integrators",
    "I": "the chip has no pure integrators",
    "Integrator": "the chip has no pure integrators",
    "Linear": "sinabs reads Affine (a Linear with a zero bias works)",
    "Conv1d": "the chip's cores are 2-D convolutions",
    "AvgPool2d": "the chip pools by summing (SumPool2d)",
    "Delay": "the chip has no synaptic delays",
    "Scale": "the chip has no scaling nodes (fold the scale into the weights)",
    "Threshold": "the chip's thresholds belong to its IF neurons",
}


class UnsupportedGraphError(ValueError):
    """A NIR graph the chip cannot run; `problems` names each node."""

    def __init__(self, problems):
        super().__init__("\n".join(problems))
        self.problems = problems


def _uniform(values, what, name):
    import numpy as np

    array = np.asarray(values, dtype=float).reshape(-1)
    if array.size and not np.all(array == array[0]):
        raise UnsupportedGraphError([
            f"NIR node '{name}' (IF): {what} differs across neurons "
            f"({array.min():g}..{array.max():g}); the chip has one per core"])
    return float(array[0]) if array.size else 0.0


def check(graph):
    """Raises UnsupportedGraphError naming every node the chip cannot run."""
    problems = []
    for name, node in sorted(graph.nodes.items()):
        kind = type(node).__name__
        if kind == "NIRGraph":
            problems.append(f"NIR node '{name}': nested graphs are not supported (flatten the graph)")
        elif kind not in _CHIP_NODES:
            why = _WHY_NOT.get(kind, "speckd does not know how to put it on the chip")
            problems.append(f"NIR node '{name}' ({kind}): {why}")
    if problems:
        raise UnsupportedGraphError(problems)


def _scalar_neurons(graph):
    """IF parameters per neuron (what writers store) become the per-core
    scalars the chip has, when they are uniform."""
    import torch

    for name, node in graph.nodes.items():
        if type(node).__name__ == "IF":
            node.v_threshold = torch.tensor(_uniform(node.v_threshold, "v_threshold", name))
            node.r = torch.tensor(_uniform(node.r, "r", name))


def load_network(source, input_shape, dvs_input=False):
    """A sinabs DynapcnnNetwork from a NIR file (path) or nir.NIRGraph."""
    import speckd.sinabs

    dynapcnn = speckd.sinabs.import_sinabs()
    import nir
    import sinabs

    graph = nir.read(os.fspath(source)) if isinstance(source, (str, os.PathLike)) else source
    check(graph)
    _scalar_neurons(graph)
    model = sinabs.from_nir(graph, batch_size=1)
    return dynapcnn.DynapcnnNetwork(model, input_shape=tuple(input_shape), dvs_input=dvs_input,
                                    discretize=True)


def make_configuration(source, input_shape, dvs_input=False, **kwargs):
    """As speckd.sinabs.make_configuration, from a NIR graph; `kwargs` go
    there (device, monitor_layers, layer2core_map, dvs)."""
    import speckd.sinabs

    return speckd.sinabs.make_configuration(load_network(source, input_shape, dvs_input), **kwargs)
