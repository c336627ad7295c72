"""samna.unifirm.modules.events: PowerMeasurement."""


class events:  # noqa: N801 (samna's module name)
    class PowerMeasurement:
        __slots__ = ("channel", "value", "timestamp")

        def __init__(self, channel=0, value=0.0, timestamp=0):
            self.channel, self.value, self.timestamp = channel, value, timestamp
