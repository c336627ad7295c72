"""samna.speck2e.configuration: SpeckConfiguration and its parts, with
samna's defaults (speckd's chip defaults are samna's), accepting plain values
and nested dicts for struct fields as samna's pybind11 objects do."""


class _Struct:
    _fields = {}

    def __init__(self):
        for name, default in self._fields.items():
            object.__setattr__(self, name, default() if callable(default) else default)

    def __setattr__(self, name, value):
        if name not in self._fields:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        current = getattr(self, name)
        if isinstance(current, _Struct) and isinstance(value, dict):
            for k, v in value.items():
                setattr(current, k, v)
            return
        if isinstance(current, _Struct) and not isinstance(value, type(current)):
            raise TypeError(f"{type(self).__name__}.{name}: incompatible value {value!r}")
        object.__setattr__(self, name, value)

    def to_dict(self):
        out = {}
        for name in self._fields:
            value = getattr(self, name)
            if isinstance(value, _Struct):
                value = value.to_dict()
            elif isinstance(value, list) and value and isinstance(value[0], _Struct):
                value = [v.to_dict() for v in value]
            out[name] = value
        return out


class Vec2(_Struct):
    _fields = {"x": 0, "y": 0}


class Stride(_Struct):
    _fields = {"x": 1, "y": 1}


class Pooling(_Struct):
    _fields = {"x": 1, "y": 1}


class Size(_Struct):
    _fields = {"size": Vec2, "feature_count": 0}


class Dimensions(_Struct):
    _fields = {"input_shape": Size, "output_shape": Size, "padding": Vec2, "stride": Stride,
               "kernel_size": 1}


class CNNLayerDestination(_Struct):
    _fields = {"layer": 0, "enable": False, "pooling": 1, "feature_shift": 0}


def _destinations():
    return [CNNLayerDestination(), CNNLayerDestination()]


class CNNLayerConfig(_Struct):
    _fields = {"dimensions": Dimensions, "weights": list, "biases": list,
               "neurons_initial_value": list, "threshold_high": 0, "threshold_low": 0,
               "return_to_zero": False, "leak_enable": False,
               "leak_internal_slow_clk_enable": False, "monitor_enable": False,
               "input_congestion_balancer_enable": False, "output_decimator_enable": False,
               "output_decimator_interval": 0, "destinations": _destinations}


class Mirror(_Struct):
    _fields = {"x": False, "y": False}


class DvsLayerConfig(_Struct):
    _fields = {"destinations": _destinations, "merge": False, "on_channel": True,
               "off_channel": True, "pooling": Pooling, "origin": Vec2, "cut": lambda: _cut(),
               "mirror": Mirror, "mirror_diagonal": False, "pass_sensor_events": True,
               "monitor_enable": False, "raw_monitor_enable": False}


def _cut():
    v = Vec2()
    v.x, v.y = 127, 127
    return v


class DvsFilterConfig(_Struct):
    _fields = {"enable": False, "filter_size": Vec2, "threshold": 0,
               "hot_pixel_filter_enable": False, "low_pass_mode_enable": False,
               "internal_slow_clk": False}


class ReadoutConfig(_Struct):
    _fields = {"enable": False, "readout_configuration_sel": 0, "threshold": 0,
               "low_pass_filter_disable": False, "low_pass_filter32_not16": False,
               "output_mode_sel": 0, "monitor_enable": False,
               "readout_pin_monitor_enable": False, "override_threshold_max": False,
               "output_neuron_num": 0, "internal_slow_clk": False}


class SpeckConfiguration(_Struct):
    _fields = {"cnn_layers": lambda: [CNNLayerConfig() for _ in range(9)],
               "dvs_layer": DvsLayerConfig, "dvs_filter": DvsFilterConfig,
               "readout": ReadoutConfig}

    def to_json(self):
        import json
        return json.dumps(self.to_dict())
