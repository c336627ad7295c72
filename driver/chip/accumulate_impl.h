// The position loop of accumulate.h and its scalar lanes, included inside an
// anonymous namespace by accumulate.cc (SSE2) and accumulate_avx2.cc
// (-mavx2): each translation unit gets its own copy, so code compiled for
// AVX2 is never shared with the baseline build. Not a public header.
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

struct ScalarLanes {
  ScalarLanes(int16_t high, int16_t low) : high(high), low(low) {}
  void Row(int16_t* v, const int8_t* w, int n, uint32_t pos,
           uint64_t*& out) const {
    ScalarTail(v, w, 0, n, high, low, pos, out);
  }
  int16_t high, low;
};

#endif  // SPECKD_DRIVER_CHIP_ACCUMULATE_IMPL_H_
