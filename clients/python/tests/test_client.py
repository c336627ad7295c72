"""The speckd package against a real daemon."""
import json
import os
import threading

import grpc
import numpy as np
import pytest

import speckd
from conftest import example
from speckd.v1 import device_service_pb2, events_pb2

DEVICE = "speck2edevkit-sim:0"


def test_devices_lists_the_simulated_devkit(client):
    (info,) = client.devices()
    assert (info.id, info.type_name, info.backend, info.state) == (
        DEVICE, "Speck2eDevKit", "sim", "ready")
    assert (info.bus, info.address) == (0, 0)
    assert client.device().id == DEVICE


def test_server_info_names_the_api_and_limits(client):
    info = client.server_info()
    assert info.api == "speckd.v1"
    assert info.version
    assert "grpc" in info.components
    assert "SIMULATED" in info.backends
    assert info.limits.max_request_bytes == 4 << 20


def test_tutorial_gives_sinabs_result(client, tutorial_events):
    with client.open_device(DEVICE) as dev:
        assert dev.apply_configuration(example("config.json")) == []
        with dev.spike_counts(interval_ms=50, feature_count=2, lossless=True) as counts, \
                dev.spikes(layer=0, lossless=True) as spikes:
            result = dev.write(tutorial_events)
            assert (result.accepted, result.last_timestamp_us) == (25001, 5005000)
            windows = []
            for w in counts:
                windows.append(w)
                if w.start_us >= 5000000:
                    break
            got = []
            for batch in spikes:
                got.append(batch)
                if sum(len(b) for b in got) >= 25001:
                    break
    totals = np.sum([w.counts for w in windows], axis=0).tolist()
    assert totals == [12475, 12526]
    assert windows[0].counts == [225, 0] and windows[0].start_us == 0
    assert windows[-1].counts == [0, 26]
    assert all(w.end_us - w.start_us == 50000 for w in windows)
    all_spikes = np.concatenate(got)
    assert len(all_spikes) == 25001
    assert all_spikes.dtype == speckd.SPIKE
    assert np.bincount(all_spikes["feature"]).tolist() == [12475, 12526]
    assert np.all(np.diff(all_spikes["t"].astype(np.int64)) >= 0)
    assert counts.dropped == 0 and spikes.dropped == 0


def test_lease_conflict_names_the_holder(daemon, client):
    other = speckd.connect(daemon.address)
    with client.open_device(holder="alice@lab"):
        with pytest.raises(speckd.LeaseHeldError) as held:
            other.open_device()
        assert held.value.holder == "alice@lab"
        assert held.value.code == grpc.StatusCode.FAILED_PRECONDITION
        assert "alice@lab" in str(held.value)
    with other.open_device(holder="bob") as dev:  # released on leaving `with`
        assert dev.info().lease_holder == "bob"
    other.close()


def test_bad_configuration_lists_every_field_path(client, tmp_path):
    bad = {"cnn_layers": [{"dimensions": {"kernel_size": 17}, "treshold_high": 5}],
           "dvs_layer": {"merg": True}}
    problems = client.device().validate_configuration(bad)
    paths = {p.path for p in problems if p.severity == "error"}
    assert {"cnn_layers[0].treshold_high", "dvs_layer.merg"} <= paths
    assert any("did you mean threshold_high" in p.message for p in problems)
    with client.open_device() as dev:
        with pytest.raises(speckd.ConfigurationError) as rejected:
            dev.apply_configuration(bad)
        assert rejected.value.code == grpc.StatusCode.INVALID_ARGUMENT
        assert any(p.startswith("cnn_layers[0].treshold_high") for p in rejected.value.problems)
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(bad))
        with pytest.raises(speckd.ConfigurationError) as from_file:
            dev.apply_configuration(str(path))
        assert all(p.startswith(f"{path}: ") for p in from_file.value.problems)
        assert dev.get_configuration() is None  # nothing was applied


def test_a_slow_consumer_sees_what_it_lost(client, tutorial_events):
    # The tutorial 40 times over (1 M spikes, more than gRPC's own buffers
    # hold), in 1000 writes: many output messages, and nobody reading them.
    repeats = 40
    period = 5100000
    longer = np.concatenate([tutorial_events] * repeats)
    longer["t"] += np.repeat(np.arange(repeats, dtype=np.uint64) * period, len(tutorial_events))
    with client.open_device() as dev:
        dev.apply_configuration(example("config.json"))
        spikes = dev.spikes(layer=0, max_queued_messages=2)
        for part in np.array_split(longer, 1000):
            dev.write(part)
        dev.wait_idle()
        expected = 25001 * repeats
        received = 0
        for batch in spikes:
            received += len(batch)
            if received + spikes.dropped >= expected:
                break
        spikes.close()
    assert spikes.dropped > 0
    assert received + spikes.dropped == expected  # every spike accounted for


