#include "server/api/services.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/api/status.h"
#include "server/api/unary.h"
#include "server/auth/authorizer.h"

namespace speckd::server::api {
namespace {

// A server stream of a subscription's messages, once access control has
// allowed the call.
template <typename Request, typename Api>
RawStream ServeStream(
    Api* api, absl::StatusOr<Subscription> (Api::*subscribe)(const Request&),
    StreamRegistry* registry, grpc::CallbackServerContext* context,
    const grpc::ByteBuffer* raw) {
  if (absl::Status s = auth::CallerOf(context).status(); !s.ok()) {
    return FailedStream(ToGrpcStatus(s));
  }
  Request request;
  if (absl::Status s = ParseRequest(*raw, &request); !s.ok()) {
    return FailedStream(ToGrpcStatus(s));
  }
  absl::StatusOr<Subscription> subscription = (api->*subscribe)(request);
  if (!subscription.ok()) {
    return FailedStream(ToGrpcStatus(subscription.status()));
  }
  return StreamReactor::Start(std::move(subscription->subscriber), registry,
                              std::move(subscription->release));
}

// Who a new lease is held by: with access control, the caller's name (and
// what the client calls itself, in parentheses); without, what the client
// says (DeviceApi falls back to its address).
std::string LeaseHolder(const grpc::CallbackServerContext* context,
                        const std::string& asked) {
  absl::StatusOr<auth::Identity> caller = auth::CallerOf(context);
  if (!caller.ok() || caller->name.empty()) return asked;
  return asked.empty() || asked == caller->name
             ? caller->name
             : absl::StrCat(caller->name, " (", asked, ")");
}

// A client stream refused before it started.
grpc::ServerReadReactor<grpc::ByteBuffer>* FailedRead(grpc::Status status) {
  class Failed final : public grpc::ServerReadReactor<grpc::ByteBuffer> {
   public:
    explicit Failed(const grpc::Status& status) { Finish(status); }
    void OnDone() override { delete this; }
  };
  return new Failed(status);
}

// How long the call may still take, by its gRPC deadline.
absl::Duration Remaining(const grpc::CallbackServerContext* context) {
  return absl::FromChrono(context->deadline()) - absl::Now();
}

// Client-streaming writes: one message at a time; the next read starts only
// once the device took the previous one, so gRPC flow control slows a writer
// that is faster than the device. A message that does not parse, or that the
// device refuses, ends the stream with its index and what was accepted
// before it (also as trailing metadata: speckd-accepted-events).
class WriteStream final : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  WriteStream(EventApi* api, DeviceManager* devices,
              grpc::CallbackServerContext* context, grpc::ByteBuffer* response)
      : api_(api), devices_(devices), context_(context), response_(response) {
    StartRead(&raw_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The client closed its side: flush so windows up to the last written
      // timestamp close, then answer.
      if (device_ == nullptr) return Answer();
      request_.Clear();
      return Submit(/*flush=*/true, /*last=*/true);
    }
    request_.Clear();
    if (absl::Status s = ParseRequest(raw_, &request_); !s.ok()) return Fail(s);
    if (device_ == nullptr) {
      absl::StatusOr<ManagedDevice*> device =
          devices_->Find(request_.device_id());
      if (!device.ok()) return Fail(device.status());
      device_ = *device;
    }
    if (!request_.lease_id().empty()) lease_id_ = request_.lease_id();
    Submit(request_.flush(), /*last=*/false);
  }

  void OnDone() override { delete this; }

 private:
  void Submit(bool flush, bool last) {
    absl::Status submitted =
        api_->Write(device_, lease_id_, request_, flush, Remaining(context_),
                    [this, last](absl::StatusOr<WriteResult> written) {
                      // On the device's writer thread (or this one, if refused
                      // at once).
                      if (!written.ok()) return Fail(written.status());
                      ++messages_;
                      events_ += written->accepted;
                      outside_region_ += written->outside_dvs_region;
                      last_timestamp_us_ = std::max(last_timestamp_us_,
                                                    written->last_timestamp_us);
                      if (last) return Answer();
                      StartRead(&raw_);
                    });
    if (!submitted.ok()) Fail(submitted);
  }

