// The inner loops of a synaptic update: one input spike adds kernel rows of
// F int8 weights to the F int16 neurons of each output position it touches,
// and the neurons that reach the threshold are collected for firing.
// Vectorized for SSE2 (every x86-64), AVX2 and AVX-512 (chosen at run time
// when the CPU has them, compiled apart in accumulate_avx2.cc and
// accumulate_avx512.cc); every variant gives identical results
// (accumulate_test).
#ifndef SPECKD_DRIVER_CHIP_ACCUMULATE_H_
#define SPECKD_DRIVER_CHIP_ACCUMULATE_H_

#include <cstddef>
#include <cstdint>
#include <string>

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

// Along one axis, the output positions an input coordinate touches: o0,
// o0 + 1, ..., o0 + n - 1 with kernel index k0, k0 - stride, ...
struct AxisSpan {
  int16_t o0 = 0;
  int16_t k0 = 0;
  int16_t n = 0;
  // Synaptic operations per input along this axis (x: n * F; y: n), so an
  // input's count is one product, 0 when it touches nothing.
  uint16_t synops = 0;
  // o0 and k0 as offsets into state and weights (x: times F; y: times
  // out_w * F and K * F), so an update needs no multiply.
  int32_t neuron_offset = 0;
  int32_t kernel_offset = 0;
};

// A tile: an update touching at most kTileSide positions along each axis
// (every 3x3 or 4x4 kernel, larger ones with strides). Its loops reset the
// neurons that fire, so no key is sorted and no neuron revisited: what is
// left for firing is which (feature, position) pairs fired, as bit masks.
inline constexpr int kTileSide = 4;

// A core's constants for its tiles, built once (ChipModel::Compile).
struct TileCore {
  int16_t* state;         // [y][x][f]
  const int8_t* weights;  // [c][ky][kx][f]
  int features;           // F
  int channel_stride;     // K * K * F
  ptrdiff_t row_step;     // out_w * F: the next output row
  // stride_y * K * F and stride_x * F: the kernel row and column of the
  // next output row and column (kernel indices go down as outputs go up).
  ptrdiff_t kernel_row_step;
  ptrdiff_t kernel_col_step;
  int16_t high, low;  // thresholds; requires low < high
  bool return_to_zero;

  // The constants for a core; state and weights as given.
  static TileCore For(int16_t* state, const int8_t* weights, int features,
                      int out_w, int kernel, int stride_x, int stride_y,
                      int16_t high, int16_t low, bool return_to_zero);
};

// A tile's fired neurons. positions[f] has bit (i * kTileSide + j) set
// when feature f fired at (xs.o0 + j, ys.o0 + i); features[w] has bit b
// set when feature 64 * w + b fired anywhere. Room for F, rounded up to
// 16, and for (F + 63) / 64.
struct TileFired {
  uint16_t* positions;
  uint64_t* features;
};

// Input feature c's update of the positions xs x ys (1 <= n <= kTileSide
// each): for every touched neuron v = sat16(v + w). A neuron then at or
// above `high` fires: v = max(return_to_zero ? 0 : sat16(v - high), low), and
// its bit is set; the others are clamped up to `low`.
using TileFn = void (*)(const TileCore& core, int c, const AxisSpan& xs,
                        const AxisSpan& ys, TileFired fired);

void TileScalar(const TileCore& core, int c, const AxisSpan& xs,
                const AxisSpan& ys, TileFired fired);
void TileSse2(const TileCore& core, int c, const AxisSpan& xs,
              const AxisSpan& ys, TileFired fired);
// Only on a CPU with AVX2 (CpuHasAvx2()).
void TileAvx2(const TileCore& core, int c, const AxisSpan& xs,
              const AxisSpan& ys, TileFired fired);
// TileAvx2's loop for F features (its own for the common widths).
TileFn TileAvx2For(int features);
// Only on a CPU with AVX-512BW and VL (CpuHasAvx512()).
void TileAvx512(const TileCore& core, int c, const AxisSpan& xs,
                const AxisSpan& ys, TileFired fired);
TileFn TileAvx512For(int features);

bool CpuHasAvx2();
bool CpuHasAvx512();

// The instruction sets the loops are built for, in order.
enum class Isa { kSse2, kAvx2, kAvx512 };
const char* IsaName(Isa isa);  // "sse2", "avx2", "avx512"
// The best this CPU runs.
Isa CpuIsa();
// What $SPECKD_CHIP_ISA = `requested` (one of the names, "auto", or null or
// empty for the best) picks on a CPU whose best is `cpu`: never more than
// the CPU has. `problem` says why a request was not followed ("" if it was).
Isa IsaFor(const char* requested, Isa cpu, std::string* problem);
// The loops the models built from now on use: IsaFor($SPECKD_CHIP_ISA,
// CpuIsa()), read once per process, unless a test set one. (AVX2 can beat
// AVX-512 on CPUs that lower their clock for 512-bit code.)
Isa ChosenIsa();
// Why $SPECKD_CHIP_ISA was not followed, or "": for a startup warning.
std::string ChosenIsaProblem();
// Models built after this use `isa`'s loops (at most CpuIsa()), whatever
// the environment says. For tests comparing the instruction sets.
void SetIsaForTesting(Isa isa);

// The variants ChosenIsa() runs; BestTile is chosen for F features (the
// common widths have loops of their own).
SpreadFn BestSpread();
TileFn BestTile(int features);

}  // namespace speckd::chip

#endif  // SPECKD_DRIVER_CHIP_ACCUMULATE_H_
