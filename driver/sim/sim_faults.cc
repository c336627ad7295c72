#include "driver/sim/sim_faults.h"

#include <algorithm>
#include <utility>

namespace speckd::driver::sim {

void SimFaults::StallOutput(absl::Duration d) {
  {
    MutexLock lock(&mu_);
    stall_until_ = clock_->Now() + std::min(d, kMaxFault);
  }
  Wake();
}

void SimFaults::FillInputQueue(absl::Duration d) {
  {
    MutexLock lock(&mu_);
    queue_full_until_ = clock_->Now() + std::min(d, kMaxFault);
  }
  Wake();
}

void SimFaults::JumpClock(absl::Duration d) {
  {
    MutexLock lock(&mu_);
    jump_ += std::max(d, absl::ZeroDuration());
  }
  Wake();
}

absl::Time SimFaults::stall_until() const {
  MutexLock lock(&mu_);
  return stall_until_;
}

void SimFaults::WaitOutStall() const {
  Mutex m;
  CondVar never;  // nothing signals it: each wait ends at its deadline
  MutexLock lock(&m);
  for (absl::Time until = stall_until(); clock_->Now() < until;
       until = stall_until()) {
    clock_->WaitUntil(&never, &m, until);
  }
}

absl::Time SimFaults::queue_full_until() const {
  MutexLock lock(&mu_);
  return queue_full_until_;
}

absl::Duration SimFaults::TakeJump() {
  MutexLock lock(&mu_);
  return std::exchange(jump_, absl::ZeroDuration());
}

void SimFaults::SetWake(std::function<void()> wake) {
  MutexLock lock(&wake_mu_);
  wake_ = std::move(wake);
}

void SimFaults::Wake() {
  MutexLock lock(&wake_mu_);
  if (wake_) wake_();
}

}  // namespace speckd::driver::sim