  void Answer() {
    v1::WriteEventsResponse response;
    response.set_accepted(events_);
    response.set_last_timestamp_us(last_timestamp_us_);
    response.set_dvs_events_outside_region(outside_region_);
    SerializeResponse(response, response_);
    Finish(grpc::Status::OK);
  }

  void Fail(const absl::Status& status) {
    context_->AddTrailingMetadata("speckd-accepted-events",
                                  absl::StrCat(events_));
    Finish(ToGrpcStatus(
        absl::Status(status.code(),
                     absl::StrCat("message ", messages_, ": ", status.message(),
                                  " (the ", messages_, " messages before it, ",
                                  events_, " events, were accepted)"))));
  }

  EventApi* const api_;
  DeviceManager* const devices_;
  grpc::CallbackServerContext* const context_;
  grpc::ByteBuffer* const response_;
  grpc::ByteBuffer raw_;
  // The message being written: it lives until the writer is done with it.
  v1::WriteEventsRequest request_;
  ManagedDevice* device_ = nullptr;
  std::string lease_id_;
  uint64_t messages_ = 0;
  uint64_t events_ = 0;
  uint64_t last_timestamp_us_ = 0;
  uint64_t outside_region_ = 0;
};

}  // namespace

// --- DeviceService -----------------------------------------------------------

RawUnary DeviceService::ListDevices(grpc::CallbackServerContext* context,
                                    const grpc::ByteBuffer* request,
                                    grpc::ByteBuffer* response) {
  return Serve(api_, &DeviceApi::ListDevices, context, request, response);
}

RawStream DeviceService::WatchDevices(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request) {
  return ServeStream(api_, &DeviceApi::WatchDevices, registry_, context,
                     request);
}

RawUnary DeviceService::GetDevice(grpc::CallbackServerContext* context,
                                  const grpc::ByteBuffer* request,
                                  grpc::ByteBuffer* response) {
  return Serve(api_, &DeviceApi::GetDevice, context, request, response);
}

RawUnary DeviceService::AcquireLease(grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) {
  return ServeUnary<v1::AcquireLeaseRequest, v1::Lease>(
      context, request, response,
      [&](const v1::AcquireLeaseRequest& in, v1::Lease* out) {
        if (in.take_over()) {
          absl::StatusOr<auth::Identity> caller = auth::CallerOf(context);
          if (caller.ok() && caller->role < auth::Role::kAdmin) {
            return absl::PermissionDeniedError(
                absl::StrCat("take_over needs the admin role; ", caller->name,
                             " is ", auth::RoleWithArticle(caller->role)));
          }
        }
        v1::AcquireLeaseRequest named = in;
        named.set_holder(LeaseHolder(context, in.holder()));
        return api_->AcquireLease(named, context->peer(), out);
      });
}

RawUnary DeviceService::SimulateFault(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) {
  return Serve(api_, &DeviceApi::SimulateFault, context, request, response);
}

RawUnary DeviceService::RenewLease(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) {
  return Serve(api_, &DeviceApi::RenewLease, context, request, response);
}

RawUnary DeviceService::ReleaseLease(grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) {
  return Serve(api_, &DeviceApi::ReleaseLease, context, request, response);
}

RawUnary DeviceService::SetStopWatch(grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) {
  return Serve(api_, &DeviceApi::SetStopWatch, context, request, response);
}

RawUnary DeviceService::SetSlowClock(grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) {
  return Serve(api_, &DeviceApi::SetSlowClock, context, request, response);
}

RawUnary DeviceService::SetPacing(grpc::CallbackServerContext* context,
                                  const grpc::ByteBuffer* request,
                                  grpc::ByteBuffer* response) {
  return Serve(api_, &DeviceApi::SetPacing, context, request, response);
}

RawUnary DeviceService::SetPowerMonitor(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) {
  return Serve(api_, &DeviceApi::SetPowerMonitor, context, request, response);
}

RawUnary DeviceService::ReadNeuronValues(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) {
  return Serve(api_, &DeviceApi::ReadNeuronValues, context, request, response);
}

RawUnary DeviceService::WriteNeuronValues(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) {
  return Serve(api_, &DeviceApi::WriteNeuronValues, context, request, response);
}

RawUnary DeviceService::CancelInputs(grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) {
  return Serve(api_, &DeviceApi::CancelInputs, context, request, response);
}

