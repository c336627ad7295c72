// The whole chip model under each instruction set this CPU runs (AVX2,
// AVX-512) against SSE2, on random multi-core DVS networks: chains of
// 2 to 4 convolutions whose widths, kernels, strides, padding and pooling
// take the tiled, key-sorted and one-position paths, with monitors, leak and
// slow-clock ticks. Outputs, statistics, neuron states and time must be
// identical. accumulate_test checks the loops alone; this checks that the
// model uses every variant the same way. Also $SPECKD_CHIP_ISA's parsing.
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "driver/chip/accumulate.h"
#include "driver/chip/model.h"
#include "driver/chip/model_run_util.h"
#include "driver/chip/validate_test_util.h"
#include "gtest/gtest.h"

namespace speckd::chip {
namespace {

int Uniform(std::mt19937& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

uint32_t Pick(std::mt19937& rng, std::initializer_list<uint32_t> values) {
  return values.begin()[Uniform(rng, 0, static_cast<int>(values.size()) - 1)];
}

// A convolution of an S x S x C input, weights averaging about +20 (as
// the gesture-like benchmark network), thresholds that let some activity
// through to the next core.
CnnLayerConfig RandomConv(std::mt19937& rng, uint32_t side, uint32_t c) {
  const uint32_t k = Pick(rng, {1, 2, 3, 3, 3, 4, 5});
  const uint32_t stride = Pick(rng, {1, 1, 2});
  const uint32_t pad = k > 1 ? static_cast<uint32_t>(Uniform(rng, 0, 1)) : 0;
  const uint32_t f = Pick(rng, {8, 16, 16, 32, 32, 48, 64, 5, 11, 20, 40});
  CnnLayerConfig core = validate_testing::MakeCore(side, c, f, k, stride, pad);
  for (int32_t& w : core.weights) w = Uniform(rng, -20, 60);
  core.threshold_high = Uniform(rng, 20, 20 * static_cast<int>(k * k)) *
                        static_cast<int>(std::min<uint32_t>(c, 4));
  core.threshold_low = -Uniform(rng, 0, 2 * core.threshold_high);
  core.return_to_zero = Uniform(rng, 0, 3) == 0;
  core.leak_enable = Uniform(rng, 0, 4) == 0;
  core.biases.resize(f);
  for (int32_t& b : core.biases) b = Uniform(rng, -10, 10);
  return core;
}

// DVS (pooled to 16..32 per side) into core 0, then a chain of cores, each
// into the next with pooling 1 or 2; the last one (and some others) to the
// host.
SpeckConfig RandomChain(std::mt19937& rng) {
  SpeckConfig config;
  DvsLayerConfig& dvs = config.dvs_layer;
  const uint32_t pooling = Pick(rng, {2, 4});
  const uint32_t side = static_cast<uint32_t>(Uniform(rng, 16, 32));
  dvs.pooling = {pooling, pooling};
  dvs.cut = {side - 1, side - 1};
  dvs.merge = Uniform(rng, 0, 1) == 1;
  dvs.mirror_diagonal = Uniform(rng, 0, 3) == 0;
  dvs.destinations = {{0, true, 1, 0}};
  uint32_t in_side = side;
  uint32_t channels = dvs.merge ? 1 : 2;
  const int cores = Uniform(rng, 2, 4);
  for (int i = 0; i < cores; ++i) {
    CnnLayerConfig& core = config.cnn_layers[i];
    core = RandomConv(rng, in_side, channels);
    const CnnLayerDimensions& d = core.dimensions;
    const uint32_t out = d.output_shape.size.x;
    const bool last = i + 1 == cores || out < 2;
    core.monitor_enable = last || Uniform(rng, 0, 4) == 0;
    if (last) break;
    const uint32_t next_pooling = out >= 4 && Uniform(rng, 0, 2) == 0 ? 2 : 1;
    core.destinations = {{static_cast<uint32_t>(i + 1), true, next_pooling, 0}};
    in_side = out / next_pooling;
    channels = d.output_shape.feature_count;
  }
  if (Uniform(rng, 0, 2) == 0) config.slow_clock = {true, 500.0};
  return config;
}

std::vector<InputEvent> RandomDvsInputs(std::mt19937& rng) {
  std::vector<InputEvent> inputs;
  uint64_t t = 0;
  for (int i = 0; i < 2000; ++i) {
    t += static_cast<uint64_t>(Uniform(rng, 0, 200));
    inputs.push_back(InputEvent::FromDvs(
        {t, static_cast<uint8_t>(Uniform(rng, 0, 127)),
         static_cast<uint8_t>(Uniform(rng, 0, 127)), Uniform(rng, 0, 1) == 1}));
  }
  return inputs;
}

// What `config` leaves on `inputs` with `isa`'s loops.
RunResult RunWith(Isa isa, const SpeckConfig& config,
                  const std::vector<InputEvent>& inputs, uint32_t split) {
  SetIsaForTesting(isa);
  absl::StatusOr<std::unique_ptr<ChipModel>> model = ChipModel::Create(config);
  EXPECT_TRUE(model.ok()) << model.status();
  if (!model.ok()) return {};
  std::mt19937 splits(split);
  return RunAll(**model, inputs, splits);
}

TEST(ModelIsaTest, EveryInstructionSetGivesWhatSse2Gives) {
  std::vector<Isa> others;
  if (CpuIsa() >= Isa::kAvx2) others.push_back(Isa::kAvx2);
  if (CpuIsa() >= Isa::kAvx512) others.push_back(Isa::kAvx512);
  if (others.empty()) {
    GTEST_SKIP() << "SKIPPED: this CPU has no AVX2 or AVX-512, so SSE2 is "
                    "the only instruction set the model can run here";
  }
  std::mt19937 rng(16);
  int valid = 0;
  int deep = 0;  // networks whose last core fired
  for (int trial = 0; valid < 40 && trial < 400; ++trial) {
    const SpeckConfig config = RandomChain(rng);
    if (!ChipModel::Create(config).ok()) continue;  // over a core's memory
    ++valid;
    const std::vector<InputEvent> inputs = RandomDvsInputs(rng);
    const RunResult want = RunWith(Isa::kSse2, config, inputs, trial);
    int last = 0;
    for (int i = 0; i < kNumCores; ++i) {
      if (want.stats.cores[i].input_spikes > 0) last = i;
    }
    deep += last > 0 && want.stats.cores[last].spikes > 0 ? 1 : 0;
    for (Isa isa : others) {
      const RunResult got = RunWith(isa, config, inputs, trial + 1);
      ASSERT_EQ(got.out.spikes, want.out.spikes)
          << IsaName(isa) << " trial " << trial;
      ASSERT_EQ(got.neurons, want.neurons)
          << IsaName(isa) << " trial " << trial;
      ASSERT_EQ(got.time_us, want.time_us) << IsaName(isa);
      ExpectSameStats(got.stats, want.stats);
      ASSERT_FALSE(HasFailure()) << IsaName(isa) << " trial " << trial;
    }
  }
  SetIsaForTesting(CpuIsa());
  EXPECT_EQ(valid, 40) << "too few random chains fit the chip";
  // Activity reaches the end of most chains, so every core's path ran.
  EXPECT_GT(deep, 25);
}

TEST(ModelIsaTest, TheEnvironmentPicksAtMostWhatTheCpuHas) {
  std::string problem;
  EXPECT_EQ(IsaFor(nullptr, Isa::kAvx512, &problem), Isa::kAvx512);
  EXPECT_EQ(problem, "");
  EXPECT_EQ(IsaFor("", Isa::kAvx2, &problem), Isa::kAvx2);
  EXPECT_EQ(IsaFor("auto", Isa::kSse2, &problem), Isa::kSse2);
  EXPECT_EQ(IsaFor("avx2", Isa::kAvx512, &problem), Isa::kAvx2);
  EXPECT_EQ(problem, "");
  EXPECT_EQ(IsaFor("sse2", Isa::kAvx512, &problem), Isa::kSse2);
  EXPECT_EQ(IsaFor("avx512", Isa::kAvx2, &problem), Isa::kAvx2);
  EXPECT_EQ(problem,
            "SPECKD_CHIP_ISA=avx512: this CPU has no avx512; using "
            "avx2");
  EXPECT_EQ(IsaFor("AVX2", Isa::kAvx512, &problem), Isa::kAvx512);
  EXPECT_EQ(problem,
            "SPECKD_CHIP_ISA=AVX2: not one of auto, sse2, avx2, avx512; "
            "using avx512");
}

}  // namespace
}  // namespace speckd::chip
