// Validation of cores: dimensions, arrays, neuron settings, destinations,
// memory.
#include "driver/chip/validate.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "driver/chip/config.h"
#include "driver/chip/limits.h"
#include "driver/chip/validate_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::chip {
namespace {

using namespace validate_testing;  // NOLINT: builders and matchers
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

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

}  // namespace
}  // namespace speckd::chip

namespace speckd::chip {
namespace {

using namespace validate_testing;  // NOLINT: builders and matchers
using ::testing::Contains;

// Found by fuzzing (tests/fuzz/corpus/config_proto/regression_*): a rate so
// small that its period overflowed to infinity reached the model.
TEST(SlowClockTest, RatesTooSlowToStepOnAreErrors) {
  SpeckConfig config = TutorialConfig();
  config.slow_clock = {true, 1e-300};
  const ValidationReport report = Validate(config);
  EXPECT_FALSE(report.ok());
  EXPECT_THAT(report.problems,
              Contains(Error("slow_clock.rate_hz", {"below the lowest rate"})));
  config.slow_clock = {true, kMinSlowClockHz};
  EXPECT_TRUE(Validate(config).ok());
  EXPECT_TRUE(SlowClockRateError(1e-7).has_value());
}

}  // namespace
}  // namespace speckd::chip
