// Where time comes from. The simulated devkit paces inputs by this clock; tests
// use FakeClock (clock_fake.h) and step it instead of sleeping.
//
//   MutexLock lock(&mu_);
//   while (!ready_ && clock_->Now() < deadline) clock_->WaitUntil(&cv_, &mu_,
//   deadline);
#ifndef SPECKD_DRIVER_CLOCK_H_
#define SPECKD_DRIVER_CLOCK_H_

#include "absl/time/time.h"
#include "driver/util/mutex.h"

namespace speckd::driver {

class Clock {
 public:
  virtual ~Clock() = default;

  // Thread-safe.
  virtual absl::Time Now() const = 0;

  // With `mu` held: releases it and waits until `cv` is signalled or Now()
  // reaches `deadline`, then reacquires it. May return early (spuriously):
  // callers re-check their condition in a loop.
  virtual void WaitUntil(CondVar* cv, Mutex* mu, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) = 0;
};

// The wall clock. Thread-safe; never destroyed.
Clock* RealClock();

}  // namespace speckd::driver

#endif  // SPECKD_DRIVER_CLOCK_H_
