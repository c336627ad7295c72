// Tiny networks for tests of the layers above the chip (devices, writers,
// graphs), where what matters is that an input makes a known output.
#ifndef SPECKD_DRIVER_CHIP_TEST_NETWORKS_H_
#define SPECKD_DRIVER_CHIP_TEST_NETWORKS_H_

#include "driver/chip/config.h"

namespace speckd::chip::testing {

// One neuron in core 0 (input 1x1x1, kernel 1, weight = threshold = 10):
// every input spike into (0, 0) makes feature 0 fire once; its monitor is
// on, so the spike is an output.
inline SpeckConfig OneNeuron() {
  SpeckConfig config;
  CnnLayerConfig& core = config.cnn_layers[0];
  core.dimensions.input_shape = {{1, 1}, 1};
  core.dimensions.output_shape = {{1, 1}, 1};
  core.dimensions.kernel_size = 1;
  core.weights = {10};
  core.threshold_high = 10;
  core.threshold_low = -10;
  core.monitor_enable = true;
  return config;
}

}  // namespace speckd::chip::testing

#endif  // SPECKD_DRIVER_CHIP_TEST_NETWORKS_H_
