#include "server/metrics/rpc_metrics.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace speckd::server::metrics {
namespace {

// One per call: started when gRPC creates it (the call has begun), recorded
// when the status goes out, or as CANCELLED if the call ends without one.
class CallInterceptor final : public grpc::experimental::Interceptor {
 public:
  CallInterceptor(RpcMetrics* metrics, std::string method)
      : metrics_(metrics), method_(std::move(method)), start_(absl::Now()) {}

  ~CallInterceptor() override {
    if (!recorded_) {
      metrics_->Record(method_, grpc::StatusCode::CANCELLED,
                       absl::Now() - start_);
    }
  }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    using Hook = grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(Hook::PRE_SEND_STATUS) &&
        !recorded_) {
      recorded_ = true;
      metrics_->Record(method_, methods->GetSendStatus().error_code(),
                       absl::Now() - start_);
    }
    methods->Proceed();
  }

 private:
  RpcMetrics* const metrics_;
  const std::string method_;
  const absl::Time start_;
  bool recorded_ = false;  // gRPC calls one call's hooks in turn
};

class Factory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit Factory(RpcMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new CallInterceptor(metrics_, info->method());
  }

 private:
  RpcMetrics* const metrics_;
};

}  // namespace

std::string StatusCodeName(grpc::StatusCode code) {
  // gRPC's codes are absl's canonical codes, by number.
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

void RpcMetrics::Record(const std::string& method, grpc::StatusCode code,
                        absl::Duration duration) {
  const double seconds = absl::ToDoubleSeconds(duration);
  size_t bucket = 0;
  while (bucket < kBuckets.size() && seconds > kBuckets[bucket]) ++bucket;
  MutexLock lock(&mu_);
  Method& m = methods_[method];
  ++m.calls[code];
  ++m.buckets[bucket];
  m.seconds += seconds;
  ++m.count;
}

void RpcMetrics::Render(Exposition* out) const {
  std::map<std::string, Method> methods;
  {
    MutexLock lock(&mu_);
    methods = methods_;
  }
  out->Family("speckd_rpc_calls_total", "counter",
              "Finished RPCs by method and status code.");
  for (const auto& [name, m] : methods) {
    for (const auto& [code, n] : m.calls) {
      out->Sample("speckd_rpc_calls_total",
                  {{"method", name}, {"code", StatusCodeName(code)}},
                  static_cast<double>(n));
    }
  }
  out->Family("speckd_rpc_duration_seconds", "histogram",
              "How long RPCs took, from start to status (streams: how long "
              "they stayed open).");
  for (const auto& [name, m] : methods) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= kBuckets.size(); ++i) {
      cumulative += m.buckets[i];
      out->Sample("speckd_rpc_duration_seconds_bucket",
                  {{"method", name},
                   {"le", i < kBuckets.size() ? FormatValue(kBuckets[i])
                                              : std::string("+Inf")}},
                  static_cast<double>(cumulative));
    }
    out->Sample("speckd_rpc_duration_seconds_sum", {{"method", name}},
                m.seconds);
    out->Sample("speckd_rpc_duration_seconds_count", {{"method", name}},
                static_cast<double>(m.count));
  }
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
RpcMetrics::InterceptorFactory() {
  return std::make_unique<Factory>(this);
}

}  // namespace speckd::server::metrics
