// What a graph is made of, as plain data: its nodes (kind and parameters)
// and edges. Graph::Build (graph.h) checks and runs it; proto/codec maps it
// to and from speckd.v1.GraphSpec.
#ifndef SPECKD_SERVER_GRAPH_GRAPH_SPEC_H_
#define SPECKD_SERVER_GRAPH_GRAPH_SPEC_H_

#include <cstdint>
#include <string>
#include <vector>

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
  std::string lease_id;        // device_sink: the target device's lease
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

}  // namespace speckd::server::graph

#endif  // SPECKD_SERVER_GRAPH_GRAPH_SPEC_H_
