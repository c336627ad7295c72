// A real speckd (SpeckdServer with one simulated devkit, kDevice, that tests
// may unplug as with --sim_faults) on an ephemeral loopback port, with the
// calls most tests need (SpeckdClient's).
//
//   SpeckdFixture speckd(Paced(driver::Pacing::kAsFastAsPossible));
//   std::string lease = speckd.AcquireLease();
//   ASSERT_TRUE(speckd.ApplyConfig(config, lease).ok());
//   speckd.WriteStream(lease, events, /*batch=*/5000, &response);
#ifndef SPECKD_TESTS_GRPC_SPECKD_FIXTURE_H_
#define SPECKD_TESTS_GRPC_SPECKD_FIXTURE_H_

#include <memory>
#include <string>

#include "driver/clock.h"
#include "driver/device.h"
#include "driver/sim/sim_bus.h"
#include "server/auth/token_file.h"
#include "server/devices/device_manager.h"
#include "server/speckd_server.h"
#include "tests/grpc/speckd_client.h"

namespace speckd::testing {

struct FixtureOptions {
  driver::Pacing pacing = driver::Pacing::kAsFastAsPossible;
  driver::Clock* clock = driver::RealClock();
  // The simulated devkit's input queue (inputs).
  size_t input_queue_capacity = size_t{1} << 21;
  // The device watchdog (speckd --device_watchdog); zero: off.
  absl::Duration watchdog = absl::ZeroDuration();
  // Where recordings go (empty: TEST_TMPDIR), and their quota.
  std::string data_dir;
  uint64_t recordings_quota_bytes = uint64_t{64} << 30;
  // A recording disk this much slower per flush (RecordingOptions).
  absl::Duration recording_slow_disk = absl::ZeroDuration();
  // Access tokens (speckd --auth_tokens); null: access control off.
  std::shared_ptr<const server::auth::TokenTable> tokens;
};

// Options with `pacing` and `clock`, the rest as default.
inline FixtureOptions Paced(driver::Pacing pacing,
                            driver::Clock* clock = driver::RealClock()) {
  FixtureOptions options;
  options.pacing = pacing;
  options.clock = clock;
  return options;
}

class SpeckdFixture : public SpeckdClient {
 public:
  explicit SpeckdFixture(const FixtureOptions& options = {});
  ~SpeckdFixture() override;

  server::SpeckdServer& server() { return *server_; }
  server::DeviceManager& devices() { return *devices_; }

 private:
  std::unique_ptr<driver::sim::SimBus> sim_bus_;
  std::unique_ptr<server::DeviceManager> devices_;
  std::unique_ptr<server::SpeckdServer> server_;
};

}  // namespace speckd::testing

#endif  // SPECKD_TESTS_GRPC_SPECKD_FIXTURE_H_
