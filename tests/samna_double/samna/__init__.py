"""A samna double: the part of SynSense's samna API that sinabs (and speckd's
bridge) use, with the names, argument orders and both stop-watch spellings
of the real package (see speckd's docs/hardware.md), behaving like a Speck2e
devkit by running speckd's own chip model (board_model, a subprocess) paced
by a stop watch on the wall clock.

It exists because samna cannot be installed on the machines speckd is built
and tested on. It is not samna: it knows nothing of USB, firmware or timing
jitter, and it never ships.
"""
from . import _control

__version__ = _control.settings().get("version", "0.48.6")

from . import device, graph, speck2e, unifirm  # noqa: E402
from ._nodes import (  # noqa: E402,F401
    BasicSinkNode_speck2e_event_output_event,
    BasicSinkNode_unifirm_modules_events_measurement,
    BasicSourceNode_speck2e_event_speck2e_input_event,
)
