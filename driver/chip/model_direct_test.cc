// The dense-output fast path (model_direct.cc) against the general path, on
// random configurations it takes (a core with one output position and at
// most 8 features) and random inputs of every kind: DVS events in and out
// of the region, spikes into it and into other cores, out-of-range ones,
// late ones, slow-clock ticks with leak. Outputs, statistics, neuron states
// and model time must be identical, however the inputs are split.
#include <memory>
#include <random>
#include <vector>

#include "driver/chip/model.h"
#include "driver/chip/model_run_util.h"
#include "gtest/gtest.h"

namespace speckd::chip {
namespace {

int Uniform(std::mt19937& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

// A core with a single output position: the kernel covers the padded input
// (W + 2 * pad - K < stride); with stride 2 an input may fall outside it.
CnnLayerConfig DenseCore(std::mt19937& rng) {
  CnnLayerConfig core;
  CnnLayerDimensions& d = core.dimensions;
  const uint32_t k = static_cast<uint32_t>(Uniform(rng, 2, 8));
  const uint32_t pad = static_cast<uint32_t>(Uniform(rng, 0, 1));
  const uint32_t stride = static_cast<uint32_t>(Uniform(rng, 1, 2));
  // W + 2 * pad - K < stride, and the kernel fits.
  const auto side = [&] {
    return k - 2 * pad + static_cast<uint32_t>(Uniform(rng, 0, stride - 1));
  };
  const uint32_t c = static_cast<uint32_t>(Uniform(rng, 1, 2));
  const uint32_t f = static_cast<uint32_t>(Uniform(rng, 1, 8));
  d.input_shape = {{side(), side()}, c};
  d.kernel_size = k;
  d.stride = {stride, stride};
  d.padding = {pad, pad};
  d.output_shape = {{1, 1}, f};
  core.weights.resize(static_cast<size_t>(f) * c * k * k);
  for (int32_t& w : core.weights) w = Uniform(rng, -128, 127);
  // Negative thresholds too (lanes past F must still never fire).
  core.threshold_high = Uniform(rng, -200, 400);
  // Now and then low >= high: the exact path, which the fast path refuses.
  core.threshold_low = Uniform(rng, 0, 9) == 0
                           ? core.threshold_high + 5
                           : Uniform(rng, -600, core.threshold_high - 1);
  core.return_to_zero = Uniform(rng, 0, 1) == 1;
  core.leak_enable = Uniform(rng, 0, 2) == 0;
  core.biases.resize(f);
  for (int32_t& b : core.biases) b = Uniform(rng, -20, 40);
  core.monitor_enable = true;
  return core;
}

// Another core (a small monitored conv) that some host spikes go to.
CnnLayerConfig OtherCore() {
  CnnLayerConfig core;
  core.dimensions.input_shape = {{4, 4}, 1};
  core.dimensions.kernel_size = 2;
  core.dimensions.output_shape = {{3, 3}, 2};
  core.weights.assign(2 * 1 * 2 * 2, 7);
  core.threshold_high = 10;
  core.threshold_low = -10;
  core.monitor_enable = true;
  return core;
}

SpeckConfig RandomConfig(std::mt19937& rng, int* layer) {
  SpeckConfig config;
  *layer = Uniform(rng, 0, 8);
  config.cnn_layers[*layer] = DenseCore(rng);
  if (Uniform(rng, 0, 1) == 1)
    config.cnn_layers[(*layer + 1) % 9] = OtherCore();
  DvsLayerConfig& dvs = config.dvs_layer;
  if (Uniform(rng, 0, 3) != 0) {
    const uint32_t pooling = Uniform(rng, 0, 1) == 1 ? 2 : 1;
    dvs.destinations = {
        {static_cast<uint32_t>(*layer), true, pooling, Uniform(rng, 0, 1)}};
  }
  dvs.merge = Uniform(rng, 0, 1) == 1;
  dvs.on_channel = Uniform(rng, 0, 5) != 0;
  dvs.off_channel = Uniform(rng, 0, 5) != 0;
  dvs.origin = {static_cast<uint32_t>(Uniform(rng, 0, 3)),
                static_cast<uint32_t>(Uniform(rng, 0, 3))};
  dvs.cut = {dvs.origin.x + static_cast<uint32_t>(Uniform(rng, 4, 20)),
             dvs.origin.y + static_cast<uint32_t>(Uniform(rng, 4, 20))};
  dvs.mirror_diagonal = Uniform(rng, 0, 2) == 0;
  dvs.monitor_enable = Uniform(rng, 0, 1) == 1;
  if (Uniform(rng, 0, 2) == 0) config.slow_clock = {true, 1000.0};
  return config;
}

std::vector<InputEvent> RandomInputs(std::mt19937& rng, int layer) {
  std::vector<InputEvent> inputs;
  uint64_t t = 0;
  for (int i = 0; i < 3000; ++i) {
    t += static_cast<uint64_t>(Uniform(rng, 0, 300));
    // Now and then an input older than model time (processed late).
    const uint64_t ts = Uniform(rng, 0, 30) == 0 && t > 500 ? t - 500 : t;
    if (Uniform(rng, 0, 9) < 6) {
      inputs.push_back(InputEvent::FromDvs(
          {ts, static_cast<uint8_t>(Uniform(rng, 0, 40)),
           static_cast<uint8_t>(
               Uniform(rng, 0, Uniform(rng, 0, 20) == 0 ? 255 : 40)),
           Uniform(rng, 0, 1) == 1}));
      continue;
    }
    const int target = Uniform(rng, 0, 9) < 8 ? layer : Uniform(rng, 0, 12);
    inputs.push_back(
        InputEvent::FromSpike({ts, static_cast<uint16_t>(Uniform(rng, 0, 2)),
                               static_cast<uint8_t>(target),
                               static_cast<uint8_t>(Uniform(rng, 0, 18)),
                               static_cast<uint8_t>(Uniform(rng, 0, 18))}));
  }
  return inputs;
}

TEST(DirectPathTest, SameAsTheGeneralPathOnRandomNetworksAndInputs) {
  std::mt19937 rng(2026);
  int valid = 0, direct = 0;
  for (int trial = 0; valid < 150 && trial < 2000; ++trial) {
    int layer = 0;
    const SpeckConfig config = RandomConfig(rng, &layer);
    absl::StatusOr<std::unique_ptr<ChipModel>> fast = ChipModel::Create(config);
    if (!fast.ok()) continue;  // a random shape validation refuses
    ++valid;
    std::unique_ptr<ChipModel> general = *ChipModel::Create(config);
    general->DisableFastPathsForTesting();
    ASSERT_FALSE(general->DirectPathForTesting());
    direct += (*fast)->DirectPathForTesting() ? 1 : 0;
    const std::vector<InputEvent> inputs = RandomInputs(rng, layer);
    std::mt19937 split_a(static_cast<uint32_t>(trial));
    std::mt19937 split_b(static_cast<uint32_t>(trial) + 7);
    const RunResult want = RunAll(*general, inputs, split_a);
    const RunResult got = RunAll(**fast, inputs, split_b);
    ASSERT_EQ(got.out.spikes, want.out.spikes) << "trial " << trial;
    ASSERT_EQ(got.neurons, want.neurons) << "trial " << trial;
    ASSERT_EQ(got.time_us, want.time_us) << "trial " << trial;
    ExpectSameStats(got.stats, want.stats);
    ASSERT_FALSE(HasFailure()) << "trial " << trial;
  }
  EXPECT_EQ(valid, 150) << "too few random configurations validate";
  // Most take the fast path (the rest: the exact path, low >= high).
  EXPECT_GT(direct, 100);
}

}  // namespace
}  // namespace speckd::chip
