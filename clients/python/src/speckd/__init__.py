"""speckd for Python: the Speck2e devkits a speckd daemon serves, from
scripts and notebooks.

    import speckd
    client = speckd.connect("127.0.0.1:50051")
    print(client.devices())
    with client.open_device() as dev:                  # takes the lease
        dev.apply_configuration("examples/tutorial/config.json")
        with dev.spike_counts(interval_ms=50, feature_count=2) as counts:
            dev.write(events)                          # a speckd.DVS_EVENT array
            ...

docs/python.md has the whole API with an example per call.
"""
from speckd._client import Client, connect
from speckd._device import (Configuration, Device, DeviceInfo, DeviceView, Problem,
                            StopWatch, WriteResult)
from speckd._errors import (ConfigurationError, DeviceUnavailableError, LeaseHeldError,
                            SpeckdError)
from speckd._events import (DVS_EVENT, MEASUREMENT, SPIKE, DvsEvent, Spike, dvs_events,
                            spikes)
from speckd._graph import Graph, Node
from speckd._recording import DamagedRecordingError, RecordingFile, RecordingInfo
from speckd._streams import ActivityFrame, Gap, SpikeCollection, SpikeWindow, Stream
from speckd import nir, sinabs, v1  # noqa: E402  (they import torch, sinabs, nir when used)

__version__ = "0.1.0"

__all__ = [
    "ActivityFrame", "Client", "Graph", "Node", "SpikeCollection", "Configuration", "ConfigurationError", "DVS_EVENT", "Device",
    "DeviceInfo", "DeviceUnavailableError", "DeviceView", "DvsEvent", "Gap", "LeaseHeldError",
    "MEASUREMENT", "Problem", "SPIKE", "Spike", "SpeckdError", "SpikeWindow", "StopWatch",
    "Stream", "WriteResult", "connect", "dvs_events", "spikes",
    "DamagedRecordingError", "RecordingFile", "RecordingInfo",
]
