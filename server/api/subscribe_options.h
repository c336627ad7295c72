// What a client asks of a subscription (speckd.v1.SubscriptionOptions, in
// the server's terms); SubscriptionHub decides what it gets.
#ifndef SPECKD_SERVER_API_SUBSCRIBE_OPTIONS_H_
#define SPECKD_SERVER_API_SUBSCRIBE_OPTIONS_H_

#include <cstddef>
#include <string>

#include "server/stream/subscriber.h"

namespace speckd::server::api {

// What a client asked for (SubscriptionOptions in speckd.v1).
struct SubscribeOptions {
  OverflowPolicy policy = OverflowPolicy::kDropOldest;
  // 0: the server's default.
  size_t max_queued_messages = 0;
  size_t max_queued_bytes = 0;
  // LOSSLESS needs the device's lease: it can slow the device down.
  std::string lease_id;
  // The daemon's own consumers (a recorder) need no lease.
  bool exempt_from_lease = false;
  // Spikes as SpikeColumns (raw little-endian arrays) rather than SpikeBatch.
  bool raw_columns = false;
};

}  // namespace speckd::server::api

#endif  // SPECKD_SERVER_API_SUBSCRIBE_OPTIONS_H_
