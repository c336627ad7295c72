// The inner loops of a synaptic update: one input spike adds kernel rows of
// F int8 weights to the F int16 neurons of each output position it touches,
// and the neurons that reach the threshold are collected for firing.
// Vectorized for SSE2 (every x86-64) and AVX2 (chosen at run time when the
// CPU has it, compiled apart in accumulate_avx2.cc); every variant gives
// identical results (accumulate_test).
#ifndef SPECKD_DRIVER_CHIP_ACCUMULATE_H_
#define SPECKD_DRIVER_CHIP_ACCUMULATE_H_

#include <cstddef>
#include <cstdint>

namespace speckd::chip {

// The key of a fired neuron: ascending keys are emission order (feature,
// then y, then x; pos = y << 16 | x).
inline uint64_t FiredKey(int f, uint32_t pos) {
  return (static_cast<uint64_t>(f) << 32) | pos;
}

// One input spike's update of a core: output positions (ox0 + j, oy0 + i)
// for i < ny, j < nx, with kernel rows (kx0 - j * stride_x, ky0 - i *
// stride_y) of the input feature's weights.
struct SpreadUpdate {
  int16_t* state;         // the core's neurons, [y][x][f]
  const int8_t* weights;  // the input feature's kernel, [ky][kx][f]
  int features;           // F
  int out_w;              // neurons per output row
  int kernel;             // K
  int ox0, oy0, nx, ny;
  int kx0, ky0, stride_x, stride_y;
  int16_t high, low;  // thresholds; requires low < high
};

// Where a spread's fired keys go: `keys` has room for nx * ny * features
// (no per-key capacity checks in the loops); `count` keys are written.
struct FiredKeys {
  uint64_t* keys;
  size_t count = 0;
};

// For every touched neuron: v = sat16(v + w). Neurons then at or above
// `high` keep their value (Fire() resets them) and get their FiredKey
// written to `fired` (in feature order within a position); the others are
// clamped up to `low`. Returns how many positions had a neuron fire.
using SpreadFn = int (*)(const SpreadUpdate& update, FiredKeys* fired);

int SpreadScalar(const SpreadUpdate& update, FiredKeys* fired);
int SpreadSse2(const SpreadUpdate& update, FiredKeys* fired);
// Only on a CPU with AVX2 (CpuHasAvx2()).
int SpreadAvx2(const SpreadUpdate& update, FiredKeys* fired);

bool CpuHasAvx2();
// The fastest variant this CPU runs.
SpreadFn BestSpread();

}  // namespace speckd::chip

#endif  // SPECKD_DRIVER_CHIP_ACCUMULATE_H_
