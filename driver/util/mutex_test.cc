#include "driver/util/mutex.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace speckd {
namespace {

TEST(MutexTest, CountsFromManyThreadsAddUp) {
  Mutex mu;
  int count = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        MutexLock lock(&mu);
        ++count;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  MutexLock lock(&mu);
  EXPECT_EQ(count, 40000);
}

TEST(CondVarTest, WaitWithDeadlineTimesOutWithoutSignal) {
  Mutex mu;
  CondVar cv;
  MutexLock lock(&mu);
  const absl::Time start = absl::Now();
  EXPECT_TRUE(cv.WaitWithDeadline(&mu, start + absl::Milliseconds(20)));
  EXPECT_GE(absl::Now(), start + absl::Milliseconds(20));
  // A deadline already past returns at once.
  EXPECT_TRUE(cv.WaitWithDeadline(&mu, absl::InfinitePast()));
}

TEST(CondVarTest, SignalWakesAWaiterHoldingTheLockAgain) {
  Mutex mu;
  CondVar cv;
  bool ready = false;
  std::thread setter([&] {
    MutexLock lock(&mu);
    ready = true;
    cv.SignalAll();
  });
  {
    MutexLock lock(&mu);
    while (!ready) {
      ASSERT_FALSE(cv.WaitWithDeadline(&mu, absl::Now() + absl::Seconds(30)));
    }
    EXPECT_TRUE(ready);
  }
  setter.join();
}

TEST(NotificationTest, WaitersSeeTheNotification) {
  Notification done;
  EXPECT_FALSE(done.HasBeenNotified());
  EXPECT_FALSE(done.WaitForNotificationWithTimeout(absl::Milliseconds(1)));
  std::thread notifier([&] { done.Notify(); });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  done.WaitForNotification();
  EXPECT_TRUE(done.HasBeenNotified());
  notifier.join();
}

}  // namespace
}  // namespace speckd
