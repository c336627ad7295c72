#include "server/graph/graph.h"

#include <algorithm>
#include <set>
#include <unordered_map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/graph/nodes.h"

namespace speckd::server::graph {
namespace {

bool ValidName(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

absl::Status Invalid(const std::string& message) {
  return absl::InvalidArgumentError(message);
}

}  // namespace

struct Graph::Impl {
  std::vector<std::unique_ptr<Node>> nodes;  // in spec order
  std::unordered_map<std::string, int> index;
  std::vector<std::vector<int>> successors;
  std::vector<int> sources;

  // Hands `packet` (put out by node `from`) to every successor, depth-first.
  void Forward(int from, const Packet& packet) {
    for (int to : successors[from]) {
      Node& node = *nodes[to];
      node.CountReceived(packet.items());
      const Packet* out = node.Receive(packet);
      if (out == nullptr) continue;
      node.CountEmitted(out->items());
      Forward(to, *out);
    }
  }

  // Routes from the sources to every node, summed (capped just past
  // kMaxRoutes); the edges must form no cycle.
  uint64_t Routes() const {
    const int n = static_cast<int>(nodes.size());
    std::vector<int> in_degree(n, 0);
    for (int from = 0; from < n; ++from) {
      for (int to : successors[from]) ++in_degree[to];
    }
    std::vector<uint64_t> routes(n, 0);
    std::vector<int> ready;
    for (int i = 0; i < n; ++i) {
      if (in_degree[i] == 0) ready.push_back(i);
    }
    for (int source : sources) routes[source] = 1;
    uint64_t total = 0;
    while (!ready.empty()) {
      const int node = ready.back();
      ready.pop_back();
      total = std::min(total + routes[node], kMaxRoutes + 1);
      for (int to : successors[node]) {
        routes[to] = std::min(routes[to] + routes[node], kMaxRoutes + 1);
        if (--in_degree[to] == 0) ready.push_back(to);
      }
    }
    return total;
  }

  // A node on a cycle, or -1 if the edges form none (Kahn's algorithm).
  int NodeOnCycle() const {
    const int n = static_cast<int>(nodes.size());
    std::vector<int> in_degree(n, 0);
    std::vector<std::vector<int>> predecessors(n);
    for (int from = 0; from < n; ++from) {
      for (int to : successors[from]) {
        ++in_degree[to];
        predecessors[to].push_back(from);
      }
    }
    std::vector<int> ready;
    for (int i = 0; i < n; ++i) {
      if (in_degree[i] == 0) ready.push_back(i);
    }
    while (!ready.empty()) {
      const int node = ready.back();
      ready.pop_back();
      for (int to : successors[node]) {
        if (--in_degree[to] == 0) ready.push_back(to);
      }
    }
    // Every node left has a predecessor that is left too; walking back
    // through them must revisit a node, which is on a cycle.
    int start = -1;
    for (int i = 0; i < n && start < 0; ++i) {
      if (in_degree[i] > 0) start = i;
    }
    if (start < 0) return -1;
    std::vector<bool> seen(n, false);
    int node = start;
    while (!seen[node]) {
      seen[node] = true;
      for (int from : predecessors[node]) {
        if (in_degree[from] > 0) {
          node = from;
          break;
        }
      }
    }
    return node;
  }
};

Graph::Graph(const GraphSpec& spec)
    : spec_(spec), impl_(std::make_unique<Impl>()) {}

Graph::~Graph() = default;

absl::StatusOr<std::unique_ptr<Graph>> Graph::Build(
    const GraphSpec& spec, const GraphContext& context) {
  if (spec.nodes.size() > kMaxNodes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("graph has ", spec.nodes.size(), " nodes; at most ",
                     kMaxNodes, " per graph"));
  }
  std::unique_ptr<Graph> graph(new Graph(spec));
  Impl& impl = *graph->impl_;

  for (const NodeSpec& node_spec : spec.nodes) {
    if (!ValidName(node_spec.name)) {
      return Invalid(absl::StrCat("node '", node_spec.name,
                                  "': name must match [A-Za-z0-9_.-]+"));
    }
    const int index = static_cast<int>(impl.nodes.size());
    if (!impl.index.emplace(node_spec.name, index).second) {
      return Invalid(
          absl::StrCat("node '", node_spec.name, "': duplicate name"));
    }
    absl::StatusOr<std::unique_ptr<Node>> node = MakeNode(node_spec, context);
    if (!node.ok()) return node.status();
    if (IsSource(node_spec.kind)) impl.sources.push_back(index);
    impl.nodes.push_back(*std::move(node));
  }
  impl.successors.resize(impl.nodes.size());

