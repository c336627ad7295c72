// Conversions between speckd.v1 messages and the server's domain types, in
// one place (the graph, stream and device layers never see protobuf).
#ifndef SPECKD_SERVER_API_CONVERT_H_
#define SPECKD_SERVER_API_CONVERT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "driver/chip/config.h"
#include "driver/chip/events.h"
#include "proto/speckd/v1/device_service.pb.h"
#include "proto/speckd/v1/event_service.pb.h"
#include "proto/speckd/v1/events.pb.h"
#include "proto/speckd/v1/graph_service.pb.h"
#include "server/api/subscribe_options.h"
#include "server/devices/managed_device.h"
#include "server/graph/graph.h"
#include "server/stream/subscriber.h"

namespace speckd::server::api {

// Checks a write request against the device and its configuration and turns
// it into time-ordered inputs (DVS events and spikes merged by timestamp, DVS
// first on ties). INVALID_ARGUMENT names the first bad event by column and
// index, e.g. "spikes[17].x: 16 is outside core 0's input width (0..15)".
absl::StatusOr<std::vector<chip::InputEvent>> InputsFromProto(
    const speckd::v1::WriteEventsRequest& request,
    const chip::SpeckConfig& config);

void ToProto(const DeviceSnapshot& snapshot, speckd::v1::Device* out);

// `device_id` fills a device_sink without a target, `lease_id` one without
// a lease of its own. INVALID_ARGUMENT names the node whose kind is not set.
absl::StatusOr<graph::GraphSpec> GraphSpecFromProto(
    const speckd::v1::GraphSpec& spec, const std::string& device_id,
    const std::string& lease_id);
void ToProto(const graph::GraphSpec& spec, speckd::v1::GraphSpec* out);
void ToProto(const GraphInfo& info, speckd::v1::Graph* out);

// The domain type of `type`; nullopt when unset or unknown.
std::optional<graph::EventType> EventTypeFromProto(speckd::v1::EventType type);

// sinabs' majority readout parameters, from a graph node or a subscription
// (both messages carry the same fields); threshold_high 0 means 32000.
template <typename Majority>
void MajorityFromProto(const Majority& m, graph::NodeSpec* node) {
  node->feature_count = m.feature_count();
  node->default_feature = m.default_feature();
  node->threshold_low = m.threshold_low();
  node->threshold_high = m.threshold_high() == 0 ? 32000 : m.threshold_high();
  node->detection_threshold = m.detection_threshold();
}

// The node catalogue (ListNodeTypes).
void NodeCatalogue(speckd::v1::ListNodeTypesResponse* out);

SubscribeOptions OptionsFromProto(const speckd::v1::SubscriptionOptions& p);

// Stream messages stay small whatever a packet holds (a few hundred KB at
// most, far below gRPC's 4 MiB default): spikes, readout items and
// measurements at most kItemsPerMessage per message; a spike collection's
// window split into parts of at most that many spikes; count windows at
// most kWindowsPerMessage and kCountsPerMessage count values per message;
// one activity frame (at most 256 x 256) per message.
inline constexpr size_t kItemsPerMessage = 16384;
inline constexpr size_t kSpikesPerMessage = kItemsPerMessage;
inline constexpr size_t kWindowsPerMessage = 1024;
inline constexpr size_t kCountsPerMessage = 65536;

// A packet as stream-message payloads (fields >= 10 only), serialized once
// for every subscriber, bounded as above. Time-only packets give none.
std::vector<PayloadPtr> EncodePacket(const graph::Packet& packet);

// `message` serialized once as a shared payload of `items` items.
PayloadPtr EncodePayload(const google::protobuf::MessageLite& message,
                         uint64_t items);

// A notice (device reconfigured, inputs dropped, ...) as a payload.
PayloadPtr EncodeNotice(const Notice& notice);
PayloadPtr EncodeKeepAlive(uint64_t stop_watch_us);

}  // namespace speckd::server::api

#endif  // SPECKD_SERVER_API_CONVERT_H_
