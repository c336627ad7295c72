"""Devices: a viewer's handle (streams, state, validation) and the leased
handle that changes the device (configuration, writes, stop watch)."""
import json
import os
import socket
import sys
import threading

import grpc
from google.protobuf import json_format

from speckd import _events
from speckd._errors import ConfigurationError, SpeckdError, translate
from speckd._streams import Stream
from speckd.v1 import config_pb2, config_service_pb2, device_service_pb2
from speckd.v1 import event_service_pb2, events_pb2


class DeviceInfo:
    """What ListDevices says about a device (`raw` is the speckd.v1.Device)."""

    def __init__(self, raw):
        self.raw = raw
        self.id = raw.id
        self.type_name = raw.type_name
        self.backend = device_service_pb2.Backend.Name(raw.backend).lower()
        self.state = device_service_pb2.DeviceState.Name(raw.state).lower()
        self.state_detail = raw.state_detail
        self.problem = device_service_pb2.DeviceProblem.Name(raw.problem).lower()
        self.bus = raw.usb_bus_number
        self.address = raw.usb_device_address
        self.port_path = raw.usb_port_path
        self.speed = raw.usb_speed
        self.serial_number = raw.serial_number
        self.lease_holder = raw.lease.holder
        self.events_in = raw.events_in
        self.events_out = raw.events_out

    def __repr__(self):
        where = f", usb {self.bus}-{self.port_path}" if self.backend == "usb" else ""
        return f"<DeviceInfo {self.id} {self.type_name} ({self.backend}{where}): {self.state}>"


class Problem:
    """A configuration problem: severity ("error", "warning",
    "not_modelled"), samna field path, message."""

    __slots__ = ("severity", "path", "message")

    def __init__(self, raw):
        self.severity = config_pb2.ConfigProblem.Severity.Name(raw.severity).lower()
        self.path = raw.field_path
        self.message = raw.message

    def __str__(self):
        return f"{self.path}: {self.message}" if self.path else self.message

    def __repr__(self):
        return f"<Problem {self.severity} {self}>"


class WriteResult:
    __slots__ = ("accepted", "last_timestamp_us", "dvs_events_outside_region")

    def __init__(self, raw):
        self.accepted = raw.accepted
        self.last_timestamp_us = raw.last_timestamp_us
        self.dvs_events_outside_region = raw.dvs_events_outside_region

    def __repr__(self):
        return f"<WriteResult accepted={self.accepted} last_timestamp_us={self.last_timestamp_us}>"


class Configuration(dict):
    """A speckd configuration: samna's field names, as in a configuration
    file (docs/formats.md). A plain dict works too."""

    @classmethod
    def from_file(cls, path):
        with open(path) as f:
            return cls(json.load(f))

    def to_json(self):
        return json.dumps(self)


def _configuration_json(cfg):
    """(JSON text, where it came from) for a dict, a Configuration, or a
    path to a JSON file."""
    if isinstance(cfg, (str, os.PathLike)):
        path = os.fspath(cfg)
        with open(path) as f:
            return f.read(), path
    if isinstance(cfg, dict):
        return json.dumps(cfg), ""
    raise TypeError("configuration: a dict, a speckd.Configuration or a path to a JSON file")


def _holder():
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python"
    return f"python {script} (pid {os.getpid()} on {socket.gethostname()})"