  std::set<std::pair<int, int>> edges;
  std::vector<bool> has_input(impl.nodes.size(), false);
  for (size_t i = 0; i < spec.edges.size(); ++i) {
    const EdgeSpec& edge = spec.edges[i];
    const auto from = impl.index.find(edge.source);
    if (from == impl.index.end()) {
      return Invalid(absl::StrCat("edge ", i, ": unknown source node '",
                                  edge.source, "'"));
    }
    const auto to = impl.index.find(edge.target);
    if (to == impl.index.end()) {
      return Invalid(absl::StrCat("edge ", i, ": unknown target node '",
                                  edge.target, "'"));
    }
    const Node& source = *impl.nodes[from->second];
    const Node& target = *impl.nodes[to->second];
    const std::string prefix =
        absl::StrCat("edge '", edge.source, "' -> '", edge.target, "': ");
    if (source.output_type() == PortType::kNone) {
      return Invalid(absl::StrCat(prefix, "'", edge.source, "' (",
                                  NodeKindName(source.kind()),
                                  ") has no output"));
    }
    if (target.input_type() == PortType::kNone) {
      return Invalid(absl::StrCat(prefix, "'", edge.target, "' (",
                                  NodeKindName(target.kind()),
                                  ") takes no input"));
    }
    if (target.input_type() != PortType::kAny &&
        target.input_type() != source.output_type()) {
      return Invalid(absl::StrCat(prefix, "'", edge.source, "' puts out ",
                                  PortTypeName(source.output_type()), " but '",
                                  edge.target, "' (",
                                  NodeKindName(target.kind()), ") takes ",
                                  PortTypeName(target.input_type())));
    }
    // A repeated edge would deliver every packet twice.
    if (!edges.emplace(from->second, to->second).second) {
      return Invalid(absl::StrCat(prefix, "duplicate edge"));
    }
    impl.successors[from->second].push_back(to->second);
    has_input[to->second] = true;
  }

  if (const int node = impl.NodeOnCycle(); node >= 0) {
    return Invalid(absl::StrCat("graph has a cycle through node '",
                                impl.nodes[node]->name(), "'"));
  }
  for (size_t i = 0; i < impl.nodes.size(); ++i) {
    if (!IsSource(impl.nodes[i]->kind()) && !has_input[i]) {
      return Invalid(
          absl::StrCat("node '", impl.nodes[i]->name(), "' has no input"));
    }
  }
  if (impl.sources.empty()) {
    return Invalid("graph has no source node (device_source or power_source)");
  }
  if (const uint64_t routes = impl.Routes(); routes > kMaxRoutes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "graph has more than ", kMaxRoutes,
        " routes from its sources to its nodes; each device output is "
        "handed along every route (merge parallel branches)"));
  }
  return graph;
}

void Graph::Process(const driver::DeviceOutput& output) {
  for (int index : impl_->sources) {
    Node& source = *impl_->nodes[index];
    const Packet* packet = source.Produce(output);
    // A source "receives" what it takes from the device.
    source.CountReceived(packet->items());
    source.CountEmitted(packet->items());
    impl_->Forward(index, *packet);
  }
}

void Graph::Reconfigure(const chip::SpeckConfig& config) {
  for (const std::unique_ptr<Node>& node : impl_->nodes) {
    node->Reconfigure(config);
  }
}

std::optional<std::string> Graph::TakeStopRequest() {
  std::optional<std::string> request;
  for (const std::unique_ptr<Node>& node : impl_->nodes) {
    if (std::optional<std::string> why = node->TakeStopRequest()) {
      request = std::move(why);
    }
  }
  return request;
}

absl::Status Graph::SetEndpointSink(const std::string& node,
                                    std::shared_ptr<EndpointSink> sink) {
  const auto it = impl_->index.find(node);
  if (it == impl_->index.end()) {
    return absl::NotFoundError(absl::StrCat("no node '", node, "'"));
  }
  Node& target = *impl_->nodes[it->second];
  if (target.kind() != NodeKind::kEndpoint) {
    return absl::FailedPreconditionError(
        absl::StrCat("node '", node, "' is a ", NodeKindName(target.kind()),
                     ", not an endpoint"));
  }
  static_cast<EndpointNode&>(target).SetSink(std::move(sink));
  return absl::OkStatus();
}

absl::StatusOr<PortType> Graph::OutputType(const std::string& node) const {
  const auto it = impl_->index.find(node);
  if (it == impl_->index.end()) {
    return absl::NotFoundError(absl::StrCat("no node '", node, "'"));
  }
  return impl_->nodes[it->second]->output_type();
}

std::vector<NodeCounters> Graph::Counters() const {
  std::vector<NodeCounters> counters;
  counters.reserve(impl_->nodes.size());
  for (const std::unique_ptr<Node>& node : impl_->nodes) {
    counters.push_back(node->counters());
  }
  return counters;
}

}  // namespace speckd::server::graph
