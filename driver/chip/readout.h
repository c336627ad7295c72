// The readout layer (destination 12; Part A rule 7, Part B §4.3 and §5.3):
// per-class spike counters per slow-clock tick, a moving average over 1, 16
// or 32 ticks, ReadoutValue every tick and ReadoutPinValue when the best class
// exceeds the threshold.
//
// Where the public record is silent, these choices hold (documented in
// docs/chip-model.md):
// - Input address index i = (y * X + x) * F + f for the addressing mode's
//   X x Y x F block (sel 0: 2x2x4, 1: 2x4x2, 2: 4x4x1, 3: 1x1x16); inputs
//   outside the block are ignored. Class = i + 1 (1..15).
// - With the class-spacing erratum (default), class k receives index 4(k-1)
//   and other indices reach no class.
// - The average is the mean (floor) over the window; the window starts empty
//   (zeros).
// - ReadoutValue bit 20 (valid) is set when the max average exceeds the
//   threshold; bits 19:16 hold that class (0 when none exceeds it); ties go
//   to the lower class. output_mode_sel 2 reports the average of class
//   output_neuron_num (the chip's AverageSel register).
#ifndef SPECKD_DRIVER_CHIP_READOUT_H_
#define SPECKD_DRIVER_CHIP_READOUT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "driver/chip/config.h"
#include "driver/chip/events.h"
#include "driver/chip/limits.h"

namespace speckd::chip {

class Readout {
 public:
  static constexpr int kClasses = kReadoutClasses;

  void Configure(const ReadoutConfig& config, bool class_spacing_erratum);

  // A spike routed to layer 12 (already pooled and feature-shifted).
  void Add(int feature, int x, int y);

  // Closes the tick's counters and emits what the configuration asks for.
  void Tick(uint64_t t, OutputBatch* out);

  bool enabled() const { return config_.enable; }
  // Class 1..15 an input maps to, or 0 if none (exposed for tests).
  int ClassOf(int feature, int x, int y) const;

 private:
  ReadoutConfig config_;
  bool erratum_ = true;
  int window_ = 16;
  // Spikes per class (index 1..15) in the current tick, 16-bit saturating.
  std::array<uint32_t, kClasses + 1> counts_{};
  // Last `window_` ticks' counts per class, a ring of window_ x 16.
  std::vector<std::array<uint32_t, kClasses + 1>> history_;
  size_t history_next_ = 0;
  std::array<uint64_t, kClasses + 1> sums_{};
};

}  // namespace speckd::chip

#endif  // SPECKD_DRIVER_CHIP_READOUT_H_
