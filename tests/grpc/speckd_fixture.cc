#include "tests/grpc/speckd_fixture.h"

#include <cstdlib>

#include "driver/sim/sim_bus.h"
#include "gtest/gtest.h"

namespace speckd::testing {

SpeckdFixture::SpeckdFixture(const FixtureOptions& options) {
  server::ManagedDeviceOptions device_options;
  device_options.watchdog = options.watchdog;
  devices_ =
      std::make_unique<server::DeviceManager>(options.clock, device_options);
  driver::sim::SimBusOptions sim;
  sim.device.clock = options.clock;
  sim.device.pacing = options.pacing;
  sim.device.input_queue_capacity = options.input_queue_capacity;
  // As `speckd --sim_faults`: tests may unplug the devkit.
  sim_bus_ = std::make_unique<driver::sim::SimBus>(sim);
  devices_->SetBoardFaults("sim:", sim_bus_.get());
  sim_bus_->Start(devices_.get());
  server::ServerOptions server_options;
  server_options.listen = "127.0.0.1:0";
  // Recordings go to the test's scratch directory.
  const char* tmp = std::getenv("TEST_TMPDIR");
  server_options.recordings.data_dir = options.data_dir.empty()
                                           ? (tmp != nullptr ? tmp : "/tmp")
                                           : options.data_dir;
  server_options.recordings.quota_bytes = options.recordings_quota_bytes;
  server_options.recordings.slow_disk = options.recording_slow_disk;
  server_options.tokens = options.tokens;
  auto server = server::SpeckdServer::Start(server_options, devices_.get());
  EXPECT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
  Connect(server_->address());
}

SpeckdFixture::~SpeckdFixture() {
  // The server (and its streams) before the devices they read from.
  server_->Shutdown(absl::Seconds(5));
  server_.reset();
  devices_.reset();
  sim_bus_.reset();
}

}  // namespace speckd::testing
