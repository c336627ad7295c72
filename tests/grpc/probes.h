// Test helpers that ask a gRPC server what external tools ask it: its health
// (grpc.health.v1.Health/Check) and its services (server reflection).
#ifndef SPECKD_TESTS_GRPC_PROBES_H_
#define SPECKD_TESTS_GRPC_PROBES_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace speckd::testing {

// "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN" or "UNKNOWN" for `service`
// ("" = the whole server); an error status if the call fails.
absl::StatusOr<std::string> CheckHealth(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
    absl::Duration timeout = absl::Seconds(5));

// Service names the server lists through reflection.
absl::StatusOr<std::vector<std::string>> ListServices(
    const std::shared_ptr<grpc::Channel>& channel,
    absl::Duration timeout = absl::Seconds(5));

}  // namespace speckd::testing

#endif  // SPECKD_TESTS_GRPC_PROBES_H_
