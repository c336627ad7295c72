#include "server/devices/device_watchdog.h"

#include <algorithm>
#include <utility>

namespace speckd::server {

DeviceWatchdog::DeviceWatchdog(driver::Device* device, driver::Clock* clock,
                               absl::Duration limit,
                               std::function<void()> on_answer)
    : device_(device),
      clock_(clock),
      limit_(limit),
      interval_(std::max(limit / 4, absl::Milliseconds(100))),
      pings_(std::make_shared<Pings>()) {
  pings_->on_answer = std::move(on_answer);
}

std::optional<absl::Duration> DeviceWatchdog::Check() {
  const absl::Time now = clock_->Now();
  {
    MutexLock lock(&pings_->mu);
    if (pings_->outstanding) {
      const absl::Duration waited = now - pings_->sent;
      if (waited > limit_) return waited;
      return std::nullopt;
    }
    if (now - pings_->answered < interval_) return std::nullopt;
    pings_->outstanding = true;
    pings_->sent = now;
  }
  device_->Ping([pings = pings_, clock = clock_] {
    if (pings->on_answer) pings->on_answer();
    MutexLock lock(&pings->mu);
    pings->outstanding = false;
    pings->answered = clock->Now();
  });
  return std::nullopt;
}

}  // namespace speckd::server