RawUnary DeviceService::WaitIdle(grpc::CallbackServerContext* context,
                                 const grpc::ByteBuffer* request,
                                 grpc::ByteBuffer* response) {
  return ServeUnaryLater<v1::WaitIdleRequest, v1::Device>(
      context, request, response,
      [this](const v1::WaitIdleRequest& in, v1::Device* out, auto done) {
        api_->WaitIdle(in, out, std::move(done));
      });
}

// --- ConfigService -----------------------------------------------------------

RawUnary ConfigService::ValidateConfiguration(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return Serve(api_, &ConfigApi::ValidateConfiguration, context, request,
               response);
}

RawUnary ConfigService::ApplyConfiguration(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) {
  return Serve(api_, &ConfigApi::ApplyConfiguration, context, request,
               response);
}

RawUnary ConfigService::GetConfiguration(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) {
  return Serve(api_, &ConfigApi::GetConfiguration, context, request, response);
}

// --- EventService ------------------------------------------------------------

grpc::ServerReadReactor<grpc::ByteBuffer>* EventService::WriteEvents(
    grpc::CallbackServerContext* context, grpc::ByteBuffer* response) {
  if (absl::Status s = auth::CallerOf(context).status(); !s.ok()) {
    return FailedRead(ToGrpcStatus(s));
  }
  return new WriteStream(api_, devices_, context, response);
}

RawUnary EventService::WriteEventBatch(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) {
  const absl::Duration wait = Remaining(context);
  return ServeUnaryLater<v1::WriteEventsRequest, v1::WriteEventsResponse>(
      context, request, response,
      [this, wait](const v1::WriteEventsRequest& in,
                   v1::WriteEventsResponse* out, auto done) {
        api_->WriteEventBatch(in, wait, out, std::move(done));
      });
}

RawStream EventService::SubscribeEvents(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request) {
  return ServeStream(api_, &EventApi::SubscribeEvents, registry_, context,
                     request);
}

RawStream EventService::SubscribeSpikeCounts(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  return ServeStream(api_, &EventApi::SubscribeSpikeCounts, registry_, context,
                     request);
}

RawStream EventService::SubscribeActivity(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request) {
  return ServeStream(api_, &EventApi::SubscribeActivity, registry_, context,
                     request);
}

RawStream EventService::SubscribeReadout(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request) {
  return ServeStream(api_, &EventApi::SubscribeReadout, registry_, context,
                     request);
}

RawStream EventService::SubscribePower(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request) {
  return ServeStream(api_, &EventApi::SubscribePower, registry_, context,
                     request);
}

// --- GraphService ------------------------------------------------------------

RawUnary GraphService::ListNodeTypes(grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) {
  return Serve(api_, &GraphApi::ListNodeTypes, context, request, response);
}

RawUnary GraphService::CreateGraph(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) {
  return Serve(api_, &GraphApi::CreateGraph, context, request, response);
}

RawUnary GraphService::ListGraphs(grpc::CallbackServerContext* context,
                                  const grpc::ByteBuffer* request,
                                  grpc::ByteBuffer* response) {
  return Serve(api_, &GraphApi::ListGraphs, context, request, response);
}

RawUnary GraphService::GetGraph(grpc::CallbackServerContext* context,
                                const grpc::ByteBuffer* request,
                                grpc::ByteBuffer* response) {
  return Serve(api_, &GraphApi::GetGraph, context, request, response);
}

RawUnary GraphService::StartGraph(grpc::CallbackServerContext* context,
                                  const grpc::ByteBuffer* request,
                                  grpc::ByteBuffer* response) {
  return Serve(api_, &GraphApi::StartGraph, context, request, response);
}

RawUnary GraphService::StopGraph(grpc::CallbackServerContext* context,
                                 const grpc::ByteBuffer* request,
                                 grpc::ByteBuffer* response) {
  return Serve(api_, &GraphApi::StopGraph, context, request, response);
}

RawUnary GraphService::DeleteGraph(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) {
  return Serve(api_, &GraphApi::DeleteGraph, context, request, response);
}

RawStream GraphService::SubscribeNode(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request) {
  return ServeStream(api_, &GraphApi::SubscribeNode, registry_, context,
                     request);
}

}  // namespace speckd::server::api
