#include "proto/codec/config_json.h"

#include <google/protobuf/util/message_differencer.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::codec {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A configuration as a sinabs user writes it, in samna's names and nesting.
constexpr char kSamnaStyleJson[] = R"json({
  "cnn_layers": [{
    "dimensions": {
      "input_shape": {"size": {"x": 16, "y": 16}, "feature_count": 1},
      "output_shape": {"size": {"x": 1, "y": 1}, "feature_count": 2},
      "padding": {"x": 0, "y": 0},
      "stride": {"x": 1, "y": 1},
      "kernel_size": 16
    },
    "weights": [127, 0, -5],
    "biases": [0, -13],
    "threshold_high": 127,
    "threshold_low": -127,
    "return_to_zero": false,
    "monitor_enable": true,
    "destinations": [{"layer": 12, "enable": true, "pooling": 2,
                      "feature_shift": 4}]
  }],
  "dvs_layer": {
    "merge": true, "on_channel": false,
    "pooling": {"x": 2, "y": 2},
    "origin": {"x": 0, "y": 0}, "cut": {"x": 63, "y": 63},
    "mirror": {"x": true}, "mirror_diagonal": true,
    "destinations": [{"layer": 0, "enable": true}],
    "pass_sensor_events": false, "monitor_enable": true
  },
  "readout": {"enable": true, "readout_configuration_sel": 3, "threshold": 1},
  "slow_clock": {"enable": true, "rate_hz": 1000}
})json";

TEST(ConfigJsonTest, ParsesSamnaFieldNamesAndNesting) {
  absl::StatusOr<speckd::v1::SpeckConfiguration> config =
      ParseConfigurationJson(kSamnaStyleJson);
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->cnn_layers_size(), 1);
  const auto& layer = config->cnn_layers(0);
  EXPECT_EQ(layer.dimensions().input_shape().size().x(), 16u);
  EXPECT_EQ(layer.dimensions().output_shape().feature_count(), 2u);
  EXPECT_EQ(layer.dimensions().kernel_size(), 16u);
  EXPECT_THAT(layer.weights(), ::testing::ElementsAre(127, 0, -5));
  EXPECT_EQ(layer.threshold_low(), -127);
  EXPECT_EQ(layer.destinations(0).layer(), 12u);
  EXPECT_EQ(layer.destinations(0).feature_shift(), 4);
  EXPECT_TRUE(config->dvs_layer().has_on_channel());
  EXPECT_FALSE(config->dvs_layer().on_channel());
  EXPECT_FALSE(config->dvs_layer().has_off_channel());  // samna default: true
  EXPECT_EQ(config->dvs_layer().cut().x(), 63u);
  EXPECT_TRUE(config->dvs_layer().mirror().x());
  EXPECT_DOUBLE_EQ(config->slow_clock().rate_hz(), 1000.0);
}

TEST(ConfigJsonTest, RoundTripsExactlyAndPrintsSamnaNames) {
  absl::StatusOr<speckd::v1::SpeckConfiguration> config =
      ParseConfigurationJson(kSamnaStyleJson);
  ASSERT_TRUE(config.ok()) << config.status();
  std::string printed = ConfigurationToJson(*config);
  for (const char* name :
       {"\"cnn_layers\"", "\"dimensions\"", "\"input_shape\"",
        "\"feature_count\"", "\"kernel_size\"", "\"threshold_high\"",
        "\"threshold_low\"", "\"monitor_enable\"", "\"destinations\"",
        "\"feature_shift\"", "\"dvs_layer\"", "\"mirror_diagonal\"",
        "\"on_channel\"", "\"readout_configuration_sel\""}) {
    EXPECT_THAT(printed, HasSubstr(name));
  }
  // protobuf's default JSON names would be lowerCamelCase.
  EXPECT_THAT(printed, Not(HasSubstr("cnnLayers")));
  EXPECT_THAT(printed, Not(HasSubstr("thresholdHigh")));

  absl::StatusOr<speckd::v1::SpeckConfiguration> again =
      ParseConfigurationJson(printed);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(*config, *again));
  EXPECT_EQ(ConfigurationToJson(*again), printed);
}

TEST(ConfigJsonTest, EveryUnknownFieldIsNamedWithItsPathAndTheFieldMeant) {
  absl::StatusOr<speckd::v1::SpeckConfiguration> config =
      ParseConfigurationJson(R"({"cnn_layers": [{"threshold_high": 5},
          {"treshold_high": 5, "dimensions": {"kernal_size": 3}}],
          "dvs_layer": {"cut": {"x": 1, "z": 2}}, "colour": "red"})");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(config.status().message(),
            "cnn_layers[1].dimensions.kernal_size: unknown field (did you "
            "mean kernel_size?)\n"
            "cnn_layers[1].treshold_high: unknown field (did you mean "
            "threshold_high?)\n"
            "colour: unknown field\n"
            "dvs_layer.cut.z: unknown field");
}

TEST(ConfigJsonTest, CamelCaseNamesAreFieldsToo) {
  EXPECT_TRUE(
      ParseConfigurationJson(R"({"cnnLayers": [{"thresholdHigh": 5}]})").ok());
  const std::vector<JsonProblem> not_json = ConfigurationJsonProblems("{");
  ASSERT_EQ(not_json.size(), 1u);
  EXPECT_EQ(not_json[0].path, "");
  EXPECT_EQ(not_json[0].message,
            "line 1, column 2: the file ends early: expected a member name in "
            "double quotes or '}'");
  // Strict JSON: what protobuf's parser would let through is refused too.
  const std::vector<JsonProblem> lenient =
      ConfigurationJsonProblems(R"({"dvs_layer": {"merge": true,}})");
  ASSERT_EQ(lenient.size(), 1u);
  EXPECT_EQ(lenient[0].message,
            "line 1, column 30: a ',' before '}': JSON allows no trailing "
            "comma");
}

TEST(ConfigJsonTest, WrongTypeIsAnError) {
  absl::StatusOr<speckd::v1::SpeckConfiguration> config =
      ParseConfigurationJson(R"({"readout": {"threshold": "high"}})");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("threshold"));
}

}  // namespace
}  // namespace speckd::codec
