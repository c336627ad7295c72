#include "driver/device_checks.h"

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "driver/chip/validate.h"

namespace speckd::driver {

absl::Status CheckPowerMonitorRate(double rate_hz) {
  if (rate_hz == 0 || (rate_hz >= 1 && rate_hz <= 100)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "rate_hz: ", rate_hz,
      " is outside the power monitor's 1..100 Hz (0 turns it off)"));
}

absl::Status CheckSlowClock(bool enable, double rate_hz) {
  if (!enable) return absl::OkStatus();
  if (std::optional<std::string> error = chip::SlowClockRateError(rate_hz)) {
    return absl::InvalidArgumentError(
        absl::StrCat("slow_clock.rate_hz: ", *error));
  }
  return absl::OkStatus();
}

absl::Status CheckBatchFits(size_t batch, size_t capacity) {
  if (batch <= capacity) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "a batch of ", batch, " events exceeds the device's input queue of ",
      capacity, "; split it"));
}

}  // namespace speckd::driver
