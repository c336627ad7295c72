// speckd: owns Speck2e devkits (simulated by default) and serves them over
// gRPC. See README.md.
#include <signal.h>

#include <cstdio>
#include <memory>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/time.h"
#include "driver/sim/sim_device.h"
#include "server/devices/device_manager.h"
#include "server/log/log.h"
#include "server/speckd_server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "HOST:PORT for gRPC. Loopback by default; use 0.0.0.0:50051 to serve "
          "the lab network. Port 0 picks a free port.");
ABSL_FLAG(int, sim_devices, 1,
          "How many simulated devkits to register (speck2edevkit:0, ...).");
ABSL_FLAG(std::string, sim_pacing, "real_time",
          "Pacing of the simulated devkits: real_time (inputs are released "
          "when the stop watch reaches their timestamps, like a devkit) or "
          "as_fast_as_possible. Clients can change it with SetPacing.");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(2),
          "How long in-flight calls may take to finish on SIGTERM/SIGINT.");
ABSL_FLAG(bool, verbose, false, "Also log debug lines.");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "speckd: serve Speck2e devkits over gRPC.\n"
      "  speckd --listen=127.0.0.1:50051");
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_verbose)) {
    speckd::log::SetMinLevel(speckd::log::Level::kDebug);
  }

  // Block the shutdown signals before any thread starts so that only the
  // sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const std::string pacing = absl::GetFlag(FLAGS_sim_pacing);
  if (pacing != "real_time" && pacing != "as_fast_as_possible") {
    std::fprintf(stderr,
                 "speckd: --sim_pacing=%s: use real_time or "
                 "as_fast_as_possible\n",
                 pacing.c_str());
    return 2;
  }
  speckd::server::DeviceManager devices;
  for (int rank = 0; rank < absl::GetFlag(FLAGS_sim_devices); ++rank) {
    speckd::driver::sim::SimDeviceOptions options;
    options.rank = rank;
    options.pacing = pacing == "real_time"
                         ? speckd::driver::Pacing::kRealTime
                         : speckd::driver::Pacing::kAsFastAsPossible;
    absl::Status added =
        devices.Add(speckd::driver::sim::NewSimDevice(options));
    if (!added.ok()) {
      speckd::log::Error("device_add_failed", {{"error", added.ToString()}});
      return 1;
    }
    speckd::log::Info("device_added",
                      {{"device", devices.List().back().descriptor.id},
                       {"backend", "sim"},
                       {"pacing", pacing}});
  }

  speckd::server::ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  auto server = speckd::server::SpeckdServer::Start(options, &devices);
  if (!server.ok()) {
    std::fprintf(stderr, "speckd: %s\n",
                 std::string(server.status().message()).c_str());
    return 1;
  }
  // The one line a user (or a test) reads to learn where to connect.
  std::printf("speckd listening on %s (gRPC)\n", (*server)->address().c_str());
  std::fflush(stdout);

  int received = 0;
  sigwait(&signals, &received);
  speckd::log::Info("shutdown",
                    {{"signal", received == SIGINT ? "SIGINT" : "SIGTERM"}});
  (*server)->Shutdown(absl::GetFlag(FLAGS_shutdown_grace));
  return 0;
}
