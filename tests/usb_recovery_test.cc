// A board on USB that speckd drives, unplugged in the middle of a transfer
// and plugged back in, through the daemon's DeviceManager: Debian's libusb
// over umockdev (re-run under umockdev-wrapper; skipped, saying so, without
// it), with a test protocol driver whose reader keeps a bulk IN pending (the
// Speck2e's own protocol is not public). The transfer ends within its
// timeout, the device is LOST within a bound, and the returning board gets
// its id, lease and configuration back.
#include "driver/chip/test_networks.h"
#include "driver/usb/reading_driver.h"
#include "driver/usb/umockdev_testbed.h"
#include "driver/usb/usb_bus.h"
#include "driver/util/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/devices/device_manager.h"

namespace speckd::testing {
namespace {

namespace usb = driver::usb;
using ::testing::HasSubstr;

// The states the manager's watchers heard of, to wait on.
class States {
 public:
  explicit States(server::DeviceManager* devices) : devices_(devices) {
    token_ = devices->AddWatcher(
        [this](server::DeviceChange, const server::DeviceSnapshot& s) {
          MutexLock lock(&mu_);
          last_ = s.state;
          changed_.SignalAll();
        });
  }
  ~States() { devices_->RemoveWatcher(token_); }
  bool WaitFor(server::DeviceState state, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    MutexLock lock(&mu_);
    while (last_ != state) {
      if (changed_.WaitWithDeadline(&mu_, deadline)) return last_ == state;
    }
    return true;
  }

 private:
  server::DeviceManager* const devices_;
  int token_ = 0;
  Mutex mu_;
  CondVar changed_;
  server::DeviceState last_ ABSL_GUARDED_BY(mu_) = server::DeviceState::kAbsent;
};

TEST(UsbRecoveryTest, LostMidTransferThenRestoredWithItsIdAndConfiguration) {
  if (!usb::testing::UmockdevAvailable().ok()) {
    GTEST_SKIP() << "SKIPPED (USB recovery): "
                 << usb::testing::UmockdevAvailable().message();
  }
  usb::testing::Testbed bed;
  const std::string syspath = usb::testing::PlaceholderSyspath(1);
  auto plug_in = [&] {
    ASSERT_TRUE(bed.Add("speck2e-placeholder.umockdev").ok());
    ASSERT_TRUE(bed.LoadPcap(syspath, usb::testing::PendingInCapture()).ok());
  };
  plug_in();
  // Destroyed in reverse: the bus, then the devices (whose readers report to
  // `reads`), then the driver and `reads`, then the testbed.
  usb::testing::Reads reads;
  usb::testing::ReadingDriver driver(&reads);
  server::DeviceManager devices;
  States states(&devices);
  usb::UsbBusOptions options;
  ASSERT_TRUE(options.ids.Add("337d:0001=speck2edevkit", "test").ok());
  options.drivers = {&driver};
  absl::StatusOr<std::unique_ptr<usb::UsbBus>> bus =
      usb::UsbBus::Start(std::move(options), &devices);
  ASSERT_TRUE(bus.ok()) << bus.status();
  ASSERT_TRUE((*bus)->WaitUntilSettled(absl::Seconds(10)));

  // The only usable board is the default device.
  absl::StatusOr<server::ManagedDevice*> found = devices.Find("");
  ASSERT_TRUE(found.ok()) << found.status();
  server::ManagedDevice* board = *found;
  EXPECT_EQ(board->id(), "speck2edevkit:0");
  EXPECT_EQ(board->Snapshot().state, server::DeviceState::kReady);
  const server::LeaseInfo lease =
      board->AcquireLease("lab", absl::Seconds(60)).value();
  ASSERT_TRUE(
      board->ApplyConfiguration(chip::testing::OneNeuron(), lease.lease_id)
          .ok());
  {
    MutexLock lock(&reads.mu);
    while (reads.results.empty()) {
      ASSERT_FALSE(reads.changed.WaitWithDeadline(
          &reads.mu, absl::Now() + absl::Seconds(10)));
    }
  }

  const absl::Time pulled = absl::Now();
  bed.Remove(syspath);
  ASSERT_TRUE(states.WaitFor(server::DeviceState::kLost, absl::Seconds(5)));
  const absl::Duration to_lost = absl::Now() - pulled;
  EXPECT_LT(to_lost, absl::Seconds(2));
  EXPECT_THAT(board->Snapshot().state_detail, HasSubstr("unplugged"));
  {
    MutexLock lock(&reads.mu);
    for (absl::Duration took : reads.took) {
      EXPECT_LT(took, absl::Milliseconds(1300));
    }
  }

  plug_in();
  ASSERT_TRUE(
      states.WaitFor(server::DeviceState::kConfigured, absl::Seconds(5)));
  EXPECT_EQ(devices.Find("").value(), board);  // same id, same device
  EXPECT_TRUE(board->CheckLease(lease.lease_id).ok());
  EXPECT_EQ(board->configuration()->cnn_layers[0].dimensions.kernel_size,
            chip::testing::OneNeuron().cnn_layers[0].dimensions.kernel_size);
  MutexLock lock(&reads.mu);
  EXPECT_EQ(reads.opened, 2);
  std::printf("unplugged to LOST in %.1f ms\n",
              absl::ToDoubleMilliseconds(to_lost));
}

}  // namespace
}  // namespace speckd::testing

int main(int argc, char** argv) {
  (void)speckd::driver::usb::testing::ReexecUnderUmockdev(argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
