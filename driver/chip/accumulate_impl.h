// The position loop of accumulate.h and its scalar lanes, included inside an
// anonymous namespace by accumulate.cc (SSE2), accumulate_avx2.cc (-mavx2)
// and accumulate_avx512.cc: each translation unit gets its own copy, so
// code compiled for AVX2 or AVX-512 is never shared with the baseline build.
// Not a public header.
#ifndef SPECKD_DRIVER_CHIP_ACCUMULATE_IMPL_H_
#define SPECKD_DRIVER_CHIP_ACCUMULATE_IMPL_H_

#include <cstddef>
#include <cstdint>

#include "driver/chip/accumulate.h"
#include "driver/chip/limits.h"

inline int16_t Saturate16(int32_t v) {
  return static_cast<int16_t>(v < kStateMin ? kStateMin
                                            : (v > kStateMax ? kStateMax : v));
}

// The loops write fired keys through `out`, a cursor into FiredKeys::keys
// kept in a local (a register) for the whole update: through FiredKeys*
// the compiler must store and reload the count around every key, as a key
// store might alias it.

// Lanes f..n-1 one by one.
inline void ScalarTail(int16_t* v, const int8_t* w, int f, int n, int16_t high,
                       int16_t low, uint32_t pos, uint64_t*& out) {
  for (; f < n; ++f) {
    const int16_t s = Saturate16(int32_t{v[f]} + w[f]);
    if (s >= high) {
      v[f] = s;
      *out++ = FiredKey(f, pos);
    } else {
      v[f] = s < low ? low : s;
    }
  }
}

// Appends a key per fired lane; `mask` has two bits per 16-bit lane.
inline void CollectMask(unsigned mask, int f, uint32_t pos, uint64_t*& out) {
  for (; mask != 0; mask &= mask - 1, mask &= mask - 1) {
    *out++ = FiredKey(f + __builtin_ctz(mask) / 2, pos);
  }
}

// One kernel row with SIMD lanes: blocks of 16 (Lanes::Lanes16), then one of
// 8 (Lanes::Lanes8), each returning its >= high mask (two bits per lane),
// then the tail lane by lane.
template <typename Lanes>
inline __attribute__((always_inline)) void SimdRow(const Lanes& lanes,
                                                   int16_t* v, const int8_t* w,
                                                   int n, uint32_t pos,
                                                   uint64_t*& out) {
  int f = 0;
  for (; f + 16 <= n; f += 16) {
    const unsigned mask = lanes.Lanes16(v + f, w + f);
    if (mask != 0) CollectMask(mask, f, pos, out);
  }
  if (f + 8 <= n) {
    const unsigned mask = lanes.Lanes8(v + f, w + f);
    if (mask != 0) CollectMask(mask, f, pos, out);
    f += 8;
  }
  ScalarTail(v, w, f, n, lanes.high, lanes.low, pos, out);
}

// Every touched position with Lanes::Row (constants built once per update).
// kFeatures, when not 0, is u.features known at compile time: the row's
// lane loop then unrolls (the common 16 and 32).
template <typename Lanes, int kFeatures = 0>
inline int Spread(const SpreadUpdate& u, FiredKeys* fired) {
  const Lanes lanes(u.high, u.low);
  const int F = kFeatures != 0 ? kFeatures : u.features;
  const int nx = u.nx;
  const int ox0 = u.ox0;
  const ptrdiff_t w_step = static_cast<ptrdiff_t>(u.stride_x) * F;
  uint64_t* out = fired->keys + fired->count;
  int positions_fired = 0;
  for (int i = 0; i < u.ny; ++i) {
    const int oy = u.oy0 + i;
    const int ky = u.ky0 - i * u.stride_y;
    int16_t* v = u.state + (static_cast<size_t>(oy) * u.out_w + ox0) * F;
    const int8_t* w =
        u.weights + (static_cast<size_t>(ky) * u.kernel + u.kx0) * F;
    const uint32_t row = static_cast<uint32_t>(oy) << 16;
    for (int j = 0; j < nx; ++j) {
      const uint64_t* before = out;
      lanes.Row(v, w, F, row | static_cast<uint32_t>(ox0 + j), out);
      positions_fired += out != before;
      v += F;
      w -= w_step;
    }
  }
  fired->count = static_cast<size_t>(out - fired->keys);
  return positions_fired;
}

// A fired neuron's new value (the update's neuron at or above high).
inline int16_t ResetFired(int16_t s, const TileCore& core) {
  const int16_t r =
      core.return_to_zero ? int16_t{0} : Saturate16(int32_t{s} - core.high);
  return r < core.low ? core.low : r;
}

// Tile lanes f..n-1 one by one; fired lanes get `bit` in positions[f].
inline void ScalarTileTail(int16_t* v, const int8_t* w, int f, int n,
                           const TileCore& core, uint16_t bit,
                           uint16_t* positions) {
  for (; f < n; ++f) {
    const int16_t s = Saturate16(int32_t{v[f]} + w[f]);
    const bool fires = s >= core.high;
    v[f] = fires ? ResetFired(s, core) : (s < core.low ? core.low : s);
    positions[f] |= fires ? bit : uint16_t{0};
  }
}

