// One small, hand-checkable scenario per rule of docs/chip-model.md.
#include "driver/chip/model.h"

#include "driver/chip/limits.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::chip {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A monitored core: in_w x in_h x c -> k x k conv (stride, padding) -> f.
CnnLayerConfig MakeCore(uint32_t in_w, uint32_t in_h, uint32_t c, uint32_t f,
                        uint32_t k, uint32_t stride = 1, uint32_t pad = 0) {
  CnnLayerConfig core;
  CnnLayerDimensions& d = core.dimensions;
  d.input_shape = {{in_w, in_h}, c};
  d.kernel_size = k;
  d.stride = {stride, stride};
  d.padding = {pad, pad};
  d.output_shape = {{ConvOutputSize(in_w, pad, k, stride),
                     ConvOutputSize(in_h, pad, k, stride)},
                    f};
  core.weights.assign(static_cast<size_t>(f) * c * k * k, 0);
  core.threshold_high = 10;
  core.threshold_low = -1000;
  core.monitor_enable = true;
  return core;
}

// samna layout [f][c][x][y].
void SetWeight(CnnLayerConfig& core, int f, int c, int kx, int ky, int w) {
  const int C = static_cast<int>(core.dimensions.input_shape.feature_count);
  const int K = static_cast<int>(core.dimensions.kernel_size);
  core.weights[((f * C + c) * K + kx) * K + ky] = w;
}

std::unique_ptr<ChipModel> Build(const SpeckConfig& config) {
  absl::StatusOr<std::unique_ptr<ChipModel>> model = ChipModel::Create(config);
  EXPECT_TRUE(model.ok()) << model.status();
  return model.ok() ? *std::move(model) : nullptr;
}

Spike In(uint64_t t, int layer, int f, int x, int y) {
  return {t, static_cast<uint16_t>(f), static_cast<uint8_t>(layer),
          static_cast<uint8_t>(x), static_cast<uint8_t>(y)};
}

int16_t V(const ChipModel& m, int layer, int f, int x, int y) {
  absl::StatusOr<int16_t> v = m.ReadNeuron(layer, f, x, y);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.value_or(-1);
}

// Rule 3: ox = (x + pad - kx) / stride when integral and inside the map;
// v[f][oy][ox] += W[f][c][ky][kx].
TEST(SynapticUpdateTest, ScattersWithStrideAndPadding) {
  SpeckConfig config;
  config.cnn_layers[0] = MakeCore(4, 4, 1, 1, 3, /*stride=*/2, /*pad=*/1);
  config.cnn_layers[0].threshold_high = 1000;
  for (int kx = 0; kx < 3; ++kx) {
    for (int ky = 0; ky < 3; ++ky)
      SetWeight(config.cnn_layers[0], 0, 0, kx, ky, 10 * ky + kx + 1);
  }
  auto model = Build(config);
  ASSERT_NE(model, nullptr);
  OutputBatch out;
  // Input (x=2, y=1): x touches ox=1 via kx=1; y touches oy=1 via ky=0 and
  // oy=0 via ky=2.
  model->ProcessSpike(In(0, 0, 0, 2, 1), &out);
  EXPECT_EQ(V(*model, 0, 0, 1, 1), 10 * 0 + 1 + 1);  // ky=0, kx=1
  EXPECT_EQ(V(*model, 0, 0, 1, 0), 10 * 2 + 1 + 1);  // ky=2, kx=1
  EXPECT_EQ(V(*model, 0, 0, 0, 0), 0);
  EXPECT_EQ(V(*model, 0, 0, 0, 1), 0);
  EXPECT_EQ(model->stats().cores[0].synops, 2u);
}

TEST(SynapticUpdateTest, OneSpikePerUpdateAndResidueFiresOnNextTouch) {
  SpeckConfig config;
  config.cnn_layers[0] = MakeCore(1, 1, 1, 1, 1);
  config.cnn_layers[0].threshold_high = 30;
  SetWeight(config.cnn_layers[0], 0, 0, 0, 0, 100);
  auto model = Build(config);
  ASSERT_NE(model, nullptr);
  OutputBatch out;
  model->ProcessSpike(In(5, 0, 0, 0, 0), &out);
  ASSERT_EQ(out.spikes.size(), 1u);  // v = 100 >= 2 * 30, still one spike
  EXPECT_EQ(V(*model, 0, 0, 0, 0), 70);
  model->ProcessSpike(In(6, 0, 0, 0, 0), &out);
  EXPECT_EQ(out.spikes.size(), 2u);
  EXPECT_EQ(V(*model, 0, 0, 0, 0), 140);
}

