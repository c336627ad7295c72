// Calls per RPC method and status code, and their durations, counted by a
// gRPC server interceptor (one place for every service, unary and
// streaming alike), rendered as Prometheus families:
//
//   speckd_rpc_calls_total{method="/speckd.v1.DeviceService/ListDevices",code="OK"}
//   speckd_rpc_duration_seconds_bucket{method="...",le="0.005"} (histogram)
//
// A stream's duration is how long it stayed open.
#ifndef SPECKD_SERVER_METRICS_RPC_METRICS_H_
#define SPECKD_SERVER_METRICS_RPC_METRICS_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include <array>
#include <map>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "driver/util/mutex.h"
#include "server/metrics/exposition.h"

namespace speckd::server::metrics {

class RpcMetrics {
 public:
  // Upper bounds of the duration buckets, in seconds (then +Inf).
  static constexpr std::array<double, 11> kBuckets = {
      0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 600};

  void Record(const std::string& method, grpc::StatusCode code,
              absl::Duration duration);
  void Render(Exposition* out) const;

  // For grpc::ServerBuilder::experimental().SetInterceptorCreators; `this`
  // must outlive the server.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
  InterceptorFactory();

 private:
  struct Method {
    std::map<grpc::StatusCode, uint64_t> calls;
    std::array<uint64_t, kBuckets.size() + 1> buckets{};  // not cumulative
    double seconds = 0;
    uint64_t count = 0;
  };

  // A leaf lock: held only to update or copy the maps.
  mutable Mutex mu_;
  std::map<std::string, Method> methods_ ABSL_GUARDED_BY(mu_);
};

// "OK", "INVALID_ARGUMENT", ... as gRPC names them.
std::string StatusCodeName(grpc::StatusCode code);

}  // namespace speckd::server::metrics

#endif  // SPECKD_SERVER_METRICS_RPC_METRICS_H_
