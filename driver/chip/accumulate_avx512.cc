// The AVX-512 variant of accumulate.h's tiles, compiled with -mavx512bw
// -mavx512vl (BUILD.bazel) and only called on CPUs that have both
// (BestTile). Compares write mask registers, so a block of 32 neurons is
// one instruction per step, with no blend and no movemask.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "driver/chip/accumulate.h"
#include "driver/chip/limits.h"

namespace speckd::chip {
namespace {

#include "driver/chip/accumulate_impl.h"

// Thirty-two lanes (one zmm register) of a tile.
struct Avx512TileLanes {
  static constexpr int kWidth = 32;
  using Vec = __m512i;
  using Bit = __m512i;  // the position's bit in every lane

  explicit Avx512TileLanes(const TileCore& core)
      : vhigh(Broadcast(core.high)),
        vlow(Broadcast(core.low)),
        keep(Broadcast(core.return_to_zero ? 0 : -1)) {}

  static Vec Broadcast(int16_t v) { return _mm512_set1_epi16(v); }
  static Vec Zero() { return _mm512_setzero_si512(); }
  static Bit FirstBit() { return _mm512_set1_epi16(1); }
  static Bit NextColumn(Bit bit) { return _mm512_slli_epi16(bit, 1); }
  static Bit NextRow(Bit bit) { return _mm512_slli_epi16(bit, kTileSide); }
  static uint16_t Scalar(Bit bit) {
    return static_cast<uint16_t>(_mm512_cvtsi512_si32(bit));
  }
  static Vec Load(const uint16_t* p) { return _mm512_loadu_si512(p); }
  static void Store(uint16_t* p, Vec v) { _mm512_storeu_si512(p, v); }
  // One bit per lane: set where the lane is not zero.
  static uint32_t NonZero(Vec acc) { return _mm512_test_epi16_mask(acc, acc); }

  // v = sat16(v + w); lanes at or above high fire (reset, `bit` into acc).
  Vec Block(int16_t* v, const int8_t* w, Bit bit, Vec acc) const {
    const __m512i w16 = _mm512_cvtepi8_epi16(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w)));
    const __m512i s = _mm512_adds_epi16(_mm512_loadu_si512(v), w16);
    const __mmask32 ge = _mm512_cmpge_epi16_mask(s, vhigh);
    const __m512i reset = _mm512_and_si512(keep, _mm512_subs_epi16(s, vhigh));
    _mm512_storeu_si512(
        v, _mm512_max_epi16(_mm512_mask_mov_epi16(s, ge, reset), vlow));
    return _mm512_or_si512(acc, _mm512_maskz_mov_epi16(ge, bit));
  }

  __m512i vhigh, vlow, keep;
};

// Sixteen lanes (one ymm register, AVX-512VL's mask compares) of a tile.
struct Avx512VlTileLanes {
  static constexpr int kWidth = 16;
  using Vec = __m256i;
  using Bit = __m256i;

  explicit Avx512VlTileLanes(const TileCore& core)
      : vhigh(_mm256_set1_epi16(core.high)),
        vlow(_mm256_set1_epi16(core.low)),
        keep(_mm256_set1_epi16(core.return_to_zero ? 0 : -1)) {}

  static Vec Zero() { return _mm256_setzero_si256(); }
  static Bit FirstBit() { return _mm256_set1_epi16(1); }
  static Bit NextColumn(Bit bit) { return _mm256_slli_epi16(bit, 1); }
  static Bit NextRow(Bit bit) { return _mm256_slli_epi16(bit, kTileSide); }
  static void Store(uint16_t* p, Vec v) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v);
  }
  static uint32_t NonZero(Vec acc) { return _mm256_test_epi16_mask(acc, acc); }

  Vec Block(int16_t* v, const int8_t* w, Bit bit, Vec acc) const {
    const __m256i w16 = _mm256_cvtepi8_epi16(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(w)));
    __m256i* lanes = reinterpret_cast<__m256i*>(v);
    const __m256i s = _mm256_adds_epi16(_mm256_loadu_si256(lanes), w16);
    const __mmask16 ge = _mm256_cmpge_epi16_mask(s, vhigh);
    const __m256i reset = _mm256_and_si256(keep, _mm256_subs_epi16(s, vhigh));
    _mm256_storeu_si256(
        lanes, _mm256_max_epi16(_mm256_mask_mov_epi16(s, ge, reset), vlow));
    return _mm256_or_si256(acc, _mm256_maskz_mov_epi16(ge, bit));
  }

  __m256i vhigh, vlow, keep;
};

}  // namespace

TileFn TileAvx512For(int features) {
  switch (features) {
    case 16:
      return &TileFixed<Avx512VlTileLanes, 16>;
    case 32:
      return &TileFixed<Avx512TileLanes, 32>;
    case 48:
      return &TileFixed<Avx512VlTileLanes, 48>;
    case 64:
      return &TileFixed<Avx512TileLanes, 64>;
    default:
      return &TileAnyWidth<Avx512TileLanes>;
  }
}

void TileAvx512(const TileCore& core, int c, const AxisSpan& xs,
                const AxisSpan& ys, TileFired fired) {
  TileAvx512For(core.features)(core, c, xs, ys, fired);
}

}  // namespace speckd::chip
