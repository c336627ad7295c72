// Device ownership: ids, the control lease (with a fake clock for expiry),
// the state machine and change notifications.
#include "server/devices/device_manager.h"

#include "absl/strings/str_cat.h"
#include "driver/chip/test_networks.h"
#include "driver/clock_fake.h"
#include "driver/sim/sim_bus.h"
#include "driver/sim/sim_device.h"
#include "driver/util/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class DeviceManagerTest : public ::testing::Test {
 protected:
  DeviceManagerTest() : devices_(&clock_), sim_(SimOptions(&clock_, 2)) {
    devices_.SetBoardFaults("sim:", &sim_);
    sim_.Start(&devices_);
    device_ = devices_.Find("speck2edevkit-sim:0").value();
  }

  static driver::sim::SimBusOptions SimOptions(driver::Clock* clock,
                                               int count) {
    driver::sim::SimBusOptions options;
    options.count = count;
    options.device.clock = clock;
    options.device.pacing = driver::Pacing::kAsFastAsPossible;
    return options;
  }

  driver::FakeClock clock_;
  DeviceManager devices_;
  driver::sim::SimBus sim_;
  ManagedDevice* device_ = nullptr;
};

// A USB board that cannot be driven, as the USB layer reports it.
driver::Board UsbBoard(const std::string& port, uint32_t address,
                       const std::string& serial,
                       driver::BoardProblem::Kind problem) {
  driver::Board board;
  board.key = "usb:2-" + port;
  board.id_prefix = "speck2edevkit";
  board.descriptor.type_name = "Speck2eDevKit";
  board.descriptor.backend = driver::Backend::kUsb;
  board.descriptor.usb_bus_number = 2;
  board.descriptor.usb_device_address = address;
  board.descriptor.usb_port_path = port;
  board.descriptor.serial_number = serial;
  board.problem = {problem, "what to do"};
  return board;
}

// A USB board with a (simulated) driver, as a protocol driver would give it.
driver::Board DrivenUsbBoard(const std::string& port, driver::Clock* clock) {
  driver::Board board =
      UsbBoard(port, 3, "", driver::BoardProblem::Kind::kNone);
  driver::sim::SimDeviceOptions options;
  options.clock = clock;
  options.pacing = driver::Pacing::kAsFastAsPossible;
  board.device = driver::sim::NewSimDevice(options);
  return board;
}

TEST_F(DeviceManagerTest, ListsDevicesInIdOrderAsReady) {
  std::vector<DeviceSnapshot> list = devices_.List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].descriptor.id, "speck2edevkit-sim:0");
  EXPECT_EQ(list[1].descriptor.id, "speck2edevkit-sim:1");
  EXPECT_EQ(list[0].descriptor.serial_number, "sim-0");
  EXPECT_EQ(list[0].state, DeviceState::kReady);
  EXPECT_FALSE(list[0].lease.has_value());
  EXPECT_EQ(devices_.Find("").value()->id(), "speck2edevkit-sim:0");
}

TEST_F(DeviceManagerTest, RefusesDuplicateIdsAndNamesKnownIdsWhenMissing) {
  absl::Status status = devices_.Add(driver::sim::NewSimDevice(5));
  ASSERT_TRUE(status.ok()) << status;  // its own id, speck2edevkit-sim:5
  status = devices_.Add(driver::sim::NewSimDevice(5));
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  absl::StatusOr<ManagedDevice*> missing = devices_.Find("speck2edevkit:7");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("speck2edevkit-sim:0"));
}

TEST_F(DeviceManagerTest, RealBoardsRankPerTypeAndNeverCollideWithSims) {
  devices_.OnBoardArrived(
      UsbBoard("1", 3, "A", driver::BoardProblem::Kind::kNoProtocolDriver));
  devices_.OnBoardArrived(
      UsbBoard("2", 7, "B", driver::BoardProblem::Kind::kNoProtocolDriver));
  std::vector<DeviceSnapshot> list = devices_.List();
  ASSERT_EQ(list.size(), 4u);
  EXPECT_EQ(list[0].descriptor.id, "speck2edevkit-sim:0");
  EXPECT_EQ(list[2].descriptor.id, "speck2edevkit:0");
  EXPECT_EQ(list[2].descriptor.usb_device_address, 3u);
  EXPECT_EQ(list[3].descriptor.id, "speck2edevkit:1");
  EXPECT_EQ(list[3].state, DeviceState::kUnusable);
  EXPECT_EQ(list[3].problem.kind,
            driver::BoardProblem::Kind::kNoProtocolDriver);
  EXPECT_EQ(list[3].state_detail, "what to do");
  // Boards that cannot be used are not a default: the simulated one is.
  EXPECT_EQ(devices_.Find("").value()->id(), "speck2edevkit-sim:0");
  absl::StatusOr<std::vector<int16_t>> read =
      devices_.Find("speck2edevkit:1").value()->ReadNeurons(0, {}, nullptr);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(read.status().message(), HasSubstr("what to do"));
}

