// The simulated Speck2e devkit: speckd's embedded default device.
#ifndef SPECKD_DRIVER_SIM_SIM_DEVICE_H_
#define SPECKD_DRIVER_SIM_SIM_DEVICE_H_

#include <memory>

#include "driver/device.h"

namespace speckd::driver::sim {

// A simulated devkit with id "speck2edevkit:<rank>".
std::unique_ptr<Device> NewSimDevice(int rank);

}  // namespace speckd::driver::sim

#endif  // SPECKD_DRIVER_SIM_SIM_DEVICE_H_
