"""Event-routing graphs on the device, the way samna builds them:

    g = dev.graph()
    source, _, counts, out = g.sequential([
        "device_source",
        ("spike_collection", {"interval_milli_sec": 50}),   # samna's names work too:
        ("Speck2eSpikeCountNode", {"feature_count": 2}),     # Speck2eSpikeCountNode
        "endpoint"])
    g.start()
    with g.read(out) as windows:
        for w in windows: ...
    g.stop(); g.delete()

Node parameters are the NodeSpec fields of speckd.v1 (GraphService), by
name; they are set before the graph starts (speckd builds it on start).
"""
import grpc
from google.protobuf import json_format

from speckd._errors import SpeckdError, translate
from speckd._streams import Stream
from speckd.v1 import events_pb2, graph_service_pb2

# samna's node names for speckd's node kinds (ListNodeTypes says the same).
SAMNA_NAMES = {
    "Speck2eOutputEventTypeFilter": "type_filter",
    "Speck2eOutputMemberSelect": "member_select",
    "Speck2eSpikeCollectionNode": "spike_collection",
    "Speck2eSpikeCountNode": "spike_count",
    "Speck2eDvsToVizConverter": "activity_frame",
}


class Node:
    """One node of a graph: its kind, unique name and parameters."""

    def __init__(self, graph, kind, name, params):
        self._graph = graph
        self.kind = kind
        self.name = name
        self.params = dict(params)

    def set(self, **params):
        """Sets parameters (before the graph starts)."""
        self._graph._check_editable()
        self.params.update(params)
        return self

    def __repr__(self):
        return f"<Node {self.name} ({self.kind}) {self.params}>"


class Graph:
    """A graph on a leased device; see the module's docstring."""

    def __init__(self, device, name=""):
        self._device = device
        self.name = name
        self.nodes = []
        self.edges = []
        self.id = None

    def _check_editable(self):
        if self.id is not None:
            raise SpeckdError(grpc.StatusCode.FAILED_PRECONDITION,
                              f"graph {self.id} is on the device already; delete() it to change it")

    def node(self, kind, **params):
        """Adds a node of `kind` (speckd's or samna's name)."""
        self._check_editable()
        kind = SAMNA_NAMES.get(kind, kind)
        if kind not in graph_service_pb2.NodeSpec.DESCRIPTOR.fields_by_name:
            known = [f.name for f in graph_service_pb2.NodeSpec.DESCRIPTOR.oneofs_by_name["kind"].fields]
            raise ValueError(f"unknown node kind {kind!r}; speckd has: {', '.join(known)}")
        taken = {n.name for n in self.nodes}
        name = kind
        suffix = 2
        while name in taken:
            name, suffix = f"{kind}_{suffix}", suffix + 1
        n = Node(self, kind, name, params)
        self.nodes.append(n)
        return n

    def connect(self, source, target):
        """Feeds `source`'s output into `target`."""
        self._check_editable()
        self.edges.append((source.name, target.name))

    def sequential(self, items):
        """Adds a chain of nodes (kinds, (kind, params) pairs, or Nodes) and
        returns them, as samna's EventFilterGraph.sequential does."""
        chain = []
        for item in items:
            if isinstance(item, Node):
                chain.append(item)
            elif isinstance(item, tuple):
                chain.append(self.node(item[0], **item[1]))
            else:
                chain.append(self.node(item))
        for a, b in zip(chain, chain[1:]):
            self.connect(a, b)
        return tuple(chain)

    def spec(self):
        spec = graph_service_pb2.GraphSpec(name=self.name)
        for n in self.nodes:
            node = spec.nodes.add(name=n.name)
            try:
                json_format.ParseDict(n.params, getattr(node, n.kind))
            except json_format.ParseError as error:
                raise ValueError(f"node {n.name} ({n.kind}): {error}") from None
            getattr(node, n.kind).SetInParent()
        for source, target in self.edges:
            spec.edges.add(source=source, target=target)
        return spec

    def _ref(self):
        return graph_service_pb2.GraphRef(graph_id=self.id, lease_id=self._device.lease_id)

    def start(self):
        """Creates the graph on the device (first time) and starts it."""
        graphs = self._device._client._graphs
        if self.id is None:
            created = self._device._call(graphs.CreateGraph, graph_service_pb2.CreateGraphRequest(
                device_id=self._device.id, spec=self.spec(), start=True,
                lease_id=self._device.lease_id))
            self.id = created.id
            return True
        self._device._call(graphs.StartGraph, self._ref())
        return True

    def stop(self):
        if self.id is not None:
            self._device._call(self._device._client._graphs.StopGraph, self._ref())
        return True

    def delete(self):
        if self.id is not None:
            self._device._call(self._device._client._graphs.DeleteGraph, self._ref())
            self.id = None

    def counters(self):
        """{node name: (received, emitted, dropped)} from the device."""
        g = self._device._call(self._device._client._graphs.GetGraph,
                               graph_service_pb2.GetGraphRequest(graph_id=self.id))
        return {c.node: (c.received, c.emitted, c.dropped) for c in g.counters}

    def read(self, node, lossless=False):
        """A Stream of what `node` (an endpoint) outputs."""
        name = node.name if isinstance(node, Node) else node
        request = graph_service_pb2.SubscribeNodeRequest(
            graph_id=self.id, node=name,
            options=events_pb2.SubscriptionOptions(
                overflow_policy=events_pb2.LOSSLESS if lossless else events_pb2.DROP_OLDEST,
                lease_id=self._device.lease_id))
        features = next((n.params.get("feature_count", 0) for n in self.nodes
                         if n.kind == "spike_count"), 0)
        return Stream(f"graph {self.id}:{name}",
                      lambda: self._device._client._graphs.SubscribeNode(request),
                      feature_count=features)

    def __repr__(self):
        return f"<speckd graph {self.id or '(not started)'}: {[n.name for n in self.nodes]}>"