class DeviceView:
    """A device as any client may see it: state, configuration, validation
    and streams. No lease needed."""

    def __init__(self, client, device_id):
        self._client = client
        self.id = device_id

    def _call(self, method, request, **kwargs):
        return self._client._unary(method, request, **kwargs)

    def info(self):
        return DeviceInfo(self._call(self._client._devices.GetDevice,
                                     device_service_pb2.GetDeviceRequest(device_id=self.id)))

    def get_configuration(self):
        """The applied configuration as a dict with samna's field names (None
        before one is applied)."""
        r = self._call(self._client._config.GetConfiguration,
                       config_service_pb2.GetConfigurationRequest(device_id=self.id))
        if not r.applied:
            return None
        return Configuration(json_format.MessageToDict(r.configuration,
                                                       preserving_proto_field_name=True))

    def validate_configuration(self, cfg):
        """Every problem speckd finds, with its field path (empty: valid)."""
        text, _ = _configuration_json(cfg)
        r = self._call(self._client._config.ValidateConfiguration,
                       config_service_pb2.ValidateConfigurationRequest(
                           device_id=self.id, configuration_json=text))
        return [Problem(p) for p in r.problems]

    def wait_idle(self, timeout_s=30.0):
        """Returns once everything written so far has played and its outputs
        reached the subscribers."""
        return DeviceInfo(self._call(
            self._client._devices.WaitIdle,
            device_service_pb2.WaitIdleRequest(device_id=self.id,
                                               timeout_ms=int(timeout_s * 1000)),
            timeout=timeout_s + 5))

    # --- streams ---------------------------------------------------------

    def _options(self, lossless, max_queued_messages=0, raw_columns=False):
        policy = events_pb2.LOSSLESS if lossless else events_pb2.DROP_OLDEST
        return events_pb2.SubscriptionOptions(overflow_policy=policy,
                                              max_queued_messages=max_queued_messages,
                                              lease_id=getattr(self, "lease_id", ""),
                                              raw_columns=raw_columns)

    def spikes(self, layer=None, features=None, lossless=False, include_dvs=False,
               max_queued_messages=0, raw_columns=True):
        """Output spikes as SPIKE arrays (t, layer, feature, x, y), one per
        message. `layer`: a core (or 13, the DVS layer) or a list; None: all.
        `lossless` (needs the lease) slows writers rather than drop;
        `max_queued_messages` caps this subscriber's queue (0: speckd's 256).
        `raw_columns` (the default) has speckd send raw arrays numpy maps
        directly (several times faster than packed protobuf fields)."""
        layers = [] if layer is None else ([layer] if isinstance(layer, int) else list(layer))
        types = [events_pb2.SPIKE] + ([events_pb2.DVS_EVENT] if include_dvs else [])
        request = event_service_pb2.SubscribeEventsRequest(
            device_id=self.id,
            filter=event_service_pb2.EventFilter(types=types, layers=layers,
                                                 features=list(features or [])),
            options=self._options(lossless, max_queued_messages, raw_columns))
        return Stream("spikes", lambda: self._client._events.SubscribeEvents(request))

    def spike_counts(self, interval_ms=50, feature_count=2, layer=None, lossless=False):
        """SpikeWindow per window (start_us, end_us, counts per feature),
        empty windows included, in order."""
        layers = [] if layer is None else [layer]
        request = event_service_pb2.SubscribeSpikeCountsRequest(
            device_id=self.id, interval_ms=interval_ms, feature_count=feature_count,
            layers=layers, options=self._options(lossless))
        return Stream("spike_counts", lambda: self._client._events.SubscribeSpikeCounts(request),
                      feature_count=feature_count)

    def activity(self, layer=13, frame_interval_ms=50):
        """ActivityFrame per window: spikes per neuron of `layer` (13: DVS)."""
        request = event_service_pb2.SubscribeActivityRequest(
            device_id=self.id, layer=layer, frame_interval_ms=frame_interval_ms)
        return Stream("activity", lambda: self._client._events.SubscribeActivity(request))

    def readout(self):
        """Readout values, pin values and majority readouts, as they come."""
        request = event_service_pb2.SubscribeReadoutRequest(device_id=self.id)
        return Stream("readout", lambda: self._client._events.SubscribeReadout(request))

    def power(self):
        """MEASUREMENT arrays (t, channel, value in W) from the power monitor
        (its rate is set by the lease holder: Device.set_power_monitor)."""
        request = event_service_pb2.SubscribePowerRequest(device_id=self.id)
        return Stream("power", lambda: self._client._events.SubscribePower(request))

    def __repr__(self):
        return f"<speckd device {self.id}>"


class StopWatch:
    """The device's stop watch: input timestamps are released when it reaches
    them; outputs are stamped with it."""

    def __init__(self, device):
        self._device = device

    def _set(self, enable=None, reset=False):
        request = device_service_pb2.SetStopWatchRequest(
            device_id=self._device.id, lease_id=self._device.lease_id, reset=reset)
        if enable is not None:
            request.enable = enable
        return self._device._call(self._device._client._devices.SetStopWatch, request)

    def reset(self):
        """Restarts at 0 (a new epoch); inputs queued for the old one are dropped."""
        return self._set(reset=True)

    def enable(self):
        return self._set(enable=True)

    def disable(self):
        return self._set(enable=False)

    @property
    def state(self):
        return self._device.info().raw.stop_watch


