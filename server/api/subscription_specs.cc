#include "server/api/subscription_specs.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "driver/chip/config.h"
#include "proto/codec/graph_codec.h"
#include "server/api/convert.h"

namespace speckd::server::api {
namespace {

namespace v1 = ::speckd::v1;

// Spike layers to count when the request names none: every core.
std::vector<uint32_t> LayersOrCores(
    const google::protobuf::RepeatedField<uint32_t>& layers) {
  if (!layers.empty()) return {layers.begin(), layers.end()};
  std::vector<uint32_t> all;
  for (uint32_t i = 0; i < static_cast<uint32_t>(chip::kNumCores); ++i) {
    all.push_back(i);
  }
  return all;
}

graph::NodeSpec Node(const std::string& name, graph::NodeKind kind) {
  graph::NodeSpec node;
  node.name = name;
  node.kind = kind;
  return node;
}

graph::NodeSpec TypeFilter(const std::string& name, graph::EventType type) {
  graph::NodeSpec node = Node(name, graph::NodeKind::kTypeFilter);
  node.desired_type = type;
  return node;
}

graph::NodeSpec Select(const std::string& name, const std::string& member,
                       std::vector<uint32_t> white_list) {
  graph::NodeSpec node = Node(name, graph::NodeKind::kMemberSelect);
  node.member = member;
  node.white_list = std::move(white_list);
  return node;
}

// "1,2,3" for share keys.
template <typename Container>
std::string Join(const Container& values) {
  return absl::StrJoin(values, ",");
}

}  // namespace

absl::StatusOr<InternalGraph> SpecFor(const v1::SubscribeEventsRequest& r) {
  // Repeated enums are stored as ints.
  std::vector<int> types(r.filter().types().begin(), r.filter().types().end());
  if (types.empty()) types.push_back(v1::SPIKE);
  std::sort(types.begin(), types.end());
  types.erase(std::unique(types.begin(), types.end()), types.end());
  InternalGraph out;
  graph::GraphSpec& spec = out.spec;
  spec.nodes.push_back(Node("source", graph::NodeKind::kDeviceSource));
  spec.nodes.push_back(Node("endpoint", graph::NodeKind::kEndpoint));
  for (int number : types) {
    const auto type = static_cast<v1::EventType>(number);
    const std::optional<graph::EventType> domain =
        codec::EventTypeFromProto(type);
    if (!domain.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter.types: ", number, " is not an event type"));
    }
    const std::string name = absl::StrCat("type_", v1::EventType_Name(type));
    spec.nodes.push_back(TypeFilter(name, *domain));
    std::string last = name;
    if (type == v1::SPIKE && !r.filter().layers().empty()) {
      spec.nodes.push_back(
          Select("layers", "layer",
                 {r.filter().layers().begin(), r.filter().layers().end()}));
      spec.edges.push_back({last, "layers"});
      last = "layers";
    }
    if (type == v1::SPIKE && !r.filter().features().empty()) {
      spec.nodes.push_back(
          Select("features", "feature",
                 {r.filter().features().begin(), r.filter().features().end()}));
      spec.edges.push_back({last, "features"});
      last = "features";
    }
    spec.edges.push_back({"source", name});
    spec.edges.push_back({last, "endpoint"});
  }
  out.key = absl::StrCat("events|", Join(types), "|", Join(r.filter().layers()),
                         "|", Join(r.filter().features()));
  return out;
}

absl::StatusOr<InternalGraph> SpecFor(
    const v1::SubscribeSpikeCountsRequest& r) {
  if (r.interval_ms() == 0) {
    return absl::InvalidArgumentError("interval_ms: must be at least 1");
  }
  if (r.feature_count() == 0) {
    return absl::InvalidArgumentError("feature_count: must be at least 1");
  }
  const std::vector<uint32_t> layers = LayersOrCores(r.layers());
  InternalGraph out;
  graph::GraphSpec& spec = out.spec;
  spec.nodes.push_back(Node("source", graph::NodeKind::kDeviceSource));
  spec.nodes.push_back(TypeFilter("spikes", graph::EventType::kSpike));
  spec.nodes.push_back(Select("layers", "layer", layers));
  graph::NodeSpec collection =
      Node("collection", graph::NodeKind::kSpikeCollection);
  collection.interval_ms = r.interval_ms();
  spec.nodes.push_back(collection);
  graph::NodeSpec count = Node("count", graph::NodeKind::kSpikeCount);
  count.feature_count = r.feature_count();
  spec.nodes.push_back(count);
  spec.nodes.push_back(Node("endpoint", graph::NodeKind::kEndpoint));
  spec.edges = {{"source", "spikes"},
                {"spikes", "layers"},
                {"layers", "collection"},
                {"collection", "count"},
                {"count", "endpoint"}};
  out.key = absl::StrCat("counts|", r.interval_ms(), "|", r.feature_count(),
                         "|", Join(layers));
  return out;
}

absl::StatusOr<InternalGraph> SpecFor(const v1::SubscribeActivityRequest& r) {
  const uint32_t interval =
      r.frame_interval_ms() == 0 ? 50 : r.frame_interval_ms();
  InternalGraph out;
  graph::GraphSpec& spec = out.spec;
  spec.nodes.push_back(Node("source", graph::NodeKind::kDeviceSource));
  spec.nodes.push_back(TypeFilter("spikes", graph::EventType::kSpike));
  graph::NodeSpec frames = Node("frames", graph::NodeKind::kActivityFrame);
  frames.layer = r.layer();
  frames.interval_ms = interval;
  spec.nodes.push_back(frames);
  spec.nodes.push_back(Node("endpoint", graph::NodeKind::kEndpoint));
  spec.edges = {
      {"source", "spikes"}, {"spikes", "frames"}, {"frames", "endpoint"}};
  out.key = absl::StrCat("activity|", r.layer(), "|", interval);
  return out;
}

absl::StatusOr<InternalGraph> SpecFor(const v1::SubscribeReadoutRequest& r) {
  InternalGraph out;
  graph::GraphSpec& spec = out.spec;
  spec.nodes.push_back(Node("source", graph::NodeKind::kDeviceSource));
  spec.nodes.push_back(TypeFilter("values", graph::EventType::kReadoutValue));
  spec.nodes.push_back(TypeFilter("pins", graph::EventType::kReadoutPinValue));
  spec.nodes.push_back(Node("endpoint", graph::NodeKind::kEndpoint));
  spec.edges = {{"source", "values"},
                {"source", "pins"},
                {"values", "endpoint"},
                {"pins", "endpoint"}};
  out.key = "readout";
  if (!r.has_majority()) return out;
  const v1::MajorityReadoutOptions& m = r.majority();
  if (m.feature_count() == 0) {
    return absl::InvalidArgumentError(
        "majority.feature_count: must be at least 1");
  }
  const std::vector<uint32_t> layers = LayersOrCores(m.layers());
  spec.nodes.push_back(TypeFilter("spikes", graph::EventType::kSpike));
  spec.nodes.push_back(Select("layers", "layer", layers));
  graph::NodeSpec collection =
      Node("collection", graph::NodeKind::kSpikeCollection);
  collection.interval_ms = m.interval_ms() == 0 ? 500 : m.interval_ms();
  spec.nodes.push_back(collection);
  graph::NodeSpec majority =
      Node("majority", graph::NodeKind::kMajorityReadout);
  codec::MajorityFromProto(m, &majority);
  spec.nodes.push_back(majority);
  spec.edges.push_back({"source", "spikes"});
  spec.edges.push_back({"spikes", "layers"});
  spec.edges.push_back({"layers", "collection"});
  spec.edges.push_back({"collection", "majority"});
  spec.edges.push_back({"majority", "endpoint"});
  absl::StrAppend(&out.key, "|majority|", collection.interval_ms, "|",
                  majority.feature_count, "|", majority.default_feature, "|",
                  majority.threshold_low, "|", majority.threshold_high, "|",
                  majority.detection_threshold, "|", Join(layers));
  return out;
}

absl::StatusOr<InternalGraph> SpecFor(const v1::SubscribePowerRequest&) {
  InternalGraph out;
  out.spec.nodes.push_back(Node("power", graph::NodeKind::kPowerSource));
  out.spec.nodes.push_back(Node("endpoint", graph::NodeKind::kEndpoint));
  out.spec.edges = {{"power", "endpoint"}};
  out.key = "power";
  return out;
}

}  // namespace speckd::server::api
