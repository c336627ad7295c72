// The assembled server on an ephemeral loopback port, over a real channel.
#include "server/speckd_server.h"

#include "driver/sim/sim_device.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/speckd/v1/config_service.grpc.pb.h"
#include "proto/speckd/v1/device_service.grpc.pb.h"
#include "proto/speckd/v1/server_service.grpc.pb.h"
#include "server/version.h"
#include "tests/grpc/probes.h"

namespace speckd::server {
namespace {

namespace v1 = ::speckd::v1;

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;

class SpeckdServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(devices_.Add(driver::sim::NewSimDevice(0)).ok());
    auto server = SpeckdServer::Start(Listening("127.0.0.1:0"), &devices_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(server_->address(),
                                   grpc::InsecureChannelCredentials());
  }

  DeviceManager devices_;
  std::unique_ptr<SpeckdServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(SpeckdServerTest, BindsAnEphemeralLoopbackPort) {
  EXPECT_GT(server_->port(), 0);
  EXPECT_EQ(server_->address(), "127.0.0.1:" + std::to_string(server_->port()));
}

TEST_F(SpeckdServerTest, HealthIsServingForServerAndEachService) {
  EXPECT_EQ(testing::CheckHealth(channel_, "").value_or("error"), "SERVING");
  for (const char* service :
       {"speckd.v1.DeviceService", "speckd.v1.ConfigService",
        "speckd.v1.EventService", "speckd.v1.GraphService"}) {
    EXPECT_EQ(testing::CheckHealth(channel_, service).value_or("error"),
              "SERVING")
        << service;
  }
  EXPECT_EQ(testing::CheckHealth(channel_, "no.such.Service").value_or("error"),
            "SERVICE_UNKNOWN");
}

TEST_F(SpeckdServerTest, ReflectionListsEveryService) {
  absl::StatusOr<std::vector<std::string>> services =
      testing::ListServices(channel_);
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_THAT(
      *services,
      IsSupersetOf({"speckd.v1.DeviceService", "speckd.v1.ConfigService",
                    "speckd.v1.EventService", "speckd.v1.GraphService",
                    "speckd.v1.ServerService", "grpc.health.v1.Health",
                    "grpc.reflection.v1alpha.ServerReflection"}));
}

TEST_F(SpeckdServerTest, ServerInfoSaysVersionApiLibrariesAndLimits) {
  auto stub = v1::ServerService::NewStub(channel_);
  grpc::ClientContext context;
  v1::ServerInfo info;
  ASSERT_TRUE(
      stub->GetServerInfo(&context, v1::GetServerInfoRequest(), &info).ok());
  EXPECT_EQ(info.version(), kSpeckdVersion);
  EXPECT_EQ(info.api(), "speckd.v1");
  EXPECT_EQ(info.components().at("grpc"), grpc::Version());
  EXPECT_THAT(info.components().at("protobuf"), HasSubstr("."));
  EXPECT_EQ(info.auth_mode(), "none");
  EXPECT_EQ(info.limits().max_request_bytes(), 4u << 20);
  EXPECT_EQ(info.limits().max_recording_bytes(),
            RecordingOptions().max_recording_bytes);
  const int64_t started = static_cast<int64_t>(info.started_unix_us());
  EXPECT_LT(std::abs(absl::ToUnixMicros(absl::Now()) - started), 60000000);
  EXPECT_FALSE(info.data_dir().empty());
  EXPECT_EQ(testing::CheckHealth(channel_, "speckd.v1.ServerService")
                .value_or("error"),
            "SERVING");
}

TEST_F(SpeckdServerTest, DeviceListHoldsTheSimulatedDevkit) {
  auto stub = speckd::v1::DeviceService::NewStub(channel_);
  grpc::ClientContext context;
  speckd::v1::ListDevicesResponse response;
  grpc::Status status =
      stub->ListDevices(&context, speckd::v1::ListDevicesRequest(), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.devices_size(), 1);
  const speckd::v1::Device& device = response.devices(0);
  EXPECT_EQ(device.id(), "speck2edevkit-sim:0");
  EXPECT_EQ(device.type_name(), "Speck2eDevKit");
  EXPECT_EQ(device.backend(), speckd::v1::SIM);
  EXPECT_EQ(device.state(), speckd::v1::READY);
}

TEST_F(SpeckdServerTest, GetDeviceOfUnknownIdIsNotFoundAndNamesKnownIds) {
  auto stub = speckd::v1::DeviceService::NewStub(channel_);
  grpc::ClientContext context;
  speckd::v1::GetDeviceRequest request;
  request.set_device_id("speck2edevkit:9");
  speckd::v1::Device response;
  grpc::Status status = stub->GetDevice(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("speck2edevkit-sim:0"));
}

TEST_F(SpeckdServerTest, SecondServerOnTheSamePortFailsWithTheAddress) {
  auto second = SpeckdServer::Start(Listening(server_->address()), &devices_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr(server_->address()));
}

TEST_F(SpeckdServerTest, HealthTurnsNotServingOnShutdown) {
  auto in_process = server_->InProcessChannel();
  EXPECT_EQ(testing::CheckHealth(in_process, "").value_or("error"), "SERVING");
  server_->Shutdown(absl::Milliseconds(100));
  // After shutdown the port is closed: the call fails rather than hangs.
  EXPECT_FALSE(testing::CheckHealth(channel_, "", absl::Seconds(1)).ok());
}

}  // namespace
}  // namespace speckd::server
