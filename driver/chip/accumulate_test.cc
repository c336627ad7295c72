// Every variant of the update loops against the scalar one, on random
// states, weights, thresholds and spreads at every width 1..70 (the SIMD
// blocks, their tails, saturation at both ends, strides).
#include "driver/chip/accumulate.h"

#include <algorithm>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace speckd::chip {
namespace {

void ExpectSameAsScalar(SpreadFn variant, const char* name) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> state(-32768, 32767);
  std::uniform_int_distribution<int> weight(-128, 127);
  for (int trial = 0; trial < 600; ++trial) {
    const int F = 1 + trial % 70;
    const int K = 1 + trial % 4, out = 5, stride = 1 + trial % 2;
    std::vector<int16_t> v(static_cast<size_t>(out) * out * F);
    std::vector<int8_t> w(static_cast<size_t>(K) * K * F);
    // Near the limits now and then, so saturation is exercised.
    const bool extreme = trial % 5 == 0;
    for (int16_t& x : v) {
      x = static_cast<int16_t>(extreme ? (rng() % 2 ? 32700 : -32700)
                                       : state(rng) / 64);
    }
    for (int8_t& x : w) x = static_cast<int8_t>(weight(rng));
    const int16_t low = static_cast<int16_t>(state(rng) / 128);
    const int16_t high = static_cast<int16_t>(low + 1 + rng() % 400);
    const int n = 1 + (K - 1) / stride;  // positions per axis that fit
    std::vector<int16_t> want = v, got = v;
    SpreadUpdate u{want.data(), w.data(), F,     out,    K,      1,    1,  n,
                   n,           K - 1,    K - 1, stride, stride, high, low};
    std::vector<uint64_t> want_keys(n * n * F), got_keys(n * n * F);
    FiredKeys want_fired{want_keys.data()}, got_fired{got_keys.data()};
    const int want_positions = SpreadScalar(u, &want_fired);
    u.state = got.data();
    const int got_positions = variant(u, &got_fired);
    ASSERT_EQ(got_fired.count, want_fired.count) << name << " F=" << F;
    ASSERT_EQ(got, want) << name << " F=" << F << " trial " << trial;
    ASSERT_EQ(got_keys, want_keys) << name << " F=" << F;
    ASSERT_EQ(got_positions, want_positions) << name;
  }
}

TEST(AccumulateTest, Sse2EqualsScalar) {
  ExpectSameAsScalar(&SpreadSse2, "sse2");
}

TEST(AccumulateTest, Avx2EqualsScalar) {
  if (!CpuHasAvx2()) {
    GTEST_SKIP() << "SKIPPED: this CPU has no AVX2 (SSE2 runs instead)";
  }
  ExpectSameAsScalar(&SpreadAvx2, "avx2");
}

TEST(AccumulateTest, ScalarTouchesExactlyTheSpreadAndKeysAreEmissionOrder) {
  // 1 feature, a 3x3 output, kernel 2, stride 1: positions (1..2, 0..1).
  std::vector<int16_t> v(9, 0);
  const std::vector<int8_t> w = {1, 2, 3, 4};  // [ky][kx]
  std::vector<uint64_t> keys(4);
  FiredKeys fired{keys.data()};
  SpreadUpdate u{v.data(), w.data(), 1, 3, 2, 1, 0, 2, 2, 1, 1, 1, 1, 3, -5};
  EXPECT_EQ(SpreadScalar(u, &fired), 2);
  ASSERT_EQ(fired.count, 2u);
  keys.resize(2);
  // (x1,y0) += w[1][1]=4, (x2,y0) += w[1][0]=3, (x1,y1) += w[0][1]=2, ...
  EXPECT_EQ(v, (std::vector<int16_t>{0, 4, 3, 0, 2, 1, 0, 0, 0}));
  EXPECT_EQ(keys, (std::vector<uint64_t>{FiredKey(0, 1), FiredKey(0, 2)}));
  EXPECT_LT(FiredKey(0, 0xFFFFFFFF), FiredKey(1, 0));
}

// A random tile: F features, kernel K, stride 1..2, spans that fit a 6x6
// output, thresholds near the state (or near the limits, for saturation).
struct TileCase {
  int F = 0;
  std::vector<int16_t> state;
  std::vector<int8_t> weights;  // one input feature: [ky][kx][f]
  AxisSpan xs, ys;
  int16_t high = 0, low = 0;
  bool return_to_zero = false;
  int K = 0, stride = 1;
  static constexpr int kOut = 6;

  TileCore Core(std::vector<int16_t>& v) const {
    return TileCore::For(v.data(), weights.data(), F, kOut, K, stride, stride,
                         high, low, return_to_zero);
  }
};

AxisSpan RandomSpan(std::mt19937& rng, int K, int stride, int F, int scale) {
  const int most = std::min(kTileSide, 1 + (K - 1) / stride);
  AxisSpan span;
  span.n = static_cast<int16_t>(1 + rng() % most);
  span.o0 = static_cast<int16_t>(rng() % (TileCase::kOut - span.n + 1));
  const int lowest_k0 = (span.n - 1) * stride;  // the last position's k >= 0
  span.k0 = static_cast<int16_t>(lowest_k0 + rng() % (K - lowest_k0));
  span.neuron_offset = span.o0 * scale * F;
  span.kernel_offset = span.k0 * (scale == 1 ? 1 : K) * F;
  return span;
}

