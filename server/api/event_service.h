// speckd.v1.EventService: event writes into a device and the subscriptions
// (spikes, spike counts, activity frames, readout, power). Subscriptions use
// raw (pre-serialized) responses so that one encoding serves every
// subscriber.
#ifndef SPECKD_SERVER_API_EVENT_SERVICE_H_
#define SPECKD_SERVER_API_EVENT_SERVICE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "proto/speckd/v1/event_service.grpc.pb.h"
#include "server/api/subscriptions.h"
#include "server/devices/device_manager.h"

namespace speckd::server::api {

namespace v1 = ::speckd::v1;

using EventServiceBase =
    v1::EventService::WithRawCallbackMethod_SubscribeEvents<
        v1::EventService::WithRawCallbackMethod_SubscribeSpikeCounts<
            v1::EventService::WithRawCallbackMethod_SubscribeActivity<
                v1::EventService::WithRawCallbackMethod_SubscribeReadout<
                    v1::EventService::WithRawCallbackMethod_SubscribePower<
                        v1::EventService::CallbackService>>>>>;

class EventServiceImpl final : public EventServiceBase {
 public:
  EventServiceImpl(DeviceManager* devices, SubscriptionHub* hub)
      : devices_(devices), hub_(hub) {}

  grpc::ServerReadReactor<v1::WriteEventsRequest>* WriteEvents(
      grpc::CallbackServerContext* context,
      v1::WriteEventsResponse* response) override;
  grpc::ServerUnaryReactor* WriteEventBatch(
      grpc::CallbackServerContext* context,
      const v1::WriteEventsRequest* request,
      v1::WriteEventsResponse* response) override;

  grpc::ServerWriteReactor<grpc::ByteBuffer>* SubscribeEvents(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* SubscribeSpikeCounts(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* SubscribeActivity(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* SubscribeReadout(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* SubscribePower(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;

 private:
  DeviceManager* const devices_;
  SubscriptionHub* const hub_;
};

// A write stream that ends right away with `status` (bad request, unknown
// device): the reactor every failing Subscribe* returns.
grpc::ServerWriteReactor<grpc::ByteBuffer>* FailedStream(grpc::Status status);

// Parses a raw request; INVALID_ARGUMENT if the bytes are not a `T`.
template <typename T>
absl::Status ParseRequest(const grpc::ByteBuffer& bytes, T* out) {
  std::vector<grpc::Slice> slices;
  if (!bytes.Dump(&slices).ok()) {
    return absl::InvalidArgumentError("the request could not be read");
  }
  std::string data;
  for (const grpc::Slice& slice : slices) {
    data.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  if (!out->ParseFromString(data)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the request is not a valid ", T::descriptor()->full_name()));
  }
  return absl::OkStatus();
}

}  // namespace speckd::server::api

#endif  // SPECKD_SERVER_API_EVENT_SERVICE_H_
