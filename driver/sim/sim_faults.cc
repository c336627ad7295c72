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

void SimFaults::BurstOutput(absl::Duration d) {
  {
    MutexLock lock(&mu_);
    burst_until_ = clock_->Now() + std::min(d, kMaxFault);
  }
  Wake();
}

void SimFaults::WedgeThread(absl::Duration d) {
  {
    MutexLock lock(&mu_);
    wedge_ = std::clamp(d, absl::ZeroDuration(), kMaxFault);
  }
  Wake();
}

absl::Time SimFaults::stall_until() const {
  MutexLock lock(&mu_);
  return stall_until_;
}

void SimFaults::SleepUntil(absl::Time until) const {
  MutexLock lock(&sleep_mu_);
  while (clock_->Now() < until)
    clock_->WaitUntil(&sleep_cv_, &sleep_mu_, until);
}

void SimFaults::WaitOutStall() const {
  for (absl::Time until = stall_until(); clock_->Now() < until;
       until = stall_until()) {
    SleepUntil(until);
  }
}

absl::Time SimFaults::burst_until() const {
  MutexLock lock(&mu_);
  return burst_until_;
}

void SimFaults::WaitOutWedge() {
  absl::Time until;
  {
    MutexLock lock(&mu_);
    if (wedge_ <= absl::ZeroDuration()) return;
    until = clock_->Now() + std::exchange(wedge_, absl::ZeroDuration());
    wedged_ = true;
  }
  SleepUntil(until);
  MutexLock lock(&mu_);
  wedged_ = false;
}

bool SimFaults::wedged() const {
  MutexLock lock(&mu_);
  return wedged_;
}

absl::Time SimFaults::queue_full_until() const {
  MutexLock lock(&mu_);
  return queue_full_until_;
}

absl::Duration SimFaults::TakeJump() {
  MutexLock lock(&mu_);
  return std::exchange(jump_, absl::ZeroDuration());
}

void SimFaults::SetWake(const void* owner, std::function<void()> wake) {
  MutexLock lock(&wake_mu_);
  wake_owner_ = owner;
  wake_ = std::move(wake);
}

void SimFaults::ClearWake(const void* owner) {
  MutexLock lock(&wake_mu_);
  if (wake_owner_ != owner) return;
  wake_owner_ = nullptr;
  wake_ = nullptr;
}

void SimFaults::Wake() {
  MutexLock lock(&wake_mu_);
  if (wake_) wake_();
}

bool HeldOutputs::Hold(const DeviceOutput& output) {
  if (faults_ == nullptr || full_ || clock_->Now() >= faults_->burst_until()) {
    return false;
  }
  const size_t events = output.events.spikes.size() +
                        output.events.readout_values.size() +
                        output.events.readout_pins.size() + output.power.size();
  if (events_ + events > kMaxEvents) {
    full_ = true;
    return false;
  }
  events_ += events;
  held_.push_back(output);
  return true;
}

void HeldOutputs::Release(OutputListener* listener) {
  if (held_.empty()) return;
  if (!full_ && clock_->Now() < faults_->burst_until()) return;
  std::deque<DeviceOutput> out;
  out.swap(held_);
  events_ = 0;
  full_ = false;
  if (listener == nullptr) return;
  for (const DeviceOutput& o : out) listener->OnOutput(o);
}

absl::Time HeldOutputs::WakeBy(absl::Time t) const {
  return held_.empty() ? t : std::min(t, faults_->burst_until());
}

}  // namespace speckd::driver::sim
