// The notifier against a NOTIFY_SOCKET of the test's own, as systemd reads
// it: READY with STATUS, WATCHDOG pings twice per WATCHDOG_USEC while the
// probe answers, none (and a STATUS saying why) once it does not, STOPPING.
#include "server/service/service_notifier.h"

#include <stdlib.h>

#include <atomic>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/util/notify_socket.h"

namespace speckd::server {
namespace {

using ::speckd::testing::NotifySocket;

TEST(ServiceNotifierTest, OutsideSystemdEverythingIsANoOp) {
  unsetenv("NOTIFY_SOCKET");
  ServiceNotifier notifier([] { return absl::OkStatus(); });
  EXPECT_FALSE(notifier.under_systemd());
  notifier.Ready("x");
  notifier.Stopping();
}

TEST(ServiceNotifierTest, ReadyPingsWhileAliveThenStatusThenStopping) {
  NotifySocket socket;
  setenv("NOTIFY_SOCKET", socket.path().c_str(), 1);
  setenv("WATCHDOG_USEC", "200000", 1);  // pings every 100 ms
  unsetenv("WATCHDOG_PID");
  std::atomic<int> probes{0};
  ServiceNotifier notifier([&]() -> absl::Status {
    return ++probes <= 3 ? absl::OkStatus()
                         : absl::UnavailableError("gRPC: ListDevices: stuck");
  });
  EXPECT_TRUE(notifier.under_systemd());
  EXPECT_EQ(notifier.watchdog_interval(), absl::Milliseconds(200));
  notifier.Ready("serving 1 device(s)");
  EXPECT_EQ(socket.Next(), "READY=1\nSTATUS=serving 1 device(s)");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(socket.Next(), "WATCHDOG=1") << i;
  // The daemon stops answering: no ping, a status saying why.
  EXPECT_EQ(socket.Next(), "STATUS=not answering: gRPC: ListDevices: stuck");
  std::string next = socket.Next(absl::Milliseconds(300));
  EXPECT_FALSE(absl::StrContains(next, "WATCHDOG=1")) << next;
  notifier.Stopping();
  for (std::string line = socket.Next(); !line.empty(); line = socket.Next()) {
    if (absl::StartsWith(line, "STOPPING=1")) return;
    EXPECT_FALSE(absl::StrContains(line, "WATCHDOG=1")) << line;
  }
  ADD_FAILURE() << "no STOPPING=1";
}

}  // namespace
}  // namespace speckd::server
