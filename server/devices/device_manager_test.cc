// Device ownership: ids, the control lease (with a fake clock for expiry),
// the state machine and change notifications.
#include "server/devices/device_manager.h"

#include "driver/chip/test_networks.h"
#include "driver/clock_fake.h"
#include "driver/sim/sim_device.h"
#include "driver/util/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::server {
namespace {

using ::testing::HasSubstr;

class DeviceManagerTest : public ::testing::Test {
 protected:
  DeviceManagerTest() : devices_(&clock_) {
    driver::sim::SimDeviceOptions options;
    options.clock = &clock_;
    options.pacing = driver::Pacing::kAsFastAsPossible;
    EXPECT_TRUE(devices_.Add(driver::sim::NewSimDevice(options)).ok());
    device_ = devices_.Find("speck2edevkit:0").value();
  }

  driver::FakeClock clock_;
  DeviceManager devices_;
  ManagedDevice* device_ = nullptr;
};

TEST_F(DeviceManagerTest, ListsDevicesInIdOrderAsReady) {
  ASSERT_TRUE(devices_.Add(driver::sim::NewSimDevice(1)).ok());
  std::vector<DeviceSnapshot> list = devices_.List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].descriptor.id, "speck2edevkit:0");
  EXPECT_EQ(list[1].descriptor.id, "speck2edevkit:1");
  EXPECT_EQ(list[0].state, DeviceState::kReady);
  EXPECT_FALSE(list[0].lease.has_value());
  EXPECT_EQ(devices_.Find("").value()->id(), "speck2edevkit:0");
}

TEST_F(DeviceManagerTest, RefusesDuplicateIdsAndNamesKnownIdsWhenMissing) {
  absl::Status status = devices_.Add(driver::sim::NewSimDevice(0));
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  absl::StatusOr<ManagedDevice*> missing = devices_.Find("speck2edevkit:7");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("speck2edevkit:0"));
}

