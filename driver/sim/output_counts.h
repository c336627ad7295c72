// What the simulated devkit has put out, by kind (the device thread's tally,
// copied into DeviceCounters under the device's lock).
#ifndef SPECKD_DRIVER_SIM_OUTPUT_COUNTS_H_
#define SPECKD_DRIVER_SIM_OUTPUT_COUNTS_H_

#include <array>
#include <cstdint>

#include "driver/chip/config.h"
#include "driver/chip/events.h"
#include "driver/device.h"

namespace speckd::driver::sim {

struct OutputCounts {
  uint64_t events = 0;  // spikes and readout, all kinds
  std::array<uint64_t, chip::kNumCores> core_spikes{};
  uint64_t dvs_monitor = 0;
  uint64_t readout = 0;

  void Add(const chip::OutputBatch& batch) {
    for (const chip::Spike& s : batch.spikes) {
      if (s.layer < chip::kNumCores) {
        ++core_spikes[s.layer];
      } else {
        ++dvs_monitor;
      }
    }
    readout += batch.readout_values.size() + batch.readout_pins.size();
    events += batch.spikes.size() + batch.readout_values.size() +
              batch.readout_pins.size();
  }

  void CopyTo(DeviceCounters* counters) const {
    counters->events_out = events;
    counters->core_spikes_out = core_spikes;
    counters->dvs_monitor_out = dvs_monitor;
    counters->readout_out = readout;
  }
};

}  // namespace speckd::driver::sim

#endif  // SPECKD_DRIVER_SIM_OUTPUT_COUNTS_H_
