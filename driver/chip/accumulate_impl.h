// The position loop of accumulate.h and its scalar lanes, included inside an
// anonymous namespace by accumulate.cc (SSE2) and accumulate_avx2.cc
// (-mavx2): each translation unit gets its own copy, so code compiled for
// AVX2 is never shared with the baseline build. Not a public header.
#ifndef SPECKD_DRIVER_CHIP_ACCUMULATE_IMPL_H_
#define SPECKD_DRIVER_CHIP_ACCUMULATE_IMPL_H_

#include <cstdint>

#include "driver/chip/accumulate.h"
#include "driver/chip/limits.h"

inline int16_t Saturate16(int32_t v) {
  return static_cast<int16_t>(v < kStateMin ? kStateMin
                                            : (v > kStateMax ? kStateMax : v));
}

// Lanes f..n-1 one by one.
inline void ScalarTail(int16_t* v, const int8_t* w, int f, int n, int16_t high,
                       int16_t low, uint32_t pos, FiredKeys* fired) {
  for (; f < n; ++f) {
    const int16_t s = Saturate16(int32_t{v[f]} + w[f]);
    if (s >= high) {
      v[f] = s;
      fired->keys[fired->count++] = FiredKey(f, pos);
    } else {
      v[f] = s < low ? low : s;
    }
  }
}

// Appends a key per fired lane; `mask` has two bits per 16-bit lane.
inline void CollectMask(unsigned mask, int f, uint32_t pos, FiredKeys* fired) {
  for (; mask != 0; mask &= mask - 1, mask &= mask - 1) {
    fired->keys[fired->count++] = FiredKey(f + __builtin_ctz(mask) / 2, pos);
  }
}

// One kernel row with SIMD lanes: blocks of 16 (Lanes::Lanes16), then one of
// 8 (Lanes::Lanes8), each returning its >= high mask (two bits per lane),
// then the tail lane by lane.
template <typename Lanes>
inline void SimdRow(const Lanes& lanes, int16_t* v, const int8_t* w, int n,
                    uint32_t pos, FiredKeys* fired) {
  int f = 0;
  for (; f + 16 <= n; f += 16) {
    const unsigned mask = lanes.Lanes16(v + f, w + f);
    if (mask != 0) CollectMask(mask, f, pos, fired);
  }
  if (f + 8 <= n) {
    const unsigned mask = lanes.Lanes8(v + f, w + f);
    if (mask != 0) CollectMask(mask, f, pos, fired);
    f += 8;
  }
  ScalarTail(v, w, f, n, lanes.high, lanes.low, pos, fired);
}

// Every touched position with Lanes::Row (constants built once per update).
template <typename Lanes>
inline int Spread(const SpreadUpdate& u, FiredKeys* fired) {
  const Lanes lanes(u.high, u.low);
  const int F = u.features;
  int positions_fired = 0;
  for (int i = 0; i < u.ny; ++i) {
    const int oy = u.oy0 + i;
    const int ky = u.ky0 - i * u.stride_y;
    int16_t* v = u.state + (static_cast<size_t>(oy) * u.out_w + u.ox0) * F;
    const int8_t* w =
        u.weights + (static_cast<size_t>(ky) * u.kernel + u.kx0) * F;
    for (int j = 0; j < u.nx; ++j) {
      const size_t before = fired->count;
      lanes.Row(
          v, w, F,
          (static_cast<uint32_t>(oy) << 16) | static_cast<uint32_t>(u.ox0 + j),
          fired);
      positions_fired += fired->count != before;
      v += F;
      w -= u.stride_x * F;
    }
  }
  return positions_fired;
}

struct ScalarLanes {
  ScalarLanes(int16_t high, int16_t low) : high(high), low(low) {}
  void Row(int16_t* v, const int8_t* w, int n, uint32_t pos,
           FiredKeys* fired) const {
    ScalarTail(v, w, 0, n, high, low, pos, fired);
  }
  int16_t high, low;
};

#endif  // SPECKD_DRIVER_CHIP_ACCUMULATE_IMPL_H_