def test_samna_style_objects_and_stop_watch(client):
    with client.open_device() as dev:
        dev.apply_configuration(example("config.json"))
        watch = dev.stop_watch.reset()
        assert watch.epoch == 1
        events = [speckd.DvsEvent(x=1, y=1, p=1, timestamp=1000 + i) for i in range(10)]
        assert dev.write(events).accepted == 10
        with pytest.raises(TypeError, match="not a mix"):
            dev.write([speckd.DvsEvent(), speckd.Spike()])
        dev.wait_idle()  # a write returns once accepted, not played
        assert dev.cancel_inputs() == 0  # all played already (as fast as possible)


def test_closing_a_stream_ends_its_iteration(client):
    stream = client.device().spikes()
    stream.close()
    assert list(stream) == []
    with client.device().spike_counts() as again:  # a new one works
        assert again.dropped == 0


def test_errors_carry_the_code_and_speckd_message(client):
    with pytest.raises(speckd.SpeckdError) as missing:
        client.device("speck2edevkit:7").info()
    assert missing.value.code == grpc.StatusCode.NOT_FOUND
    assert DEVICE in missing.value.message  # it names the known devices


def test_a_stream_survives_the_device_going_away(client, tutorial_events):
    faults = client._devices  # SimulateFault: a test hook (speckd --sim_faults)

    def fault(kind):
        faults.SimulateFault(device_service_pb2.SimulateFaultRequest(device_id=DEVICE, fault=kind))

    with client.open_device() as dev:
        dev.apply_configuration(example("config.json"))
        counts = dev.spike_counts(interval_ms=50, feature_count=2)
        totals = []

        def read():
            for w in counts:
                totals.append(sum(w.counts))
                if sum(totals) >= 25001:
                    return
        reader = threading.Thread(target=read)
        reader.start()
        fault(device_service_pb2.SimulateFaultRequest.UNPLUG)
        fault(device_service_pb2.SimulateFaultRequest.REPLUG)
        # The stream subscribes again by itself; the board came back with its
        # configuration, so the tutorial gives its result again.
        assert counts.wait_subscribed(times=2)
        dev.write(tutorial_events)
        reader.join(timeout=30)
        counts.close()
    assert not reader.is_alive()
    assert sum(totals) == 25001
    assert events_pb2.StreamNotice.DEVICE_LOST in [n.kind for n in counts.notices]
    assert len(counts.gaps) == 1 and "was lost" in counts.gaps[0].reason


def test_raw_columns_and_packed_fields_carry_the_same_spikes(client, tutorial_events):
    """Raw little-endian columns (the default) and protobuf's packed fields,
    both ways, side by side on one device."""
    with client.open_device() as dev:
        dev.apply_configuration(example("config.json"))
        raw = dev.spikes(layer=0, lossless=True)
        packed = dev.spikes(layer=0, lossless=True, raw_columns=False)
        dev.write(tutorial_events[:12000], raw_columns=False)
        dev.write(tutorial_events[12000:])
        got = {}
        for name, stream in (("raw", raw), ("packed", packed)):
            parts = []
            for batch in stream:
                parts.append(batch)
                if sum(len(p) for p in parts) >= 25001:
                    break
            stream.close()
            got[name] = np.concatenate(parts)
    assert len(got["raw"]) == 25001
    assert np.array_equal(got["raw"], got["packed"])


def test_values_beyond_a_raw_column_are_refused_before_sending(client):
    with client.open_device() as dev:
        dev.apply_configuration(example("config.json"))
        events = speckd.dvs_events([1000, 2000], [1, 300], [0, 0], [0, 1])
        with pytest.raises(ValueError, match=r"events\[1\]\.x: 300 is out of range"):
            dev.write(events)
        # Within the column but beyond the chip: speckd names it.
        with pytest.raises(speckd.SpeckdError, match=r"dvs_events\[1\]\.x: 200"):
            dev.write(speckd.dvs_events([1000, 2000], [1, 200], [0, 0], [0, 1]))


