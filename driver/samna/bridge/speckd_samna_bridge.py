#!/usr/bin/env python3
"""speckd's samna bridge: the one process on this host that opens devkits
through SynSense's samna, serving speckd over a socketpair.

speckd starts it (speckd --samna_python=PATH) with its working directory in
speckd's state directory (samna writes samna.log into the current one) and
the socket as file descriptor --fd. Frames are a 4-byte little-endian length
and a bridge.proto message. Calls run one at a time on the main thread, in
the order speckd sends them; each open board has a thread pumping its
outputs; a watcher thread tells speckd when samna's device list changes.

It exits when speckd closes the socket. Errors at start go to stderr as one
"speckd-samna-bridge: ..." line and an exit status (speckd shows the line as
the device's state): 3 no samna, 4 no protobuf, 5 a samna too old.
"""
import argparse
import os
import socket
import struct
import sys
import threading
import time
import traceback

PROTOCOL = 1
# sinabs 3 needs samna >= 0.33; the API the bridge uses is that of 0.46-0.48.
OLDEST_SAMNA = (0, 33)
NEWEST_KNOWN_SAMNA = (0, 48)
MAX_FRAME = 64 << 20
LIST_INTERVAL_S = 1.0


def fail(status, message):
    print(f"speckd-samna-bridge: {message}", file=sys.stderr, flush=True)
    sys.exit(status)


def version_tuple(text):
    parts = []
    for p in text.split(".")[:2]:
        digits = "".join(ch for ch in p if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts + [0] * (2 - len(parts)))


class Channel:
    def __init__(self, sock, pb):
        self.sock, self.pb = sock, pb
        self.send_lock = threading.Lock()

    def send(self, message):
        data = message.SerializeToString()
        with self.send_lock:
            self.sock.sendall(struct.pack("<I", len(data)) + data)

    def _exact(self, n):
        chunks = []
        while n:
            chunk = self.sock.recv(min(n, 1 << 20))
            if not chunk:
                return None
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def receive(self):
        header = self._exact(4)
        if header is None:
            return None
        (size,) = struct.unpack("<I", header)
        if size > MAX_FRAME:
            fail(2, f"a {size}-byte frame from speckd (at most {MAX_FRAME})")
        request = self.pb.Request()
        request.ParseFromString(self._exact(size) or b"")
        return request


def board_name(info):
    return f"{info.device_type_name}@{info.usb_bus_number}-{info.usb_device_address}"


