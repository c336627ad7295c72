"""samna.graph: EventFilterGraph with sequential([...]), start() and stop()."""
from . import _control


class EventFilterGraph:
    def __init__(self):
        self._edges = []
        self._running = False

    def sequential(self, nodes):
        nodes = list(nodes)
        for a, b in zip(nodes, nodes[1:]):
            self._edges.append((a, b))
        _control.record("EventFilterGraph.sequential",
                        nodes=[type(n).__name__ for n in nodes])
        return tuple(nodes)

    def start(self):
        _control.record("EventFilterGraph.start")
        if not self._running:
            for a, b in self._edges:
                a._connect(b)
            self._running = True
        return True

    def stop(self):
        _control.record("EventFilterGraph.stop")
        if self._running:
            for a, b in self._edges:
                a._disconnect(b)
            self._running = False
        return True
