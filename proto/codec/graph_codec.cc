#include "proto/codec/graph_codec.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace speckd::codec {

namespace v1 = ::speckd::v1;
namespace graph = ::speckd::server::graph;

std::optional<graph::EventType> EventTypeFromProto(v1::EventType type) {
  switch (type) {
    case v1::SPIKE:
      return graph::EventType::kSpike;
    case v1::DVS_EVENT:
      return graph::EventType::kDvsEvent;
    case v1::READOUT_VALUE:
      return graph::EventType::kReadoutValue;
    case v1::READOUT_PIN_VALUE:
      return graph::EventType::kReadoutPinValue;
    case v1::MEASUREMENT:
      return graph::EventType::kMeasurement;
    default:
      return std::nullopt;
  }
}

absl::StatusOr<graph::GraphSpec> GraphSpecFromProto(
    const v1::GraphSpec& spec, const std::string& device_id,
    const std::string& lease_id) {
  graph::GraphSpec out;
  out.name = spec.name();
  for (int i = 0; i < spec.nodes_size(); ++i) {
    const v1::NodeSpec& n = spec.nodes(i);
    graph::NodeSpec node;
    node.name = n.name();
    switch (n.kind_case()) {
      case v1::NodeSpec::kDeviceSource:
        node.kind = graph::NodeKind::kDeviceSource;
        break;
      case v1::NodeSpec::kDeviceSink:
        node.kind = graph::NodeKind::kDeviceSink;
        node.member = n.device_sink().device_id().empty()
                          ? device_id
                          : n.device_sink().device_id();
        node.lease_id = n.device_sink().lease_id().empty()
                            ? lease_id
                            : n.device_sink().lease_id();
        break;
      case v1::NodeSpec::kPowerSource:
        node.kind = graph::NodeKind::kPowerSource;
        break;
      case v1::NodeSpec::kTypeFilter: {
        node.kind = graph::NodeKind::kTypeFilter;
        const std::optional<graph::EventType> type =
            EventTypeFromProto(n.type_filter().desired_type());
        if (!type.has_value()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "nodes[", i, "] '", n.name(),
              "': type_filter.desired_type must be set (SPIKE, DVS_EVENT, "
              "READOUT_VALUE, READOUT_PIN_VALUE or MEASUREMENT)"));
        }
        node.desired_type = *type;
        break;
      }
      case v1::NodeSpec::kMemberSelect:
        node.kind = graph::NodeKind::kMemberSelect;
        node.member = n.member_select().member();
        node.white_list.assign(n.member_select().white_list().begin(),
                               n.member_select().white_list().end());
        break;
      case v1::NodeSpec::kSpikeCollection:
        node.kind = graph::NodeKind::kSpikeCollection;
        node.interval_ms = n.spike_collection().interval_milli_sec();
        break;
      case v1::NodeSpec::kSpikeCount:
        node.kind = graph::NodeKind::kSpikeCount;
        node.feature_count = n.spike_count().feature_count();
        break;
      case v1::NodeSpec::kActivityFrame:
        node.kind = graph::NodeKind::kActivityFrame;
        node.layer = n.activity_frame().layer();
        node.interval_ms = n.activity_frame().interval_milli_sec();
        break;
      case v1::NodeSpec::kMajorityReadout:
        node.kind = graph::NodeKind::kMajorityReadout;
        MajorityFromProto(n.majority_readout(), &node);
        break;
      case v1::NodeSpec::kEndpoint:
        node.kind = graph::NodeKind::kEndpoint;
        break;
      default:
        return absl::InvalidArgumentError(absl::StrCat(
            "nodes[", i, "] '", n.name(),
            "': unknown or missing node type (set one of device_source, "
            "device_sink, power_source, type_filter, member_select, "
            "spike_collection, spike_count, activity_frame, majority_readout, "
            "endpoint)"));
    }
    out.nodes.push_back(std::move(node));
  }
  for (const v1::Edge& e : spec.edges())
    out.edges.push_back({e.source(), e.target()});
  return out;
}

void ToProto(const graph::GraphSpec& spec, v1::GraphSpec* out) {
  out->set_name(spec.name);
  for (const graph::NodeSpec& node : spec.nodes) {
    v1::NodeSpec* n = out->add_nodes();
    n->set_name(node.name);
    switch (node.kind) {
      case graph::NodeKind::kDeviceSource:
        n->mutable_device_source();
        break;
      case graph::NodeKind::kDeviceSink:
        n->mutable_device_sink()->set_device_id(node.member);
        break;
      case graph::NodeKind::kPowerSource:
        n->mutable_power_source();
        break;
      case graph::NodeKind::kTypeFilter: {
        static constexpr v1::EventType kTypes[] = {
            v1::SPIKE, v1::DVS_EVENT, v1::READOUT_VALUE, v1::READOUT_PIN_VALUE,
            v1::MEASUREMENT};
        n->mutable_type_filter()->set_desired_type(
            kTypes[static_cast<int>(node.desired_type)]);
        break;
      }
      case graph::NodeKind::kMemberSelect:
        n->mutable_member_select()->set_member(node.member);
        for (uint32_t v : node.white_list) {
          n->mutable_member_select()->add_white_list(v);
        }
        break;
      case graph::NodeKind::kSpikeCollection:
        n->mutable_spike_collection()->set_interval_milli_sec(node.interval_ms);
        break;
      case graph::NodeKind::kSpikeCount:
        n->mutable_spike_count()->set_feature_count(node.feature_count);
        break;
      case graph::NodeKind::kActivityFrame:
        n->mutable_activity_frame()->set_layer(node.layer);
        n->mutable_activity_frame()->set_interval_milli_sec(node.interval_ms);
        break;
      case graph::NodeKind::kMajorityReadout: {
        v1::MajorityReadoutNode* m = n->mutable_majority_readout();
        m->set_feature_count(node.feature_count);
        m->set_default_feature(node.default_feature);
        m->set_threshold_low(node.threshold_low);
        m->set_threshold_high(node.threshold_high);
        m->set_detection_threshold(node.detection_threshold);
        break;
      }
      case graph::NodeKind::kEndpoint:
        n->mutable_endpoint();
        break;
    }
  }
  for (const graph::EdgeSpec& e : spec.edges) {
    v1::Edge* edge = out->add_edges();
    edge->set_source(e.source);
    edge->set_target(e.target);
  }
}

}  // namespace speckd::codec