def test_a_graph_built_like_samna_counts_the_tutorial(client, tutorial_events):
    with client.open_device() as dev:
        dev.apply_configuration(example("config.json"))
        g = dev.graph("tutorial counts")
        source, select, collect, count, out = g.sequential([
            "device_source",
            ("Speck2eOutputMemberSelect", {"member": "layer", "white_list": [0]}),
            ("spike_collection", {"interval_milli_sec": 50}),
            "Speck2eSpikeCountNode",
            "endpoint"])
        count.set(feature_count=2)
        assert (select.kind, count.kind) == ("member_select", "spike_count")
        g.start()
        with pytest.raises(speckd.SpeckdError, match="delete"):
            count.set(feature_count=3)  # built on the device already
        with g.read(out, lossless=True) as windows:
            dev.write(tutorial_events)
            totals = [0, 0]
            for w in windows:
                totals = [a + b for a, b in zip(totals, w.counts)]
                if sum(totals) >= 25001:
                    break
        assert totals == [12475, 12526]
        counters = g.counters()
        assert counters["spike_count"][1] > 0  # windows emitted
        assert counters["member_select"][0] >= 25001  # every output event seen
        g.stop()
        g.delete()
        with pytest.raises(ValueError, match="unknown node kind 'spike_counter'"):
            dev.graph().node("spike_counter")
        bad = dev.graph()
        bad.sequential(["device_source", ("spike_count", {"feature_count": 2}), "endpoint"])
        with pytest.raises(speckd.SpeckdError) as refused:
            bad.start()  # events cannot feed a spike count: speckd names the node
        assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT
        assert "spike_count" in refused.value.message


def test_a_stream_survives_a_daemon_restart(tutorial_events):
    from conftest import Daemon
    first = Daemon()
    port = first.address.rsplit(":", 1)[1]
    client = speckd.connect(first.address)
    counts = client.device().spike_counts(interval_ms=50, feature_count=2)
    first.stop()
    second = Daemon(f"--listen=127.0.0.1:{port}")
    try:
        totals = []

        def read():
            for w in counts:
                totals.append(sum(w.counts))
                if sum(totals) >= 25001:
                    return
        reader = threading.Thread(target=read)
        reader.start()
        assert counts.wait_subscribed(times=2)  # subscribed to the new daemon
        with client.open_device() as dev:
            dev.apply_configuration(example("config.json"))
            dev.write(tutorial_events)
            reader.join(timeout=30)
        counts.close()
        assert not reader.is_alive() and sum(totals) == 25001
        assert len(counts.gaps) == 1
        assert events_pb2.StreamNotice.SHUTTING_DOWN in [n.kind for n in counts.notices]
    finally:
        second.stop()
        client.close()


def test_activity_power_and_readout_streams_decode(client, tutorial_events):
    with client.open_device() as dev:
        dev.apply_configuration(example("config.json"))
        with dev.activity(layer=13, frame_interval_ms=50) as frames, dev.power(rate_hz=20) as power:
            dev.write(tutorial_events)
            frame = next(f for f in frames if f.total > 0)
            assert frame.counts.shape == (16, 16) and frame.counts.sum() == frame.total
            samples = next(power)
            assert samples.dtype == speckd.MEASUREMENT and len(samples) > 0
            assert set(samples["channel"].tolist()) <= {0, 1, 2, 3, 4}
        assert dev.info().raw.power_monitor_rate_hz == 20
        with dev.readout() as readout:  # the tutorial has no readout: nothing, no error
            assert readout.dropped == 0


def test_connect_reads_speckd_server_and_says_when_nothing_answers(daemon, monkeypatch):
    monkeypatch.setenv("SPECKD_SERVER", daemon.address)
    with speckd.connect() as client:
        assert client.address == daemon.address
        assert client.devices()[0].id == DEVICE
    monkeypatch.setenv("SPECKD_SERVER", "127.0.0.1:1")
    with pytest.raises(speckd.DeviceUnavailableError, match="cannot reach speckd at 127.0.0.1:1"):
        speckd.connect(wait_s=0.5)


def test_recording_the_tutorial_downloads_reads_and_replays(client, tutorial_events, tmp_path):
    """Recorded on the daemon, downloaded, read here: the inputs as written and
    the spikes they made; replayed into the device: the same spikes again."""
    import speckd
    with client.open_device() as dev:
        dev.apply_configuration(example("config.json"))
        started = client.start_recording(name="tut", layers=[0])
        assert started.active
        dev.write(tutorial_events)
        dev.wait_idle()
        done = client.stop_recording("tut")
        assert done.ended_cleanly and not done.active
        assert done.counts["inputs"] == 25001 and done.counts["spikes"] == 25001
        assert [r.name for r in client.recordings()] == ["tut"]

        path = tmp_path / "tut.speckrec"
        assert client.download_recording("tut", str(path)) == done.size_bytes
        f = speckd.RecordingFile(str(path))
        assert f.header.device_id == dev.id
        inputs = f.inputs()
        assert np.array_equal(inputs, tutorial_events)
        spikes = f.spikes()
        assert f.ended_cleanly
        assert np.bincount(spikes["feature"]).tolist() == [12475, 12526]

        # The same configuration again (neurons at rest), then the replay.
        dev.apply_configuration(example("config.json"))
        with dev.spikes(layer=0, lossless=True) as stream:
            assert dev.replay("tut", pacing="as_fast_as_possible") == 25001
            dev.wait_idle()
            got = []
            for batch in stream:
                got.append(batch)
                if sum(len(b) for b in got) >= 25001:
                    break
            again = np.concatenate(got)
        assert np.array_equal(again[["t", "feature"]], spikes[["t", "feature"]])

    assert client.delete_recording("tut") == done.size_bytes
    with pytest.raises(speckd.SpeckdError, match="no recording named 'tut'"):
        client.recording("tut")