class Device(DeviceView):
    """A device this client controls: it holds the device's control lease
    (renewed in the background; released by close() or leaving `with`)."""

    def __init__(self, client, device_id, holder=None, ttl_s=10.0):
        super().__init__(client, device_id)
        lease = self._call(client._devices.AcquireLease,
                           device_service_pb2.AcquireLeaseRequest(
                               device_id=device_id, holder=holder or _holder(),
                               ttl_ms=int(ttl_s * 1000)))
        self.id = lease.device_id
        self.lease_id = lease.lease_id
        self.holder = lease.holder
        self.stop_watch = StopWatch(self)
        self.lease_error = None
        self._stop = threading.Event()
        self._renewer = threading.Thread(target=self._renew, args=(ttl_s / 3,),
                                         name=f"speckd lease {self.id}", daemon=True)
        self._renewer.start()

    def _renew(self, every_s):
        request = device_service_pb2.RenewLeaseRequest(device_id=self.id, lease_id=self.lease_id)
        while not self._stop.wait(every_s):
            try:
                self._client._devices.RenewLease(request, timeout=every_s)
            except grpc.RpcError as error:
                # Kept for the next call to report; a lost lease fails it.
                self.lease_error = translate(error)

    def apply_configuration(self, cfg):
        """Validates and applies (ConfigurationError listing every problem with
        its field path, prefixed with the file when `cfg` is one); returns the
        warnings and not-modelled notes."""
        text, source = _configuration_json(cfg)
        try:
            r = self._client._config.ApplyConfiguration(
                config_service_pb2.ApplyConfigurationRequest(
                    device_id=self.id, lease_id=self.lease_id, configuration_json=text),
                timeout=self._client.timeout_s)
        except grpc.RpcError as error:
            raise translate(error, source=source, configuration=True) from None
        return [Problem(p) for p in r.problems]

    def write(self, events, flush=True, raw_columns=True):
        """Writes DVS events or spikes (a DVS_EVENT/SPIKE numpy array, or a
        list of speckd.DvsEvent/speckd.Spike) in time order; returns once
        speckd accepted them (wait_idle() waits for them to play)."""
        # Checked here: an error inside the request iterator reaches the
        # caller only as gRPC's "Exception iterating requests".
        array = _events.as_array(events)
        if raw_columns:
            _events.check_ranges(array)

        encode = _events.columns if raw_columns else _events.batches

        def requests():
            first = True
            for dvs, spk in encode(array):
                r = event_service_pb2.WriteEventsRequest(
                    device_id=self.id if first else "", lease_id=self.lease_id if first else "")
                if raw_columns:
                    if dvs is not None:
                        r.dvs_columns.CopyFrom(dvs)
                    if spk is not None:
                        r.spike_columns.CopyFrom(spk)
                else:
                    if dvs is not None:
                        r.dvs_events.CopyFrom(dvs)
                    if spk is not None:
                        r.spikes.CopyFrom(spk)
                first = False
                yield r
            if first:  # nothing to write: still a valid (empty) call
                yield event_service_pb2.WriteEventsRequest(device_id=self.id,
                                                           lease_id=self.lease_id, flush=flush)
        try:
            return WriteResult(self._client._events.WriteEvents(requests()))
        except grpc.RpcError as error:
            raise translate(error) from None

    def graph(self, name=""):
        """A new event-routing graph on this device (speckd._graph.Graph)."""
        from speckd._graph import Graph
        return Graph(self, name)

    def replay(self, name, pacing=None, reset_stop_watch=True, timeout_s=None):
        """Writes recording `name`'s inputs into this device, timestamps
        unchanged (after resetting the stop watch unless told not to);
        returns once the device has accepted them all (wait_idle() waits for
        them to play) with how many it wrote. `pacing`: None keeps the
        device's, or "real_time" / "as_fast_as_possible"."""
        from speckd.v1 import recording_service_pb2
        request = recording_service_pb2.ReplayRecordingRequest(
            name=name, device_id=self.id, lease_id=self.lease_id,
            keep_stop_watch=not reset_stop_watch)
        if pacing is not None:
            request.pacing = {"real_time": device_service_pb2.REAL_TIME,
                              "as_fast_as_possible": device_service_pb2.AS_FAST_AS_POSSIBLE}[pacing]
        r = self._call(self._client._recordings.ReplayRecording, request,
                       timeout=timeout_s or 24 * 3600)
        return r.events_written

    def cancel_inputs(self):
        """Drops every input not yet played; returns how many."""
        r = self._call(self._client._devices.CancelInputs,
                       device_service_pb2.CancelInputsRequest(device_id=self.id,
                                                              lease_id=self.lease_id))
        return r.dropped_inputs

    def set_pacing(self, pacing):
        """"real_time" (inputs wait for their timestamps, like a devkit) or
        "as_fast_as_possible" (simulated devkits)."""
        value = {"real_time": device_service_pb2.REAL_TIME,
                 "as_fast_as_possible": device_service_pb2.AS_FAST_AS_POSSIBLE}.get(pacing)
        if value is None:
            raise ValueError("pacing: 'real_time' or 'as_fast_as_possible'")
        self._call(self._client._devices.SetPacing,
                   device_service_pb2.SetPacingRequest(device_id=self.id,
                                                       lease_id=self.lease_id, pacing=value))

    def set_power_monitor(self, rate_hz):
        """Samples per second (1..100); 0 turns it off."""
        return self._call(self._client._devices.SetPowerMonitor,
                          device_service_pb2.SetPowerMonitorRequest(
                              device_id=self.id, lease_id=self.lease_id, rate_hz=rate_hz)).rate_hz

    def power(self, rate_hz=None):
        """As DeviceView.power; with `rate_hz`, sets the monitor's rate first."""
        if rate_hz is not None:
            self.set_power_monitor(rate_hz)
        return super().power()

    def close(self):
        """Stops renewing and releases the lease (idempotent)."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._renewer.join()
        try:
            self._client._devices.ReleaseLease(
                device_service_pb2.ReleaseLeaseRequest(device_id=self.id, lease_id=self.lease_id),
                timeout=self._client.timeout_s)
        except grpc.RpcError:
            pass  # expired or the daemon is gone: nothing left to release

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self):
        return f"<speckd device {self.id}, leased as {self.holder!r}>"
