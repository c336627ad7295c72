// The audit log: one line for every call that changes something (each RPC
// that needs the operator or admin role: leases, configurations, writes,
// controls, graphs, recordings), when it ends: who made it (the caller's
// name; "-" with access control off), the RPC, the device, graph or
// recording it named, how it ended, and from where.
//
//   ts=... level=info event=audit who=alice rpc=ApplyConfiguration
//   device=speck2edevkit:0 code=OK peer=ipv4:127.0.0.1:53412
//
// A gRPC server interceptor, installed after the Authorizer's (refused calls
// are audited too, with their code).
#ifndef SPECKD_SERVER_AUTH_AUDIT_H_
#define SPECKD_SERVER_AUTH_AUDIT_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace speckd::server::auth {

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
AuditInterceptorFactory();

// "device=speck2edevkit:0 graph=g1" of a serialized request of `method`
// ("/speckd.v1.GraphService/StartGraph"): its device_id, graph_id and name
// fields, read from the wire without parsing the rest.
struct AuditSubject {
  std::string device;
  std::string graph;
  std::string recording;
};
AuditSubject SubjectOf(absl::string_view method, absl::string_view request);

}  // namespace speckd::server::auth

#endif  // SPECKD_SERVER_AUTH_AUDIT_H_
