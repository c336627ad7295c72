// EventApi: the logic of speckd.v1.EventService, gRPC-free: writes into a
// device (checked and converted when the device's writer is ready for them,
// against the configuration in effect then) and the Subscribe* calls, each
// of which builds or joins an internal graph (subscription_specs.h).
#ifndef SPECKD_SERVER_API_EVENT_API_H_
#define SPECKD_SERVER_API_EVENT_API_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/speckd/v1/event_service.pb.h"
#include "server/api/subscriptions.h"
#include "server/devices/device_manager.h"
#include "server/devices/input_writer.h"

namespace speckd::server::api {

namespace v1 = ::speckd::v1;

class EventApi {
 public:
  // How long a write may wait for room in the device when its caller set
  // no earlier deadline.
  static constexpr absl::Duration kMaxWriteWait = absl::Seconds(30);

  // Both must outlive the API.
  EventApi(DeviceManager* devices, SubscriptionHub* hub)
      : devices_(devices), hub_(hub) {}

  // Hands `request`'s events to `device`'s writer, as the holder of
  // `lease_id`; `request` must stay alive until `done` runs (exactly once,
  // unless this returns an error). `wait` bounds the wait for room (capped
  // at kMaxWriteWait).
  absl::Status Write(ManagedDevice* device, const std::string& lease_id,
                     const v1::WriteEventsRequest& request, bool flush,
                     absl::Duration wait,
                     std::function<void(absl::StatusOr<WriteResult>)> done);

  // WriteEventBatch: `done` once the device has the batch, or why not.
  void WriteEventBatch(const v1::WriteEventsRequest& request,
                       absl::Duration wait, v1::WriteEventsResponse* response,
                       std::function<void(absl::Status)> done);

  absl::StatusOr<Subscription> SubscribeEvents(
      const v1::SubscribeEventsRequest& request);
  absl::StatusOr<Subscription> SubscribeSpikeCounts(
      const v1::SubscribeSpikeCountsRequest& request);
  absl::StatusOr<Subscription> SubscribeActivity(
      const v1::SubscribeActivityRequest& request);
  absl::StatusOr<Subscription> SubscribeReadout(
      const v1::SubscribeReadoutRequest& request);
  absl::StatusOr<Subscription> SubscribePower(
      const v1::SubscribePowerRequest& request);

  // The same for the daemon's recorder: LOSSLESS without the lease (a
  // recording needs none). For SubscribeEventsRequest, SubscribeReadoutRequest
  // and SubscribePowerRequest.
  template <typename Request>
  absl::StatusOr<Subscription> SubscribeForRecording(const Request& request);

 private:
  template <typename Request>
  absl::StatusOr<Subscription> Subscribe(const Request& request,
                                         bool exempt_from_lease = false);

  DeviceManager* const devices_;
  SubscriptionHub* const hub_;
};

}  // namespace speckd::server::api

#endif  // SPECKD_SERVER_API_EVENT_API_H_
