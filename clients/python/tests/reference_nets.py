"""The networks of ../shared/reference (golden cases made with the real
sinabs), rebuilt in torch from each case's `snn_repr` and `float_source`."""
import glob
import json
import os
import re

ROOT = os.environ.get("SPECKD_ROOT", os.path.join(os.path.dirname(__file__), "..", "..", ".."))
# Runfiles (Bazel) or the checkout's sibling.
REFERENCE_DIRS = [os.path.join(ROOT, "..", "speck_reference"), os.path.join(ROOT, "..", "shared", "reference")]
NO_REFERENCE = ("SKIPPED: ../shared/reference (golden cases from sinabs) is not next to this checkout; "
                "the sinabs comparisons need it")


def reference_cases():
    for d in REFERENCE_DIRS:
        files = sorted(glob.glob(os.path.join(d, "*.json")))
        if files:
            return {os.path.basename(f)[:-5]: json.load(open(f)) for f in files}
    return {}


def _ints(text):
    return [int(v) for v in re.findall(r"-?\d+", text)]


def build_network(case):
    """The case's torch Sequential, with its float parameters."""
    import torch
    import torch.nn as nn
    import sinabs.layers as sl
    from sinabs.activation import MembraneReset, MembraneSubtract

    params = {f["module"]: f for f in case["float_source"]}
    modules = []
    for index, kind, args in re.findall(r"^\s*\((\d+)\): (\w+)\((.*)$", case["network"]["snn_repr"], re.M):
        p = params.get(index, {})
        if kind == "Conv2d":
            channels = _ints(args.split("kernel_size")[0])
            kernel = _ints(re.search(r"kernel_size=\(([^)]*)\)", args).group(1))
            stride = _ints(re.search(r"stride=\(([^)]*)\)", args).group(1))
            padding = re.search(r"padding=\(([^)]*)\)", args)
            m = nn.Conv2d(channels[0], channels[1], kernel_size=tuple(kernel), stride=tuple(stride),
                          padding=tuple(_ints(padding.group(1))) if padding else 0,
                          bias="bias=False" not in args)
        elif kind == "Linear":
            m = nn.Linear(_ints(args)[0], _ints(args)[1], bias="bias=False" not in args)
        elif kind == "IAFSqueeze":
            reset = MembraneReset() if p["reset"] == "reset_to_zero" else MembraneSubtract()
            m = sl.IAFSqueeze(batch_size=1, spike_threshold=p["spike_threshold"],
                              min_v_mem=p["min_v_mem"], reset_fn=reset)
        elif kind == "SumPool2d":
            m = sl.SumPool2d(kernel_size=_ints(args.split("kernel_size=")[1])[0])
        elif kind == "Flatten":
            m = nn.Flatten()
        else:
            raise ValueError(f"reference network: no builder for {kind}")
        if "weight" in p:
            m.weight.data = torch.tensor(p["weight"], dtype=torch.float32)
        if p.get("bias") is not None:
            m.bias.data = torch.tensor(p["bias"], dtype=torch.float32)
        modules.append(m)
    return nn.Sequential(*modules)
