// Every variant of the update loops against the scalar one, on random
// states, weights, thresholds and spreads at every width 1..70 (the SIMD
// blocks, their tails, saturation at both ends, strides).
#include "driver/chip/accumulate.h"

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

}  // namespace
}  // namespace speckd::chip
