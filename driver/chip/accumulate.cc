#include "driver/chip/accumulate.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

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

// Eight lanes of a tile (TileFixed, TileAnyWidth).
struct Sse2TileLanes {
  static constexpr int kWidth = 8;
  using Vec = __m128i;
  using Bit = __m128i;  // the position's bit in every lane

  explicit Sse2TileLanes(const TileCore& core)
      : vhigh(_mm_set1_epi16(core.high)),
        vlow(_mm_set1_epi16(core.low)),
        keep(_mm_set1_epi16(core.return_to_zero ? 0 : -1)) {}

  static Vec Zero() { return _mm_setzero_si128(); }
  static Bit FirstBit() { return _mm_set1_epi16(1); }
  static Bit NextColumn(Bit bit) { return _mm_slli_epi16(bit, 1); }
  static Bit NextRow(Bit bit) { return _mm_slli_epi16(bit, kTileSide); }
  static uint16_t Scalar(Bit bit) {
    return static_cast<uint16_t>(_mm_cvtsi128_si32(bit));
  }
  static Vec Load(const uint16_t* p) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  }
  static void Store(uint16_t* p, Vec v) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
  }
  // One bit per lane: set where the lane is not zero.
  static unsigned NonZero(Vec acc) {
    const __m128i zero = _mm_cmpeq_epi16(acc, _mm_setzero_si128());
    return ~static_cast<unsigned>(
               _mm_movemask_epi8(_mm_packs_epi16(zero, zero))) &
           0xFFu;
  }

  // v = sat16(v + w); lanes at or above high fire (reset, `bit` into acc).
  Vec Block(int16_t* v, const int8_t* w, Bit bit, Vec acc) const {
    const __m128i w8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(w));
    __m128i* lanes = reinterpret_cast<__m128i*>(v);
    const __m128i s = _mm_adds_epi16(_mm_loadu_si128(lanes), WidenLow8(w8));
    const __m128i ge = _mm_cmpeq_epi16(_mm_max_epi16(s, vhigh), s);
    const __m128i reset = _mm_and_si128(keep, _mm_subs_epi16(s, vhigh));
    const __m128i chosen =
        _mm_or_si128(_mm_and_si128(ge, reset), _mm_andnot_si128(ge, s));
    _mm_storeu_si128(lanes, _mm_max_epi16(chosen, vlow));
    return _mm_or_si128(acc, _mm_and_si128(ge, bit));
  }

  __m128i vhigh, vlow, keep;
};

TileFn TileSse2For(int features) {
  switch (features) {
    case 8:
      return &TileFixed<Sse2TileLanes, 8>;
    case 16:
      return &TileFixed<Sse2TileLanes, 16>;
    case 32:
      return &TileFixed<Sse2TileLanes, 32>;
    default:
      return &TileAnyWidth<Sse2TileLanes>;
  }
}

}  // namespace

TileCore TileCore::For(int16_t* state, const int8_t* weights, int features,
                       int out_w, int kernel, int stride_x, int stride_y,
                       int16_t high, int16_t low, bool return_to_zero) {
  TileCore core;
  core.state = state;
  core.weights = weights;
  core.features = features;
  core.channel_stride = kernel * kernel * features;
  core.row_step = static_cast<ptrdiff_t>(out_w) * features;
  core.kernel_row_step = static_cast<ptrdiff_t>(stride_y) * kernel * features;
  core.kernel_col_step = static_cast<ptrdiff_t>(stride_x) * features;
  core.high = high;
  core.low = low;
  core.return_to_zero = return_to_zero;
  return core;
}

void TileScalar(const TileCore& core, int c, const AxisSpan& xs,
                const AxisSpan& ys, TileFired fired) {
  TileAnyWidth<ScalarTileLanes>(core, c, xs, ys, fired);
}

void TileSse2(const TileCore& core, int c, const AxisSpan& xs,
              const AxisSpan& ys, TileFired fired) {
  TileSse2For(core.features)(core, c, xs, ys, fired);
}

TileFn BestTile(int features) {
  switch (ChosenIsa()) {
    case Isa::kAvx512:
      return TileAvx512For(features);
    case Isa::kAvx2:
      return TileAvx2For(features);
    case Isa::kSse2:
      break;
  }
  return TileSse2For(features);
}

int SpreadScalar(const SpreadUpdate& update, FiredKeys* fired) {
  return Spread<ScalarLanes>(update, fired);
}

int SpreadSse2(const SpreadUpdate& update, FiredKeys* fired) {
  return Spread<Sse2Lanes>(update, fired);
}

bool CpuHasAvx2() { return __builtin_cpu_supports("avx2"); }

// libgcc's checks include the OS saving the registers (XCR0).
bool CpuHasAvx512() {
  return __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl");
}

const char* IsaName(Isa isa) {
  switch (isa) {
    case Isa::kAvx512:
      return "avx512";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kSse2:
      break;
  }
  return "sse2";
}

Isa CpuIsa() {
  if (CpuHasAvx512()) return Isa::kAvx512;
  return CpuHasAvx2() ? Isa::kAvx2 : Isa::kSse2;
}

Isa IsaFor(const char* requested, Isa cpu, std::string* problem) {
  problem->clear();
  if (requested == nullptr || *requested == '\0' ||
      std::strcmp(requested, "auto") == 0) {
    return cpu;
  }
  for (Isa isa : {Isa::kSse2, Isa::kAvx2, Isa::kAvx512}) {
    if (std::strcmp(requested, IsaName(isa)) != 0) continue;
    if (isa <= cpu) return isa;
    *problem = std::string("SPECKD_CHIP_ISA=") + requested +
               ": this CPU has no " + requested + "; using " + IsaName(cpu);
    return cpu;
  }
  *problem = std::string("SPECKD_CHIP_ISA=") + requested +
             ": not one of auto, sse2, avx2, avx512; using " + IsaName(cpu);
  return cpu;
}

namespace {

struct EnvChoice {
  Isa isa;
  std::string problem;
};

const EnvChoice& FromEnvironment() {
  static const EnvChoice* const choice = [] {
    auto* c = new EnvChoice;
    c->isa = IsaFor(std::getenv("SPECKD_CHIP_ISA"), CpuIsa(), &c->problem);
    return c;
  }();
  return *choice;
}

// -1 until a test sets one.
std::atomic<int> testing_isa{-1};

}  // namespace

Isa ChosenIsa() {
  const int set = testing_isa.load(std::memory_order_relaxed);
  return set >= 0 ? static_cast<Isa>(set) : FromEnvironment().isa;
}

std::string ChosenIsaProblem() { return FromEnvironment().problem; }

void SetIsaForTesting(Isa isa) {
  testing_isa.store(static_cast<int>(isa < CpuIsa() ? isa : CpuIsa()),
                    std::memory_order_relaxed);
}

SpreadFn BestSpread() {
  return ChosenIsa() >= Isa::kAvx2 ? &SpreadAvx2 : &SpreadSse2;
}

}  // namespace speckd::chip
