// The Speck2e's resources and limits (docs/chip-model.md: "The chip in brief").
#ifndef SPECKD_DRIVER_CHIP_LIMITS_H_
#define SPECKD_DRIVER_CHIP_LIMITS_H_

#include <cstdint>

#include "driver/chip/config.h"

namespace speckd::chip {

inline constexpr uint32_t kMaxKernelSize = 16;
inline constexpr uint32_t kMaxPadding = 7;
inline constexpr uint32_t kMaxInputSize = 128;
inline constexpr uint32_t kMaxOutputSize = 64;
inline constexpr uint32_t kMaxFeatures = 1024;
inline constexpr uint32_t kMaxDecimatorInterval = 7;
inline constexpr int32_t kWeightMin = -128;
inline constexpr int32_t kWeightMax = 127;
inline constexpr int32_t kStateMin = -32768;
inline constexpr int32_t kStateMax = 32767;
inline constexpr int kReadoutClasses = 15;  // classes 1..15; 0 is idle
inline constexpr double kMaxSlowClockHz = 1e6;
// Slower than this (a period of over 11 days) the period in microseconds
// stops being a number the model can step on (found by fuzzing: 1e-300 Hz).
inline constexpr double kMinSlowClockHz = 1e-6;

inline bool IsValidStride(uint32_t s) {
  return s == 1 || s == 2 || s == 4 || s == 8;
}
inline bool IsValidPooling(uint32_t p) { return p == 1 || p == 2 || p == 4; }

// Per-core memory in words (Part B §1.2).
struct CoreMemoryLimits {
  uint32_t kernel_words;
  uint32_t neuron_words;
  uint32_t bias_words;
};

inline CoreMemoryLimits CoreLimits(int core) {
  constexpr uint32_t kKi = 1024;
  switch (core) {
    case 0:
    case 1:
    case 2:
      return {16 * kKi, 64 * kKi, 1 * kKi};
    case 3:
    case 4:
      return {32 * kKi, 32 * kKi, 1 * kKi};
    case 5:
    case 6:
      return {64 * kKi, 16 * kKi, 1 * kKi};
    default:
      return {16 * kKi, 16 * kKi, 1 * kKi};
  }
}

// Output decimator: interval 0..7 passes 1 of N spikes.
inline uint32_t DecimatorN(uint32_t interval) {
  static constexpr uint32_t kN[] = {2, 4, 8, 16, 32, 128, 256, 512};
  return kN[interval & 7];
}

}  // namespace speckd::chip

#endif  // SPECKD_DRIVER_CHIP_LIMITS_H_