TileCase RandomTile(std::mt19937& rng, int trial) {
  std::uniform_int_distribution<int> state(-32768, 32767);
  std::uniform_int_distribution<int> weight(-128, 127);
  TileCase t;
  t.F = 1 + trial % 70;
  t.K = 1 + trial % 8;
  t.stride = 1 + trial % 2;
  t.state.resize(static_cast<size_t>(TileCase::kOut) * TileCase::kOut * t.F);
  t.weights.resize(static_cast<size_t>(t.K) * t.K * t.F);
  const bool extreme = trial % 5 == 0;
  for (int16_t& x : t.state) {
    x = static_cast<int16_t>(extreme ? (rng() % 2 ? 32700 : -32700)
                                     : state(rng) / 64);
  }
  for (int8_t& x : t.weights) x = static_cast<int8_t>(weight(rng));
  t.low = static_cast<int16_t>(state(rng) / 128);
  t.high = static_cast<int16_t>(t.low + 1 + rng() % 400);
  if (trial % 7 == 0) t.high = 32767;  // a reset that saturates
  t.return_to_zero = trial % 3 == 0;
  t.xs = RandomSpan(rng, t.K, t.stride, t.F, 1);
  t.ys = RandomSpan(rng, t.K, t.stride, t.F, TileCase::kOut);
  return t;
}

struct TileResult {
  std::vector<int16_t> state;
  std::vector<uint16_t> positions;
  std::vector<uint64_t> features;
};

TileResult RunTile(TileFn tile, const TileCase& t) {
  TileResult r{t.state, std::vector<uint16_t>((t.F + 15) / 16 * 16, 0xBEEF),
               std::vector<uint64_t>((t.F + 63) / 64, 0xBEEF)};
  tile(t.Core(r.state), 0, t.xs, t.ys, {r.positions.data(), r.features.data()});
  r.positions.resize(t.F);  // lanes past F are scratch
  return r;
}

TEST(AccumulateTest, ScalarTileIsSpreadThenFire) {
  // The tile loop against the key loop plus Fire()'s reset of every key.
  std::mt19937 rng(5);
  for (int trial = 0; trial < 600; ++trial) {
    const TileCase t = RandomTile(rng, trial);
    const TileResult got = RunTile(&TileScalar, t);
    std::vector<int16_t> want = t.state;
    SpreadUpdate u{want.data(), t.weights.data(), t.F,     TileCase::kOut,
                   t.K,         t.xs.o0,          t.ys.o0, t.xs.n,
                   t.ys.n,      t.xs.k0,          t.ys.k0, t.stride,
                   t.stride,    t.high,           t.low};
    std::vector<uint64_t> keys(static_cast<size_t>(t.xs.n) * t.ys.n * t.F);
    FiredKeys fired{keys.data()};
    SpreadScalar(u, &fired);
    std::vector<uint16_t> positions(t.F, 0);
    std::vector<uint64_t> features((t.F + 63) / 64, 0);
    for (size_t k = 0; k < fired.count; ++k) {
      const int f = static_cast<int>(keys[k] >> 32);
      const int y = static_cast<int>(keys[k] >> 16 & 0xFFFF);
      const int x = static_cast<int>(keys[k] & 0xFFFF);
      int16_t& v =
          want[(static_cast<size_t>(y) * TileCase::kOut + x) * t.F + f];
      const int reset =
          t.return_to_zero ? 0 : std::clamp(v - t.high, -32768, 32767);
      v = static_cast<int16_t>(std::max<int>(reset, t.low));
      positions[f] |= 1u << ((y - t.ys.o0) * kTileSide + (x - t.xs.o0));
      features[f / 64] |= uint64_t{1} << (f % 64);
    }
    ASSERT_EQ(got.state, want) << "trial " << trial << " F=" << t.F;
    ASSERT_EQ(got.positions, positions) << "trial " << trial;
    ASSERT_EQ(got.features, features) << "trial " << trial;
  }
}

void ExpectTileSameAsScalar(TileFn variant, const char* name) {
  std::mt19937 rng(13);
  for (int trial = 0; trial < 1200; ++trial) {
    const TileCase t = RandomTile(rng, trial);
    const TileResult want = RunTile(&TileScalar, t);
    const TileResult got = RunTile(variant, t);
    ASSERT_EQ(got.state, want.state) << name << " trial " << trial;
    ASSERT_EQ(got.positions, want.positions) << name << " trial " << trial;
    ASSERT_EQ(got.features, want.features) << name << " trial " << trial;
  }
}

TEST(AccumulateTest, Sse2TileEqualsScalar) {
  ExpectTileSameAsScalar(&TileSse2, "sse2");
}

TEST(AccumulateTest, Avx2TileEqualsScalar) {
  if (!CpuHasAvx2()) {
    GTEST_SKIP() << "SKIPPED: this CPU has no AVX2 (SSE2 runs instead)";
  }
  ExpectTileSameAsScalar(&TileAvx2, "avx2");
}

TEST(AccumulateTest, Avx512TileEqualsScalar) {
  if (!CpuHasAvx512()) {
    GTEST_SKIP() << "SKIPPED: this CPU has no AVX-512BW/VL (AVX2 runs instead)";
  }
  ExpectTileSameAsScalar(&TileAvx512, "avx512");
}

}  // namespace
}  // namespace speckd::chip
