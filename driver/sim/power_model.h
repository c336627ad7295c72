// The simulated devkit's power monitor: a MODEL, not a measurement. Each of
// the 5 rails draws an idle baseline (the idle readings SynSense's power
// monitoring notebook shows for a devkit: 62 / 52 / 367 / 79 / 611 µW) plus
// energy per unit of activity over the sample interval:
//
//   VDD_IO            150 pJ per event crossing the chip boundary (in or out)
//   VDD_RAM             4 pJ per synaptic operation (kernel + state access)
//   VDD_LOGIC           3 pJ per synaptic operation + 20 pJ per neuron spike
//   VDD_PIXEL_DIGITAL  idle only (the simulated devkit has no sensor)
//   VDD_PIXEL_ANALOG   idle only
//
// The per-event figures are round numbers of the right order for a
// mixed-signal SNN chip, chosen so that dashboards move with activity; they
// are not calibrated against hardware.
#ifndef SPECKD_DRIVER_SIM_POWER_MODEL_H_
#define SPECKD_DRIVER_SIM_POWER_MODEL_H_

#include <array>
#include <cstdint>

namespace speckd::driver::sim {

inline constexpr int kPowerRails = 5;

struct Activity {
  uint64_t boundary_events = 0;  // host inputs + host outputs
  uint64_t synops = 0;
  uint64_t spikes = 0;
};

// Average watts per rail over `interval_s` seconds with `delta` activity.
std::array<double, kPowerRails> ModelPower(const Activity& delta,
                                           double interval_s);

}  // namespace speckd::driver::sim

#endif  // SPECKD_DRIVER_SIM_POWER_MODEL_H_
