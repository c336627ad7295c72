// Membrane state of a chip model's cores by neuron address (samna's
// Read/WriteNeuronValue), for the simulated devkit: whole cores, single
// neurons, all-or-nothing writes. Not thread-safe: call it where the model
// lives (the device thread).
#ifndef SPECKD_DRIVER_SIM_NEURON_IO_H_
#define SPECKD_DRIVER_SIM_NEURON_IO_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "driver/chip/model.h"
#include "driver/device.h"

namespace speckd::driver::sim {

// The whole core `layer`, [f][y][x], and its addresses when `addresses` is
// given; INVALID_ARGUMENT for an unused core.
absl::StatusOr<std::vector<int16_t>> ReadCore(
    const chip::ChipModel& model, int layer,
    std::vector<NeuronAddress>* addresses);

// Each of `neurons`; an error names the one at fault ("neurons[3]: ...").
absl::StatusOr<std::vector<int16_t>> ReadEach(
    const chip::ChipModel& model, int layer,
    absl::Span<const NeuronAddress> neurons);

// Writes `values` to `neurons`, all or nothing: every address is checked
// before any is written.
absl::Status WriteEach(chip::ChipModel& model, int layer,
                       absl::Span<const NeuronAddress> neurons,
                       absl::Span<const int16_t> values);

}  // namespace speckd::driver::sim

#endif  // SPECKD_DRIVER_SIM_NEURON_IO_H_
