// Event-routing graphs (samna's EventFilterGraph, on the server): named nodes
// connected by typed edges, run on a device's output. Clients build them
// through GraphService; the Subscribe* RPCs build small internal ones.
//
//   GraphSpec spec = ...;   // device_source -> type_filter -> spike_collection
//                           //   -> spike_count -> endpoint
//   absl::StatusOr<std::unique_ptr<Graph>> graph =
//       Graph::Build(spec, context);      // INVALID_ARGUMENT naming the node
//   (*graph)->Process(device_output);     // on the device thread
//   (*graph)->Counters();                 // per node: received, emitted,
//   dropped
//
// Threading: Process and Reconfigure run on one thread (the device's; see
// server/devices/graph_set.h); SetEndpointSink, Counters, OutputType and
// spec may be called from any thread meanwhile.
#ifndef SPECKD_SERVER_GRAPH_GRAPH_H_
#define SPECKD_SERVER_GRAPH_GRAPH_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "driver/chip/config.h"
#include "driver/device.h"
#include "server/graph/graph_spec.h"
#include "server/graph/packet.h"

namespace speckd::server::graph {

struct NodeCounters {
  std::string node;
  uint64_t received = 0;
  uint64_t emitted = 0;
  uint64_t dropped = 0;
};

// Where an endpoint's packets go (the subscription fan-out: encodes and
// queues for subscribers). Called on the device thread; may block for
// LOSSLESS back-pressure, for a bounded time. Returns the items subscribers
// dropped (counted as the endpoint's drops).
class EndpointSink {
 public:
  virtual ~EndpointSink() = default;
  virtual uint64_t Publish(const Packet& packet) = 0;
};

// Writes events into a device (device_sink); implemented by the device layer.
class InputSink {
 public:
  virtual ~InputSink() = default;
  // Writes as the holder of `lease_id`, never blocking: the events it could
  // not take (counted as dropped), or FAILED_PRECONDITION when that lease
  // does not hold the device (the writing graph then stops).
  virtual absl::StatusOr<uint64_t> Write(
      absl::Span<const chip::InputEvent> events,
      const std::string& lease_id) = 0;
};

struct GraphContext {
  // The device's configuration (activity frame sizes).
  chip::SpeckConfig config;
  // Looks up where a device_sink writes; nullptr if the device is unknown.
  // May be empty when the graph has no device_sink.
  std::function<InputSink*(const std::string& device_id)> input_sink;
};

class Graph {
 public:
  // Nodes per graph, at most.
  static constexpr size_t kMaxNodes = 256;
  // Routes from a source to any node, at most: a packet is handed on along
  // every route, so this bounds the work one device output costs (a chain of
  // diamonds doubles it per layer).
  static constexpr uint64_t kMaxRoutes = 4096;

  // Validates `spec` (unique names matching [A-Za-z0-9_.-]+, known nodes in
  // edges, parameters, port types of every edge, no cycles, at least one
  // source) and builds it. INVALID_ARGUMENT names the node (or edge);
  // RESOURCE_EXHAUSTED beyond kMaxNodes or kMaxRoutes.
  static absl::StatusOr<std::unique_ptr<Graph>> Build(
      const GraphSpec& spec, const GraphContext& context);

  ~Graph();

  // Runs one device output through the graph (sources first, then every
  // edge depth-first).
  void Process(const driver::DeviceOutput& output);

  // The device was reconfigured: frame sizes follow the new configuration.
  void Reconfigure(const chip::SpeckConfig& config);

  // Why the graph asked to stop during the last Process (a device_sink lost
  // its lease), once; nullopt if it did not.
  std::optional<std::string> TakeStopRequest();

  // Attaches the sink of endpoint `node` (shared: a Process running on
  // another thread keeps using it safely); FAILED_PRECONDITION if `node` is
  // not an endpoint, NOT_FOUND if unknown. Detach with nullptr.
  absl::Status SetEndpointSink(const std::string& node,
                               std::shared_ptr<EndpointSink> sink);

  // The output port type of `node` (what an endpoint after it carries).
  absl::StatusOr<PortType> OutputType(const std::string& node) const;

  std::vector<NodeCounters> Counters() const;
  const GraphSpec& spec() const { return spec_; }

 private:
  // Nodes, edges and sources (nodes are declared in nodes.h).
  struct Impl;
  explicit Graph(const GraphSpec& spec);

  GraphSpec spec_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace speckd::server::graph

#endif  // SPECKD_SERVER_GRAPH_GRAPH_H_
