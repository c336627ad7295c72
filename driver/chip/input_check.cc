#include "driver/chip/input_check.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace speckd::chip {
namespace {

// What a spike's fields can hold (chip::Spike: 16-bit feature, 8-bit x, y).
constexpr uint64_t kSpikeFeatures = uint64_t{1} << 16;
constexpr uint64_t kSpikeSide = uint64_t{1} << 8;

InputProblem Bad(const char* field, std::string message) {
  return {field, std::move(message)};
}

}  // namespace

InputCheck::InputCheck(const SpeckConfig* config)
    : with_config_(config != nullptr) {
  for (int i = 0; i < kNumCores; ++i) {
    Core& core = cores_[i];
    if (config == nullptr) {
      core = {true, kSpikeFeatures, kSpikeSide, kSpikeSide};
      continue;
    }
    if (static_cast<size_t>(i) >= config->cnn_layers.size()) continue;
    const CnnLayerConfig& cnn = config->cnn_layers[i];
    const Shape& in = cnn.dimensions.input_shape;
    core = {cnn.InUse(), in.feature_count, in.size.x, in.size.y};
  }
}

InputProblem InputCheck::DvsProblem(uint64_t x, uint64_t y) {
  if (x >= static_cast<uint64_t>(kDvsSize)) {
    return Bad("x", absl::StrCat(x, " is outside the DVS array (0..",
                                 kDvsSize - 1, ")"));
  }
  if (y >= static_cast<uint64_t>(kDvsSize)) {
    return Bad("y", absl::StrCat(y, " is outside the DVS array (0..",
                                 kDvsSize - 1, ")"));
  }
  return {};
}

InputProblem InputCheck::SpikeProblem(uint64_t layer, uint64_t feature,
                                      uint64_t x, uint64_t y) const {
  if (layer >= static_cast<uint64_t>(kNumCores)) {
    return Bad("layer",
               absl::StrCat(layer, " is not a core (0..", kNumCores - 1, ")"));
  }
  const Core& core = cores_[layer];
  if (!core.in_use) {
    return Bad("layer", absl::StrCat("core ", layer,
                                     " is not in use in the "
                                     "configuration"));
  }
  // Without a configuration the limits are the spike's own field widths.
  const std::string where =
      with_config_ ? absl::StrCat("core ", layer, "'s input") : "a spike's";
  if (feature >= core.features) {
    return Bad("feature",
               absl::StrCat(feature, " is outside ", where, " features (0..",
                            core.features - 1, ")"));
  }
  if (x >= core.width) {
    return Bad("x", absl::StrCat(x, " is outside ", where, " width (0..",
                                 core.width - 1, ")"));
  }
  if (y >= core.height) {
    return Bad("y", absl::StrCat(y, " is outside ", where, " height (0..",
                                 core.height - 1, ")"));
  }
  return {};
}

InputProblem InputCheck::Problem(const InputEvent& e) const {
  return e.kind == InputEvent::Kind::kDvsEvent
             ? DvsProblem(e.x, e.y)
             : SpikeProblem(e.layer, e.feature, e.x, e.y);
}

InputProblem OrderProblem(uint64_t timestamp_us, uint64_t previous_us) {
  if (timestamp_us >= previous_us) return {};
  return {"timestamp_us",
          absl::StrCat(timestamp_us, " goes back from ", previous_us)};
}

absl::Status CheckInputs(absl::Span<const InputEvent> events,
                         const InputCheck& check) {
  uint64_t previous = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    const InputEvent& e = events[i];
    if (e.timestamp_us >= previous && check.Ok(e)) {
      previous = e.timestamp_us;
      continue;
    }
    InputProblem p = OrderProblem(e.timestamp_us, previous);
    if (p.ok()) p = check.Problem(e);
    return absl::InvalidArgumentError(
        absl::StrCat("events[", i, "].", p.field, ": ", p.message));
  }
  return absl::OkStatus();
}

}  // namespace speckd::chip
