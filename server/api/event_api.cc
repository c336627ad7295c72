#include "server/api/event_api.h"

#include <algorithm>
#include <utility>

#include "proto/codec/events_codec.h"
#include "server/api/convert.h"
#include "server/api/subscription_specs.h"

namespace speckd::server::api {

absl::Status EventApi::Write(
    ManagedDevice* device, const std::string& lease_id,
    const v1::WriteEventsRequest& request, bool flush, absl::Duration wait,
    std::function<void(absl::StatusOr<WriteResult>)> done) {
  WriteJob job;
  // Converted when the writer takes it, against the configuration then.
  job.inputs = [&request](const chip::SpeckConfig& config) {
    return codec::InputsFromProto(request, config);
  };
  job.flush = flush;
  job.request_bytes = request.SpaceUsedLong();
  job.deadline = devices_->clock()->Now() +
                 std::clamp(wait, absl::ZeroDuration(), kMaxWriteWait);
  job.done = std::move(done);
  return device->SubmitWrite(lease_id, std::move(job));
}

void EventApi::WriteEventBatch(const v1::WriteEventsRequest& request,
                               absl::Duration wait,
                               v1::WriteEventsResponse* response,
                               std::function<void(absl::Status)> done) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request.device_id());
  if (!device.ok()) return done(device.status());
  auto finish = [response, done](absl::StatusOr<WriteResult> written) {
    if (!written.ok()) return done(written.status());
    response->set_accepted(written->accepted);
    response->set_last_timestamp_us(written->last_timestamp_us);
    response->set_dvs_events_outside_region(written->outside_dvs_region);
    done(absl::OkStatus());
  };
  absl::Status submitted = Write(*device, request.lease_id(), request,
                                 request.flush(), wait, std::move(finish));
  if (!submitted.ok()) done(submitted);
}

template <typename Request>
absl::StatusOr<Subscription> EventApi::Subscribe(const Request& request,
                                                 bool exempt_from_lease) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request.device_id());
  if (!device.ok()) return device.status();
  absl::StatusOr<InternalGraph> graph = SpecFor(request);
  if (!graph.ok()) return graph.status();
  SubscribeOptions options = OptionsFromProto(request.options());
  options.exempt_from_lease = exempt_from_lease;
  return hub_->Subscribe(*device, graph->key, graph->spec, graph->endpoint,
                         options);
}

template <typename Request>
absl::StatusOr<Subscription> EventApi::SubscribeForRecording(
    const Request& request) {
  return Subscribe(request, /*exempt_from_lease=*/true);
}

template absl::StatusOr<Subscription> EventApi::SubscribeForRecording(
    const v1::SubscribeEventsRequest&);
template absl::StatusOr<Subscription> EventApi::SubscribeForRecording(
    const v1::SubscribeReadoutRequest&);
template absl::StatusOr<Subscription> EventApi::SubscribeForRecording(
    const v1::SubscribePowerRequest&);

absl::StatusOr<Subscription> EventApi::SubscribeEvents(
    const v1::SubscribeEventsRequest& request) {
  return Subscribe(request);
}

absl::StatusOr<Subscription> EventApi::SubscribeSpikeCounts(
    const v1::SubscribeSpikeCountsRequest& request) {
  return Subscribe(request);
}

absl::StatusOr<Subscription> EventApi::SubscribeActivity(
    const v1::SubscribeActivityRequest& request) {
  return Subscribe(request);
}

absl::StatusOr<Subscription> EventApi::SubscribeReadout(
    const v1::SubscribeReadoutRequest& request) {
  return Subscribe(request);
}

absl::StatusOr<Subscription> EventApi::SubscribePower(
    const v1::SubscribePowerRequest& request) {
  return Subscribe(request);
}

}  // namespace speckd::server::api