TEST(SynapticUpdateTest, ZeroWeightTouchStillFiresAResidueAboveThreshold) {
  SpeckConfig config;
  config.cnn_layers[0] = MakeCore(2, 2, 1, 1, 2);  // out 1x1
  config.cnn_layers[0].threshold_high = 30;
  SetWeight(config.cnn_layers[0], 0, 0, 0, 0, 100);
  SetWeight(config.cnn_layers[0], 0, 0, 1, 0, 0);
  auto model = Build(config);
  ASSERT_NE(model, nullptr);
  OutputBatch out;
  model->ProcessSpike(In(1, 0, 0, 0, 0), &out);  // v = 100 -> spike, 70
  model->ProcessSpike(In(2, 0, 0, 1, 0), &out);  // w = 0 but touched: spike
  ASSERT_EQ(out.spikes.size(), 2u);
  EXPECT_EQ(out.spikes[1].timestamp_us, 2u);
  EXPECT_EQ(V(*model, 0, 0, 0, 0), 40);
}

TEST(SynapticUpdateTest, ReturnToZeroResets) {
  SpeckConfig config;
  config.cnn_layers[0] = MakeCore(1, 1, 1, 1, 1);
  config.cnn_layers[0].return_to_zero = true;
  SetWeight(config.cnn_layers[0], 0, 0, 0, 0, 25);
  auto model = Build(config);
  ASSERT_NE(model, nullptr);
  OutputBatch out;
  model->ProcessSpike(In(0, 0, 0, 0, 0), &out);
  EXPECT_EQ(out.spikes.size(), 1u);
  EXPECT_EQ(V(*model, 0, 0, 0, 0), 0);
}

TEST(SynapticUpdateTest, ThresholdLowClampsAndSubtractResetIsClamped) {
  SpeckConfig config;
  config.cnn_layers[0] = MakeCore(1, 1, 1, 1, 1);
  config.cnn_layers[0].threshold_low = -50;
  SetWeight(config.cnn_layers[0], 0, 0, 0, 0, -30);
  auto model = Build(config);
  ASSERT_NE(model, nullptr);
  OutputBatch out;
  for (int i = 0; i < 3; ++i) model->ProcessSpike(In(i, 0, 0, 0, 0), &out);
  EXPECT_EQ(V(*model, 0, 0, 0, 0), -50);  // -30, -60 -> -50, -80 -> -50
  EXPECT_THAT(out.spikes, IsEmpty());
}

TEST(SynapticUpdateTest, StateSaturatesAtInt16) {
  SpeckConfig config;
  config.cnn_layers[0] = MakeCore(1, 1, 1, 2, 1);
  config.cnn_layers[0].threshold_high = kStateMax;
  config.cnn_layers[0].threshold_low = kStateMin;
  config.cnn_layers[0].return_to_zero = true;
  config.cnn_layers[0].neurons_initial_value = {-32700, 32700};  // [f][x][y]
  SetWeight(config.cnn_layers[0], 0, 0, 0, 0, -128);
  SetWeight(config.cnn_layers[0], 1, 0, 0, 0, 127);
  auto model = Build(config);
  ASSERT_NE(model, nullptr);
  OutputBatch out;
  model->ProcessSpike(In(0, 0, 0, 0, 0), &out);
  EXPECT_EQ(V(*model, 0, 0, 0, 0), kStateMin);  // -32828 saturates
  // 32827 saturates to 32767 = threshold_high: fires and resets to 0.
  ASSERT_EQ(out.spikes.size(), 1u);
  EXPECT_EQ(out.spikes[0].feature, 1);
  EXPECT_EQ(V(*model, 0, 1, 0, 0), 0);
}

