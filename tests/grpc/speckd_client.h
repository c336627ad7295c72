// speckd's calls as most tests make them, over a channel to any speckd: the
// in-process SpeckdFixture or a speckd binary a test started. Calls name
// kDevice.
//
//   SpeckdClient speckd(started->address);
//   std::string lease = speckd.AcquireLease();
//   speckd.WriteStream(lease, events, /*batch=*/5000, &response);
#ifndef SPECKD_TESTS_GRPC_SPECKD_CLIENT_H_
#define SPECKD_TESTS_GRPC_SPECKD_CLIENT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "driver/chip/config.h"
#include "driver/chip/events.h"
#include "proto/speckd/v1/config_service.grpc.pb.h"
#include "proto/speckd/v1/device_service.grpc.pb.h"
#include "proto/speckd/v1/event_service.grpc.pb.h"
#include "proto/speckd/v1/graph_service.grpc.pb.h"

namespace speckd::testing {

namespace v1 = ::speckd::v1;

// The fixture's (and a default speckd's) simulated devkit.
inline constexpr char kDevice[] = "speck2edevkit-sim:0";

// SubscribeEvents for core 0's spikes on kDevice, with `policy` (LOSSLESS
// needs `lease`) and a queue of `max_queued_messages` (0: the default).
v1::SubscribeEventsRequest CoreSpikesRequest(v1::OverflowPolicy policy,
                                             const std::string& lease = "",
                                             uint32_t max_queued_messages = 0);

// Spikes carried by a subscription's messages.
uint64_t SpikesIn(const std::vector<v1::StreamMessage>& messages);

class SpeckdClient {
 public:
  explicit SpeckdClient(const std::string& address);
  virtual ~SpeckdClient() = default;

  const std::string& address() const { return address_; }
  // A channel of its own (64 MiB receive limit).
  std::shared_ptr<grpc::Channel> NewChannel() const;

  std::string AcquireLease(const std::string& holder = "test");
  grpc::Status ApplyConfig(const chip::SpeckConfig& config,
                           const std::string& lease,
                           v1::ApplyConfigurationResponse* response = nullptr);
  grpc::Status SetPacing(const std::string& lease, v1::Pacing pacing);
  // Client-streaming write in batches of `batch` events, then close.
  grpc::Status WriteStream(const std::string& lease,
                           const std::vector<chip::InputEvent>& events,
                           size_t batch, v1::WriteEventsResponse* response);
  // One unary batch.
  grpc::Status WriteBatch(const std::string& lease,
                          const std::vector<chip::InputEvent>& events,
                          bool flush, v1::WriteEventsResponse* response);
  // "SERVING" while the server answers health checks.
  std::string Health();
  // The device now (GetDevice).
  v1::Device GetDevice();
  // SimulateFault on the fixture's devkit (the fixture allows them, as
  // speckd --sim_faults); the device after it in `*device` when given.
  grpc::Status SimulateFault(v1::SimulateFaultRequest::Fault fault,
                             uint32_t duration_ms = 0,
                             v1::Device* device = nullptr);
  // The device once it has processed everything written (WaitIdle).
  v1::Device WaitIdle(absl::Duration timeout = absl::Seconds(30));
  // A channel with gRPC's default limits (4 MiB messages), as most clients.
  std::shared_ptr<grpc::Channel> NewDefaultChannel() const;

  static v1::WriteEventsRequest ToRequest(const chip::InputEvent* events,
                                          size_t count);

  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::DeviceService::Stub> device_stub;
  std::unique_ptr<v1::ConfigService::Stub> config_stub;
  std::unique_ptr<v1::EventService::Stub> event_stub;
  std::unique_ptr<v1::GraphService::Stub> graph_stub;

 protected:
  SpeckdClient() = default;
  void Connect(const std::string& address);

 private:
  std::string address_;
};

}  // namespace speckd::testing

#endif  // SPECKD_TESTS_GRPC_SPECKD_CLIENT_H_
