// Events to and from the bridge's packed columns (bridge.proto): inputs into
// a WriteEvents, a board's Outputs into the chip's OutputBatch and power
// readings. Columns of unequal length are a broken bridge, not bad luck:
// they are refused whole.
#ifndef SPECKD_DRIVER_SAMNA_BRIDGE_COLUMNS_H_
#define SPECKD_DRIVER_SAMNA_BRIDGE_COLUMNS_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "driver/chip/events.h"
#include "driver/device.h"
#include "driver/samna/bridge.pb.h"

namespace speckd::driver::samna {

void ToColumns(absl::Span<const chip::InputEvent> events,
               bridge::WriteEvents* out);

// Appends what `outputs` holds. INVALID_ARGUMENT (nothing appended) when its
// columns disagree in length.
absl::Status FromColumns(const bridge::Outputs& outputs,
                         chip::OutputBatch* events,
                         std::vector<PowerMeasurement>* power);

// Neuron (feature, x, y) columns, u16 each.
void ToColumns(absl::Span<const NeuronAddress> neurons, std::string* feature,
               std::string* x, std::string* y);

}  // namespace speckd::driver::samna

#endif  // SPECKD_DRIVER_SAMNA_BRIDGE_COLUMNS_H_
