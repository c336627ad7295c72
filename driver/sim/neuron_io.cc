#include "driver/sim/neuron_io.h"

#include "absl/strings/str_cat.h"

namespace speckd::driver::sim {

absl::StatusOr<std::vector<int16_t>> ReadCore(
    const chip::ChipModel& model, int layer,
    std::vector<NeuronAddress>* addresses) {
  std::vector<int16_t> values = model.NeuronStates(layer);
  if (values.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("layer: core ", layer, " is not configured"));
  }
  if (addresses != nullptr) {
    const chip::Shape& out =
        model.config().cnn_layers[layer].dimensions.output_shape;
    for (uint32_t f = 0; f < out.feature_count; ++f) {
      for (uint32_t y = 0; y < out.size.y; ++y) {
        for (uint32_t x = 0; x < out.size.x; ++x) {
          addresses->push_back({f, x, y});
        }
      }
    }
  }
  return values;
}

absl::StatusOr<std::vector<int16_t>> ReadEach(
    const chip::ChipModel& model, int layer,
    absl::Span<const NeuronAddress> neurons) {
  std::vector<int16_t> values;
  values.reserve(neurons.size());
  for (size_t i = 0; i < neurons.size(); ++i) {
    absl::StatusOr<int16_t> v = model.ReadNeuron(
        layer, static_cast<int>(neurons[i].feature),
        static_cast<int>(neurons[i].x), static_cast<int>(neurons[i].y));
    if (!v.ok()) {
      return absl::Status(
          v.status().code(),
          absl::StrCat("neurons[", i, "]: ", v.status().message()));
    }
    values.push_back(*v);
  }
  return values;
}

absl::Status WriteEach(chip::ChipModel& model, int layer,
                       absl::Span<const NeuronAddress> neurons,
                       absl::Span<const int16_t> values) {
  if (neurons.size() != values.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "value: ", values.size(), " values for ", neurons.size(), " neurons"));
  }
  if (absl::StatusOr<std::vector<int16_t>> readable =
          ReadEach(model, layer, neurons);
      !readable.ok()) {
    return readable.status();
  }
  absl::Status status;
  for (size_t i = 0; i < neurons.size(); ++i) {
    status.Update(model.WriteNeuron(layer, static_cast<int>(neurons[i].feature),
                                    static_cast<int>(neurons[i].x),
                                    static_cast<int>(neurons[i].y), values[i]));
  }
  return status;
}

}  // namespace speckd::driver::sim
