// The checks every way into the chip makes on an input event, in one place so
// that they agree: the gRPC edge, event files (CSV), and the devices
// themselves. DVS events must lie on the 128 x 128 sensor; spikes must enter
// a core in use, inside its input shape.
//
//   const InputCheck check(&config);
//   if (!check.SpikeOk(layer, feature, x, y)) {       // the fast path
//     InputProblem p = check.SpikeProblem(layer, feature, x, y);
//     // p.field = "x", p.message = "16 is outside core 0's input width
//     (0..15)"
//   }
#ifndef SPECKD_DRIVER_CHIP_INPUT_CHECK_H_
#define SPECKD_DRIVER_CHIP_INPUT_CHECK_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "driver/chip/config.h"
#include "driver/chip/events.h"

namespace speckd::chip {

// What is wrong with one event: the field and why. Empty field: nothing.
struct InputProblem {
  std::string field;
  std::string message;
  bool ok() const { return field.empty(); }
};

class InputCheck {
 public:
  // Against `config`'s cores; nullptr checks the chip's limits only (a core
  // 0..8, with features and coordinates that fit a spike's fields).
  explicit InputCheck(const SpeckConfig* config);

  static bool DvsOk(uint64_t x, uint64_t y) {
    return x < static_cast<uint64_t>(kDvsSize) &&
           y < static_cast<uint64_t>(kDvsSize);
  }
  bool SpikeOk(uint64_t layer, uint64_t feature, uint64_t x, uint64_t y) const {
    if (layer >= static_cast<uint64_t>(kNumCores)) return false;
    const Core& core = cores_[layer];
    return core.in_use && feature < core.features && x < core.width &&
           y < core.height;
  }
  bool Ok(const InputEvent& e) const {
    return e.kind == InputEvent::Kind::kDvsEvent
               ? DvsOk(e.x, e.y)
               : SpikeOk(e.layer, e.feature, e.x, e.y);
  }

  // The first problem of an event the checks above refused (off the fast
  // path); ok() for a good event.
  static InputProblem DvsProblem(uint64_t x, uint64_t y);
  InputProblem SpikeProblem(uint64_t layer, uint64_t feature, uint64_t x,
                            uint64_t y) const;
  InputProblem Problem(const InputEvent& e) const;

 private:
  struct Core {
    bool in_use = false;
    uint64_t features = 0;
    uint64_t width = 0;
    uint64_t height = 0;
  };
  bool with_config_ = false;
  Core cores_[kNumCores];
};

// Timestamps never go back within a batch: "5 goes back from 10".
InputProblem OrderProblem(uint64_t timestamp_us, uint64_t previous_us);

// A batch in the devices' form: time-ordered and passing `check`. OK, or
// INVALID_ARGUMENT naming the first bad event ("events[3].x: ...").
absl::Status CheckInputs(absl::Span<const InputEvent> events,
                         const InputCheck& check);

}  // namespace speckd::chip

#endif  // SPECKD_DRIVER_CHIP_INPUT_CHECK_H_