TEST(SynapticUpdateTest, FiringOrderIsFeatureThenYThenX) {
  SpeckConfig config;
  // 3x3 input, 2x2 kernel, 2 features: input (1,1) touches all 4 outputs.
  config.cnn_layers[0] = MakeCore(3, 3, 1, 2, 2);
  for (int f = 0; f < 2; ++f) {
    for (int kx = 0; kx < 2; ++kx) {
      for (int ky = 0; ky < 2; ++ky)
        SetWeight(config.cnn_layers[0], f, 0, kx, ky, 10);
    }
  }
  auto model = Build(config);
  ASSERT_NE(model, nullptr);
  OutputBatch out;
  model->ProcessSpike(In(7, 0, 0, 1, 1), &out);
  std::vector<std::tuple<int, int, int>> order;
  for (const Spike& s : out.spikes) order.emplace_back(s.feature, s.y, s.x);
  EXPECT_THAT(order,
              ElementsAre(std::make_tuple(0, 0, 0), std::make_tuple(0, 0, 1),
                          std::make_tuple(0, 1, 0), std::make_tuple(0, 1, 1),
                          std::make_tuple(1, 0, 0), std::make_tuple(1, 0, 1),
                          std::make_tuple(1, 1, 0), std::make_tuple(1, 1, 1)));
}

TEST(SynapticUpdateTest, WideFeatureMapsAgreeWithScalarArithmetic) {
  // 37 features exercise the 8-lane path and the scalar tail together.
  SpeckConfig config;
  config.cnn_layers[0] = MakeCore(1, 1, 1, 37, 1);
  config.cnn_layers[0].threshold_high = 200;
  config.cnn_layers[0].threshold_low = -200;
  for (int f = 0; f < 37; ++f)
    SetWeight(config.cnn_layers[0], f, 0, 0, 0, (f * 29) % 256 - 128);
  auto model = Build(config);
  ASSERT_NE(model, nullptr);
  OutputBatch out;
  std::vector<int> expected(37, 0);
  std::vector<int> fired(37, 0);
  for (int step = 0; step < 6; ++step) {
    model->ProcessSpike(In(step, 0, 0, 0, 0), &out);
    for (int f = 0; f < 37; ++f) {
      int v = expected[f] + (f * 29) % 256 - 128;
      if (v >= 200) {
        v -= 200;
        ++fired[f];
      }
      expected[f] = std::max(v, -200);
    }
  }
  for (int f = 0; f < 37; ++f)
    EXPECT_EQ(V(*model, 0, f, 0, 0), expected[f]) << f;
  std::vector<int> got(37, 0);
  for (const Spike& s : out.spikes) ++got[s.feature];
  EXPECT_EQ(got, fired);
}

TEST(SynapticUpdateTest, DenseCorePaddingNeverFiresWithNegativeThresholds) {
  // One output position, 3 features: its rows are padded to 8 lanes.
  // With thresholds below 0 a padding lane at 0 would fire; none may.
  SpeckConfig config;
  config.cnn_layers[0] = MakeCore(2, 2, 1, 3, 2);
  CnnLayerConfig& core = config.cnn_layers[0];
  core.threshold_high = -10;
  core.threshold_low = -100;
  const auto weight = [](int f, int x, int y) {
    return (f * 7 + x * 3 + y) % 11 - 5;
  };
  for (int f = 0; f < 3; ++f) {
    for (int x = 0; x < 2; ++x) {
      for (int y = 0; y < 2; ++y) SetWeight(core, f, 0, x, y, weight(f, x, y));
    }
  }
  for (const bool fast : {true, false}) {
    auto model = Build(config);
    ASSERT_NE(model, nullptr);
    if (!fast) model->DisableFastPathsForTesting();
    OutputBatch out;
    std::vector<int> v(3, 0);
    std::vector<Spike> want;
    for (int i = 0; i < 500; ++i) {
      const int x = (i * 5) % 2, y = (i / 3) % 2;
      model->ProcessSpike(In(i, 0, 0, x, y), &out);
      // The input at (x, y) meets kernel index (x, y) at output (0, 0).
      for (int f = 0; f < 3; ++f) {
        const int s = v[f] + weight(f, x, y);
        if (s >= -10) {
          v[f] = std::max(s + 10, -100);
          want.push_back(In(i, 0, f, 0, 0));
        } else {
          v[f] = std::max(s, -100);
        }
      }
    }
    EXPECT_EQ(out.spikes, want) << (fast ? "direct path" : "general path");
    for (int f = 0; f < 3; ++f) EXPECT_EQ(V(*model, 0, f, 0, 0), v[f]) << f;
  }
}

