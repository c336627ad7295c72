// One focused configuration per validation rule, plus valid networks, the
// docs' "does not fit" example and a configuration with many problems at once.
#include "driver/chip/validate.h"

#include <cmath>
#include <limits>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "driver/chip/config.h"
#include "driver/chip/limits.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::chip {

// Readable gtest failures: print problems as the user would see them.
void PrintTo(const ConfigProblem& p, std::ostream* os) { *os << p.ToString(); }

namespace {

using Severity = ConfigProblem::Severity;
using ::testing::AllOf;
using ::testing::AllOfArray;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Matcher;
using ::testing::Not;
using ::testing::SizeIs;

// --- Builders ---------------------------------------------------------------

// in x in x c -> k x k conv (stride, padding) -> f, consistent and warning
// free; weights all 1.
CnnLayerConfig MakeCore(uint32_t in, uint32_t c, uint32_t f, uint32_t k,
                        uint32_t stride = 1, uint32_t pad = 0) {
  CnnLayerConfig core;
  CnnLayerDimensions& d = core.dimensions;
  d.input_shape = {{in, in}, c};
  d.kernel_size = k;
  d.stride = {stride, stride};
  d.padding = {pad, pad};
  const uint32_t out = ConvOutputSize(in, pad, k, stride);
  d.output_shape = {{out, out}, f};
  core.weights.assign(static_cast<size_t>(f) * c * k * k, 1);
  core.threshold_high = 10;
  core.threshold_low = -1000;
  return core;
}

Destination To(uint32_t layer, uint32_t pooling = 1, int32_t shift = 0) {
  return {layer, /*enable=*/true, pooling, shift};
}

SpeckConfig WithCore(const CnnLayerConfig& core, int layer = 0) {
  SpeckConfig config;
  config.cnn_layers[layer] = core;
  return config;
}

// The sinabs tutorial: 16x16x1 -> 16x16 kernel -> 1x1x2, weights 0/127.
SpeckConfig TutorialConfig() {
  CnnLayerConfig core = MakeCore(16, 1, 2, 16);
  for (size_t i = 0; i < core.weights.size(); ++i) {
    core.weights[i] = i % 3 == 0 ? 127 : 0;
  }
  core.threshold_high = 127;
  core.threshold_low = -127;
  core.monitor_enable = true;
  return WithCore(core);
}

// DVS (pooled 4, ROI 16x16, 2 polarities) -> core 0: conv 2->4 k3 s2 p1,
// 16x16 -> 8x8 -> core 1: conv 4->2 k3 p1, 8x8 -> 8x8.
SpeckConfig TwoCoreConfig() {
  SpeckConfig config;
  config.cnn_layers[0] = MakeCore(16, 2, 4, 3, 2, 1);
  config.cnn_layers[0].destinations = {To(1)};
  config.cnn_layers[1] = MakeCore(8, 4, 2, 3, 1, 1);
  config.cnn_layers[1].monitor_enable = true;
  config.dvs_layer.pooling = {4, 4};
  config.dvs_layer.cut = {15, 15};
  config.dvs_layer.destinations = {To(0)};
  return config;
}

// A problem of `severity` at exactly `path` whose message has every part.
Matcher<ConfigProblem> Problem(Severity severity, const std::string& path,
                               std::vector<std::string> parts) {
  std::vector<Matcher<const std::string&>> has;
  for (const std::string& part : parts) has.push_back(HasSubstr(part));
  return AllOf(Field(&ConfigProblem::severity, severity),
               Field(&ConfigProblem::field_path, path),
               Field(&ConfigProblem::message, AllOfArray(has)));
}
Matcher<ConfigProblem> Error(const std::string& path,
                             std::vector<std::string> parts) {
  return Problem(Severity::kError, path, std::move(parts));
}
Matcher<ConfigProblem> Warning(const std::string& path,
                               std::vector<std::string> parts) {
  return Problem(Severity::kWarning, path, std::move(parts));
}
Matcher<ConfigProblem> NotModelled(const std::string& path,
                                   std::vector<std::string> parts) {
  return Problem(Severity::kNotModelled, path, std::move(parts));
}
// Exact message.
Matcher<ConfigProblem> ErrorIs(const std::string& path,
                               const std::string& message) {
  return AllOf(Field(&ConfigProblem::severity, Severity::kError),
               Field(&ConfigProblem::field_path, path),
               Field(&ConfigProblem::message, Eq(message)));
}

std::vector<ConfigProblem> Problems(const SpeckConfig& config) {
  return Validate(config).problems;
}

// --- Valid configurations
// -----------------------------------------------------

TEST(ValidConfigTest, DefaultConfigurationHasNoProblemsAndNoMemory) {
  const ValidationReport report = Validate(SpeckConfig());
  EXPECT_TRUE(report.ok());
  EXPECT_THAT(report.problems, IsEmpty());
  EXPECT_THAT(report.memory, IsEmpty());
  EXPECT_TRUE(report.ToStatus().ok());
}

TEST(ValidConfigTest, SinabsTutorialCoreIsValidAndUsesLittleMemory) {
  const ValidationReport report = Validate(TutorialConfig());
  EXPECT_TRUE(report.ok());
  EXPECT_THAT(report.problems, IsEmpty());
  EXPECT_TRUE(report.ToStatus().ok());
  ASSERT_THAT(report.memory, SizeIs(1));
  const CoreMemoryUsage& m = report.memory[0];
  EXPECT_EQ(m.layer, 0);
  EXPECT_EQ(m.kernel_words, 512u);  // 1 * 2^(8 + 1)
  EXPECT_EQ(m.kernel_limit, 16384u);
  EXPECT_EQ(m.neuron_words, 2u);  // 2 * 2^(0 + 0)
  EXPECT_EQ(m.neuron_limit, 65536u);
  EXPECT_EQ(m.bias_words, 0u);
  EXPECT_EQ(m.bias_limit, 1024u);
}

TEST(ValidConfigTest, DvsAndTwoChainedCoresAreValid) {
  const ValidationReport report = Validate(TwoCoreConfig());
  EXPECT_THAT(report.problems, IsEmpty());
  EXPECT_TRUE(report.ok());
  ASSERT_THAT(report.memory, SizeIs(2));
  EXPECT_EQ(report.memory[0].layer, 0);
  EXPECT_EQ(report.memory[0].kernel_words, 128u);  // 2 * 2^(4 + 2)
  EXPECT_EQ(report.memory[0].neuron_words, 256u);  // 4 * 2^(3 + 3)
  EXPECT_EQ(report.memory[1].layer, 1);
  EXPECT_EQ(report.memory[1].kernel_words, 128u);  // 4 * 2^(4 + 1)
  EXPECT_EQ(report.memory[1].neuron_words, 128u);  // 2 * 2^(3 + 3)
}

TEST(ValidConfigTest, MemoryIsListedForEveryCoreInUseInAscendingOrder) {
  SpeckConfig config;
  config.cnn_layers[7] = MakeCore(4, 1, 1, 1);
  config.cnn_layers[2] = MakeCore(4, 1, 1, 1);
  const ValidationReport report = Validate(config);
  ASSERT_THAT(report.memory, SizeIs(2));
  EXPECT_EQ(report.memory[0].layer, 2);
  EXPECT_EQ(report.memory[1].layer, 7);
  EXPECT_EQ(report.memory[1].kernel_limit, 16384u);
  EXPECT_EQ(report.memory[1].neuron_limit, 16384u);
}

// --- Memory
// ---------------------------------------------------------------------

TEST(MemoryTest, FieldsArePaddedToPowersOfTwo) {
  CnnLayerConfig core = MakeCore(5, 2, 3, 3, 1, 1);  // 5x5 -> 5x5
  core.dimensions.output_shape.size = {5, 3};
  core.leak_enable = true;  // biases present even though the vector is empty
  const CoreMemoryUsage m = MemoryUsage(4, core);
  EXPECT_EQ(m.layer, 4);
  EXPECT_EQ(m.kernel_words, 128u);  // 2 * 2^(ceil log2 9 + ceil log2 3)
  EXPECT_EQ(m.neuron_words, 96u);   // 3 * 2^(ceil log2 3 + ceil log2 5)
  EXPECT_EQ(m.bias_words, 3u);
  EXPECT_EQ(m.kernel_limit, 32768u);
  EXPECT_EQ(m.neuron_limit, 32768u);
  EXPECT_EQ(m.bias_limit, 1024u);
}

TEST(MemoryTest, BiasWordsCountWhenBiasesAreGiven) {
  CnnLayerConfig core = MakeCore(4, 1, 5, 1);
  EXPECT_EQ(MemoryUsage(0, core).bias_words, 0u);
  core.biases.assign(5, 0);
  EXPECT_EQ(MemoryUsage(0, core).bias_words, 5u);
}

TEST(MemoryTest, AbsurdDimensionsSaturateInsteadOfWrapping) {
  CnnLayerConfig core;
  core.dimensions.kernel_size = 0xFFFFFFFF;
  core.dimensions.input_shape.feature_count = 0xFFFFFFFF;
  core.dimensions.output_shape = {{0xFFFFFFFF, 0xFFFFFFFF}, 0xFFFFFFFF};
  const CoreMemoryUsage m = MemoryUsage(0, core);
  EXPECT_EQ(m.kernel_words, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(m.neuron_words, std::numeric_limits<uint64_t>::max());
}

// Docs example: conv 16 -> 32, 3x3, pad 1, 64x64: K = 8Ki fits everywhere,
// N = 128Ki fits nowhere.
TEST(MemoryTest, DocsExampleDoesNotFitAnyCore) {
  for (int layer = 0; layer < kNumCores; ++layer) {
    SCOPED_TRACE(layer);
    const ValidationReport report =
        Validate(WithCore(MakeCore(64, 16, 32, 3, 1, 1), layer));
    ASSERT_THAT(report.memory, SizeIs(1));
    EXPECT_EQ(report.memory[0].kernel_words, 8192u);
    EXPECT_EQ(report.memory[0].neuron_words, 131072u);
    const std::string limit = std::to_string(CoreLimits(layer).neuron_words);
    EXPECT_THAT(
        report.problems,
        ElementsAre(ErrorIs("cnn_layers[" + std::to_string(layer) + "]",
                            "neuron memory needs 131072 words; core " +
                                std::to_string(layer) + " has " + limit)));
  }
}

TEST(MemoryTest, KernelMemoryIsCheckedAgainstTheCore) {
  // 5 * 2^(8 + 5) = 40960 words: too much for core 3, fine for core 5.
  const CnnLayerConfig core = MakeCore(16, 5, 32, 16);
  EXPECT_THAT(Problems(WithCore(core, 3)),
              ElementsAre(ErrorIs("cnn_layers[3]",
                                  "kernel memory needs 40960 words; core 3 "
                                  "has 32768")));
  EXPECT_THAT(Problems(WithCore(core, 5)), IsEmpty());
}

// --- Top level
// ------------------------------------------------------------------

TEST(TopLevelTest, CoreCountMustBeNine) {
  SpeckConfig config;
  config.cnn_layers.resize(10);
  EXPECT_THAT(Problems(config),
              ElementsAre(ErrorIs("cnn_layers",
                                  "10 entries; the chip has 9 cores (0..8)")));
  config.cnn_layers.resize(3);
  EXPECT_THAT(Problems(config),
              ElementsAre(Error("cnn_layers", {"3 entries", "9 cores"})));
}

TEST(TopLevelTest, EveryExistingEntryIsValidated) {
  SpeckConfig config;
  config.cnn_layers.resize(10);
  config.cnn_layers[9] = MakeCore(4, 1, 1, 1);
  config.cnn_layers[9].dimensions.kernel_size = 17;
  EXPECT_THAT(Problems(config),
              Contains(Error("cnn_layers[9].dimensions.kernel_size", {"17"})));
}

TEST(TopLevelTest, DestinationBeyondAShortCoreListIsNotConfigured) {
  SpeckConfig config;
  config.cnn_layers.resize(2);
  config.cnn_layers[0] = MakeCore(4, 1, 1, 1);
  config.cnn_layers[0].destinations = {To(5)};
  EXPECT_THAT(Problems(config),
              Contains(Error("cnn_layers[0].destinations[0].layer",
                             {"core 5 is not configured", "2 entries"})));
}

// --- Core dimensions
// ----------------------------------------------------------------

TEST(DimensionsTest, KernelSizeMustBeSet) {
  CnnLayerConfig core = MakeCore(4, 1, 1, 1);
  core.dimensions.kernel_size = 0;
  EXPECT_THAT(Problems(WithCore(core)),
              ElementsAre(ErrorIs("cnn_layers[0].dimensions.kernel_size",
                                  "must be set (1..16)")));
}

TEST(DimensionsTest, KernelSizeAtMostSixteen) {
  CnnLayerConfig core = MakeCore(32, 1, 1, 1);
  core.dimensions.kernel_size = 17;
  EXPECT_THAT(Problems(WithCore(core, 3)),
              ElementsAre(ErrorIs("cnn_layers[3].dimensions.kernel_size",
                                  "17 exceeds the chip limit 16")));
}

TEST(DimensionsTest, StrideIsOneTwoFourOrEight) {
  CnnLayerConfig core = MakeCore(8, 1, 1, 1);
  core.dimensions.stride = {3, 0};
  EXPECT_THAT(
      Problems(WithCore(core)),
      ElementsAre(
          Error("cnn_layers[0].dimensions.stride.x", {"3", "1, 2, 4 or 8"}),
          Error("cnn_layers[0].dimensions.stride.y", {"0", "1, 2, 4 or 8"})));
}

TEST(DimensionsTest, PaddingAtMostSeven) {
  CnnLayerConfig core = MakeCore(8, 1, 1, 1);
  core.dimensions.padding.y = 8;
  EXPECT_THAT(Problems(WithCore(core)),
              ElementsAre(ErrorIs("cnn_layers[0].dimensions.padding.y",
                                  "8 exceeds the chip limit 7")));
}

TEST(DimensionsTest, InputSizeIsOneTo128) {
  CnnLayerConfig core = MakeCore(8, 1, 1, 1);
  core.dimensions.input_shape.size = {0, 129};
  EXPECT_THAT(Problems(WithCore(core)),
              ElementsAre(ErrorIs("cnn_layers[0].dimensions.input_shape.size.x",
                                  "must be set (1..128)"),
                          ErrorIs("cnn_layers[0].dimensions.input_shape.size.y",
                                  "129 exceeds the chip limit 128")));
}

TEST(DimensionsTest, InputFeatureCountIsOneTo1024) {
  CnnLayerConfig core = MakeCore(4, 1, 1, 1);
  core.dimensions.input_shape.feature_count = 0;
  EXPECT_THAT(
      Problems(WithCore(core)),
      ElementsAre(ErrorIs("cnn_layers[0].dimensions.input_shape.feature_count",
                          "must be set (1..1024)")));
  core.dimensions.input_shape.feature_count = 1025;
  EXPECT_THAT(
      Problems(WithCore(core)),
      Contains(ErrorIs("cnn_layers[0].dimensions.input_shape.feature_count",
                       "1025 exceeds the chip limit 1024")));
}

TEST(DimensionsTest, OutputFeatureCountAtMost1024) {
  CnnLayerConfig core = MakeCore(1, 1, 1025, 1);
  EXPECT_THAT(
      Problems(WithCore(core)),
      ElementsAre(ErrorIs("cnn_layers[0].dimensions.output_shape.feature_count",
                          "1025 exceeds the chip limit 1024")));
}

TEST(DimensionsTest, OutputSizeMustMatchTheConvolution) {
  CnnLayerConfig core = MakeCore(16, 1, 1, 3, 2, 1);  // 16 -> 8
  core.dimensions.output_shape.size.x = 5;
  EXPECT_THAT(
      Problems(WithCore(core)),
      ElementsAre(ErrorIs("cnn_layers[0].dimensions.output_shape.size.x",
                          "5, but input 16, kernel 3, padding 1, "
                          "stride 2 give 8")));
}

TEST(DimensionsTest, OutputSizeAtMost64) {
  const CnnLayerConfig core = MakeCore(65, 1, 1, 1);  // 65 -> 65
  EXPECT_THAT(
      Problems(WithCore(core)),
      ElementsAre(ErrorIs("cnn_layers[0].dimensions.output_shape.size.x",
                          "65 exceeds the chip limit 64"),
                  ErrorIs("cnn_layers[0].dimensions.output_shape.size.y",
                          "65 exceeds the chip limit 64")));
}

TEST(DimensionsTest, KernelThatDoesNotFitTheInputIsReported) {
  CnnLayerConfig core = MakeCore(8, 1, 1, 5, 1, 1);
  core.dimensions.input_shape.size.y = 2;  // 2 + 2 * 1 < 5
  core.dimensions.output_shape.size.y = 0;
  EXPECT_THAT(Problems(WithCore(core)),
              ElementsAre(Error("cnn_layers[0].dimensions.output_shape.size.y",
                                {"kernel 5 does not fit input 2 with "
                                 "padding 1"})));
}

TEST(DimensionsTest, InvalidInputsDoNotCascadeIntoOutputSizeErrors) {
  CnnLayerConfig core = MakeCore(16, 1, 1, 3);
  core.dimensions.stride.x = 3;  // output 14 no longer matches either way
  EXPECT_THAT(Problems(WithCore(core)),
              ElementsAre(Error("cnn_layers[0].dimensions.stride.x", {"3"})));
}

// --- Core arrays
// --------------------------------------------------------------------

TEST(ArraysTest, WeightCountIsFeaturesTimesChannelsTimesKernel) {
  SpeckConfig config = TutorialConfig();
  config.cnn_layers[0].weights.resize(100);
  EXPECT_THAT(Problems(config),
              ElementsAre(ErrorIs("cnn_layers[0].weights",
                                  "100 values, expected 512 = 2 features x 1 "
                                  "channels x 16 x 16 ([f][c][x][y])")));
}

TEST(ArraysTest, WeightsAreInt8AndTheFirstOffenderIsNamed) {
  SpeckConfig config = TutorialConfig();
  std::vector<int32_t>& w = config.cnn_layers[0].weights;
  w[17] = 200;
  w[20] = -129;
  w[300] = 128;
  w[301] = -128;  // in range
  EXPECT_THAT(Problems(config),
              ElementsAre(ErrorIs("cnn_layers[0].weights[17]",
                                  "200 is outside int8 (-128..127); 3 values "
                                  "out of range")));
}

TEST(ArraysTest, BiasesAreEmptyOrOnePerFeature) {
  CnnLayerConfig core = MakeCore(4, 1, 3, 1);
  core.biases = {1, 2};
  EXPECT_THAT(Problems(WithCore(core)),
              ElementsAre(Error("cnn_layers[0].biases",
                                {"2 values", "expected empty or 3"})));
  core.biases = {1, 2, 3};
  EXPECT_THAT(Problems(WithCore(core)), IsEmpty());
}

TEST(ArraysTest, BiasesAreInt16) {
  CnnLayerConfig core = MakeCore(4, 1, 3, 1);
  core.biases = {0, -32769, 32767};
  EXPECT_THAT(Problems(WithCore(core)),
              ElementsAre(ErrorIs("cnn_layers[0].biases[1]",
                                  "-32769 is outside int16 (-32768..32767); 1 "
                                  "value out of range")));
}

TEST(ArraysTest, InitialNeuronValuesCoverTheOutputMap) {
  CnnLayerConfig core = MakeCore(4, 1, 2, 1);  // 2 x 4 x 4
  core.neurons_initial_value.assign(31, 0);
  EXPECT_THAT(
      Problems(WithCore(core)),
      ElementsAre(ErrorIs("cnn_layers[0].neurons_initial_value",
                          "31 values, expected empty or 32 = 2 features x 4 "
                          "x 4 ([f][x][y])")));
  core.neurons_initial_value.assign(32, 0);
  EXPECT_THAT(Problems(WithCore(core)), IsEmpty());
}

TEST(ArraysTest, InitialNeuronValuesAreInt16) {
  CnnLayerConfig core = MakeCore(4, 1, 2, 1);
  core.neurons_initial_value.assign(32, 0);
  core.neurons_initial_value[5] = 40000;
  core.neurons_initial_value[6] = -40000;
  EXPECT_THAT(Problems(WithCore(core)),
              ElementsAre(Error("cnn_layers[0].neurons_initial_value[5]",
                                {"40000", "int16 (-32768..32767)",
                                 "2 values out of range"})));
}

// --- Neuron settings
// ------------------------------------------------------------

TEST(NeuronTest, ThresholdsAreInt16) {
  CnnLayerConfig core = MakeCore(4, 1, 1, 1);
  core.threshold_high = 32768;
  core.threshold_low = -32769;
  EXPECT_THAT(Problems(WithCore(core)),
              ElementsAre(ErrorIs("cnn_layers[0].threshold_high",
                                  "32768 is outside int16 (-32768..32767)"),
                          ErrorIs("cnn_layers[0].threshold_low",
                                  "-32769 is outside int16 (-32768..32767)")));
}

TEST(NeuronTest, ThresholdLowZeroIsAChipBug) {
  CnnLayerConfig core = MakeCore(4, 1, 1, 1);
  core.threshold_low = 0;
  const ValidationReport report = Validate(WithCore(core));
  EXPECT_TRUE(report.ok());
  EXPECT_THAT(report.problems,
              ElementsAre(Warning("cnn_layers[0].threshold_low",
                                  {"0 triggers a chip bug; use -1"})));
}

TEST(NeuronTest, ThresholdHighMustBeAboveThresholdLow) {
  CnnLayerConfig core = MakeCore(4, 1, 1, 1);
  core.threshold_high = 5;
  core.threshold_low = 5;
  const ValidationReport report = Validate(WithCore(core));
  EXPECT_TRUE(report.ok());
  EXPECT_THAT(report.problems,
              ElementsAre(Warning("cnn_layers[0].threshold_high",
                                  {"5", "threshold_low 5"})));
}

TEST(NeuronTest, DecimatorIntervalAtMostSeven) {
  CnnLayerConfig core = MakeCore(4, 1, 1, 1);
  core.output_decimator_enable = true;
  core.output_decimator_interval = 8;
  EXPECT_THAT(Problems(WithCore(core)),
              ElementsAre(ErrorIs("cnn_layers[0].output_decimator_interval",
                                  "8 exceeds the chip limit 7")));
}

TEST(NeuronTest, CongestionBalancerIsNotModelled) {
  CnnLayerConfig core = MakeCore(4, 1, 1, 1);
  core.input_congestion_balancer_enable = true;
  const ValidationReport report = Validate(WithCore(core));
  EXPECT_TRUE(report.ok());
  EXPECT_THAT(
      report.problems,
      ElementsAre(NotModelled("cnn_layers[0].input_congestion_balancer_enable",
                              {"congestion balancer", "no input is dropped"})));
}

TEST(NeuronTest, InternalLeakClockIsNotModelled) {
  CnnLayerConfig core = MakeCore(4, 1, 1, 1);
  core.leak_enable = true;
  core.leak_internal_slow_clk_enable = true;
  SpeckConfig config = WithCore(core);
  config.slow_clock = {true, 100};
  EXPECT_THAT(
      Problems(config),
      ElementsAre(NotModelled("cnn_layers[0].leak_internal_slow_clk_enable",
                              {"slow clock"})));
}

TEST(NeuronTest, LeakWithoutSlowClockNeverAppliesBiases) {
  CnnLayerConfig core = MakeCore(4, 1, 1, 1);
  core.leak_enable = true;
  core.biases = {3};
  SpeckConfig config = WithCore(core);
  EXPECT_THAT(
      Problems(config),
      ElementsAre(Warning("cnn_layers[0].leak_enable",
                          {"slow clock is off", "biases are never applied"})));
  config.slow_clock = {true, 100};
  EXPECT_THAT(Problems(config), IsEmpty());
}

// --- Core destinations
// ------------------------------------------------------------

TEST(DestinationTest, AtMostTwoPerCore) {
  SpeckConfig config = TwoCoreConfig();
  config.cnn_layers[0].destinations = {To(1), To(1, 1, 0), {1, false, 1, 0}};
  EXPECT_THAT(Problems(config), ElementsAre(Error("cnn_layers[0].destinations",
                                                  {"3 entries", "2"})));
}

TEST(DestinationTest, LayerIsACoreOrTheReadout) {
  SpeckConfig config = TwoCoreConfig();
  config.cnn_layers[1].destinations = {To(9), To(13)};
  EXPECT_THAT(
      Problems(config),
      ElementsAre(
          Error("cnn_layers[1].destinations[0].layer", {"9", "0..8", "12"}),
          Error("cnn_layers[1].destinations[1].layer", {"13", "0..8", "12"})));
}

TEST(DestinationTest, DisabledDestinationsAreNotChecked) {
  SpeckConfig config = TwoCoreConfig();
  config.cnn_layers[1].destinations = {{9, false, 3, -5}};
  EXPECT_THAT(Problems(config), IsEmpty());
}

TEST(DestinationTest, PoolingIsOneTwoOrFour) {
  SpeckConfig config = TwoCoreConfig();
  config.cnn_layers[0].destinations = {To(1, 3)};
  EXPECT_THAT(Problems(config),
              ElementsAre(ErrorIs("cnn_layers[0].destinations[0].pooling",
                                  "3 is not 1, 2 or 4")));
}

TEST(DestinationTest, TargetCoreMustBeConfigured) {
  SpeckConfig config = TwoCoreConfig();
  config.cnn_layers[1].destinations = {To(2), To(3)};
  config.cnn_layers[3].weights = {1};  // weights alone don't make it in use
  EXPECT_THAT(Problems(config),
              Contains(ErrorIs("cnn_layers[1].destinations[1].layer",
                               "core 3 is not configured (its "
                               "output_shape.feature_count is 0)")));
}

TEST(DestinationTest, FeatureShiftIsNotNegative) {
  SpeckConfig config = TwoCoreConfig();
  config.cnn_layers[0].destinations = {To(1, 1, -1)};
  EXPECT_THAT(Problems(config),
              ElementsAre(Error("cnn_layers[0].destinations[0].feature_shift",
                                {"-1", "negative"})));
}

TEST(DestinationTest, ShiftedFeaturesMustFitTheTargetChannels) {
  SpeckConfig config;
  config.cnn_layers[0] = MakeCore(4, 1, 2, 1);
  config.cnn_layers[0].destinations = {To(1, 1, 4)};
  config.cnn_layers[1] = MakeCore(4, 4, 1, 1);
  EXPECT_THAT(Problems(config),
              ElementsAre(ErrorIs("cnn_layers[0].destinations[0].feature_shift",
                                  "2 features + shift 4 exceed cnn_layers[1] "
                                  "input feature_count 4")));
  // Concatenation: two sources with shifts 0 and 2 into a 4-channel core.
  config.cnn_layers[0].destinations = {To(1, 1, 2)};
  config.cnn_layers[2] = MakeCore(4, 1, 2, 1);
  config.cnn_layers[2].destinations = {To(1, 1, 0)};
  EXPECT_THAT(Problems(config), IsEmpty());
}

TEST(DestinationTest, PooledOutputLargerThanTheTargetIsAnError) {
  SpeckConfig config;
  config.cnn_layers[0] = MakeCore(16, 1, 1, 1);
  config.cnn_layers[0].destinations = {To(1, 2)};
  config.cnn_layers[1] = MakeCore(4, 1, 1, 1);
  config.cnn_layers[1].dimensions.input_shape.size.y = 8;
  config.cnn_layers[1].dimensions.output_shape.size.y = 8;
  config.cnn_layers[1].weights.assign(1, 1);
  EXPECT_THAT(Problems(config),
              ElementsAre(ErrorIs("cnn_layers[0].destinations[0].pooling",
                                  "output x 16 / pooling 2 = 8 exceeds "
                                  "cnn_layers[1] input_shape.size.x 4")));
}

TEST(DestinationTest, PartialLastPoolingWindowIsAWarning) {
  SpeckConfig config;
  config.cnn_layers[0] = MakeCore(9, 1, 1, 1);
  config.cnn_layers[0].destinations = {To(1, 2)};
  config.cnn_layers[1] = MakeCore(4, 1, 1, 1);
  const ValidationReport report = Validate(config);
  EXPECT_TRUE(report.ok());
  EXPECT_THAT(report.problems,
              ElementsAre(Warning("cnn_layers[0].destinations[0].pooling",
                                  {"output x 9 / pooling 2", "5",
                                   "input_shape.size.x 4", "dropped"}),
                          Warning("cnn_layers[0].destinations[0].pooling",
                                  {"output y 9 / pooling 2", "5",
                                   "input_shape.size.y 4", "dropped"})));
}

TEST(DestinationTest, SmallerPooledOutputIsFine) {
  SpeckConfig config;
  config.cnn_layers[0] = MakeCore(8, 1, 1, 1);
  config.cnn_layers[0].destinations = {To(1, 4)};
  config.cnn_layers[1] = MakeCore(4, 1, 1, 1);
  EXPECT_THAT(Problems(config), IsEmpty());
}

TEST(DestinationTest, RecurrentDestinationIsAWarning) {
  SpeckConfig config = WithCore(MakeCore(4, 1, 1, 1), 2);
  config.cnn_layers[2].destinations = {To(2)};
  const ValidationReport report = Validate(config);
  EXPECT_TRUE(report.ok());
  EXPECT_THAT(report.problems,
              ElementsAre(Warning("cnn_layers[2].destinations[0].layer",
                                  {"2", "itself", "deadlock"})));
}

TEST(DestinationTest, ReadoutDestinationNeedsTheReadoutEnabled) {
  SpeckConfig config = TutorialConfig();
  config.cnn_layers[0].destinations = {To(kReadoutLayer)};
  EXPECT_THAT(Problems(config),
              ElementsAre(ErrorIs("cnn_layers[0].destinations[0].layer",
                                  "12 routes to the readout layer but "
                                  "readout.enable is false")));
  config.readout.enable = true;
  config.slow_clock = {true, 20};
  EXPECT_THAT(Problems(config), IsEmpty());
}

// --- Unused cores
// -----------------------------------------------------------------

TEST(UnusedCoreTest, DestinationsAndWeightsAreIgnoredWithAWarning) {
  SpeckConfig config;
  config.cnn_layers[4].destinations = {To(0), {1, false, 1, 0}};
  config.cnn_layers[4].weights = {1, 2, 3};
  const ValidationReport report = Validate(config);
  EXPECT_TRUE(report.ok());
  EXPECT_THAT(report.memory, IsEmpty());
  EXPECT_THAT(
      report.problems,
      ElementsAre(
          Warning("cnn_layers[4].destinations", {"1 enabled",
                                                 "output_shape.feature_count "
                                                 "is 0"}),
          Warning("cnn_layers[4].weights", {"3 values",
                                            "output_shape.feature_count "
                                            "is 0"})));
}

TEST(UnusedCoreTest, OtherFieldsOfUnusedCoresAreNotValidated) {
  SpeckConfig config;
  config.cnn_layers[4].dimensions.kernel_size = 99;
  config.cnn_layers[4].threshold_low = 0;
  EXPECT_THAT(Problems(config), IsEmpty());
}

// --- DVS layer
// ----------------------------------------------------------------------

TEST(DvsLayerTest, PoolingIsOneTwoOrFour) {
  SpeckConfig config;
  config.dvs_layer.pooling = {8, 2};
  config.dvs_layer.cut = {15, 63};
  EXPECT_THAT(Problems(config), ElementsAre(ErrorIs("dvs_layer.pooling.x",
                                                    "8 is not 1, 2 or 4")));
}

TEST(DvsLayerTest, OriginMustNotBeBeyondCut) {
  SpeckConfig config;
  config.dvs_layer.origin = {10, 40};
  config.dvs_layer.cut = {20, 30};
  EXPECT_THAT(Problems(config), ElementsAre(ErrorIs("dvs_layer.origin.y",
                                                    "40 is beyond cut.y 30")));
}

TEST(DvsLayerTest, CutBeyondThePooledMapIsAWarning) {
  SpeckConfig config;
  config.dvs_layer.pooling = {2, 4};
  config.dvs_layer.cut = {64, 31};  // the 2 x 4 pooled map is 64 x 32
  const ValidationReport report = Validate(config);
  EXPECT_TRUE(report.ok());
  EXPECT_THAT(report.problems,
              ElementsAre(Warning("dvs_layer.cut.x", {"64", "63", "pooled"})));
}

TEST(DvsLayerTest, CutBeyondTheSensorIsAnError) {
  SpeckConfig config;
  config.dvs_layer.cut = {300, 127};
  EXPECT_THAT(Problems(config),
              ElementsAre(ErrorIs("dvs_layer.cut.x",
                                  "300 exceeds the chip limit 127")));
}

TEST(ClockTest, InternalSlowClocksOfFilterAndReadoutAreNotModelled) {
  SpeckConfig config;
  config.dvs_filter.internal_slow_clk = true;
  config.readout.internal_slow_clk = true;
  EXPECT_THAT(
      Problems(config),
      ElementsAre(NotModelled("dvs_filter.internal_slow_clk", {"slow clock"}),
                  NotModelled("readout.internal_slow_clk", {"slow clock"})));
}

TEST(DvsLayerTest, AtMostTwoDestinations) {
  SpeckConfig config = TwoCoreConfig();
  config.dvs_layer.destinations = {To(0), To(0), To(0)};
  EXPECT_THAT(Problems(config),
              ElementsAre(Error("dvs_layer.destinations", {"3 entries", "2"})));
}

TEST(DvsLayerTest, DestinationIsACoreNotTheReadout) {
  SpeckConfig config = TwoCoreConfig();
  config.readout.enable = true;
  config.slow_clock = {true, 100};
  config.dvs_layer.destinations = {To(kReadoutLayer)};
  EXPECT_THAT(
      Problems(config),
      ElementsAre(Error("dvs_layer.destinations[0].layer", {"12", "0..8"})));
}

TEST(DvsLayerTest, TargetCoreMustBeConfigured) {
  SpeckConfig config = TwoCoreConfig();
  config.dvs_layer.destinations = {To(5)};
  EXPECT_THAT(Problems(config),
              ElementsAre(ErrorIs("dvs_layer.destinations[0].layer",
                                  "core 5 is not configured (its "
                                  "output_shape.feature_count is 0)")));
}

TEST(DvsLayerTest, DestinationPoolingIsOneTwoOrFour) {
  SpeckConfig config = TwoCoreConfig();
  config.dvs_layer.destinations = {To(0, 0)};
  EXPECT_THAT(Problems(config),
              ElementsAre(ErrorIs("dvs_layer.destinations[0].pooling",
                                  "0 is not 1, 2 or 4")));
}

TEST(DvsLayerTest, PolarityChannelsMustFitTheTarget) {
  SpeckConfig config = TwoCoreConfig();
  config.cnn_layers[0] = MakeCore(16, 1, 4, 3, 2, 1);
  config.cnn_layers[0].destinations = {To(1)};
  EXPECT_THAT(Problems(config),
              ElementsAre(ErrorIs("dvs_layer.destinations[0].feature_shift",
                                  "2 polarity channels (merge is false) + "
                                  "shift 0 exceed cnn_layers[0] input "
                                  "feature_count 1")));
  config.dvs_layer.merge = true;
  EXPECT_THAT(Problems(config), IsEmpty());
  config.dvs_layer.destinations = {To(0, 1, 1)};
  EXPECT_THAT(Problems(config),
              ElementsAre(Error("dvs_layer.destinations[0].feature_shift",
                                {"1 polarity channel (merge is true)",
                                 "shift 1", "feature_count 1"})));
}

TEST(DvsLayerTest, OffOnlyEventsUseChannelZero) {
  SpeckConfig config = TwoCoreConfig();
  config.cnn_layers[0] = MakeCore(16, 1, 4, 3, 2, 1);
  config.cnn_layers[0].destinations = {To(1)};
  config.dvs_layer.on_channel = false;
  EXPECT_THAT(Problems(config), IsEmpty());
}

TEST(DvsLayerTest, RoiLargerThanTheTargetIsAnError) {
  SpeckConfig config = TwoCoreConfig();
  config.dvs_layer.cut = {15, 19};  // 16 x 20 into a 16 x 16 input
  EXPECT_THAT(Problems(config),
              ElementsAre(Error("dvs_layer.destinations[0].pooling",
                                {"DVS output y 20 / pooling 1 = 20",
                                 "cnn_layers[0] input_shape.size.y 16"})));
}

TEST(DvsLayerTest, RoiWithPartialPoolingWindowIsAWarning) {
  SpeckConfig config = TwoCoreConfig();
  config.dvs_layer.pooling = {2, 2};
  config.dvs_layer.cut = {32, 31};  // 33 x 32 pooled 2 -> 16.5 x 16
  config.dvs_layer.destinations = {To(0, 2)};
  EXPECT_THAT(Problems(config),
              ElementsAre(Warning(
                  "dvs_layer.destinations[0].pooling",
                  {"DVS output x 33 / pooling 2", "input_shape.size.x 16"})));
}

TEST(DvsLayerTest, MirrorDiagonalSwapsTheAxes) {
  SpeckConfig config = TwoCoreConfig();
  config.dvs_layer.cut = {15, 7};  // 16 x 8 ROI -> 8 x 16 after the swap
  config.dvs_layer.mirror_diagonal = true;
  config.cnn_layers[0].dimensions.input_shape.size = {8, 16};
  config.cnn_layers[0].dimensions.output_shape.size = {4, 8};
  config.cnn_layers[0].dimensions.output_shape.feature_count = 4;
  config.cnn_layers[1].dimensions.input_shape.size = {4, 8};
  config.cnn_layers[1].dimensions.output_shape.size = {4, 8};
  EXPECT_THAT(Problems(config), IsEmpty());
  config.dvs_layer.mirror_diagonal = false;
  EXPECT_THAT(Problems(config),
              ElementsAre(Error("dvs_layer.destinations[0].pooling",
                                {"DVS output x 16", "input_shape.size.x 8"})));
}

TEST(DvsLayerTest, DefaultCutWithPoolingOnlySpansThePooledMap) {
  // cut stays at 127 (a warning), but only 64 pooled columns exist.
  SpeckConfig config = TwoCoreConfig();
  config.dvs_layer.pooling = {2, 2};
  config.dvs_layer.cut = {127, 127};
  config.dvs_layer.destinations = {To(0, 4)};  // 64 / 4 = 16
  EXPECT_THAT(Problems(config),
              ElementsAre(Warning("dvs_layer.cut.x", {"127"}),
                          Warning("dvs_layer.cut.y", {"127"})));
  // Mirroring counts from cut, so then the whole 128 span is used.
  config.dvs_layer.mirror.x = true;
  EXPECT_THAT(Problems(config),
              Contains(Error("dvs_layer.destinations[0].pooling",
                             {"DVS output x 128 / pooling 4 = 32"})));
}

TEST(DvsLayerTest, NoPolarityPassesIsAWarning) {
  SpeckConfig config;
  config.dvs_layer.on_channel = false;
  config.dvs_layer.off_channel = false;
  EXPECT_THAT(Problems(config),
              ElementsAre(Warning("dvs_layer.on_channel",
                                  {"off_channel", "no DVS event passes"})));
}

TEST(DvsLayerTest, SensorFeaturesAreNotModelled) {
  SpeckConfig config;
  config.dvs_layer.pass_sensor_events = true;
  config.dvs_layer.raw_monitor_enable = true;
  const ValidationReport report = Validate(config);
  EXPECT_TRUE(report.ok());
  EXPECT_THAT(
      report.problems,
      ElementsAre(NotModelled("dvs_layer.pass_sensor_events",
                              {"no sensor", "host-written DvsEvents"}),
                  NotModelled("dvs_layer.raw_monitor_enable", {"no sensor"})));
}

// --- DVS filter, readout, slow clock
// --------------------------------------------------

TEST(DvsFilterTest, FilterSizeAtMostFifteen) {
  SpeckConfig config;
  config.dvs_filter.filter_size = {15, 16};
  EXPECT_THAT(Problems(config),
              ElementsAre(ErrorIs("dvs_filter.filter_size.y",
                                  "16 exceeds the chip limit 15")));
}

TEST(DvsFilterTest, LowPassAndHotPixelModesAreExclusive) {
  SpeckConfig config;
  config.dvs_filter.low_pass_mode_enable = true;
  config.dvs_filter.hot_pixel_filter_enable = true;
  EXPECT_THAT(Problems(config),
              ElementsAre(Error("dvs_filter.low_pass_mode_enable",
                                {"hot_pixel_filter_enable", "exclusive"})));
}

TEST(DvsFilterTest, EnabledFilterIsNotModelled) {
  SpeckConfig config;
  config.dvs_filter.enable = true;
  config.dvs_filter.filter_size = {3, 3};
  EXPECT_THAT(Problems(config),
              ElementsAre(NotModelled("dvs_filter.enable",
                                      {"not modelled", "unfiltered"})));
}

TEST(ReadoutTest, SelectorsAndThresholdAreInRange) {
  SpeckConfig config;
  config.readout.readout_configuration_sel = 4;
  config.readout.output_mode_sel = 5;
  config.readout.threshold = 65536;
  EXPECT_THAT(
      Problems(config),
      ElementsAre(
          ErrorIs("readout.readout_configuration_sel",
                  "4 exceeds the chip limit 3"),
          ErrorIs("readout.output_mode_sel", "5 exceeds the chip limit 3"),
          ErrorIs("readout.threshold", "65536 exceeds the chip limit 65535")));
}

TEST(ReadoutTest, EnabledReadoutWithoutInputIsAWarning) {
  SpeckConfig config = TutorialConfig();
  config.readout.enable = true;
  config.slow_clock = {true, 20};
  EXPECT_THAT(Problems(config),
              ElementsAre(Warning("readout.enable", {"layer 12", "no input"})));
  // Routes from unused cores don't count.
  config.cnn_layers[5].destinations = {To(kReadoutLayer)};
  EXPECT_THAT(Problems(config),
              Contains(Warning("readout.enable", {"no input"})));
}

TEST(ReadoutTest, EnabledReadoutWithoutSlowClockIsAWarning) {
  SpeckConfig config = TutorialConfig();
  config.cnn_layers[0].destinations = {To(kReadoutLayer)};
  config.readout.enable = true;
  EXPECT_THAT(Problems(config),
              ElementsAre(Warning("readout.enable",
                                  {"slow clock is off", "slow-clock ticks"})));
}

TEST(SlowClockTest, RateMustBePositiveFiniteAndAtMostOneMegahertz) {
  for (double hz : {0.0, -5.0, 1e6 + 1, std::nan(""),
                    std::numeric_limits<double>::infinity()}) {
    SCOPED_TRACE(hz);
    SpeckConfig config;
    config.slow_clock = {true, hz};
    EXPECT_THAT(Problems(config),
                ElementsAre(Error("slow_clock.rate_hz", {"Hz"})));
  }
  SpeckConfig config;
  config.slow_clock = {true, 1e6 + 1};
  EXPECT_THAT(Problems(config),
              ElementsAre(ErrorIs("slow_clock.rate_hz",
                                  "1000001 Hz exceeds the limit 1000000 Hz")));
  config.slow_clock = {true, 0};
  EXPECT_THAT(Problems(config),
              ElementsAre(Error("slow_clock.rate_hz", {"0 Hz", "above 0"})));
}

TEST(SlowClockTest, UnusualRatesAreWarnings) {
  for (double hz : {5.0, 20000.0}) {
    SCOPED_TRACE(hz);
    SpeckConfig config;
    config.slow_clock = {true, hz};
    EXPECT_THAT(
        Problems(config),
        ElementsAre(Warning("slow_clock.rate_hz", {"typical 10 Hz - 10 kHz"})));
  }
  for (double hz : {10.0, 1000.0, 10000.0}) {
    SpeckConfig config;
    config.slow_clock = {true, hz};
    EXPECT_THAT(Problems(config), IsEmpty());
  }
}

TEST(SlowClockTest, DisabledClockIsNotChecked) {
  SpeckConfig config;
  config.slow_clock = {false, -1};
  EXPECT_THAT(Problems(config), IsEmpty());
}

// --- Report
// ---------------------------------------------------------------------------

TEST(ReportTest, ToStringPrefixesNonErrors) {
  EXPECT_EQ((ConfigProblem{Severity::kError, "a.b", "bad"}).ToString(),
            "a.b: bad");
  EXPECT_EQ((ConfigProblem{Severity::kWarning, "a.b", "odd"}).ToString(),
            "warning: a.b: odd");
  EXPECT_EQ((ConfigProblem{Severity::kNotModelled, "a.b", "fake"}).ToString(),
            "not modelled: a.b: fake");
}

TEST(ReportTest, WarningsAndNotModelledAreOk) {
  ValidationReport report;
  report.problems = {{Severity::kWarning, "a", "x"},
                     {Severity::kNotModelled, "b", "y"}};
  EXPECT_TRUE(report.ok());
  EXPECT_TRUE(report.ToStatus().ok());
}

TEST(ReportTest, StatusListsOnlyErrorsOnePerLine) {
  ValidationReport report;
  report.problems = {{Severity::kError, "a", "one"},
                     {Severity::kWarning, "w", "ignored"},
                     {Severity::kError, "b", "two"}};
  EXPECT_FALSE(report.ok());
  const absl::Status status = report.ToStatus();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "2 problems in the configuration:\n  a: one\n  b: two");
}

TEST(ReportTest, StatusWithOneErrorIsSingular) {
  ValidationReport report;
  report.problems = {{Severity::kError, "a", "one"}};
  EXPECT_EQ(report.ToStatus().message(),
            "1 problem in the configuration:\n  a: one");
}

// --- Everything at once
// -----------------------------------------------------------------

TEST(ManyProblemsTest, EveryProblemIsReported) {
  SpeckConfig config = TwoCoreConfig();
  CnnLayerConfig& c0 = config.cnn_layers[0];
  c0.dimensions.kernel_size = 17;
  c0.dimensions.padding.x = 9;
  c0.weights[3] = 1000;
  c0.threshold_low = 0;
  c0.input_congestion_balancer_enable = true;
  c0.destinations.push_back(To(4));
  c0.destinations.push_back(To(1));
  CnnLayerConfig& c1 = config.cnn_layers[1];
  c1.dimensions.stride.y = 5;
  c1.biases = {1};
  c1.output_decimator_interval = 9;
  config.cnn_layers[6].destinations = {To(0)};
  config.dvs_layer.pooling.y = 3;
  config.dvs_layer.pass_sensor_events = true;
  config.dvs_filter.filter_size.x = 20;
  config.readout.enable = true;
  config.slow_clock = {true, 0};

  const ValidationReport report = Validate(config);
  EXPECT_FALSE(report.ok());
  EXPECT_THAT(
      report.problems,
      ElementsAre(
          Error("cnn_layers[0].dimensions.kernel_size", {"17", "16"}),
          Error("cnn_layers[0].dimensions.padding.x", {"9", "7"}),
          Error("cnn_layers[0].weights[3]", {"1000", "int8"}),
          Warning("cnn_layers[0].threshold_low", {"use -1"}),
          NotModelled("cnn_layers[0].input_congestion_balancer_enable", {}),
          Error("cnn_layers[0].destinations", {"3 entries"}),
          Error("cnn_layers[0].destinations[1].layer",
                {"core 4 is not configured"}),
          Error("cnn_layers[1].dimensions.stride.y", {"5"}),
          Error("cnn_layers[1].biases", {"1 values", "expected empty or 2"}),
          Error("cnn_layers[1].output_decimator_interval", {"9", "7"}),
          Warning("cnn_layers[6].destinations", {"ignored"}),
          Error("dvs_layer.pooling.y", {"3"}),
          NotModelled("dvs_layer.pass_sensor_events", {}),
          Error("dvs_filter.filter_size.x", {"20", "15"}),
          Warning("readout.enable", {"no input"}),
          Error("slow_clock.rate_hz", {"0 Hz"})));
  EXPECT_THAT(report.memory, SizeIs(2));
  const absl::Status status = report.ToStatus();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("11 problems in the configuration:\n  "
                        "cnn_layers[0].dimensions.kernel_size: 17 exceeds "
                        "the chip limit 16\n  "));
  EXPECT_THAT(status.message(), Not(HasSubstr("warning")));
}

}  // namespace
}  // namespace speckd::chip