def test_a_damaged_recording_names_the_offset(client, tutorial_events, tmp_path):
    import speckd
    with client.open_device() as dev:
        dev.apply_configuration(example("config.json"))
        client.start_recording(name="d", streams=["inputs"])
        dev.write(tutorial_events[:1000])
        dev.wait_idle()
        client.stop_recording("d")
    path = tmp_path / "d.speckrec"
    client.download_recording("d", str(path))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x20
    path.write_bytes(bytes(data))
    with pytest.raises(speckd.DamagedRecordingError, match="record at byte"):
        speckd.RecordingFile(str(path)).inputs()


def _token_file(directory, entries):
    """speckd's --auth_tokens file for (name, role, token) entries."""
    import hashlib
    path = os.path.join(directory, "tokens")
    with open(path, "w") as f:
        for name, role, token in entries:
            f.write(f"{name} {role} sha256:{hashlib.sha256(token.encode()).hexdigest()}\n")
    return path


def test_tokens_decide_who_may_do_what(tmp_path, tutorial_events):
    import grpc
    import speckd
    from conftest import Daemon, example
    tokens = _token_file(str(tmp_path), [("alice", "operator", "alice-secret"),
                                         ("wall", "viewer", "wall-secret")])
    d = Daemon(f"--auth_tokens={tokens}")
    try:
        assert speckd.connect(d.address).server_info().auth_mode == "tokens"
        with pytest.raises(speckd.SpeckdError) as anonymous:
            speckd.connect(d.address).devices()
        assert anonymous.value.code == grpc.StatusCode.UNAUTHENTICATED
        assert "needs an access token" in anonymous.value.message

        wall = speckd.connect(d.address, token="wall-secret")
        assert [info.id for info in wall.devices()] == ["speck2edevkit-sim:0"]
        with pytest.raises(speckd.SpeckdError) as viewer:
            wall.open_device()
        assert viewer.value.code == grpc.StatusCode.PERMISSION_DENIED
        assert "AcquireLease needs the operator role; wall is a viewer" in viewer.value.message

        alice = speckd.connect(d.address, token="alice-secret")
        with alice.open_device(holder="notebook") as dev:
            assert dev.holder == "alice (notebook)"
            dev.apply_configuration(speckd.Configuration.from_file(example("config.json")))
            dev.write(tutorial_events)
            assert wall.devices()[0].lease_holder == "alice (notebook)"
    finally:
        d.stop()


def test_tls_with_a_token(tmp_path):
    import subprocess
    import grpc
    import speckd
    from conftest import Daemon

    def openssl(*args):
        subprocess.run(["/usr/bin/openssl", *args], check=True, capture_output=True)

    d = str(tmp_path)
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.pem", "-days", "2", "-subj", "/CN=test CA")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", f"{d}/s.key", "-out", f"{d}/s.csr", "-subj", "/CN=localhost")
    with open(f"{d}/s.ext", "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", f"{d}/s.csr", "-CA", f"{d}/ca.pem", "-CAkey", f"{d}/ca.key",
            "-CAcreateserial", "-out", f"{d}/s.pem", "-days", "2", "-extfile", f"{d}/s.ext")
    tokens = _token_file(d, [("ann", "viewer", "ann-secret")])
    daemon = Daemon(f"--auth_tokens={tokens}", f"--tls_cert={d}/s.pem", f"--tls_key={d}/s.key")
    try:
        client = speckd.connect(daemon.address, token="ann-secret", tls_ca=f"{d}/ca.pem")
        assert client.server_info().auth_mode == "tokens+tls"
        assert [info.id for info in client.devices()] == ["speck2edevkit-sim:0"]
        with pytest.raises(speckd.SpeckdError) as plain:
            speckd.connect(daemon.address, token="ann-secret", wait_s=1.0).devices()
        assert plain.value.code == grpc.StatusCode.UNAVAILABLE
    finally:
        daemon.stop()