// Rule 4: routing with pooling and feature_shift; the monitor sees the
// un-pooled spike; the cascade is a FIFO (destination 0 before 1).
TEST(RoutingTest, PoolsShiftsAndRunsTheCascadeInFifoOrder) {
  SpeckConfig config;
  config.cnn_layers[0] = MakeCore(4, 4, 1, 1, 1);
  SetWeight(config.cnn_layers[0], 0, 0, 0, 0, 10);
  config.cnn_layers[0].destinations = {{1, true, 2, 1}, {2, true, 1, 0}};
  config.cnn_layers[1] = MakeCore(2, 2, 2, 2, 1);  // identity on channel 1
  SetWeight(config.cnn_layers[1], 1, 1, 0, 0, 10);
  config.cnn_layers[2] = MakeCore(4, 4, 1, 1, 1);
  SetWeight(config.cnn_layers[2], 0, 0, 0, 0, 10);
  auto model = Build(config);
  ASSERT_NE(model, nullptr);
  OutputBatch out;
  model->ProcessSpike(In(42, 0, 0, 3, 2), &out);
  ASSERT_EQ(out.spikes.size(), 3u);
  EXPECT_EQ(out.spikes[0], In(42, 0, 0, 3, 2));  // monitor: not pooled
  EXPECT_EQ(out.spikes[1], In(42, 1, 1, 1, 1));  // f+1, (3/2, 2/2)
  EXPECT_EQ(out.spikes[2], In(42, 2, 0, 3, 2));
}

TEST(RoutingTest, DecimatorPassesEveryNthSpikeToMonitorAndRoutes) {
  SpeckConfig config;
  config.cnn_layers[0] = MakeCore(1, 1, 1, 1, 1);
  SetWeight(config.cnn_layers[0], 0, 0, 0, 0, 10);
  config.cnn_layers[0].output_decimator_enable = true;
  config.cnn_layers[0].output_decimator_interval = 1;  // N = 4
  config.cnn_layers[0].destinations = {{1, true, 1, 0}};
  config.cnn_layers[1] = MakeCore(1, 1, 1, 1, 1);
  SetWeight(config.cnn_layers[1], 0, 0, 0, 0, 10);
  auto model = Build(config);
  ASSERT_NE(model, nullptr);
  OutputBatch out;
  for (int i = 0; i < 8; ++i) model->ProcessSpike(In(i, 0, 0, 0, 0), &out);
  std::vector<std::pair<int, uint64_t>> got;
  for (const Spike& s : out.spikes) got.emplace_back(s.layer, s.timestamp_us);
  EXPECT_THAT(got, ElementsAre(std::make_pair(0, 3u), std::make_pair(1, 3u),
                               std::make_pair(0, 7u), std::make_pair(1, 7u)));
  EXPECT_EQ(model->stats().cores[0].spikes, 8u);
}

TEST(RoutingTest, RecurrentNetworkThatNeverSettlesIsCutOffAndCounted) {
  SpeckConfig config;
  config.cnn_layers[0] = MakeCore(1, 1, 1, 1, 1);
  SetWeight(config.cnn_layers[0], 0, 0, 0, 0, 10);
  config.cnn_layers[0].monitor_enable = false;
  config.cnn_layers[0].destinations = {{0, true, 1, 0}};  // to itself
  auto model = Build(config);
  ASSERT_NE(model, nullptr);
  OutputBatch out;
  model->ProcessSpike(In(0, 0, 0, 0, 0), &out);
  EXPECT_GT(model->stats().cascade_overflow, 0u);
  // The input's own update, then the cascade up to its limit.
  EXPECT_EQ(model->stats().cores[0].spikes, ChipModel::kMaxCascadeSpikes + 1);
}

// Rule 5: leak on slow-clock ticks at k * period, before inputs at >= T.
TEST(LeakTest, BiasIsAddedOnEveryTick) {
  SpeckConfig config;
  config.cnn_layers[0] = MakeCore(1, 1, 1, 1, 1);
  config.cnn_layers[0].threshold_high = 200;
  config.cnn_layers[0].leak_enable = true;
  config.cnn_layers[0].biases = {-13};
  config.cnn_layers[0].neurons_initial_value = {127};
  config.slow_clock = {true, 1000.0};
  auto model = Build(config);
  ASSERT_NE(model, nullptr);
  OutputBatch out;
  model->AdvanceTo(2999, &out);  // ticks at 0, 1000, 2000
  EXPECT_EQ(V(*model, 0, 0, 0, 0), 127 - 3 * 13);
  EXPECT_EQ(model->stats().slow_clock_ticks, 3u);
  model->AdvanceTo(3000, &out);
  EXPECT_EQ(V(*model, 0, 0, 0, 0), 127 - 4 * 13);
}

