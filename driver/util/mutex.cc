#include "driver/util/mutex.h"

namespace speckd {

void CondVar::Wait(Mutex* mu) {
  // Adopt the held lock for the wait, and give it back held afterwards.
  std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
  cv_.wait(lock);
  lock.release();
}

bool CondVar::WaitWithDeadline(Mutex* mu, absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) {
    Wait(mu);
    return false;
  }
  std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
  const bool timed_out = cv_.wait_until(lock, absl::ToChronoTime(deadline)) ==
                         std::cv_status::timeout;
  lock.release();
  return timed_out;
}

void Notification::Notify() {
  MutexLock lock(&mu_);
  notified_ = true;
  cv_.SignalAll();
}

bool Notification::HasBeenNotified() const {
  MutexLock lock(&mu_);
  return notified_;
}

void Notification::WaitForNotification() const {
  MutexLock lock(&mu_);
  while (!notified_) cv_.Wait(&mu_);
}

bool Notification::WaitForNotificationWithDeadline(absl::Time deadline) const {
  MutexLock lock(&mu_);
  while (!notified_) {
    if (cv_.WaitWithDeadline(&mu_, deadline)) return notified_;
  }
  return true;
}

}  // namespace speckd
