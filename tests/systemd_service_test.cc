// The speckd binary under a NOTIFY_SOCKET, as systemd runs the unit
// (Type=notify, WatchdogSec): READY only once it serves, watchdog pings
// while it answers, STOPPING on SIGTERM, then a clean exit.
#include <signal.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/speckd/v1/device_service.grpc.pb.h"
#include "server/auth/token_file.h"
#include "tests/grpc/probes.h"
#include "tests/util/notify_socket.h"
#include "tests/util/subprocess.h"

namespace speckd::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(SystemdServiceTest, ReadyWhenServingPingsWhileAliveStoppingOnSigterm) {
  NotifySocket notify;
  absl::StatusOr<std::unique_ptr<Subprocess>> speckd = Subprocess::Start(
      RunfilePath("server/speckd"),
      {"--listen=127.0.0.1:0", "--web_listen=127.0.0.1:0"},
      {absl::StrCat("NOTIFY_SOCKET=", notify.path()), "WATCHDOG_USEC=600000"});
  ASSERT_TRUE(speckd.ok()) << speckd.status();
  std::string ready = notify.Next(absl::Seconds(20));
  ASSERT_THAT(ready, StartsWith("READY=1\nSTATUS=serving 1 device(s); gRPC on "
                                "127.0.0.1:"))
      << (*speckd)->stderr_text();
  EXPECT_THAT(ready, HasSubstr(", dashboard on 127.0.0.1:"));
  // READY means serving: the address it names answers at once.
  const std::string address = std::string(
      absl::StripPrefix(ready.substr(0, ready.find(", dashboard")),
                        "READY=1\nSTATUS=serving 1 device(s); gRPC on "));
  auto channel =
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  EXPECT_EQ(CheckHealth(channel, "").value_or("error"), "SERVING");

  // Twice per WATCHDOG_USEC, each after a probe of gRPC and the web loop.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(notify.Next(absl::Seconds(3)), "WATCHDOG=1") << i;
  }
  (*speckd)->Signal(SIGTERM);
  std::string line;
  do {
    line = notify.Next(absl::Seconds(5));
  } while (line == "WATCHDOG=1");
  EXPECT_EQ(line, "STOPPING=1\nSTATUS=shutting down");
  absl::StatusOr<int> code = (*speckd)->Wait(absl::Seconds(15));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0);
  EXPECT_THAT((*speckd)->stderr_text(),
              HasSubstr("event=systemd notify=true watchdog=600ms"));
}

// ListDevices with `token`: its status code.
grpc::StatusCode ListWith(const std::shared_ptr<grpc::Channel>& channel,
                          const std::string& token) {
  auto stub = v1::DeviceService::NewStub(channel);
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  v1::ListDevicesResponse response;
  return stub->ListDevices(&context, v1::ListDevicesRequest(), &response)
      .error_code();
}

// With access tokens: the watchdog's probe needs none, and `systemctl
// reload` (SIGHUP) swaps the token file in, or keeps the old tokens when
// the new file is bad.
TEST(SystemdServiceTest, WithTokensTheWatchdogPingsAndReloadSwapsTheFile) {
  const auto line = [](const std::string& token) {
    return absl::StrCat("ann viewer ", server::auth::HashToken(token), "\n");
  };
  const std::string file = WriteTempFile("reload-tokens", line("old"));
  NotifySocket notify;
  absl::StatusOr<std::unique_ptr<Subprocess>> speckd = Subprocess::Start(
      RunfilePath("server/speckd"),
      {"--listen=127.0.0.1:0", "--web_listen=127.0.0.1:0",
       "--auth_tokens=" + file},
      {absl::StrCat("NOTIFY_SOCKET=", notify.path()), "WATCHDOG_USEC=600000"});
  ASSERT_TRUE(speckd.ok()) << speckd.status();
  const std::string ready = notify.Next(absl::Seconds(20));
  ASSERT_THAT(ready, StartsWith("READY=1")) << (*speckd)->stderr_text();
  EXPECT_EQ(notify.Next(absl::Seconds(3)), "WATCHDOG=1");
  const std::string address = std::string(
      absl::StripPrefix(ready.substr(0, ready.find(", dashboard")),
                        "READY=1\nSTATUS=serving 1 device(s); gRPC on "));
  auto channel =
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  EXPECT_EQ(ListWith(channel, "old"), grpc::StatusCode::OK);
  EXPECT_EQ(ListWith(channel, "new"), grpc::StatusCode::UNAUTHENTICATED);

  WriteTempFile("reload-tokens", line("new"));
  (*speckd)->Signal(SIGHUP);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (ListWith(channel, "new") != grpc::StatusCode::OK &&
         absl::Now() < deadline) {
    EXPECT_EQ(notify.Next(absl::Seconds(3)),
              "WATCHDOG=1");  // paces the retries
  }
  EXPECT_EQ(ListWith(channel, "new"), grpc::StatusCode::OK);
  EXPECT_EQ(ListWith(channel, "old"), grpc::StatusCode::UNAUTHENTICATED);

  WriteTempFile("reload-tokens", "ann viewer not-a-hash\n");
  (*speckd)->Signal(SIGHUP);
  (*speckd)->Signal(
      SIGTERM);  // after the SIGHUP: sigwait takes the lower signal first
  absl::StatusOr<int> code = (*speckd)->Wait(absl::Seconds(15));
  ASSERT_TRUE(code.ok());
  EXPECT_THAT((*speckd)->stderr_text(), HasSubstr("event=auth_reloaded"));
  EXPECT_THAT((*speckd)->stderr_text(), HasSubstr("event=auth_reload_failed"));
  EXPECT_THAT((*speckd)->stderr_text(), HasSubstr("reload-tokens:1:"));
}

}  // namespace
}  // namespace speckd::testing