TEST(LeakTest, TickAtTRunsBeforeAnInputAtTAndItsSpikesCarryT) {
  SpeckConfig config;
  config.cnn_layers[0] = MakeCore(1, 1, 1, 1, 1);
  config.cnn_layers[0].threshold_high = 15;
  config.cnn_layers[0].leak_enable = true;
  config.cnn_layers[0].biases = {10};
  SetWeight(config.cnn_layers[0], 0, 0, 0, 0, 10);
  config.slow_clock = {true, 1000.0};
  auto model = Build(config);
  ASSERT_NE(model, nullptr);
  OutputBatch out;
  // tick 0: v = 10; tick 1000: v = 20 -> spike at 1000, v = 5; then the
  // input at 1000: v = 15 -> spike at 1000, v = 0.
  model->ProcessSpike(In(1000, 0, 0, 0, 0), &out);
  ASSERT_EQ(out.spikes.size(), 2u);
  EXPECT_EQ(out.spikes[0].timestamp_us, 1000u);
  EXPECT_EQ(out.spikes[1].timestamp_us, 1000u);
  EXPECT_EQ(V(*model, 0, 0, 0, 0), 0);
}

TEST(LeakTest, NoSlowClockMeansNoLeak) {
  SpeckConfig config;
  config.cnn_layers[0] = MakeCore(1, 1, 1, 1, 1);
  config.cnn_layers[0].leak_enable = true;
  config.cnn_layers[0].biases = {5};
  auto model = Build(config);
  ASSERT_NE(model, nullptr);
  OutputBatch out;
  model->AdvanceTo(1000000, &out);
  EXPECT_EQ(V(*model, 0, 0, 0, 0), 0);
}

TEST(LeakTest, NonIntegerPeriodTicksFallOnTheCeilingOfKTimesPeriod) {
  SpeckConfig config;
  config.cnn_layers[0] = MakeCore(1, 1, 1, 1, 1);
  config.cnn_layers[0].threshold_high = 1000;
  config.cnn_layers[0].leak_enable = true;
  config.cnn_layers[0].biases = {1};
  config.slow_clock = {true, 3.0};  // period 333333.33 us
  auto model = Build(config);
  ASSERT_NE(model, nullptr);
  OutputBatch out;
  model->AdvanceTo(333333, &out);
  EXPECT_EQ(V(*model, 0, 0, 0, 0), 1);  // only the tick at 0
  model->AdvanceTo(333334, &out);
  EXPECT_EQ(V(*model, 0, 0, 0, 0), 2);
  model->AdvanceTo(1000000, &out);
  EXPECT_EQ(V(*model, 0, 0, 0, 0), 4);  // 666667 and 1000000
}

// Rule 6: DVS pipeline: polarity -> merge -> pooling -> ROI (inclusive) ->
// mirror -> diagonal -> monitor (layer 13) -> destinations.
class DvsTest : public ::testing::Test {
 protected:
  std::vector<Spike> Run(const DvsLayerConfig& dvs,
                         const std::vector<DvsEvent>& events) {
    SpeckConfig config;
    config.dvs_layer = dvs;
    config.dvs_layer.monitor_enable = true;
    auto model = Build(config);
    if (model == nullptr) return {};
    OutputBatch out;
    for (const DvsEvent& e : events) model->ProcessDvsEvent(e, &out);
    return out.spikes;
  }
};

TEST_F(DvsTest, PolarityChannelsSelectAndMergeSetsTheFeature) {
  DvsLayerConfig dvs;
  std::vector<Spike> both = Run(dvs, {{1, 5, 6, true}, {2, 7, 8, false}});
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0], In(1, kDvsLayer, 1, 5, 6));
  EXPECT_EQ(both[1], In(2, kDvsLayer, 0, 7, 8));

  dvs.on_channel = false;
  std::vector<Spike> off_only = Run(dvs, {{1, 5, 6, true}, {2, 7, 8, false}});
  ASSERT_EQ(off_only.size(), 1u);
  EXPECT_EQ(off_only[0].feature, 0);

  dvs.on_channel = true;
  dvs.off_channel = false;
  dvs.merge = true;
  std::vector<Spike> merged = Run(dvs, {{1, 5, 6, true}, {2, 7, 8, false}});
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0], In(1, kDvsLayer, 0, 5, 6));
}

