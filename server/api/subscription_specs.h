// The internal graph each Subscribe* call asks for, and the key under which
// identical requests share it (one graph, one encoding, many subscribers):
//
//   SubscribeSpikeCounts{interval 50, features 2}
//     -> device_source -> type_filter(spike) -> member_select(layers)
//        -> spike_collection(50) -> spike_count(2) -> endpoint
//
// INVALID_ARGUMENT names the request field at fault.
#ifndef SPECKD_SERVER_API_SUBSCRIPTION_SPECS_H_
#define SPECKD_SERVER_API_SUBSCRIPTION_SPECS_H_

#include <string>

#include "absl/status/statusor.h"
#include "proto/speckd/v1/event_service.pb.h"
#include "server/graph/graph.h"

namespace speckd::server::api {

struct InternalGraph {
  std::string key;
  graph::GraphSpec spec;
  // The node subscribers read.
  std::string endpoint = "endpoint";
};

absl::StatusOr<InternalGraph> SpecFor(
    const speckd::v1::SubscribeEventsRequest& request);
absl::StatusOr<InternalGraph> SpecFor(
    const speckd::v1::SubscribeSpikeCountsRequest& request);
absl::StatusOr<InternalGraph> SpecFor(
    const speckd::v1::SubscribeActivityRequest& request);
absl::StatusOr<InternalGraph> SpecFor(
    const speckd::v1::SubscribeReadoutRequest& request);
absl::StatusOr<InternalGraph> SpecFor(
    const speckd::v1::SubscribePowerRequest& request);

}  // namespace speckd::server::api

#endif  // SPECKD_SERVER_API_SUBSCRIPTION_SPECS_H_
