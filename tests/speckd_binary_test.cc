// The speckd binary as an operator runs it: starts, says where it listens,
// answers health, lists the simulated devkit, stops cleanly on SIGTERM.
#include <signal.h>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/speckd/v1/device_service.grpc.pb.h"
#include "tests/grpc/probes.h"
#include "tests/util/subprocess.h"

namespace speckd::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Starts speckd on a free port and returns it with the address it printed.
std::unique_ptr<Subprocess> StartSpeckd(const std::vector<std::string>& args,
                                        std::string* address) {
  absl::StatusOr<StartedSpeckd> started =
      testing::StartSpeckd(RunfilePath("server/speckd"), args);
  EXPECT_TRUE(started.ok()) << started.status();
  if (!started.ok()) return nullptr;
  *address = started->address;
  return std::move(started->process);
}

TEST(SpeckdBinaryTest, ServesHealthAndDevicesThenStopsOnSigterm) {
  std::string address;
  auto speckd = StartSpeckd(
      {"--listen=127.0.0.1:0", "--web_listen=127.0.0.1:0"}, &address);
  ASSERT_NE(speckd, nullptr);
  EXPECT_THAT(address, StartsWith("127.0.0.1:"));
  absl::StatusOr<std::string> dashboard =
      speckd->ReadStdoutLine(absl::Seconds(10));
  ASSERT_TRUE(dashboard.ok()) << dashboard.status();
  EXPECT_THAT(*dashboard, StartsWith("speckd dashboard at http://127.0.0.1:"));

  auto channel =
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  EXPECT_EQ(CheckHealth(channel, "").value_or("error"), "SERVING");

  auto stub = speckd::v1::DeviceService::NewStub(channel);
  grpc::ClientContext context;
  speckd::v1::ListDevicesResponse devices;
  ASSERT_TRUE(
      stub->ListDevices(&context, speckd::v1::ListDevicesRequest(), &devices)
          .ok());
  ASSERT_EQ(devices.devices_size(), 1);
  EXPECT_EQ(devices.devices(0).id(), "speck2edevkit-sim:0");

  speckd->Signal(SIGTERM);
  absl::StatusOr<int> code = speckd->Wait(absl::Seconds(10));
  ASSERT_TRUE(code.ok()) << "speckd did not stop on SIGTERM";
  EXPECT_EQ(*code, 0);
  // Structured log lines, one event per line.
  EXPECT_THAT(speckd->stderr_text(), HasSubstr("event=listening"));
  EXPECT_THAT(speckd->stderr_text(),
              HasSubstr("event=shutdown signal=SIGTERM"));
  EXPECT_THAT(speckd->stderr_text(), HasSubstr("event=stopped"));
}

TEST(SpeckdBinaryTest, VersionNamesTheApiAndLibraries) {
  absl::StatusOr<RunResult> run = Subprocess::Run(
      RunfilePath("server/speckd"), {"--version"}, absl::Seconds(10));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 0);
  EXPECT_THAT(run->stdout_text, StartsWith("speckd 0.2.0 (speckd.v1; "));
  EXPECT_THAT(run->stdout_text, HasSubstr("grpc 1."));
  EXPECT_THAT(run->stdout_text, HasSubstr("libusb 1."));
  EXPECT_THAT(run->stdout_text, HasSubstr("chip_model "));
}

// $SPECKD_CHIP_ISA picks the chip model's loops; a name it cannot follow
// is a warning, and the best the CPU has runs.
TEST(SpeckdBinaryTest, TheChipModelsInstructionSetCanBeChosen) {
  absl::StatusOr<RunResult> sse2 =
      Subprocess::Run(RunfilePath("server/speckd"), {"--version"},
                      absl::Seconds(10), {"SPECKD_CHIP_ISA=sse2"});
  ASSERT_TRUE(sse2.ok()) << sse2.status();
  EXPECT_THAT(sse2->stdout_text, HasSubstr("chip_model sse2"));

  absl::StatusOr<std::unique_ptr<Subprocess>> bogus = Subprocess::Start(
      RunfilePath("server/speckd"), {"--listen=127.0.0.1:0", "--web_listen="},
      {"SPECKD_CHIP_ISA=avx1024"});
  ASSERT_TRUE(bogus.ok()) << bogus.status();
  // It serves (the warning comes before it listens), then stops cleanly.
  absl::StatusOr<std::string> listening =
      (*bogus)->ReadStdoutLine(absl::Seconds(10));
  ASSERT_TRUE(listening.ok()) << listening.status();
  EXPECT_THAT(*listening, StartsWith("speckd listening on 127.0.0.1:"));
  (*bogus)->Signal(SIGTERM);
  absl::StatusOr<int> code = (*bogus)->Wait(absl::Seconds(10));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0);
  EXPECT_THAT((*bogus)->stderr_text(),
              HasSubstr("level=warning event=chip_model_isa "
                        "error=\"SPECKD_CHIP_ISA=avx1024: not one of auto, "
                        "sse2, avx2, avx512; using "));
}

// No TLS or authentication yet: the network only by explicit choice.
TEST(SpeckdBinaryTest, ListeningBeyondLoopbackNeedsInsecureRemote) {
  absl::StatusOr<RunResult> refused = Subprocess::Run(
      RunfilePath("server/speckd"), {"--listen=0.0.0.0:0", "--web_listen="},
      absl::Seconds(10));
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->exit_code, 2);
  EXPECT_THAT(refused->stderr_text,
              HasSubstr("refusing to listen on 0.0.0.0:0 (gRPC)"));
  EXPECT_THAT(refused->stderr_text, HasSubstr("--insecure_remote"));

  std::string address;
  auto speckd = StartSpeckd(
      {"--insecure_remote", "--listen=0.0.0.0:0", "--web_listen="}, &address);
  ASSERT_NE(speckd, nullptr);
  EXPECT_THAT(address, StartsWith("0.0.0.0:"));
  speckd->Signal(SIGTERM);
  ASSERT_TRUE(speckd->Wait(absl::Seconds(10)).ok());
  EXPECT_THAT(speckd->stderr_text(),
              HasSubstr("level=warning event=insecure_remote"));
}

TEST(SpeckdBinaryTest, StopsOnSigint) {
  std::string address;
  auto speckd =
      StartSpeckd({"--listen=127.0.0.1:0", "--web_listen="}, &address);
  ASSERT_NE(speckd, nullptr);
  speckd->Signal(SIGINT);
  absl::StatusOr<int> code = speckd->Wait(absl::Seconds(10));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0);
}

TEST(SpeckdBinaryTest, BusyPortIsAClearErrorAndExitCode1) {
  std::string address;
  auto first = StartSpeckd({"--listen=127.0.0.1:0", "--web_listen="}, &address);
  ASSERT_NE(first, nullptr);
  absl::StatusOr<RunResult> second = Subprocess::Run(
      RunfilePath("server/speckd"), {"--listen=" + address, "--web_listen="},
      absl::Seconds(10));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->exit_code, 1);
  EXPECT_THAT(second->stderr_text, HasSubstr("cannot listen on " + address));
}

TEST(SpeckdBinaryTest, MalformedListenAddressIsRejected) {
  absl::StatusOr<RunResult> run =
      Subprocess::Run(RunfilePath("server/speckd"),
                      {"--listen=50051", "--web_listen="}, absl::Seconds(10));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 1);
  EXPECT_THAT(run->stderr_text, HasSubstr("must be HOST:PORT"));
}

}  // namespace
}  // namespace speckd::testing
