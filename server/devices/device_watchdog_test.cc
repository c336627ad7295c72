#include "server/devices/device_watchdog.h"

#include <atomic>
#include <memory>

#include "driver/chip/test_networks.h"
#include "driver/clock_fake.h"
#include "driver/sim/sim_device.h"
#include "driver/sim/sim_faults.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::server {
namespace {

constexpr absl::Duration kLimit = absl::Seconds(2);

class DeviceWatchdogTest : public ::testing::Test {
 protected:
  DeviceWatchdogTest() {
    driver::sim::SimDeviceOptions options;
    options.clock = &clock_;
    options.faults = faults_;
    device_ = driver::sim::NewSimDevice(options);
    watchdog_ = std::make_unique<DeviceWatchdog>(device_.get(), &clock_, kLimit,
                                                 [this] { ++answers_; });
  }

  // Until the device has answered `n` pings (wall-time guard).
  bool AnsweredWithin(int n, absl::Duration guard = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + guard;
    while (answers_.load() < n) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(1));
    }
    return true;
  }

  driver::FakeClock clock_;
  std::shared_ptr<driver::sim::SimFaults> faults_ =
      std::make_shared<driver::sim::SimFaults>(&clock_);
  std::unique_ptr<driver::Device> device_;
  std::unique_ptr<DeviceWatchdog> watchdog_;
  std::atomic<int> answers_{0};
};

TEST_F(DeviceWatchdogTest, AnAnsweringDeviceIsNeverWedged) {
  EXPECT_FALSE(watchdog_->Check().has_value());  // the first ping
  ASSERT_TRUE(AnsweredWithin(1));
  // Pings go every quarter of the limit, no sooner.
  clock_.Advance(kLimit / 8);
  EXPECT_FALSE(watchdog_->Check().has_value());
  clock_.Advance(kLimit / 8);
  EXPECT_FALSE(watchdog_->Check().has_value());
  ASSERT_TRUE(AnsweredWithin(2));
  clock_.Advance(kLimit * 3);
  EXPECT_FALSE(watchdog_->Check().has_value());
  ASSERT_TRUE(AnsweredWithin(3));
  EXPECT_EQ(answers_.load(), 3);
}

TEST_F(DeviceWatchdogTest, AWedgedDeviceIsReportedOncePastTheLimit) {
  faults_->WedgeThread(absl::Seconds(10));
  // The device thread waits out its wedge on the clock from now on.
  const absl::Time guard = absl::Now() + absl::Seconds(10);
  while (!faults_->wedged()) {
    ASSERT_LT(absl::Now(), guard) << "the device thread never wedged";
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_FALSE(watchdog_->Check().has_value());  // ping sent, unanswered
  clock_.Advance(kLimit);
  EXPECT_FALSE(watchdog_->Check().has_value());  // at the limit, not past
  clock_.Advance(absl::Milliseconds(1));
  std::optional<absl::Duration> waited = watchdog_->Check();
  ASSERT_TRUE(waited.has_value());
  EXPECT_EQ(*waited, kLimit + absl::Milliseconds(1));
  EXPECT_EQ(answers_.load(), 0);
  // Once the wedge ends the ping is answered.
  clock_.Advance(absl::Seconds(10));
  ASSERT_TRUE(AnsweredWithin(1));
  EXPECT_FALSE(watchdog_->Check().has_value());
}

}  // namespace
}  // namespace speckd::server