class Bridge:
    def __init__(self, samna, pb, channel, board_module):
        self.samna, self.pb, self.channel = samna, pb, channel
        self.board_module = board_module
        self.boards = {}
        self.listed = None

    # -- calls ----------------------------------------------------------------

    def hello(self, request):
        if request.protocol != PROTOCOL:
            raise self.board_module.BridgeError(
                9, f"speckd speaks bridge protocol {request.protocol}, this bridge {PROTOCOL}")
        version = getattr(self.samna, "__version__", "unknown")
        warnings = []
        if version_tuple(version) > NEWEST_KNOWN_SAMNA:
            warnings.append(f"samna {version} is newer than the versions this bridge was written "
                            f"against (0.46-0.48); report problems with docs/hardware.md")
        return self.pb.Reply(hello=self.pb.HelloReply(
            protocol=PROTOCOL, samna_version=version,
            python_version=sys.version.split()[0], warnings=warnings))

    def infos(self):
        infos = sorted(self.samna.device.get_all_devices(),
                       key=lambda i: (i.device_type_name, i.usb_bus_number, i.usb_device_address))
        return {board_name(i): i for i in infos if i.device_type_name.startswith("Speck2e")}

    def board_list(self, infos):
        return self.pb.BoardList(boards=[self.pb.BoardInfo(
            board=name, device_type_name=i.device_type_name, serial_number=i.serial_number,
            usb_bus_number=i.usb_bus_number, usb_device_address=i.usb_device_address,
            logic_version=i.logic_version) for name, i in infos.items()])

    def list_boards(self, _):
        infos = self.infos()
        self.listed = set(infos)
        return self.pb.Reply(boards=self.board_list(infos))

    def board(self, name):
        board = self.boards.get(name)
        if board is None:
            raise self.board_module.BridgeError(9, f"{name} is not open")
        return board

    def open(self, request):
        if request.board in self.boards:
            return self.pb.Reply()
        info = self.infos().get(request.board)
        if info is None:
            raise self.board_module.BridgeError(14, f"samna no longer lists {request.board}")
        self.boards[request.board] = self.board_module.Board(
            self.samna, info, request.board, self.channel.send, self.pb)
        return self.pb.Reply()

    def close(self, request):
        board = self.boards.pop(request.board, None)
        if board is not None:
            board.close()
        return self.pb.Reply()

    def dispatch(self, request):
        import json
        which = request.WhichOneof("call")
        if which == "hello":
            return self.hello(request.hello)
        if which == "list_boards":
            return self.list_boards(request.list_boards)
        if which == "open":
            return self.open(request.open)
        if which == "close":
            return self.close(request.close)
        if which == "ping":
            return self.pb.Reply()
        call = getattr(request, which)
        board = self.board(call.board)
        if which == "apply_configuration":
            board.apply(json.loads(call.configuration_json))
        elif which == "write":
            board.write(call)
        elif which == "stop_watch":
            board.set_stop_watch(call.reset, call.enable if call.HasField("enable") else None)
        elif which == "slow_clock":
            board.set_slow_clock(call.enable, call.rate_hz)
        elif which == "power_monitor":
            board.set_power_rate(call.rate_hz)
        elif which == "read_neurons":
            return self.pb.Reply(neurons=self.pb.NeuronValues(value=board.read_neurons(call)))
        elif which == "write_neurons":
            board.write_neurons(call)
        elif which == "sync":
            board.sync(request.id)
            return None  # the board's pump replies
        else:
            raise self.board_module.BridgeError(12, f"unknown call {which}")
        return self.pb.Reply()

    def serve(self, request):
        try:
            reply = self.dispatch(request)
        except self.board_module.BridgeError as e:
            reply = self.pb.Reply(error=self.pb.Error(code=e.code, message=str(e),
                                                      board_busy=e.board_busy))
        except Exception as e:  # samna raises plain exceptions; speckd shows them
            traceback.print_exc(file=sys.stderr)
            reply = self.pb.Reply(error=self.pb.Error(code=13, message=f"{type(e).__name__}: {e}"))
        if reply is not None:
            reply.id = request.id
            self.channel.send(self.pb.BridgeMessage(reply=reply))

    # -- plugging ---------------------------------------------------------------

    def watch(self):
        """Tells speckd when samna's list changes (samna has no hotplug callback)."""
        while True:
            time.sleep(LIST_INTERVAL_S)
            if self.listed is None:
                continue
            try:
                infos = self.infos()
            except Exception:
                traceback.print_exc(file=sys.stderr)
                continue
            if set(infos) != self.listed:
                self.listed = set(infos)
                self.channel.send(self.pb.BridgeMessage(
                    boards_changed=self.pb.BoardsChanged(boards=self.board_list(infos))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fd", type=int, required=True, help="the socket to speckd")
    args = parser.parse_args()
    sock = socket.socket(fileno=args.fd)
    # Whatever samna prints belongs in speckd's log, which is stderr.
    sys.stdout = sys.stderr
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    try:
        import bridge_pb2 as pb
    except ImportError as e:
        fail(4, f"{sys.executable} has no usable protobuf package ({e}); "
                f"install it next to samna: {sys.executable} -m pip install protobuf")
    try:
        import samna
    except ImportError as e:
        fail(3, f"{sys.executable} cannot import samna ({e}); install it for the user speckd "
                f"runs as: {sys.executable} -m pip install samna (docs/hardware.md)")
    version = getattr(samna, "__version__", "0")
    if version_tuple(version) < OLDEST_SAMNA:
        fail(5, f"samna {version} is older than 0.33, the oldest sinabs 3 and this bridge "
                f"support; upgrade it: {sys.executable} -m pip install -U samna")
    import samna_board
    channel = Channel(sock, pb)
    bridge = Bridge(samna, pb, channel, samna_board)
    threading.Thread(target=bridge.watch, name="watch", daemon=True).start()
    while True:
        request = channel.receive()
        if request is None:
            break
        bridge.serve(request)
    for name in list(bridge.boards):
        bridge.close(bridge.pb.CloseBoard(board=name))


if __name__ == "__main__":
    main()
