#include "server/service/repeating_warning.h"

#include <utility>

#include "absl/time/clock.h"
#include "server/log/log.h"

namespace speckd::server {

RepeatingWarning::RepeatingWarning(std::string event, std::string message,
                                   absl::Duration period)
    : event_(std::move(event)), message_(std::move(message)), period_(period) {
  log::Warning(event_, {{"message", message_}});
  thread_ = std::thread([this] {
    MutexLock lock(&mu_);
    while (true) {
      const absl::Time next = absl::Now() + period_;
      while (!stopping_ && absl::Now() < next) {
        changed_.WaitWithDeadline(&mu_, next);
      }
      if (stopping_) return;
      log::Warning(event_, {{"message", message_}});
    }
  });
}

RepeatingWarning::~RepeatingWarning() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    changed_.SignalAll();
  }
  thread_.join();
}

}  // namespace speckd::server
