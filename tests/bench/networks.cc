#include "tests/bench/networks.h"

#include <random>

namespace speckd::bench {
namespace {

chip::CnnLayerConfig Conv(uint32_t in, uint32_t c, uint32_t f, uint32_t k,
                          uint32_t stride, uint32_t pad) {
  chip::CnnLayerConfig core;
  core.dimensions.input_shape = {{in, in}, c};
  core.dimensions.kernel_size = k;
  core.dimensions.stride = {stride, stride};
  core.dimensions.padding = {pad, pad};
  const uint32_t out = chip::ConvOutputSize(in, pad, k, stride);
  core.dimensions.output_shape = {{out, out}, f};
  return core;
}

void RandomWeights(chip::CnnLayerConfig& core, std::mt19937& rng, int lo,
                   int hi) {
  std::uniform_int_distribution<int> w(lo, hi);
  const auto& d = core.dimensions;
  core.weights.resize(static_cast<size_t>(d.output_shape.feature_count) *
                      d.input_shape.feature_count * d.kernel_size *
                      d.kernel_size);
  for (int32_t& v : core.weights) v = w(rng);
}

}  // namespace

chip::SpeckConfig TutorialNetwork() {
  chip::SpeckConfig config;
  chip::CnnLayerConfig& core = config.cnn_layers[0];
  core = Conv(16, 1, 2, 16, 1, 0);
  core.weights.assign(2 * 16 * 16, 0);
  for (int f = 0; f < 2; ++f) {
    for (int x = 0; x < 16; ++x) {
      for (int y = 0; y < 16; ++y) {
        const bool top = y < 8;
        core.weights[(f * 16 + x) * 16 + y] = (top == (f == 0)) ? 127 : 0;
      }
    }
  }
  core.threshold_high = 127;
  core.threshold_low = -127;
  core.monitor_enable = true;
  return config;
}

std::vector<chip::InputEvent> TutorialInput(size_t n) {
  std::vector<chip::InputEvent> events;
  events.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const bool top = (i / 1000) % 2 == 0;
    const uint8_t x = static_cast<uint8_t>((i * 7) % 16);
    const uint8_t y = static_cast<uint8_t>((top ? 0 : 8) + (i * 3) % 8);
    events.push_back(chip::InputEvent::FromSpike({i, 0, 0, x, y}));
  }
  return events;
}

chip::SpeckConfig GestureNetwork() {
  std::mt19937 rng(7);
  chip::SpeckConfig config;
  config.dvs_layer.pooling = {2, 2};
  config.dvs_layer.cut = {63, 63};
  config.dvs_layer.destinations = {{0, true, 1, 0}};

  chip::CnnLayerConfig& c0 = config.cnn_layers[0];
  c0 = Conv(64, 2, 16, 3, 2, 1);  // -> 32x32x16
  // Weights average +20; thresholds give roughly one spike per input spike
  // and layer, a moderately active network.
  RandomWeights(c0, rng, -20, 60);
  c0.threshold_high = 300;
  c0.threshold_low = -300;
  c0.destinations = {{1, true, 1, 0}};

  chip::CnnLayerConfig& c1 = config.cnn_layers[1];
  c1 = Conv(32, 16, 32, 3, 2, 1);  // -> 16x16x32
  RandomWeights(c1, rng, -20, 60);
  c1.threshold_high = 1500;
  c1.threshold_low = -1500;
  c1.destinations = {{2, true, 2, 0}};  // pool 2 -> 8x8x32

  chip::CnnLayerConfig& c2 = config.cnn_layers[2];
  c2 = Conv(8, 32, 32, 3, 1, 0);  // -> 6x6x32
  RandomWeights(c2, rng, -20, 60);
  c2.threshold_high = 6000;
  c2.threshold_low = -6000;
  c2.destinations = {{3, true, 1, 0}};

  chip::CnnLayerConfig& c3 = config.cnn_layers[3];
  c3 = Conv(6, 32, 11, 6, 1, 0);  // linear -> 1x1x11
  RandomWeights(c3, rng, -20, 60);
  c3.threshold_high = 2000;
  c3.threshold_low = -2000;
  c3.monitor_enable = true;
  return config;
}

std::vector<chip::InputEvent> RandomDvsInput(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> coord(0, 127);
  std::bernoulli_distribution polarity(0.5);
  std::vector<chip::InputEvent> events;
  events.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    events.push_back(chip::InputEvent::FromDvs(
        {i, static_cast<uint8_t>(coord(rng)), static_cast<uint8_t>(coord(rng)),
         polarity(rng)}));
  }
  return events;
}

}  // namespace speckd::bench
