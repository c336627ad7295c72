#include "server/devices/device_manager.h"

#include "driver/sim/sim_device.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::server {
namespace {

using ::testing::HasSubstr;

TEST(DeviceManagerTest, ListsAddedDevicesInIdOrderAsReady) {
  DeviceManager devices;
  ASSERT_TRUE(devices.Add(driver::sim::NewSimDevice(1)).ok());
  ASSERT_TRUE(devices.Add(driver::sim::NewSimDevice(0)).ok());
  std::vector<DeviceSnapshot> list = devices.List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].descriptor.id, "speck2edevkit:0");
  EXPECT_EQ(list[1].descriptor.id, "speck2edevkit:1");
  EXPECT_EQ(list[0].state, DeviceState::kReady);
  EXPECT_EQ(list[0].descriptor.backend, driver::Backend::kSim);
}

TEST(DeviceManagerTest, RefusesDuplicateIds) {
  DeviceManager devices;
  ASSERT_TRUE(devices.Add(driver::sim::NewSimDevice(0)).ok());
  absl::Status status = devices.Add(driver::sim::NewSimDevice(0));
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(status.message(), HasSubstr("speck2edevkit:0"));
}

TEST(DeviceManagerTest, UnknownIdNamesTheKnownOnes) {
  DeviceManager devices;
  ASSERT_TRUE(devices.Add(driver::sim::NewSimDevice(0)).ok());
  absl::StatusOr<DeviceSnapshot> got = devices.Get("speck2edevkit:7");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(got.status().message(), HasSubstr("speck2edevkit:0"));
  EXPECT_TRUE(devices.Get("speck2edevkit:0").ok());
}

}  // namespace
}  // namespace speckd::server
