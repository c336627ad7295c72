#include "driver/chip/input_check.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::chip {
namespace {

using ::testing::HasSubstr;

// Core 2 takes a 16 x 8 map of 2 features.
SpeckConfig OneCore() {
  SpeckConfig config;
  CnnLayerConfig& core = config.cnn_layers[2];
  core.dimensions.input_shape = {{16, 8}, 2};
  core.dimensions.output_shape = {{16, 8}, 1};
  return config;
}

TEST(InputCheckTest, DvsEventsStayOnTheSensor) {
  EXPECT_TRUE(InputCheck::DvsOk(127, 0));
  EXPECT_FALSE(InputCheck::DvsOk(128, 0));
  InputProblem p = InputCheck::DvsProblem(200, 1);
  EXPECT_EQ(p.field, "x");
  EXPECT_EQ(p.message, "200 is outside the DVS array (0..127)");
  EXPECT_EQ(InputCheck::DvsProblem(1, 128).field, "y");
  EXPECT_TRUE(InputCheck::DvsProblem(1, 1).ok());
}

TEST(InputCheckTest, SpikesMustFitTheirCoreInput) {
  const SpeckConfig config = OneCore();
  const InputCheck check(&config);
  EXPECT_TRUE(check.SpikeOk(2, 1, 15, 7));
  EXPECT_FALSE(check.SpikeOk(2, 2, 0, 0));
  EXPECT_FALSE(check.SpikeOk(2, 0, 16, 0));
  EXPECT_FALSE(check.SpikeOk(2, 0, 0, 8));
  EXPECT_FALSE(check.SpikeOk(0, 0, 0, 0));  // core 0 is not in use
  EXPECT_FALSE(check.SpikeOk(9, 0, 0, 0));

  EXPECT_EQ(check.SpikeProblem(2, 0, 16, 0).message,
            "16 is outside core 2's input width (0..15)");
  EXPECT_EQ(check.SpikeProblem(2, 0, 0, 8).message,
            "8 is outside core 2's input height (0..7)");
  EXPECT_EQ(check.SpikeProblem(2, 5, 0, 0).message,
            "5 is outside core 2's input features (0..1)");
  EXPECT_EQ(check.SpikeProblem(0, 0, 0, 0).message,
            "core 0 is not in use in the configuration");
  EXPECT_EQ(check.SpikeProblem(9, 0, 0, 0).message, "9 is not a core (0..8)");
  EXPECT_TRUE(check.SpikeProblem(2, 1, 15, 7).ok());
}

TEST(InputCheckTest, WithoutAConfigurationOnlyTheSpikeFieldsLimit) {
  const InputCheck check(nullptr);
  EXPECT_TRUE(check.SpikeOk(0, 65535, 255, 255));
  EXPECT_FALSE(check.SpikeOk(0, 65536, 0, 0));
  EXPECT_EQ(check.SpikeProblem(1, 0, 256, 0).message,
            "256 is outside a spike's width (0..255)");
  EXPECT_EQ(check.SpikeProblem(9, 0, 0, 0).field, "layer");
}

TEST(InputCheckTest, BatchesAreTimeOrderedAndNameTheFirstBadEvent) {
  const SpeckConfig config = OneCore();
  const InputCheck check(&config);
  std::vector<InputEvent> events = {InputEvent::FromSpike({5, 0, 2, 1, 1}),
                                    InputEvent::FromDvs({5, 3, 4, true})};
  EXPECT_TRUE(CheckInputs(events, check).ok());
  events.push_back(InputEvent::FromDvs({4, 3, 4, true}));
  EXPECT_EQ(CheckInputs(events, check).message(),
            "events[2].timestamp_us: 4 goes back from 5");
  events.back() = InputEvent::FromSpike({6, 0, 2, 99, 1});
  absl::Status bad = CheckInputs(events, check);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.message(), HasSubstr("events[2].x: 99 is outside core 2"));
}

}  // namespace
}  // namespace speckd::chip
