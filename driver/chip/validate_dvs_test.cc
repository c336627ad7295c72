// Validation of the DVS layer, filter, readout, slow clock, and reports.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "driver/chip/config.h"
#include "driver/chip/limits.h"
#include "driver/chip/validate.h"
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
