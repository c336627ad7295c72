#include "tests/grpc/probes.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "driver/util/mutex.h"
#include "tests/grpc/probes.pb.h"

namespace speckd::testing {
namespace {

absl::Status FromGrpc(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      s.error_message());
}

// One request, one response on a bidi stream (the reflection protocol).
class OneShotBidi final
    : public grpc::ClientBidiReactor<ServerReflectionRequest,
                                     ServerReflectionResponse> {
 public:
  explicit OneShotBidi(const ServerReflectionRequest& request)
      : request_(request) {}

  void Begin() {
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    StartCall();
  }
  void OnWriteDone(bool /*ok*/) override {}
  void OnReadDone(bool ok) override { got_response_ = ok; }
  void OnDone(const grpc::Status& status) override {
    status_ = status;
    done_.Notify();
  }

  absl::StatusOr<ServerReflectionResponse> Wait() {
    done_.WaitForNotification();
    if (!status_.ok()) return FromGrpc(status_);
    if (!got_response_) return absl::InternalError("no reflection response");
    return response_;
  }

 private:
  ServerReflectionRequest request_;
  ServerReflectionResponse response_;
  bool got_response_ = false;
  grpc::Status status_;
  Notification done_;
};

}  // namespace

absl::StatusOr<std::string> CheckHealth(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
    absl::Duration timeout) {
  grpc::TemplatedGenericStub<HealthCheckRequest, HealthCheckResponse> stub(
      channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  grpc::Status status;
  Notification done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(),
                 &request, &response, [&](grpc::Status s) {
                   status = std::move(s);
                   done.Notify();
                 });
  done.WaitForNotification();
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
    return std::string("SERVICE_UNKNOWN");
  }
  if (!status.ok()) return FromGrpc(status);
  return HealthCheckResponse::ServingStatus_Name(response.status());
}

absl::StatusOr<std::vector<std::string>> ListServices(
    const std::shared_ptr<grpc::Channel>& channel, absl::Duration timeout) {
  grpc::TemplatedGenericStub<ServerReflectionRequest, ServerReflectionResponse>
      stub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  ServerReflectionRequest request;
  request.set_list_services("*");
  OneShotBidi call(request);
  stub.PrepareBidiStreamingCall(
      &context,
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      grpc::StubOptions(), &call);
  call.Begin();
  absl::StatusOr<ServerReflectionResponse> response = call.Wait();
  if (!response.ok()) return response.status();
  if (response->has_error_response()) {
    return absl::InternalError(absl::StrCat(
        "reflection error: ", response->error_response().error_message()));
  }
  std::vector<std::string> names;
  for (const ServiceResponse& s :
       response->list_services_response().service()) {
    names.push_back(s.name());
  }
  return names;
}

}  // namespace speckd::testing
