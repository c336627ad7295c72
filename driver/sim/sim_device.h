// The simulated Speck2e devkit: speckd's embedded default device. It runs the
// chip model (driver/chip) on its own thread, behind the same Device
// interface as the USB devkit, and adds what the board adds: the stop watch
// that releases inputs at their timestamps, the slow clock, and a (modelled)
// power monitor.
//
//   SimDeviceOptions options;
//   options.clock = &fake_clock;                      // default RealClock()
//   std::unique_ptr<Device> device = NewSimDevice(options);
#ifndef SPECKD_DRIVER_SIM_SIM_DEVICE_H_
#define SPECKD_DRIVER_SIM_SIM_DEVICE_H_

#include <cstddef>
#include <memory>

#include "driver/clock.h"
#include "driver/device.h"
#include "driver/sim/sim_faults.h"

namespace speckd::driver::sim {

struct SimDeviceOptions {
  // Id "speck2edevkit-sim:<rank>" (the daemon assigns its own).
  int rank = 0;
  // Paces real-time mode; not owned.
  Clock* clock = RealClock();
  Pacing pacing = Pacing::kRealTime;
  // Inputs accepted but not yet processed, at most (16 bytes each).
  size_t input_queue_capacity = size_t{1} << 21;
  // Faults to obey (sim_faults.h); null: none. Shared with whoever injects.
  std::shared_ptr<SimFaults> faults;
};

std::unique_ptr<Device> NewSimDevice(const SimDeviceOptions& options);

// Default options (real clock, real-time pacing) with the given rank.
std::unique_ptr<Device> NewSimDevice(int rank);

}  // namespace speckd::driver::sim

#endif  // SPECKD_DRIVER_SIM_SIM_DEVICE_H_
