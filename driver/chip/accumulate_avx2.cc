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

// Sixteen lanes of a tile (TileFixed, TileAnyWidth).
struct Avx2TileLanes {
  static constexpr int kWidth = 16;
  using Vec = __m256i;
  using Bit = __m256i;  // the position's bit in every lane

  explicit Avx2TileLanes(const TileCore& core)
      : vhigh(_mm256_set1_epi16(core.high)),
        vlow(_mm256_set1_epi16(core.low)),
        keep(_mm256_set1_epi16(core.return_to_zero ? 0 : -1)) {}

  static Vec Zero() { return _mm256_setzero_si256(); }
  static Bit FirstBit() { return _mm256_set1_epi16(1); }
  static Bit NextColumn(Bit bit) { return _mm256_slli_epi16(bit, 1); }
  static Bit NextRow(Bit bit) { return _mm256_slli_epi16(bit, kTileSide); }
  static uint16_t Scalar(Bit bit) {
    return static_cast<uint16_t>(_mm256_cvtsi256_si32(bit));
  }
  static Vec Load(const uint16_t* p) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  }
  static void Store(uint16_t* p, Vec v) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v);
  }
  // One bit per lane: set where the lane is not zero.
  static unsigned NonZero(Vec acc) {
    const __m256i zero = _mm256_cmpeq_epi16(acc, _mm256_setzero_si256());
    const __m128i packed = _mm_packs_epi16(_mm256_castsi256_si128(zero),
                                           _mm256_extracti128_si256(zero, 1));
    return ~static_cast<unsigned>(_mm_movemask_epi8(packed)) & 0xFFFFu;
  }

  // v = sat16(v + w); lanes at or above high fire (reset, `bit` into acc).
  Vec Block(int16_t* v, const int8_t* w, Bit bit, Vec acc) const {
    const __m256i w16 = _mm256_cvtepi8_epi16(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(w)));
    __m256i* lanes = reinterpret_cast<__m256i*>(v);
    const __m256i s = _mm256_adds_epi16(_mm256_loadu_si256(lanes), w16);
    const __m256i ge = _mm256_cmpeq_epi16(_mm256_max_epi16(s, vhigh), s);
    const __m256i reset = _mm256_and_si256(keep, _mm256_subs_epi16(s, vhigh));
    _mm256_storeu_si256(
        lanes, _mm256_max_epi16(_mm256_blendv_epi8(s, reset, ge), vlow));
    return _mm256_or_si256(acc, _mm256_and_si256(ge, bit));
  }

  __m256i vhigh, vlow, keep;
};

}  // namespace

TileFn TileAvx2For(int features) {
  switch (features) {
    case 16:
      return &TileFixed<Avx2TileLanes, 16>;
    case 32:
      return &TileFixed<Avx2TileLanes, 32>;
    case 48:
      return &TileFixed<Avx2TileLanes, 48>;
    case 64:
      return &TileFixed<Avx2TileLanes, 64>;
    default:
      return &TileAnyWidth<Avx2TileLanes>;
  }
}

void TileAvx2(const TileCore& core, int c, const AxisSpan& xs,
              const AxisSpan& ys, TileFired fired) {
  TileAvx2For(core.features)(core, c, xs, ys, fired);
}

int SpreadAvx2(const SpreadUpdate& update, FiredKeys* fired) {
  if (update.features == 16) return Spread<Avx2Lanes, 16>(update, fired);
  if (update.features == 32) return Spread<Avx2Lanes, 32>(update, fired);
  return Spread<Avx2Lanes>(update, fired);
}

}  // namespace speckd::chip
