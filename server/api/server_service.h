// speckd.v1.ServerService: what this daemon is (server_service.proto). The
// static facts (versions, backends, limits) come from whoever starts the
// server; the service adds nothing that changes but the hostname lookup.
#ifndef SPECKD_SERVER_API_SERVER_SERVICE_H_
#define SPECKD_SERVER_API_SERVER_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include "proto/speckd/v1/server_service.grpc.pb.h"

namespace speckd::server::api {

namespace v1 = ::speckd::v1;

class ServerService final
    : public v1::ServerService::WithRawCallbackMethod_GetServerInfo<
          v1::ServerService::Service> {
 public:
  explicit ServerService(v1::ServerInfo info) : info_(std::move(info)) {}

  grpc::ServerUnaryReactor* GetServerInfo(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;

 private:
  const v1::ServerInfo info_;
};

// This build's version, API and library versions (grpc, protobuf, abseil),
// for `speckd --version` and GetServerInfo.
v1::ServerInfo BuildInfo();
// "speckd 0.2.0 (speckd.v1; abseil 20220623, grpc 1.51.1, protobuf 3.21.12)".
std::string VersionLine(const v1::ServerInfo& info);

}  // namespace speckd::server::api

#endif  // SPECKD_SERVER_API_SERVER_SERVICE_H_