TEST_F(DvsTest, PoolingThenInclusiveRoiRebasedToOrigin) {
  DvsLayerConfig dvs;
  dvs.pooling = {2, 4};
  dvs.origin = {10, 5};
  dvs.cut = {20, 6};
  std::vector<Spike> out =
      Run(dvs, {{1, 41, 27, true},    // (20, 6): corner, kept
                {2, 19, 20, true},    // (9, 5): left of ROI
                {3, 42, 20, true},    // (21, 5): right of ROI
                {4, 20, 28, true}});  // (10, 7): below ROI
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], In(1, kDvsLayer, 1, 10, 1));
}

TEST_F(DvsTest, MirrorsUseTheRoiExtentAndDiagonalSwaps) {
  DvsLayerConfig dvs;
  dvs.origin = {2, 3};
  dvs.cut = {9, 7};  // 8 wide, 5 high
  dvs.mirror.x = true;
  EXPECT_EQ(Run(dvs, {{0, 3, 4, true}})[0], In(0, kDvsLayer, 1, 6, 1));
  dvs.mirror.x = false;
  dvs.mirror.y = true;
  EXPECT_EQ(Run(dvs, {{0, 3, 4, true}})[0], In(0, kDvsLayer, 1, 1, 3));
  dvs.mirror.y = false;
  dvs.mirror_diagonal = true;
  EXPECT_EQ(Run(dvs, {{0, 4, 4, true}})[0], In(0, kDvsLayer, 1, 1, 2));
}

TEST_F(DvsTest, DeliversToDestinationCores) {
  SpeckConfig config;
  config.dvs_layer.merge = true;
  config.dvs_layer.pooling = {4, 4};
  config.dvs_layer.destinations = {{0, true, 1, 0}};
  config.cnn_layers[0] = MakeCore(32, 32, 1, 1, 1);
  SetWeight(config.cnn_layers[0], 0, 0, 0, 0, 10);
  auto model = Build(config);
  ASSERT_NE(model, nullptr);
  OutputBatch out;
  model->ProcessDvsEvent({9, 127, 64, false}, &out);
  ASSERT_EQ(out.spikes.size(), 1u);
  EXPECT_EQ(out.spikes[0], In(9, 0, 0, 31, 16));
}

// Rule 9 and neurons_initial_value ([f][x][y]).
TEST(NeuronStateTest, InitialValuesUseSamnaLayoutAndReadWriteWork) {
  SpeckConfig config;
  config.cnn_layers[0] = MakeCore(3, 2, 1, 2, 1);  // out 3 wide, 2 high
  config.cnn_layers[0].threshold_high = 1000;
  std::vector<int32_t> init;
  for (int f = 0; f < 2; ++f) {
    for (int x = 0; x < 3; ++x) {
      for (int y = 0; y < 2; ++y) init.push_back(100 * f + 10 * x + y);
    }
  }
  config.cnn_layers[0].neurons_initial_value = init;
  auto model = Build(config);
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(V(*model, 0, 1, 2, 1), 121);
  EXPECT_EQ(V(*model, 0, 0, 1, 0), 10);
  ASSERT_TRUE(model->WriteNeuron(0, 1, 2, 1, -7).ok());
  EXPECT_EQ(V(*model, 0, 1, 2, 1), -7);
  // NeuronStates is [f][y][x].
  std::vector<int16_t> states = model->NeuronStates(0);
  ASSERT_EQ(states.size(), 12u);
  EXPECT_EQ(states[(1 * 2 + 1) * 3 + 2], -7);
  EXPECT_EQ(states[(0 * 2 + 1) * 3 + 2], 21);

  EXPECT_EQ(model->ReadNeuron(0, 2, 0, 0).status().code(),
            absl::StatusCode::kOutOfRange);
  absl::Status unused = model->WriteNeuron(5, 0, 0, 0, 1);
  EXPECT_EQ(unused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unused.message(), HasSubstr("core 5 is not configured"));
}

