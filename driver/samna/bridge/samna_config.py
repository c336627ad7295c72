"""speckd's configuration JSON onto a samna SpeckConfiguration, field by field.

samna's own JSON schema is not public, so the bridge does what sinabs does
(sinabs/backend/dynapcnn/chips/dynapcnn.py): start from samna's default
object and assign attributes by samna's names, with nested dicts for struct
fields and nested lists for the arrays. speckd keeps weights flat in samna's
[f][c][x][y] order and initial states flat in [f][x][y]; they are reshaped
here. Fields speckd adds that samna's object does not have (the slow clock,
which is the IO module's, and the chip model's quirks) are not assigned.
"""

# speckd fields that are not SpeckConfiguration attributes.
NOT_SAMNA = ("slow_clock", "quirks")
# Per-core arrays kept flat by speckd, reshaped below.
ARRAYS = ("weights", "biases", "neurons_initial_value")


def nest(flat, shape):
    """The flat list as nested lists of `shape`, last index fastest."""
    if len(shape) == 1:
        return list(flat)
    step = len(flat) // shape[0] if shape[0] else 0
    return [nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def assign_destinations(target, destinations, where):
    for i, d in enumerate(destinations):
        if i >= len(target):
            raise ValueError(f"{where}.destinations[{i}]: samna has {len(target)} destinations")
        for key, value in d.items():
            setattr(target[i], key, value)


def assign_core(layer, core, where):
    for key, value in core.items():
        if key == "destinations":
            assign_destinations(layer.destinations, value, where)
        elif key not in ARRAYS:
            setattr(layer, key, value)
    dims = core.get("dimensions", {})
    f = dims.get("output_shape", {}).get("feature_count", 0)
    c = dims.get("input_shape", {}).get("feature_count", 0)
    k = dims.get("kernel_size", 0)
    size = dims.get("output_shape", {}).get("size", {})
    weights = core.get("weights", [])
    if weights:
        layer.weights = nest(weights, (f, c, k, k))
    if core.get("biases"):
        layer.biases = list(core["biases"])
    initial = core.get("neurons_initial_value", [])
    if initial:
        layer.neurons_initial_value = nest(initial, (f, size.get("x", 0), size.get("y", 0)))


def assign_dvs_layer(dvs, layer):
    for key, value in layer.items():
        if key == "destinations":
            assign_destinations(dvs.destinations, value, "dvs_layer")
        else:
            setattr(dvs, key, value)


def to_samna(configuration_class, config):
    """A new samna configuration holding speckd's `config` (a dict)."""
    out = configuration_class()
    for i, core in enumerate(config.get("cnn_layers", [])):
        assign_core(out.cnn_layers[i], core, f"cnn_layers[{i}]")
    for key, value in config.items():
        if key == "cnn_layers" or key in NOT_SAMNA:
            continue
        if key == "dvs_layer":
            assign_dvs_layer(out.dvs_layer, value)
            continue
        section = getattr(out, key)
        for field, v in value.items():
            setattr(section, field, v)
    return out


def slow_clock(config):
    """(enable, rate_hz) the configuration asks of the IO module, or None."""
    clock = config.get("slow_clock")
    if not clock:
        return None
    return bool(clock.get("enable", False)), float(clock.get("rate_hz", 0.0))
