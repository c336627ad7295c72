"""speckd's errors as Python exceptions: the gRPC code and speckd's message
(with its field paths) intact."""
import re

import grpc

_HOLDER = re.compile(r"leased by '([^']*)'")


class SpeckdError(Exception):
    """A call speckd refused or could not finish.

    `code` is the grpc.StatusCode, `message` speckd's own words, e.g.
    "cnn_layers[0].dimensions.kernel_size: 17 exceeds the chip limit 16".
    """

    def __init__(self, code, message):
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message


class LeaseHeldError(SpeckdError):
    """The device's control lease is held by someone else (`holder`)."""

    def __init__(self, code, message):
        super().__init__(code, message)
        match = _HOLDER.search(message)
        self.holder = match.group(1) if match else ""


class ConfigurationError(SpeckdError):
    """A configuration speckd rejected; `problems` has one line per problem,
    each starting with its field path."""

    def __init__(self, code, message, source=""):
        lines = [line for line in message.splitlines() if line.strip()]
        if source:
            lines = [f"{source}: {line}" for line in lines]
        super().__init__(code, "\n".join(lines))
        self.problems = lines


class DeviceUnavailableError(SpeckdError):
    """The device (or speckd) went away: lost, unplugged, shutting down."""


def translate(error, source="", configuration=False):
    """The SpeckdError for a grpc.RpcError (anything else is returned as is)."""
    if not isinstance(error, grpc.RpcError):
        return error
    code = error.code()
    message = error.details() or code.name.lower()
    if code == grpc.StatusCode.FAILED_PRECONDITION and "leased by" in message:
        return LeaseHeldError(code, message)
    if configuration and code == grpc.StatusCode.INVALID_ARGUMENT:
        return ConfigurationError(code, message, source)
    if code == grpc.StatusCode.UNAVAILABLE:
        return DeviceUnavailableError(code, message)
    return SpeckdError(code, message)
