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
// Threading: Process/Reconfigure run on one thread at a time (the device
// thread); Counters() may be called from any thread.
#ifndef SPECKD_SERVER_GRAPH_GRAPH_H_
#define SPECKD_SERVER_GRAPH_GRAPH_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "driver/chip/config.h"
#include "driver/device.h"
#include "server/graph/packet.h"

namespace speckd::server::graph {

enum class NodeKind {
  kDeviceSource,     // device output events (spikes, readout)
  kDeviceSink,       // writes incoming spikes/DVS events into a device
  kPowerSource,      // the device's power measurements
  kTypeFilter,       // keeps one event type
  kMemberSelect,     // keeps spikes whose layer/feature is white-listed
  kSpikeCollection,  // spikes per window of interval_ms
  kSpikeCount,       // per-feature counts per window
  kActivityFrame,    // count maps of one layer per window
  kMajorityReadout,  // sinabs' majority readout per window
  kEndpoint,         // what subscribers receive
};

enum class EventType {
  kSpike,
  kDvsEvent,
  kReadoutValue,
  kReadoutPinValue,
  kMeasurement
};

struct NodeSpec {
  std::string name;
  NodeKind kind = NodeKind::kDeviceSource;
  // Parameters; each kind reads only its own.
  EventType desired_type = EventType::kSpike;  // type_filter
  std::string member;                          // member_select: layer|feature
  std::vector<uint32_t> white_list;            // member_select
  uint32_t interval_ms = 0;    // spike_collection, activity_frame
  uint32_t feature_count = 0;  // spike_count, majority_readout
  uint32_t layer = 0;          // activity_frame (13 = DVS layer)
  // majority_readout (sinabs defaults: threshold_high 32000)
  uint32_t default_feature = 0;
  uint32_t threshold_low = 0;
  uint32_t threshold_high = 32000;
  uint32_t detection_threshold = 0;
};

struct EdgeSpec {
  std::string source;
  std::string target;
};

struct GraphSpec {
  std::string name;
  std::vector<NodeSpec> nodes;
  std::vector<EdgeSpec> edges;
};

struct NodeCounters {
  std::string node;
  uint64_t received = 0;
  uint64_t emitted = 0;
  uint64_t dropped = 0;
};

// Where an endpoint's packets go (implemented at the API edge: encodes and
// publishes to subscribers). Called on the device thread; may block for
// LOSSLESS back-pressure. Returns items it had to drop.
class EndpointSink {
 public:
  virtual ~EndpointSink() = default;
  virtual uint64_t Publish(const Packet& packet) = 0;
};

// Writes events into a device (device_sink); implemented by the device layer.
class InputSink {
 public:
  virtual ~InputSink() = default;
  // Returns events it could not accept (counted as dropped).
  virtual uint64_t Write(absl::Span<const chip::InputEvent> events) = 0;
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
  // Validates `spec` (unique names matching [A-Za-z0-9_.-]+, known nodes in
  // edges, parameters, port types of every edge, no cycles, at least one
  // source) and builds it. INVALID_ARGUMENT names the node (or edge).
  static absl::StatusOr<std::unique_ptr<Graph>> Build(
      const GraphSpec& spec, const GraphContext& context);

  ~Graph();

  // Runs one device output through the graph (sources first, then every
  // edge depth-first).
  void Process(const driver::DeviceOutput& output);

  // The device was reconfigured: frame sizes follow the new configuration.
  void Reconfigure(const chip::SpeckConfig& config);

  // Attaches the sink of endpoint `node`; FAILED_PRECONDITION if `node` is not
  // an endpoint, NOT_FOUND if unknown. Not owned; detach with nullptr.
  absl::Status SetEndpointSink(const std::string& node, EndpointSink* sink);

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
