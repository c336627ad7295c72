// The one place absl::Status becomes grpc::Status: canonical codes map 1:1.
#ifndef SPECKD_SERVER_API_STATUS_H_
#define SPECKD_SERVER_API_STATUS_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace speckd::server::api {

inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

// Ends a unary callback RPC with `status`: `return FinishUnary(context, s);`.
inline grpc::ServerUnaryReactor* FinishUnary(
    grpc::CallbackServerContext* context, const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace speckd::server::api

#endif  // SPECKD_SERVER_API_STATUS_H_
