"""samna.unifirm: the stop watch class and power measurement events."""
from . import modules, timestamp  # noqa: F401