TEST_F(DeviceManagerTest, SecondHolderIsRefusedWithTheHolderNamed) {
  absl::StatusOr<LeaseInfo> alice =
      device_->AcquireLease("alice@lab", absl::Seconds(10));
  ASSERT_TRUE(alice.ok()) << alice.status();
  EXPECT_FALSE(alice->lease_id.empty());
  absl::StatusOr<LeaseInfo> bob =
      device_->AcquireLease("bob", absl::Seconds(10));
  EXPECT_EQ(bob.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(bob.status().message(), HasSubstr("'alice@lab'"));
  EXPECT_THAT(bob.status().message(), HasSubstr("until"));
  absl::Status wrong = device_->CheckLease("not-the-lease");
  EXPECT_EQ(wrong.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(wrong.message(), HasSubstr("alice@lab"));
  EXPECT_TRUE(device_->CheckLease(alice->lease_id).ok());
  EXPECT_EQ(device_->Snapshot().lease->holder, "alice@lab");
  EXPECT_TRUE(device_->Snapshot().lease->lease_id.empty());  // never shown
}

TEST_F(DeviceManagerTest, ExpiredLeaseFreesTheDeviceAndRenewalKeepsIt) {
  absl::StatusOr<LeaseInfo> alice =
      device_->AcquireLease("alice", absl::Seconds(10));
  ASSERT_TRUE(alice.ok());
  clock_.Advance(absl::Seconds(8));
  ASSERT_TRUE(device_->RenewLease(alice->lease_id).ok());
  clock_.Advance(absl::Seconds(8));  // 16 s after acquiring, 8 after renewing
  EXPECT_TRUE(device_->CheckLease(alice->lease_id).ok());
  clock_.Advance(absl::Seconds(3));
  devices_.Housekeeping();
  EXPECT_FALSE(device_->Snapshot().lease.has_value());
  absl::Status expired = device_->CheckLease(alice->lease_id);
  EXPECT_EQ(expired.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(expired.message(), HasSubstr("expired"));
  EXPECT_TRUE(device_->AcquireLease("bob", absl::Seconds(10)).ok());
}

TEST_F(DeviceManagerTest, ReleaseFreesTheDeviceForTheNextHolder) {
  absl::StatusOr<LeaseInfo> alice =
      device_->AcquireLease("alice", absl::Seconds(10));
  ASSERT_TRUE(alice.ok());
  EXPECT_EQ(device_->ReleaseLease("bogus").code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(device_->ReleaseLease(alice->lease_id).ok());
  EXPECT_TRUE(device_->AcquireLease("bob", absl::Seconds(10)).ok());
}

TEST_F(DeviceManagerTest, ApplyNeedsTheLeaseAndAValidConfiguration) {
  absl::StatusOr<chip::ValidationReport> no_lease =
      device_->ApplyConfiguration(chip::testing::OneNeuron(), "");
  EXPECT_EQ(no_lease.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(no_lease.status().message(), HasSubstr("AcquireLease"));

  LeaseInfo lease = device_->AcquireLease("alice", absl::Seconds(10)).value();
  chip::SpeckConfig bad = chip::testing::OneNeuron();
  bad.cnn_layers[0].dimensions.kernel_size = 17;
  absl::StatusOr<chip::ValidationReport> invalid =
      device_->ApplyConfiguration(bad, lease.lease_id);
  EXPECT_EQ(invalid.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(invalid.status().message(),
              HasSubstr("cnn_layers[0].dimensions.kernel_size"));
  EXPECT_EQ(device_->Snapshot().state, DeviceState::kReady);

  ASSERT_TRUE(
      device_->ApplyConfiguration(chip::testing::OneNeuron(), lease.lease_id)
          .ok());
  EXPECT_EQ(device_->Snapshot().state, DeviceState::kConfigured);
  EXPECT_TRUE(device_->configured());
}

// A write job of `events`, reporting to `done`.
WriteJob Job(std::vector<chip::InputEvent> events,
             std::function<void(absl::StatusOr<WriteResult>)> done) {
  WriteJob job;
  job.inputs = [events](const chip::SpeckConfig&) { return events; };
  job.flush = true;
  job.deadline = absl::InfiniteFuture();
  job.done = std::move(done);
  return job;
}

TEST_F(DeviceManagerTest, WritesMakeItStreamingUntilIdle) {
  LeaseInfo lease = device_->AcquireLease("alice", absl::Seconds(60)).value();
  EXPECT_EQ(device_->SubmitWrite(lease.lease_id, Job({}, nullptr)).code(),
            absl::StatusCode::kFailedPrecondition);  // not configured yet
  ASSERT_TRUE(
      device_->ApplyConfiguration(chip::testing::OneNeuron(), lease.lease_id)
          .ok());
  Notification written;
  absl::StatusOr<WriteResult> result = absl::UnknownError("not written");
  ASSERT_TRUE(
      device_
          ->SubmitWrite(lease.lease_id,
                        Job({chip::InputEvent::FromSpike({5, 0, 0, 0, 0})},
                            [&](absl::StatusOr<WriteResult> r) {
                              result = r;
                              written.Notify();
                            }))
          .ok());
  ASSERT_TRUE(written.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->accepted, 1u);
  EXPECT_EQ(device_->Snapshot().state, DeviceState::kStreaming);
  EXPECT_EQ(device_->Snapshot().counters.events_in, 1u);
  // Accepted is not yet processed: the device thread takes the input on its
  // own time, and a device with queued input is not idle.
  ASSERT_TRUE(device_->WaitUntilIdle(absl::Seconds(10)));
  clock_.Advance(absl::Seconds(2));
  devices_.Housekeeping();
  EXPECT_EQ(device_->Snapshot().state, DeviceState::kConfigured);
}

TEST_F(DeviceManagerTest, WatchersHearOfChanges) {
  std::vector<std::string> changed;
  Mutex mu;
  int token = devices_.AddWatcher([&](const DeviceSnapshot& snapshot) {
    MutexLock lock(&mu);
    changed.push_back(snapshot.descriptor.id);
  });
  ASSERT_TRUE(device_->AcquireLease("alice", absl::Seconds(1)).ok());
  devices_.RemoveWatcher(token);
  ASSERT_TRUE(devices_.Add(driver::sim::NewSimDevice(3)).ok());
  MutexLock lock(&mu);
  EXPECT_EQ(changed, std::vector<std::string>{"speck2edevkit:0"});
}

}  // namespace
}  // namespace speckd::server