TEST_F(DeviceManagerTest, EmptyIdPicksTheOnlyUsableBoardAndRefusesToGuess) {
  devices_.OnBoardArrived(DrivenUsbBoard("1", &clock_));
  EXPECT_EQ(devices_.Find("").value()->id(), "speck2edevkit:0");
  devices_.OnBoardArrived(DrivenUsbBoard("2", &clock_));
  absl::StatusOr<ManagedDevice*> which = devices_.Find("");
  EXPECT_EQ(which.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(which.status().message(),
              HasSubstr("speck2edevkit:0, speck2edevkit:1"));
}

TEST(DeviceManagerDefaultTest, OnlyUnusableBoardsAreNoDefault) {
  driver::FakeClock clock;
  DeviceManager devices(&clock);
  EXPECT_TRUE(absl::IsNotFound(devices.Find("").status()));
  devices.OnBoardArrived(
      UsbBoard("1", 3, "", driver::BoardProblem::Kind::kNeedsFirmware));
  absl::StatusOr<ManagedDevice*> none = devices.Find("");
  EXPECT_EQ(none.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(none.status().message(),
              HasSubstr("name a device: speck2edevkit:0"));
}

TEST_F(DeviceManagerTest, ABoardThatReturnsGetsItsIdBackByPortOrSerial) {
  devices_.OnBoardArrived(
      UsbBoard("1", 3, "SER1", driver::BoardProblem::Kind::kPermissionDenied));
  devices_.OnBoardArrived(
      UsbBoard("2", 4, "", driver::BoardProblem::Kind::kPermissionDenied));
  devices_.OnBoardLeft("usb:2-1", "unplugged");
  devices_.OnBoardLeft("usb:2-2", "unplugged");
  EXPECT_EQ(devices_.List().size(), 2u);  // unusable boards leave the list
  EXPECT_TRUE(absl::IsNotFound(devices_.Find("speck2edevkit:0").status()));
  // The board without a serial returns on its port; the other on a new one.
  devices_.OnBoardArrived(
      UsbBoard("2", 9, "", driver::BoardProblem::Kind::kNoProtocolDriver));
  devices_.OnBoardArrived(
      UsbBoard("4", 5, "SER1", driver::BoardProblem::Kind::kNoProtocolDriver));
  EXPECT_EQ(devices_.Get("speck2edevkit:1")->descriptor.usb_device_address, 9u);
  EXPECT_EQ(devices_.Get("speck2edevkit:0")->descriptor.usb_port_path, "4");
  // A new board takes the next rank, never a returning board's.
  devices_.OnBoardArrived(
      UsbBoard("5", 6, "", driver::BoardProblem::Kind::kNoProtocolDriver));
  EXPECT_EQ(devices_.Get("speck2edevkit:2")->descriptor.usb_port_path, "5");
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

TEST_F(DeviceManagerTest, WatchersHearOfAdditionsChangesAndRemovals) {
  std::vector<std::string> changes;
  Mutex mu;
  int token = devices_.AddWatcher(
      [&](DeviceChange change, const DeviceSnapshot& snapshot) {
        MutexLock lock(&mu);
        const char* kind = change == DeviceChange::kAdded     ? "added"
                           : change == DeviceChange::kRemoved ? "removed"
                                                              : "changed";
        changes.push_back(absl::StrCat(kind, " ", snapshot.descriptor.id, " ",
                                       DeviceStateName(snapshot.state)));
      });
  ASSERT_TRUE(device_->AcquireLease("alice", absl::Seconds(1)).ok());
  devices_.OnBoardArrived(
      UsbBoard("1", 3, "", driver::BoardProblem::Kind::kNeedsFirmware));
  devices_.OnBoardLeft("usb:2-1", "unplugged");
  devices_.OnBoardLeft("usb:2-1", "unplugged");  // twice: ignored
  devices_.OnBoardLeft("usb:9-9", "unplugged");  // unknown: ignored
  devices_.RemoveWatcher(token);
  ASSERT_TRUE(devices_.Add(driver::sim::NewSimDevice(3)).ok());
  MutexLock lock(&mu);
  EXPECT_THAT(changes, ElementsAre("changed speck2edevkit-sim:0 ready",
                                   "added speck2edevkit:0 unusable",
                                   "removed speck2edevkit:0 unusable"));
}

// The recovery path, through the manager as the daemon uses it.
TEST_F(DeviceManagerTest, UnplugKeepsLeaseAndSettingsAndReplugRestoresThem) {
  LeaseInfo lease = device_->AcquireLease("alice", absl::Seconds(60)).value();
  ASSERT_TRUE(
      device_->ApplyConfiguration(chip::testing::OneNeuron(), lease.lease_id)
          .ok());
  ASSERT_TRUE(device_->SetSlowClock(lease.lease_id, true, 5).ok());
  ASSERT_TRUE(device_->SetPowerMonitorRate(lease.lease_id, 20).ok());
  ASSERT_TRUE(device_->SetStopWatch(lease.lease_id, true, false).ok());
  const std::shared_ptr<const chip::SpeckConfig> before =
      device_->configuration();

  ASSERT_TRUE(devices_.SimulateUnplug("speck2edevkit-sim:0").ok());
  DeviceSnapshot lost = device_->Snapshot();
  EXPECT_EQ(lost.state, DeviceState::kLost);
  EXPECT_THAT(lost.state_detail, HasSubstr("unplugged (simulated fault)"));
  EXPECT_THAT(lost.state_detail, HasSubstr("re-applied when it returns"));
  EXPECT_EQ(lost.power_monitor_rate_hz, 20);  // last known, while away
  EXPECT_EQ(lost.lease->holder, "alice");
  EXPECT_TRUE(device_->RenewLease(lease.lease_id).ok());
  absl::StatusOr<chip::ValidationReport> apply =
      device_->ApplyConfiguration(chip::testing::OneNeuron(), lease.lease_id);
  EXPECT_EQ(apply.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(apply.status().message(), HasSubstr("is lost"));
  EXPECT_EQ(devices_.SimulateUnplug("speck2edevkit-sim:0").code(),
            absl::StatusCode::kFailedPrecondition);

  ASSERT_TRUE(devices_.SimulateReplug("speck2edevkit-sim:0").ok());
  DeviceSnapshot back = device_->Snapshot();
  EXPECT_EQ(back.state, DeviceState::kConfigured);
  EXPECT_EQ(back.state_detail, "");
  EXPECT_TRUE(back.slow_clock.enabled);
  EXPECT_EQ(back.slow_clock.rate_hz, 5);
  EXPECT_EQ(back.power_monitor_rate_hz, 20);
  EXPECT_TRUE(back.stop_watch.enabled);
  EXPECT_EQ(back.pacing, driver::Pacing::kAsFastAsPossible);
  // The new device runs the same network (a new object: graphs rebuild).
  EXPECT_NE(device_->configuration(), before);
  EXPECT_EQ(device_->configuration()->cnn_layers[0].dimensions.kernel_size,
            before->cnn_layers[0].dimensions.kernel_size);
  EXPECT_TRUE(device_->CheckLease(lease.lease_id).ok());
}

TEST_F(DeviceManagerTest, CountersAddUpAcrossUnplugs) {
  LeaseInfo lease = device_->AcquireLease("alice", absl::Seconds(60)).value();
  ASSERT_TRUE(
      device_->ApplyConfiguration(chip::testing::OneNeuron(), lease.lease_id)
          .ok());
  for (int round = 0; round < 2; ++round) {
    Notification written;
    ASSERT_TRUE(
        device_
            ->SubmitWrite(
                lease.lease_id,
                Job({chip::InputEvent::FromSpike({5, 0, 0, 0, 0})},
                    [&](absl::StatusOr<WriteResult>) { written.Notify(); }))
            .ok());
    ASSERT_TRUE(written.WaitForNotificationWithTimeout(absl::Seconds(10)));
    ASSERT_TRUE(device_->WaitUntilIdle(absl::Seconds(10)));
    ASSERT_TRUE(devices_.SimulateUnplug("speck2edevkit-sim:0").ok());
    ASSERT_TRUE(devices_.SimulateReplug("speck2edevkit-sim:0").ok());
  }
  EXPECT_EQ(device_->Snapshot().counters.events_in, 2u);
}

TEST_F(DeviceManagerTest, FaultsNeedTheFlagAndASimulatedBoard) {
  DeviceManager plain(&clock_);
  driver::sim::SimBus bus(SimOptions(&clock_, 1));
  bus.Start(&plain);
  absl::Status refused = plain.SimulateUnplug("speck2edevkit-sim:0");
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.message(), HasSubstr("--sim_faults"));
  devices_.OnBoardArrived(
      UsbBoard("1", 3, "", driver::BoardProblem::Kind::kNoProtocolDriver));
  EXPECT_EQ(devices_.SimulateUnplug("speck2edevkit:0").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::IsNotFound(devices_.SimulateUnplug("nope:0")));
}

}  // namespace
}  // namespace speckd::server
