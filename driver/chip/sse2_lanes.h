// Eight int16 neurons updated at once with SSE2, shared by the model's
// one-position update, its direct path and accumulate.cc's SSE2 loops.
// Baseline code only: accumulate_avx2.cc and accumulate_avx512.cc (built
// for those) must not include it, or the linker could hand baseline callers
// an AVX-encoded copy.
#ifndef SPECKD_DRIVER_CHIP_SSE2_LANES_H_
#define SPECKD_DRIVER_CHIP_SSE2_LANES_H_

#include <emmintrin.h>

#include "driver/chip/limits.h"

namespace speckd::chip {

// v = sat16(v + w16) on eight lanes; lanes then >= high keep their value
// (firing lanes clamp against INT16_MIN, a no-op), the others are clamped
// to low. Returns the >= high mask.
inline __m128i AddClampLanes8(int16_t* v, __m128i w16, __m128i vhigh,
                              __m128i vlow, __m128i vmin) {
  const __m128i s =
      _mm_adds_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(v)), w16);
  const __m128i ge = _mm_cmpeq_epi16(_mm_max_epi16(s, vhigh), s);
  const __m128i floor =
      _mm_or_si128(_mm_and_si128(ge, vmin), _mm_andnot_si128(ge, vlow));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(v), _mm_max_epi16(s, floor));
  return ge;
}

// int8 -> int16 with SSE2 only: duplicate each byte, shift right by 8.
inline __m128i WidenLow8(__m128i w8) {
  return _mm_srai_epi16(_mm_unpacklo_epi8(w8, w8), 8);
}
inline __m128i WidenHigh8(__m128i w8) {
  return _mm_srai_epi16(_mm_unpackhi_epi8(w8, w8), 8);
}

}  // namespace speckd::chip

#endif  // SPECKD_DRIVER_CHIP_SSE2_LANES_H_