// Calls visit(v, w, bit) for every touched position of a tile, in (y, x)
// order: v and w at its first feature, bit its position's bit (as a
// Lanes::Vec, shifted along rather than built per position). Both spans
// have n >= 1 (TileFn's contract): the loops test at the bottom.
template <typename Lanes, typename Visit>
inline __attribute__((always_inline)) void ForEachTilePosition(
    const TileCore& core, int F, int c, const AxisSpan& xs, const AxisSpan& ys,
    Visit&& visit) {
  // In locals: the neuron stores might alias the spans' and the core's
  // fields, so the loops would reload them after every block.
  const int nx = xs.n;
  const int ny = ys.n;
  const ptrdiff_t row_step = core.row_step;
  const ptrdiff_t w_row_step = core.kernel_row_step;
  const ptrdiff_t w_col = core.kernel_col_step;
  int16_t* v_row = core.state + ys.neuron_offset + xs.neuron_offset;
  const int8_t* w_row = core.weights + c * core.channel_stride +
                        ys.kernel_offset + xs.kernel_offset;
  typename Lanes::Bit row_bit = Lanes::FirstBit();
  int i = 0;
  do {
    int16_t* v = v_row;
    const int8_t* w = w_row;
    typename Lanes::Bit bit = row_bit;
    int j = 0;
    do {
      visit(v, w, bit);
      v += F;
      w -= w_col;
      bit = Lanes::NextColumn(bit);
    } while (++j < nx);
    v_row += row_step;
    w_row -= w_row_step;
    row_bit = Lanes::NextRow(row_bit);
  } while (++i < ny);
}

// A tile whose F (= kFeatures, a multiple of the lane width) is known at
// compile time: the masks stay in registers for the whole update.
template <typename Lanes, int kFeatures>
inline void TileFixed(const TileCore& core, int c, const AxisSpan& xs,
                      const AxisSpan& ys, TileFired fired) {
  constexpr int W = Lanes::kWidth;
  constexpr int kBlocks = kFeatures / W;
  static_assert(kFeatures % W == 0 && kFeatures <= 64);
  const Lanes lanes(core);
  typename Lanes::Vec acc[kBlocks];
  for (int b = 0; b < kBlocks; ++b) acc[b] = Lanes::Zero();
  ForEachTilePosition<Lanes>(
      core, kFeatures, c, xs, ys,
      [&](int16_t* v, const int8_t* w, typename Lanes::Bit bit) {
        for (int b = 0; b < kBlocks; ++b) {
          acc[b] = lanes.Block(v + b * W, w + b * W, bit, acc[b]);
        }
      });
  uint64_t features = 0;
  for (int b = 0; b < kBlocks; ++b) {
    Lanes::Store(fired.positions + b * W, acc[b]);
    features |= static_cast<uint64_t>(Lanes::NonZero(acc[b])) << (b * W);
  }
  fired.features[0] = features;
}

// Any F: the masks are kept in fired.positions.
template <typename Lanes>
inline void TileAnyWidth(const TileCore& core, int c, const AxisSpan& xs,
                         const AxisSpan& ys, TileFired fired) {
  constexpr int W = Lanes::kWidth;
  const int F = core.features;
  const Lanes lanes(core);
  for (int f = 0; f < F; ++f) fired.positions[f] = 0;
  ForEachTilePosition<Lanes>(
      core, F, c, xs, ys,
      [&](int16_t* v, const int8_t* w, typename Lanes::Bit bit) {
        int f = 0;
        if constexpr (W > 0) {
          for (; f + W <= F; f += W) {
            Lanes::Store(fired.positions + f,
                         lanes.Block(v + f, w + f, bit,
                                     Lanes::Load(fired.positions + f)));
          }
        }
        ScalarTileTail(v, w, f, F, core, Lanes::Scalar(bit), fired.positions);
      });
  for (int word = 0; word * 64 < F; ++word) {
    uint64_t features = 0;
    for (int f = word * 64; f < F && f < word * 64 + 64; ++f) {
      features |= static_cast<uint64_t>(fired.positions[f] != 0) << (f & 63);
    }
    fired.features[word] = features;
  }
}

// TileAnyWidth lane by lane: position bits as plain integers.
struct ScalarTileLanes {
  static constexpr int kWidth = 0;
  using Bit = uint16_t;
  explicit ScalarTileLanes(const TileCore&) {}
  static Bit FirstBit() { return 1; }
  static Bit NextColumn(Bit bit) { return static_cast<Bit>(bit << 1); }
  // A row's first bit, from the previous row's.
  static Bit NextRow(Bit bit) { return static_cast<Bit>(bit << kTileSide); }
  static uint16_t Scalar(Bit bit) { return bit; }
};

struct ScalarLanes {
  ScalarLanes(int16_t high, int16_t low) : high(high), low(low) {}
  void Row(int16_t* v, const int8_t* w, int n, uint32_t pos,
           uint64_t*& out) const {
    ScalarTail(v, w, 0, n, high, low, pos, out);
  }
  int16_t high, low;
};

#endif  // SPECKD_DRIVER_CHIP_ACCUMULATE_IMPL_H_
