// Argument checks every Device implementation makes the same way, with the
// same words (the simulated devkit, boards through samna).
#ifndef SPECKD_DRIVER_DEVICE_CHECKS_H_
#define SPECKD_DRIVER_DEVICE_CHECKS_H_

#include <cstddef>

#include "absl/status/status.h"

namespace speckd::driver {

// INVALID_ARGUMENT unless 0 (off) or 1..100 Hz.
absl::Status CheckPowerMonitorRate(double rate_hz);
// INVALID_ARGUMENT "slow_clock.rate_hz: ..." for a rate the chip cannot run
// (only when enabling).
absl::Status CheckSlowClock(bool enable, double rate_hz);
// INVALID_ARGUMENT when a batch can never fit the device's input queue.
absl::Status CheckBatchFits(size_t batch, size_t capacity);

}  // namespace speckd::driver

#endif  // SPECKD_DRIVER_DEVICE_CHECKS_H_