// Reset() gives the chip Create() gave: a second run after it is the first
// run again (initial values, decimator phase, slow clock, statistics).
TEST(ResetTest, SecondRunAfterResetRepeatsTheFirst) {
  SpeckConfig config;
  config.cnn_layers[0] = MakeCore(1, 1, 1, 1, 1);
  SetWeight(config.cnn_layers[0], 0, 0, 0, 0, 7);
  config.cnn_layers[0].neurons_initial_value = {5};
  config.cnn_layers[0].leak_enable = true;
  config.cnn_layers[0].biases = {1};
  config.cnn_layers[0].output_decimator_enable = true;
  config.cnn_layers[0].output_decimator_interval = 0;  // N = 2
  config.slow_clock = {true, 1000.0};
  auto model = Build(config);
  ASSERT_NE(model, nullptr);
  auto run = [&] {
    OutputBatch out;
    for (int i = 0; i < 9; ++i)
      model->ProcessSpike(In(700 * i, 0, 0, 0, 0), &out);
    model->AdvanceTo(9000, &out);
    std::vector<uint64_t> times;
    for (const Spike& s : out.spikes) times.push_back(s.timestamp_us);
    return std::make_pair(times, model->stats().cores[0].spikes);
  };
  const auto first = run();
  ASSERT_FALSE(first.first.empty());
  EXPECT_NE(V(*model, 0, 0, 0, 0), 5);
  model->Reset();
  EXPECT_EQ(V(*model, 0, 0, 0, 0), 5);
  EXPECT_EQ(model->time_us(), 0u);
  EXPECT_EQ(model->stats().slow_clock_ticks, 0u);
  EXPECT_EQ(run(), first);
}

TEST(TimeTest, LateInputsRunAtModelTimeAndAreCounted) {
  SpeckConfig config;
  config.cnn_layers[0] = MakeCore(1, 1, 1, 1, 1);
  SetWeight(config.cnn_layers[0], 0, 0, 0, 0, 10);
  auto model = Build(config);
  ASSERT_NE(model, nullptr);
  OutputBatch out;
  model->ProcessSpike(In(500, 0, 0, 0, 0), &out);
  model->ProcessSpike(In(100, 0, 0, 0, 0), &out);
  ASSERT_EQ(out.spikes.size(), 2u);
  EXPECT_EQ(out.spikes[1].timestamp_us, 500u);
  EXPECT_EQ(model->stats().late_inputs, 1u);
  model->SetTime(0);
  model->ProcessSpike(In(100, 0, 0, 0, 0), &out);
  EXPECT_EQ(out.spikes.back().timestamp_us, 100u);
}

TEST(CreateTest, InvalidConfigurationIsRefusedWithEveryProblem) {
  SpeckConfig config;
  config.cnn_layers[3] = MakeCore(4, 4, 1, 1, 3);
  config.cnn_layers[3].dimensions.kernel_size = 17;
  absl::StatusOr<std::unique_ptr<ChipModel>> model = ChipModel::Create(config);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(model.status().message(),
              HasSubstr("cnn_layers[3].dimensions.kernel_size"));
}

TEST(QuirkTest, ReadoutMonitorSuppressesSpikeMonitoringUnlessTurnedOff) {
  SpeckConfig config;
  config.cnn_layers[0] = MakeCore(1, 1, 1, 1, 1);
  SetWeight(config.cnn_layers[0], 0, 0, 0, 0, 10);
  config.readout.enable = true;
  config.readout.monitor_enable = true;
  config.cnn_layers[0].destinations = {{kReadoutLayer, true, 1, 0}};
  OutputBatch out;
  auto model = Build(config);
  ASSERT_NE(model, nullptr);
  model->ProcessSpike(In(0, 0, 0, 0, 0), &out);
  EXPECT_THAT(out.spikes, IsEmpty());
  EXPECT_EQ(model->stats().readout_spikes, 1u);

  config.quirks.readout_monitor_suppresses_spikes = false;
  model = Build(config);
  ASSERT_NE(model, nullptr);
  model->ProcessSpike(In(0, 0, 0, 0, 0), &out);
  EXPECT_EQ(out.spikes.size(), 1u);
}

}  // namespace
}  // namespace speckd::chip
