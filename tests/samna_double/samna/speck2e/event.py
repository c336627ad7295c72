"""samna.speck2e.event: the event classes sinabs constructs and receives."""


class _Event:
    __slots__ = ()

    def __init__(self, **fields):
        for name in self.__slots__:
            setattr(self, name, 0)
        for name, value in fields.items():
            setattr(self, name, value)

    def __repr__(self):
        fields = ", ".join(f"{n}={getattr(self, n)}" for n in self.__slots__)
        return f"speck2e::event::{type(self).__name__}({fields})"


class Spike(_Event):
    __slots__ = ("layer", "x", "y", "feature", "timestamp")


class DvsEvent(_Event):
    __slots__ = ("x", "y", "p", "timestamp")


class ReadNeuronValue(_Event):
    __slots__ = ("layer", "address")


class WriteNeuronValue(_Event):
    __slots__ = ("layer", "address", "neuron_state")


class NeuronValue(_Event):
    __slots__ = ("layer", "address", "neuron_state")


class ReadoutValue(_Event):
    __slots__ = ("value", "timestamp")


class ReadoutPinValue(_Event):
    __slots__ = ("index", "timestamp")
