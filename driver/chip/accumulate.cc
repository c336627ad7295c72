#include "driver/chip/accumulate.h"

#include <emmintrin.h>

#include <cstddef>
#include <cstdint>

#include "driver/chip/limits.h"

namespace speckd::chip {
namespace {

#include "driver/chip/accumulate_impl.h"

// Eight lanes: saturating add, the >= high mask, firing lanes kept and the
// others clamped to low (firing lanes clamp against INT16_MIN, a no-op).
inline __m128i Lanes8(int16_t* v, __m128i w16, __m128i vhigh, __m128i vlow,
                      __m128i vmin) {
  __m128i s =
      _mm_adds_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(v)), w16);
  __m128i ge = _mm_cmpeq_epi16(_mm_max_epi16(s, vhigh), s);
  __m128i floor =
      _mm_or_si128(_mm_and_si128(ge, vmin), _mm_andnot_si128(ge, vlow));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(v), _mm_max_epi16(s, floor));
  return ge;
}

// int8 -> int16 with SSE2 only: duplicate each byte, shift right by 8.
inline __m128i WidenLow(__m128i w8) {
  return _mm_srai_epi16(_mm_unpacklo_epi8(w8, w8), 8);
}
inline __m128i WidenHigh(__m128i w8) {
  return _mm_srai_epi16(_mm_unpackhi_epi8(w8, w8), 8);
}

struct Sse2Lanes {
  Sse2Lanes(int16_t high, int16_t low)
      : high(high),
        low(low),
        vhigh(_mm_set1_epi16(high)),
        vlow(_mm_set1_epi16(low)),
        vmin(_mm_set1_epi16(kStateMin)) {}

  void Row(int16_t* v, const int8_t* w, int n, uint32_t pos,
           FiredKeys* fired) const {
    int f = 0;
    for (; f + 16 <= n; f += 16) {
      const __m128i w8 =
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + f));
      const __m128i lo = Lanes8(v + f, WidenLow(w8), vhigh, vlow, vmin);
      const __m128i hi = Lanes8(v + f + 8, WidenHigh(w8), vhigh, vlow, vmin);
      const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(lo)) |
                            static_cast<unsigned>(_mm_movemask_epi8(hi)) << 16;
      if (mask != 0) CollectMask(mask, f, pos, fired);
    }
    for (; f + 8 <= n; f += 8) {
      const __m128i w8 =
          _mm_loadl_epi64(reinterpret_cast<const __m128i*>(w + f));
      const unsigned mask = static_cast<unsigned>(
          _mm_movemask_epi8(Lanes8(v + f, WidenLow(w8), vhigh, vlow, vmin)));
      if (mask != 0) CollectMask(mask, f, pos, fired);
    }
    ScalarTail(v, w, f, n, high, low, pos, fired);
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
