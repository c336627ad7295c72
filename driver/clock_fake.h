// A clock that only moves when a test moves it (Envoy's simulated time).
// Threads waiting in WaitUntil wake when Advance() passes their deadline.
//
//   FakeClock clock;
//   auto device = sim::NewSimDevice({.clock = &clock});
//   clock.Advance(absl::Milliseconds(50));  // the device's stop watch moves 50
//   ms
#ifndef SPECKD_DRIVER_CLOCK_FAKE_H_
#define SPECKD_DRIVER_CLOCK_FAKE_H_

#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "driver/clock.h"

namespace speckd::driver {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::UnixEpoch() + absl::Hours(1))
      : now_(start) {}

  absl::Time Now() const override {
    MutexLock lock(&mu_);
    return now_;
  }

  void WaitUntil(CondVar* cv, Mutex* mu, absl::Time deadline) override
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    {
      MutexLock lock(&mu_);
      if (now_ >= deadline) return;
      waiters_.emplace_back(cv, mu);
      waiters_changed_.SignalAll();
    }
    // `mu` is held from the caller's check until Wait releases it, and
    // Advance signals only while holding `mu`: no wakeup is lost.
    cv->Wait(mu);
    MutexLock lock(&mu_);
    for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
      if (it->first == cv) {
        waiters_.erase(it);
        break;
      }
    }
  }

  // True once at least `n` threads wait in WaitUntil (a device thread idling,
  // a writer blocked on a full queue), false after `timeout` of wall time:
  // lets a test act only once the threads it races with are parked.
  bool AwaitWaiters(size_t n, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    MutexLock lock(&mu_);
    while (waiters_.size() < n) {
      if (waiters_changed_.WaitWithDeadline(&mu_, deadline)) {
        return waiters_.size() >= n;
      }
    }
    return true;
  }

  // Moves time forward and wakes every waiter to re-check its deadline.
  // Waiters must outlive the call (tests stop devices before clocks).
  void Advance(absl::Duration d) {
    std::vector<std::pair<CondVar*, Mutex*>> waiters;
    {
      MutexLock lock(&mu_);
      now_ += d;
      waiters = waiters_;
    }
    // Never hold mu_ while taking a waiter's mutex: WaitUntil takes them in
    // the other order.
    for (auto& [cv, mu] : waiters) {
      MutexLock lock(mu);
      cv->SignalAll();
    }
  }

 private:
  mutable Mutex mu_;
  CondVar waiters_changed_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<CondVar*, Mutex*>> waiters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace speckd::driver

#endif  // SPECKD_DRIVER_CLOCK_FAKE_H_
