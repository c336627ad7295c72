// ChipModel's compiled cores, shared by the files that build them
// (model_compile.cc) and run them (model.cc, model_direct.cc). Not a public
// header.
#ifndef SPECKD_DRIVER_CHIP_MODEL_CORE_H_
#define SPECKD_DRIVER_CHIP_MODEL_CORE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "driver/chip/model.h"

namespace speckd::chip {

// One core compiled for speed. Neuron state is int16 [oy][ox][f] and weights
// int8 [c][ky][kx][f] so that one input spike adds contiguous runs of F
// weights to contiguous runs of F neurons.
struct ChipModel::Core {
  bool in_use = false;
  int id = 0;
  CoreStats* stats = nullptr;  // &stats_.cores[id]
  int channels = 0;            // input features
  int features = 0;            // output features
  int feature_words = 0;       // (features + 63) / 64: a tile's feature masks
  int kernel = 0;
  int channel_stride = 0;  // K * K * kernel_lanes: weights per input feature
  // Weights per kernel row (and, when dense, neurons): F, or F rounded up
  // to 8 for a dense core.
  int kernel_lanes = 0;
  // A single output position (and !exact_path): one_position, with padded
  // rows (Compile).
  bool dense = false;
  int in_w = 0, in_h = 0, out_w = 0, out_h = 0;
  int stride_x = 1, stride_y = 1;
  int16_t threshold_high = 0;
  int16_t threshold_low = 0;
#ifdef __SSE2__
  // The thresholds in every 16-bit lane, built once by Compile: built per
  // update from the int16 fields, GCC goes through the stack and the load
  // waits for the narrow store (a store-forwarding stall per spike).
  __m128i vhigh8 = _mm_setzero_si128();
  __m128i vlow8 = _mm_setzero_si128();
#endif
  bool return_to_zero = false;
  bool leak = false;
  // Spikes go to the host (monitor_enable, unless a quirk suppresses it).
  bool monitor = false;
  // monitor, and no decimator and no routes: Fire() needs nothing else.
  bool monitor_only = false;
  // One destination core, no monitor and no decimator: the same for it.
  bool route_only = false;
  // threshold_low >= threshold_high: clamping could lift a silent neuron to
  // the threshold, so firing must be decided per neuron before clamping.
  bool exact_path = false;
  // Every update touches at most kTileSide positions per axis (and
  // !exact_path, !one_position): updates run as tiles, through `tile`.
  bool tiled = false;
  // Every update touches one position (a linear layer on a full-input
  // kernel), and !exact_path: UpdateOnePosition, inline.
  bool one_position = false;
  TileFn tile = nullptr;
  TileCore tile_core{};
  uint32_t decimator_n = 0;  // 0 = off
  uint32_t decimator_count = 0;
  std::vector<RouteTarget> routes;
  std::vector<AxisSpan> x_spans;       // per input x
  std::vector<AxisSpan> y_spans;       // per input y
  std::vector<int8_t> weights;         // [c][ky][kx][f]
  std::vector<int16_t> biases;         // [f]
  std::vector<int16_t> state;          // [oy][ox][f]
  std::vector<int16_t> initial_state;  // state as configured, for Reset()

  int16_t* neuron(int y, int x) {
    return &state[(static_cast<size_t>(y) * out_w + x) * features];
  }
  const int8_t* kernel_row(int c, int ky, int kx) const {
    return &weights[((static_cast<size_t>(c) * kernel + ky) * kernel + kx) *
                    kernel_lanes];
  }
};

}  // namespace speckd::chip

#endif  // SPECKD_DRIVER_CHIP_MODEL_CORE_H_
