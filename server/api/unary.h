// Unary RPCs served from raw request bytes, after access control
// (server/auth) has allowed the call. gRPC's typed handlers answer a
// request that does not parse with UNIMPLEMENTED and no message; parsing it
// ourselves answers INVALID_ARGUMENT naming the message type. Handlers are
// plain functions from a request to an absl::Status (the single place it
// becomes a grpc::Status is FinishUnary).
//
//   grpc::ServerUnaryReactor* GetDevice(grpc::CallbackServerContext* ctx,
//                                       const grpc::ByteBuffer* in,
//                                       grpc::ByteBuffer* out) override {
//     return ServeUnary<v1::GetDeviceRequest, v1::Device>(
//         ctx, in, out, [&](const auto& request, auto* response) {
//           return api_->GetDevice(request, response);
//         });
//   }
#ifndef SPECKD_SERVER_API_UNARY_H_
#define SPECKD_SERVER_API_UNARY_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/api/status.h"
#include "server/auth/authorizer.h"

namespace speckd::server::api {

// Parses raw request bytes (without copying them); INVALID_ARGUMENT if they
// are not a `T`.
template <typename T>
absl::Status ParseRequest(const grpc::ByteBuffer& bytes, T* out) {
  grpc::ByteBuffer copy(bytes);  // shares the slices
  grpc::ProtoBufferReader reader(&copy);
  if (!out->ParseFromZeroCopyStream(&reader)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the request is not a valid ", T::descriptor()->full_name()));
  }
  return absl::OkStatus();
}

template <typename T>
void SerializeResponse(const T& response, grpc::ByteBuffer* out) {
  grpc::Slice slice(response.SerializeAsString());
  *out = grpc::ByteBuffer(&slice, 1);
}

template <typename Request, typename Response, typename Handler>
grpc::ServerUnaryReactor* ServeUnary(grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* raw_request,
                                     grpc::ByteBuffer* raw_response,
                                     Handler&& handler) {
  // Refused by access control: nothing of the handler runs.
  if (absl::Status s = auth::CallerOf(context).status(); !s.ok()) {
    return FinishUnary(context, s);
  }
  Request request;
  Response response;
  absl::Status status = ParseRequest(*raw_request, &request);
  if (status.ok()) status = handler(request, &response);
  if (status.ok()) SerializeResponse(response, raw_response);
  return FinishUnary(context, status);
}

// One adapter for every method of the APIs' shape,
// absl::Status Api::Method(const Request&, Response*).
template <typename Api, typename Request, typename Response>
grpc::ServerUnaryReactor* Serve(
    Api* api, absl::Status (Api::*method)(const Request&, Response*),
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return ServeUnary<Request, Response>(context, request, response,
                                       [&](const Request& in, Response* out) {
                                         return (api->*method)(in, out);
                                       });
}

// For handlers that finish later (a write waits for the device):
// `handler(request, response, done)` calls `done(status)` exactly once, from
// any thread; `request` and `response` stay alive until then.
template <typename Request, typename Response, typename Handler>
grpc::ServerUnaryReactor* ServeUnaryLater(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* raw_request,
                                          grpc::ByteBuffer* raw_response,
                                          Handler&& handler) {
  struct Call {
    Request request;
    Response response;
  };
  if (absl::Status s = auth::CallerOf(context).status(); !s.ok()) {
    return FinishUnary(context, s);
  }
  auto call = std::make_shared<Call>();
  if (absl::Status s = ParseRequest(*raw_request, &call->request); !s.ok()) {
    return FinishUnary(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  handler(call->request, &call->response,
          [call, reactor, raw_response](const absl::Status& status) {
            if (status.ok()) SerializeResponse(call->response, raw_response);
            reactor->Finish(ToGrpcStatus(status));
          });
  return reactor;
}

}  // namespace speckd::server::api

#endif  // SPECKD_SERVER_API_UNARY_H_
