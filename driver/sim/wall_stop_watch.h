// The devkit's stop watch on the wall clock, as the simulated devkit keeps
// it in real-time pacing: microseconds since it was last set, running or
// held. Plain data: its owner's lock guards it.
//
//   WallStopWatch watch(clock->Now());
//   uint64_t us = watch.Read(clock->Now());
//   absl::Time due = watch.When(input.timestamp_us);
#ifndef SPECKD_DRIVER_SIM_WALL_STOP_WATCH_H_
#define SPECKD_DRIVER_SIM_WALL_STOP_WATCH_H_

#include <algorithm>
#include <cstdint>

#include "absl/time/time.h"

namespace speckd::driver::sim {

class WallStopWatch {
 public:
  explicit WallStopWatch(absl::Time now = absl::UnixEpoch()) : origin_(now) {}

  bool running() const { return running_; }

  // What it reads at `now`.
  uint64_t Read(absl::Time now) const {
    if (!running_) return base_us_;
    return base_us_ + static_cast<uint64_t>(std::max<int64_t>(
                          0, absl::ToInt64Microseconds(now - origin_)));
  }

  // When (on the clock) it reads `us`, if running from now on.
  absl::Time When(uint64_t us) const {
    if (us <= base_us_) return origin_;
    return origin_ + absl::Microseconds(static_cast<int64_t>(us - base_us_));
  }

  // Reads `us` at `now` (a reset sets 0).
  void Set(uint64_t us, absl::Time now) {
    base_us_ = us;
    origin_ = now;
  }

  // Runs or holds it; Set() first so that it goes on from what it reads.
  void set_running(bool running) { running_ = running; }

  // Leaps forward by `d` (an injected clock jump).
  void Jump(absl::Duration d) {
    if (running_) {
      origin_ -= d;
    } else {
      base_us_ += static_cast<uint64_t>(absl::ToInt64Microseconds(d));
    }
  }

 private:
  bool running_ = true;
  uint64_t base_us_ = 0;
  absl::Time origin_;
};

}  // namespace speckd::driver::sim

#endif  // SPECKD_DRIVER_SIM_WALL_STOP_WATCH_H_
