// A real speckd (SpeckdServer with one simulated devkit, kDevice, that tests
// may unplug as with --sim_faults) on an ephemeral loopback port, with stubs
// and the calls most tests need.
//
//   SpeckdFixture speckd({.pacing = driver::Pacing::kAsFastAsPossible});
//   std::string lease = speckd.AcquireLease();
//   ASSERT_TRUE(speckd.ApplyConfig(config, lease).ok());
//   speckd.WriteStream(lease, events, /*batch=*/5000, &response);
#ifndef SPECKD_TESTS_GRPC_SPECKD_FIXTURE_H_
#define SPECKD_TESTS_GRPC_SPECKD_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include "driver/chip/config.h"
#include "driver/chip/events.h"
#include "driver/clock.h"
#include "driver/device.h"
#include "driver/sim/sim_bus.h"
#include "proto/speckd/v1/config_service.grpc.pb.h"
#include "proto/speckd/v1/device_service.grpc.pb.h"
#include "proto/speckd/v1/event_service.grpc.pb.h"
#include "proto/speckd/v1/graph_service.grpc.pb.h"
#include "server/devices/device_manager.h"
#include "server/speckd_server.h"

namespace speckd::testing {

namespace v1 = ::speckd::v1;

// The fixture's (and a default speckd's) simulated devkit.
inline constexpr char kDevice[] = "speck2edevkit-sim:0";

struct FixtureOptions {
  driver::Pacing pacing = driver::Pacing::kAsFastAsPossible;
  driver::Clock* clock = driver::RealClock();
  // The simulated devkit's input queue (inputs).
  size_t input_queue_capacity = size_t{1} << 21;
};

// Spikes carried by a subscription's messages.
uint64_t SpikesIn(const std::vector<v1::StreamMessage>& messages);

class SpeckdFixture {
 public:
  explicit SpeckdFixture(const FixtureOptions& options = {});
  ~SpeckdFixture();

  server::SpeckdServer& server() { return *server_; }
  server::DeviceManager& devices() { return *devices_; }
  const std::string& address() const { return server_->address(); }
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

 private:
  std::unique_ptr<driver::sim::SimBus> sim_bus_;
  std::unique_ptr<server::DeviceManager> devices_;
  std::unique_ptr<server::SpeckdServer> server_;
};

}  // namespace speckd::testing

#endif  // SPECKD_TESTS_GRPC_SPECKD_FIXTURE_H_
