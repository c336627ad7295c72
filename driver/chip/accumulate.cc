#include "driver/chip/accumulate.h"

#include <cstddef>
#include <cstdint>

#include "driver/chip/limits.h"
#include "driver/chip/sse2_lanes.h"

namespace speckd::chip {
namespace {

#include "driver/chip/accumulate_impl.h"

struct Sse2Lanes {
  Sse2Lanes(int16_t high, int16_t low)
      : high(high),
        low(low),
        vhigh(_mm_set1_epi16(high)),
        vlow(_mm_set1_epi16(low)),
        vmin(_mm_set1_epi16(kStateMin)) {}

  unsigned Lanes16(int16_t* v, const int8_t* w) const {
    const __m128i w8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w));
    const __m128i lo = AddClampLanes8(v, WidenLow8(w8), vhigh, vlow, vmin);
    const __m128i hi = AddClampLanes8(v + 8, WidenHigh8(w8), vhigh, vlow, vmin);
    return static_cast<unsigned>(_mm_movemask_epi8(lo)) |
           static_cast<unsigned>(_mm_movemask_epi8(hi)) << 16;
  }
  unsigned Lanes8(int16_t* v, const int8_t* w) const {
    const __m128i w8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(w));
    return static_cast<unsigned>(
        _mm_movemask_epi8(AddClampLanes8(v, WidenLow8(w8), vhigh, vlow, vmin)));
  }
  void Row(int16_t* v, const int8_t* w, int n, uint32_t pos,
           uint64_t*& out) const {
    SimdRow(*this, v, w, n, pos, out);
  }

  int16_t high, low;
  __m128i vhigh, vlow, vmin;
};

}  // namespace

int SpreadScalar(const SpreadUpdate& update, FiredKeys* fired) {
  return Spread<ScalarLanes>(update, fired);
}

int SpreadSse2(const SpreadUpdate& update, FiredKeys* fired) {
  return Spread<Sse2Lanes>(update, fired);
}

bool CpuHasAvx2() { return __builtin_cpu_supports("avx2"); }

SpreadFn BestSpread() {
  static const SpreadFn best = CpuHasAvx2() ? &SpreadAvx2 : &SpreadSse2;
  return best;
}

}  // namespace speckd::chip
