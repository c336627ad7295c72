// Graphs between speckd.v1.GraphSpec and the server's plain graph data
// (server/graph/graph_spec.h), both ways: what CreateGraph receives and what
// GetGraph returns.
#ifndef SPECKD_PROTO_CODEC_GRAPH_CODEC_H_
#define SPECKD_PROTO_CODEC_GRAPH_CODEC_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "proto/speckd/v1/events.pb.h"
#include "proto/speckd/v1/graph_service.pb.h"
#include "server/graph/graph_spec.h"

namespace speckd::codec {

// `device_id` fills a device_sink without a target, `lease_id` one without
// a lease of its own. INVALID_ARGUMENT names the node whose kind is not set.
absl::StatusOr<server::graph::GraphSpec> GraphSpecFromProto(
    const speckd::v1::GraphSpec& spec, const std::string& device_id,
    const std::string& lease_id);
// The lease of a device_sink is not shown.
void ToProto(const server::graph::GraphSpec& spec, speckd::v1::GraphSpec* out);

// The graph's type of `type`; nullopt when unset or unknown.
std::optional<server::graph::EventType> EventTypeFromProto(
    speckd::v1::EventType type);

// sinabs' majority readout parameters, from a graph node or a subscription
// (both messages carry the same fields); threshold_high 0 means 32000.
template <typename Majority>
void MajorityFromProto(const Majority& m, server::graph::NodeSpec* node) {
  node->feature_count = m.feature_count();
  node->default_feature = m.default_feature();
  node->threshold_low = m.threshold_low();
  node->threshold_high = m.threshold_high() == 0 ? 32000 : m.threshold_high();
  node->detection_threshold = m.detection_threshold();
}

}  // namespace speckd::codec

#endif  // SPECKD_PROTO_CODEC_GRAPH_CODEC_H_
