// What only the server says in speckd.v1's terms: its device snapshots and
// graph state, subscription options, and the stream messages it sends, built
// from proto/codec's mappings (the graph, stream and device layers never see
// protobuf).
#ifndef SPECKD_SERVER_API_CONVERT_H_
#define SPECKD_SERVER_API_CONVERT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/speckd/v1/device_service.pb.h"
#include "proto/speckd/v1/event_service.pb.h"
#include "proto/speckd/v1/events.pb.h"
#include "proto/speckd/v1/graph_service.pb.h"
#include "server/api/subscribe_options.h"
#include "server/devices/managed_device.h"
#include "server/graph/graph.h"
#include "server/stream/subscriber.h"

namespace speckd::server::api {

void ToProto(const DeviceSnapshot& snapshot, speckd::v1::Device* out);

void ToProto(const GraphInfo& info, speckd::v1::Graph* out);

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
// With `raw_columns`, spikes go as SpikeColumns instead of SpikeBatch.
std::vector<PayloadPtr> EncodePacket(const graph::Packet& packet,
                                     bool raw_columns = false);

// `message` serialized once as a shared payload of `items` items.
PayloadPtr EncodePayload(const google::protobuf::MessageLite& message,
                         uint64_t items);

// A notice (device reconfigured, inputs dropped, ...) as a payload.
PayloadPtr EncodeNotice(const Notice& notice);
PayloadPtr EncodeKeepAlive(uint64_t stop_watch_us);

}  // namespace speckd::server::api

#endif  // SPECKD_SERVER_API_CONVERT_H_
