// The AVX2 variant of accumulate.h, compiled with -mavx2 (BUILD.bazel) and
// only called on CPUs that have it (BestSpread).
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "driver/chip/accumulate.h"
#include "driver/chip/limits.h"

namespace speckd::chip {
namespace {

#include "driver/chip/accumulate_impl.h"

struct Avx2Lanes {
  Avx2Lanes(int16_t high, int16_t low)
      : high(high),
        low(low),
        vhigh(_mm256_set1_epi16(high)),
        vlow(_mm256_set1_epi16(low)),
        vmin(_mm256_set1_epi16(kStateMin)) {}

  // Sixteen lanes: saturating add, the >= high mask; firing lanes are kept
  // (clamped against INT16_MIN), the others clamped to low.
  unsigned Lanes16(int16_t* v, const int8_t* w) const {
    const __m256i w16 = _mm256_cvtepi8_epi16(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(w)));
    __m256i* lanes = reinterpret_cast<__m256i*>(v);
    const __m256i s = _mm256_adds_epi16(_mm256_loadu_si256(lanes), w16);
    const __m256i ge = _mm256_cmpeq_epi16(_mm256_max_epi16(s, vhigh), s);
    _mm256_storeu_si256(
        lanes, _mm256_max_epi16(s, _mm256_blendv_epi8(vlow, vmin, ge)));
    return static_cast<unsigned>(_mm256_movemask_epi8(ge));
  }

  unsigned Lanes8(int16_t* v, const int8_t* w) const {
    const __m128i w16 =
        _mm_cvtepi8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(w)));
    __m128i* lanes = reinterpret_cast<__m128i*>(v);
    const __m128i s = _mm_adds_epi16(_mm_loadu_si128(lanes), w16);
    const __m128i ge =
        _mm_cmpeq_epi16(_mm_max_epi16(s, _mm256_castsi256_si128(vhigh)), s);
    _mm_storeu_si128(
        lanes,
        _mm_max_epi16(s, _mm_blendv_epi8(_mm256_castsi256_si128(vlow),
                                         _mm256_castsi256_si128(vmin), ge)));
    return static_cast<unsigned>(_mm_movemask_epi8(ge));
  }

  __attribute__((always_inline)) void Row(int16_t* v, const int8_t* w, int n,
                                          uint32_t pos, uint64_t*& out) const {
    SimdRow(*this, v, w, n, pos, out);
  }

  int16_t high, low;
  __m256i vhigh, vlow, vmin;
};

}  // namespace

int SpreadAvx2(const SpreadUpdate& update, FiredKeys* fired) {
  if (update.features == 16) return Spread<Avx2Lanes, 16>(update, fired);
  if (update.features == 32) return Spread<Avx2Lanes, 32>(update, fired);
  return Spread<Avx2Lanes>(update, fired);
}

}  // namespace speckd::chip
