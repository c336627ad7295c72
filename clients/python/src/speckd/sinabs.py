"""speckd.sinabs: speckd configurations from sinabs networks, without samna.

sinabs (SynSense's PyTorch library) maps a spiking CNN to the Speck2e's
cores with `DynapcnnNetwork`, and writes it into a samna SpeckConfiguration
(`make_config`), which needs samna. This module runs sinabs' own builder
with a configuration object that records what sinabs sets, so the result
holds exactly the fields (and values) sinabs would upload, in samna's names,
which are speckd's. No re-implementation of sinabs' mapping.

    import sinabs.layers as sl
    from sinabs.backend.dynapcnn import DynapcnnNetwork
    net = DynapcnnNetwork(snn, input_shape=(1, 16, 16), discretize=True)
    cfg = speckd.sinabs.make_configuration(net, dvs=speckd.sinabs.dvs_input(to_core=0, size=(16, 16)))
    dev.apply_configuration(cfg)

sinabs' backend imports samna (and samnagui) at import time. When samna is
not installed, `import_sinabs()` imports sinabs with a placeholder in its
place, only for that import: its classes fail loudly if sinabs ever calls
into samna, and `import samna` still fails for everyone else. A real samna,
when installed, is always used.
"""
import contextlib
import importlib
import importlib.abc
import importlib.machinery
import sys
import types

import numpy as np

_PLACEHOLDERS = ("samna", "samnagui")


class _Missing(types.ModuleType):
    """Stands in for samna: any attribute is another placeholder; calling
    one fails, naming what sinabs wanted."""

    __path__ = []  # a package, so "from samna.x import y" resolves

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        sub = _Missing(f"{self.__name__}.{name}")
        object.__setattr__(self, name, sub)
        return sub

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            f"{self.__name__}(): samna is not installed. speckd.sinabs builds "
            "configurations without it; talking to a board needs speckd "
            "(or samna itself)")

    def __mro_entries__(self, bases):  # subclassed by sinabs' own classes
        return (object,)


class _PlaceholderFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in _PLACEHOLDERS:
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        return _Missing(spec.name)

    def exec_module(self, module):
        pass


@contextlib.contextmanager
def _samna_placeholder():
    finder = _PlaceholderFinder()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in list(sys.modules):
            if name.split(".")[0] in _PLACEHOLDERS and isinstance(sys.modules[name], _Missing):
                del sys.modules[name]


def import_sinabs():
    """sinabs.backend.dynapcnn, importable with or without samna."""
    try:
        import samna  # noqa: F401  (a real samna wins)
        return importlib.import_module("sinabs.backend.dynapcnn")
    except ImportError:
        pass
    with _samna_placeholder():
        dynapcnn = importlib.import_module("sinabs.backend.dynapcnn")
        importlib.import_module("sinabs.backend.dynapcnn.chips.speck2e")
        importlib.import_module("sinabs.backend.dynapcnn.chips.speck2f")
    return dynapcnn


class _Recorder:
    """A samna configuration object that keeps what is set on it, in order;
    reading an unset field gives samna's default."""

    def __init__(self, **defaults):
        object.__setattr__(self, "_written", {})
        object.__setattr__(self, "_defaults", defaults)

    def __setattr__(self, name, value):
        self._written[name] = value

    def __getattr__(self, name):
        written = object.__getattribute__(self, "_written")
        if name in written:
            return written[name]
        defaults = object.__getattribute__(self, "_defaults")
        if name in defaults:
            return defaults[name]
        raise AttributeError(f"sinabs read {name}, which speckd.sinabs does not model")


def _default_config():
    """What sinabs gets from SpeckConfiguration(): 9 cores with 2
    destinations each, and the DVS layer."""
    return _Recorder(
        cnn_layers=[_Recorder(destinations=[_Recorder(pooling=1) for _ in range(2)],
                              monitor_enable=False) for _ in range(9)],
        dvs_layer=_Recorder(pooling=types.SimpleNamespace(x=1, y=1),
                            destinations=[_Recorder(pooling=1) for _ in range(2)],
                            monitor_enable=False))


def _plain(value):
    """Recorded values as JSON-ready Python (tensors and numpy to lists)."""
    if isinstance(value, _Recorder):
        return {k: _plain(v) for k, v in object.__getattribute__(value, "_written").items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, types.SimpleNamespace):
        return {k: _plain(v) for k, v in vars(value).items()}
    return value


def sinabs_fields(network, device="speck2edevkit", monitor_layers=None, layer2core_map="auto"):
    """What sinabs writes into a samna configuration for `network` (a
    DynapcnnNetwork): ({core: fields}, dvs_layer fields), nested as samna
    takes them (weights [f][c][x][y])."""
    import_sinabs()
    factory = importlib.import_module("sinabs.backend.dynapcnn.chip_factory")
    builder = factory.ChipFactory(device).get_config_builder()
    if not isinstance(builder, type):
        builder = type(builder)
    config = _default_config()
    saved = {name: builder.__dict__.get(name) for name in ("get_default_config",
                                                             "validate_configuration")}
    builder.get_default_config = classmethod(lambda cls: config)
    builder.validate_configuration = classmethod(lambda cls, c: True)
    try:
        _, valid = network._make_config(layer2core_map=layer2core_map, device=device,
                                        monitor_layers=monitor_layers)
    finally:
        for name, value in saved.items():
            if value is None:
                delattr(builder, name)
            else:
                setattr(builder, name, value)
    if not valid:
        raise ValueError(f"sinabs says the network does not fit {device}")
    cores = {}
    for index, core in enumerate(config.cnn_layers):
        fields = _plain(core)
        destinations = fields.pop("destinations", None)
        written = [_plain(d) for d in core.destinations]
        if any(written):
            fields["destinations"] = written
        if fields or destinations:
            cores[index] = fields
    return cores, _plain(config.dvs_layer)


def _flat(value):
    return np.asarray(value).reshape(-1).tolist()


def dvs_input(to_core=0, size=None, merge_polarities=True, monitor=True, origin=(0, 0)):
    """The DVS layer's settings for sending sensor (or written DVS) events
    into core `to_core`, as sinabs' spike-count tutorial does: polarities
    merged into one channel, region `size` (x, y) from `origin`."""
    fields = {"destinations": [{"layer": to_core, "enable": True}],
              "merge": merge_polarities, "monitor_enable": monitor}
    if size is not None:
        fields["origin"] = {"x": origin[0], "y": origin[1]}
        fields["cut"] = {"x": origin[0] + size[0] - 1, "y": origin[1] + size[1] - 1}
    return fields


def make_configuration(network, device="speck2edevkit", monitor_layers=None,
                       layer2core_map="auto", dvs=None):
    """A speckd configuration (a dict in samna's names, flat arrays as in
    configuration files) with exactly the fields sinabs would write for
    `network` on `device`, plus `dvs` (e.g. dvs_input(...)) merged into the
    DVS layer. `monitor_layers` as sinabs' (None: the exit layers)."""
    from speckd._device import Configuration

    cores, dvs_layer = sinabs_fields(network, device, monitor_layers, layer2core_map)
    cnn_layers = [{} for _ in range(max(cores) + 1 if cores else 0)]
    for index, fields in cores.items():
        layer = dict(fields)
        for name in ("weights", "neurons_initial_value", "biases"):
            if name in layer:
                layer[name] = _flat(layer[name])
        cnn_layers[index] = layer
    dvs_layer = dict(dvs_layer)
    dvs_layer.update(dvs or {})
    return Configuration({"cnn_layers": cnn_layers, "dvs_layer": dvs_layer})
