"""The connection to speckd."""
import os

import grpc

from speckd._device import Device, DeviceInfo, DeviceView
from speckd import _recording
from speckd._errors import translate
from speckd._recording import RecordingInfo
from speckd.v1 import config_service_pb2_grpc, device_service_pb2, device_service_pb2_grpc
from speckd.v1 import event_service_pb2_grpc, graph_service_pb2_grpc
from speckd.v1 import recording_service_pb2, recording_service_pb2_grpc
from speckd.v1 import server_service_pb2, server_service_pb2_grpc

# Large messages both ways: speckd's streams may send up to 64 MiB per
# message; it takes requests of up to 4 MiB (writes are split to fit).
_OPTIONS = [("grpc.max_receive_message_length", 64 << 20),
            ("grpc.max_send_message_length", 64 << 20)]


class _Token(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
             grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Adds "authorization: Bearer <token>" to every call."""

    def __init__(self, token):
        self._metadata = ("authorization", f"Bearer {token}")

    def _details(self, details):
        metadata = list(details.metadata or []) + [self._metadata]
        return details._replace(metadata=metadata)

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation, details, requests):
        return continuation(self._details(details), requests)

    def intercept_stream_stream(self, continuation, details, requests):
        return continuation(self._details(details), requests)


class Client:
    """A connection to one speckd. Make it with speckd.connect()."""

    def __init__(self, address, timeout_s=10.0, token=None, tls=None):
        self.address = address
        self.timeout_s = timeout_s
        self._raw_channel = (grpc.secure_channel(address, tls, options=_OPTIONS) if tls
                             else grpc.insecure_channel(address, options=_OPTIONS))
        self._channel = (grpc.intercept_channel(self._raw_channel, _Token(token))
                         if token else self._raw_channel)
        self._devices = device_service_pb2_grpc.DeviceServiceStub(self._channel)
        self._config = config_service_pb2_grpc.ConfigServiceStub(self._channel)
        self._events = event_service_pb2_grpc.EventServiceStub(self._channel)
        self._graphs = graph_service_pb2_grpc.GraphServiceStub(self._channel)
        self._recordings = recording_service_pb2_grpc.RecordingServiceStub(self._channel)
        self._server = server_service_pb2_grpc.ServerServiceStub(self._channel)

    def _unary(self, method, request, timeout=None):
        try:
            return method(request, timeout=timeout or self.timeout_s)
        except grpc.RpcError as error:
            raise translate(error) from None

    def server_info(self):
        """What the daemon says of itself (speckd.v1.ServerInfo): .version,
        .api ("speckd.v1"), .components (library versions), .backends,
        .auth_mode and .limits (max_request_bytes, ...)."""
        return self._unary(self._server.GetServerInfo,
                           server_service_pb2.GetServerInfoRequest())

    def devices(self):
        """Every device speckd serves, as DeviceInfo."""
        r = self._unary(self._devices.ListDevices, device_service_pb2.ListDevicesRequest())
        return [DeviceInfo(d) for d in r.devices]

    def device(self, device_id=""):
        """A handle for watching a device (no lease). "" is speckd's default:
        the only usable board, else the first simulated devkit."""
        if not device_id:
            device_id = self._unary(self._devices.GetDevice,
                                    device_service_pb2.GetDeviceRequest()).id
        return DeviceView(self, device_id)

    def open_device(self, device_id="", holder=None, ttl_s=10.0):
        """Takes the device's control lease (LeaseHeldError naming the holder
        when someone has it) and returns the Device; use it in a `with`
        block, or close() it."""
        return Device(self, device_id, holder=holder, ttl_s=ttl_s)

    # --- recordings (docs/recordings.md) ---

    def start_recording(self, name=None, device_id="", streams=None, layers=None):
        """Starts a recording on the daemon (no lease needed): `streams` any
        of "inputs", "spikes", "dvs_monitor", "readout", "power", "notices"
        (default inputs, spikes, notices), `layers` the spike layers to keep.
        Returns its RecordingInfo."""
        request = _recording.start_request(device_id, name, streams, layers)
        return RecordingInfo(self._unary(self._recordings.StartRecording, request))

    def stop_recording(self, name):
        """Ends it cleanly (what its streams hold is written first)."""
        request = recording_service_pb2.StopRecordingRequest(name=name)
        return RecordingInfo(self._unary(self._recordings.StopRecording, request))

    def recordings(self):
        """Every recording the daemon has, as RecordingInfo."""
        r = self._unary(self._recordings.ListRecordings,
                        recording_service_pb2.ListRecordingsRequest())
        return [RecordingInfo(x) for x in r.recordings]

    def recording(self, name):
        return RecordingInfo(self._unary(self._recordings.GetRecording,
                                         recording_service_pb2.GetRecordingRequest(name=name)))

    def delete_recording(self, name):
        """Deletes it; returns the bytes freed."""
        r = self._unary(self._recordings.DeleteRecording,
                        recording_service_pb2.DeleteRecordingRequest(name=name))
        return r.freed_bytes

    def download_recording(self, name, path):
        """Copies the recording's file to `path`, chunk by chunk; returns the
        bytes written. Read it with speckd.RecordingFile(path)."""
        written = 0
        try:
            with open(path, "wb") as out:
                for chunk in self._recordings.ReadRecording(
                        recording_service_pb2.ReadRecordingRequest(name=name)):
                    out.write(chunk.data)
                    written += len(chunk.data)
        except grpc.RpcError as error:
            raise translate(error) from None
        return written

    def close(self):
        self._raw_channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _tls(tls_ca, tls_cert, tls_key):
    """Channel credentials for a TLS speckd (None for plain TCP)."""
    tls_ca = tls_ca or os.environ.get("SPECKD_TLS_CA")
    tls_cert = tls_cert or os.environ.get("SPECKD_TLS_CERT")
    tls_key = tls_key or os.environ.get("SPECKD_TLS_KEY")
    if not tls_ca:
        if tls_cert or tls_key:
            raise ValueError("tls_cert needs tls_ca (the CA that signed speckd's certificate)")
        return None
    if bool(tls_cert) != bool(tls_key):
        raise ValueError("tls_cert and tls_key go together")
    return grpc.ssl_channel_credentials(
        root_certificates=_read(tls_ca),
        private_key=_read(tls_key) if tls_key else None,
        certificate_chain=_read(tls_cert) if tls_cert else None)


def connect(address=None, timeout_s=10.0, wait_s=5.0, token=None, tls_ca=None, tls_cert=None,
            tls_key=None):
    """Connects to speckd at HOST:PORT (default: $SPECKD_SERVER, as for
    speckctl, else 127.0.0.1:50051) and checks that it answers (within
    `wait_s`); SpeckdError (UNAVAILABLE) saying so otherwise. `token` (default
    $SPECKD_TOKEN) is the access token of a speckd started with
    --auth_tokens; calls it does not allow raise SpeckdError with
    UNAUTHENTICATED or PERMISSION_DENIED and speckd's reason. `tls_ca`
    (default $SPECKD_TLS_CA) is the PEM file of the CA that signed a TLS
    speckd's certificate; `tls_cert` and `tls_key` (default
    $SPECKD_TLS_CERT, $SPECKD_TLS_KEY) are the client's own, for mutual
    TLS."""
    address = address or os.environ.get("SPECKD_SERVER") or "127.0.0.1:50051"
    token = token or os.environ.get("SPECKD_TOKEN") or None
    client = Client(address, timeout_s=timeout_s, token=token,
                    tls=_tls(tls_ca, tls_cert, tls_key))
    try:
        grpc.channel_ready_future(client._raw_channel).result(timeout=wait_s)
    except grpc.FutureTimeoutError:
        client.close()
        from speckd._errors import DeviceUnavailableError
        raise DeviceUnavailableError(
            grpc.StatusCode.UNAVAILABLE,
            f"cannot reach speckd at {address} — is it running? (deploy/run.sh)") from None
    return client
