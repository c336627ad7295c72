#include "proto/codec/config_codec.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/message_differencer.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/codec/config_json.h"
#include "tests/util/subprocess.h"

namespace speckd::codec {
namespace {

namespace v1 = ::speckd::v1;
using ::google::protobuf::util::MessageDifferencer;
using ::speckd::testing::WriteTempFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Field-by-field equality of the domain types (they have no operator==), with
// the field's path in every failure.
void ExpectVec2Eq(const chip::Vec2& a, const chip::Vec2& b,
                  const std::string& path) {
  EXPECT_EQ(a.x, b.x) << path << ".x";
  EXPECT_EQ(a.y, b.y) << path << ".y";
}

void ExpectShapeEq(const chip::Shape& a, const chip::Shape& b,
                   const std::string& path) {
  ExpectVec2Eq(a.size, b.size, path + ".size");
  EXPECT_EQ(a.feature_count, b.feature_count) << path << ".feature_count";
}

void ExpectDestinationsEq(const std::vector<chip::Destination>& a,
                          const std::vector<chip::Destination>& b,
                          const std::string& path) {
  ASSERT_EQ(a.size(), b.size()) << path;
  for (size_t i = 0; i < a.size(); ++i) {
    const std::string p = absl::StrCat(path, "[", i, "]");
    EXPECT_EQ(a[i].layer, b[i].layer) << p << ".layer";
    EXPECT_EQ(a[i].enable, b[i].enable) << p << ".enable";
    EXPECT_EQ(a[i].pooling, b[i].pooling) << p << ".pooling";
    EXPECT_EQ(a[i].feature_shift, b[i].feature_shift) << p << ".feature_shift";
  }
}

void ExpectCnnLayerEq(const chip::CnnLayerConfig& a,
                      const chip::CnnLayerConfig& b, const std::string& path) {
  const std::string d = path + ".dimensions";
  ExpectShapeEq(a.dimensions.input_shape, b.dimensions.input_shape,
                d + ".input_shape");
  ExpectShapeEq(a.dimensions.output_shape, b.dimensions.output_shape,
                d + ".output_shape");
  ExpectVec2Eq(a.dimensions.padding, b.dimensions.padding, d + ".padding");
  ExpectVec2Eq(a.dimensions.stride, b.dimensions.stride, d + ".stride");
  EXPECT_EQ(a.dimensions.kernel_size, b.dimensions.kernel_size)
      << d << ".kernel_size";
  EXPECT_EQ(a.weights, b.weights) << path << ".weights";
  EXPECT_EQ(a.biases, b.biases) << path << ".biases";
  EXPECT_EQ(a.neurons_initial_value, b.neurons_initial_value)
      << path << ".neurons_initial_value";
  EXPECT_EQ(a.threshold_high, b.threshold_high) << path << ".threshold_high";
  EXPECT_EQ(a.threshold_low, b.threshold_low) << path << ".threshold_low";
  EXPECT_EQ(a.return_to_zero, b.return_to_zero) << path << ".return_to_zero";
  EXPECT_EQ(a.leak_enable, b.leak_enable) << path << ".leak_enable";
  EXPECT_EQ(a.leak_internal_slow_clk_enable, b.leak_internal_slow_clk_enable)
      << path << ".leak_internal_slow_clk_enable";
  EXPECT_EQ(a.monitor_enable, b.monitor_enable) << path << ".monitor_enable";
  EXPECT_EQ(a.input_congestion_balancer_enable,
            b.input_congestion_balancer_enable)
      << path << ".input_congestion_balancer_enable";
  EXPECT_EQ(a.output_decimator_enable, b.output_decimator_enable)
      << path << ".output_decimator_enable";
  EXPECT_EQ(a.output_decimator_interval, b.output_decimator_interval)
      << path << ".output_decimator_interval";
  ExpectDestinationsEq(a.destinations, b.destinations, path + ".destinations");
}

void ExpectConfigEq(const chip::SpeckConfig& a, const chip::SpeckConfig& b) {
  ASSERT_EQ(a.cnn_layers.size(), b.cnn_layers.size()) << "cnn_layers";
  for (size_t i = 0; i < a.cnn_layers.size(); ++i) {
    ExpectCnnLayerEq(a.cnn_layers[i], b.cnn_layers[i],
                     absl::StrCat("cnn_layers[", i, "]"));
  }

  const chip::DvsLayerConfig& da = a.dvs_layer;
  const chip::DvsLayerConfig& db = b.dvs_layer;
  ExpectDestinationsEq(da.destinations, db.destinations,
                       "dvs_layer.destinations");
  EXPECT_EQ(da.merge, db.merge) << "dvs_layer.merge";
  EXPECT_EQ(da.on_channel, db.on_channel) << "dvs_layer.on_channel";
  EXPECT_EQ(da.off_channel, db.off_channel) << "dvs_layer.off_channel";
  ExpectVec2Eq(da.pooling, db.pooling, "dvs_layer.pooling");
  ExpectVec2Eq(da.origin, db.origin, "dvs_layer.origin");
  ExpectVec2Eq(da.cut, db.cut, "dvs_layer.cut");
  EXPECT_EQ(da.mirror.x, db.mirror.x) << "dvs_layer.mirror.x";
  EXPECT_EQ(da.mirror.y, db.mirror.y) << "dvs_layer.mirror.y";
  EXPECT_EQ(da.mirror_diagonal, db.mirror_diagonal)
      << "dvs_layer.mirror_diagonal";
  EXPECT_EQ(da.pass_sensor_events, db.pass_sensor_events)
      << "dvs_layer.pass_sensor_events";
  EXPECT_EQ(da.monitor_enable, db.monitor_enable) << "dvs_layer.monitor_enable";
  EXPECT_EQ(da.raw_monitor_enable, db.raw_monitor_enable)
      << "dvs_layer.raw_monitor_enable";

  const chip::DvsFilterConfig& fa = a.dvs_filter;
  const chip::DvsFilterConfig& fb = b.dvs_filter;
  EXPECT_EQ(fa.enable, fb.enable) << "dvs_filter.enable";
  ExpectVec2Eq(fa.filter_size, fb.filter_size, "dvs_filter.filter_size");
  EXPECT_EQ(fa.threshold, fb.threshold) << "dvs_filter.threshold";
  EXPECT_EQ(fa.hot_pixel_filter_enable, fb.hot_pixel_filter_enable)
      << "dvs_filter.hot_pixel_filter_enable";
  EXPECT_EQ(fa.low_pass_mode_enable, fb.low_pass_mode_enable)
      << "dvs_filter.low_pass_mode_enable";
  EXPECT_EQ(fa.internal_slow_clk, fb.internal_slow_clk)
      << "dvs_filter.internal_slow_clk";

  const chip::ReadoutConfig& ra = a.readout;
  const chip::ReadoutConfig& rb = b.readout;
  EXPECT_EQ(ra.enable, rb.enable) << "readout.enable";
  EXPECT_EQ(ra.readout_configuration_sel, rb.readout_configuration_sel)
      << "readout.readout_configuration_sel";
  EXPECT_EQ(ra.threshold, rb.threshold) << "readout.threshold";
  EXPECT_EQ(ra.low_pass_filter_disable, rb.low_pass_filter_disable)
      << "readout.low_pass_filter_disable";
  EXPECT_EQ(ra.low_pass_filter32_not16, rb.low_pass_filter32_not16)
      << "readout.low_pass_filter32_not16";
  EXPECT_EQ(ra.output_mode_sel, rb.output_mode_sel)
      << "readout.output_mode_sel";
  EXPECT_EQ(ra.monitor_enable, rb.monitor_enable) << "readout.monitor_enable";
  EXPECT_EQ(ra.readout_pin_monitor_enable, rb.readout_pin_monitor_enable)
      << "readout.readout_pin_monitor_enable";
  EXPECT_EQ(ra.override_threshold_max, rb.override_threshold_max)
      << "readout.override_threshold_max";
  EXPECT_EQ(ra.output_neuron_num, rb.output_neuron_num)
      << "readout.output_neuron_num";
  EXPECT_EQ(ra.internal_slow_clk, rb.internal_slow_clk)
      << "readout.internal_slow_clk";

  EXPECT_EQ(a.slow_clock.enable, b.slow_clock.enable) << "slow_clock.enable";
  EXPECT_EQ(a.slow_clock.rate_hz, b.slow_clock.rate_hz) << "slow_clock.rate_hz";

  EXPECT_EQ(a.quirks.readout_class_spacing_erratum,
            b.quirks.readout_class_spacing_erratum)
      << "quirks.readout_class_spacing_erratum";
  EXPECT_EQ(a.quirks.readout_monitor_suppresses_spikes,
            b.quirks.readout_monitor_suppresses_spikes)
      << "quirks.readout_monitor_suppresses_spikes";
}

// Every kind of field with a non-default value: negative weights and
// feature_shift, an explicit cut of (0, 0), on_channel false.
constexpr char kRichJson[] = R"json({
  "cnn_layers": [{
    "dimensions": {
      "input_shape": {"size": {"x": 16, "y": 12}, "feature_count": 2},
      "output_shape": {"size": {"x": 8, "y": 6}, "feature_count": 3},
      "padding": {"x": 1, "y": 2},
      "stride": {"x": 2, "y": 4},
      "kernel_size": 3
    },
    "weights": [127, -128, 0, -5],
    "biases": [-300, 0, 12],
    "neurons_initial_value": [-7, 8],
    "threshold_high": 127,
    "threshold_low": -127,
    "return_to_zero": true,
    "leak_enable": true,
    "leak_internal_slow_clk_enable": true,
    "monitor_enable": true,
    "input_congestion_balancer_enable": true,
    "output_decimator_enable": true,
    "output_decimator_interval": 5,
    "destinations": [
      {"layer": 12, "enable": true, "pooling": 2, "feature_shift": -4},
      {"layer": 3, "enable": false, "pooling": 4, "feature_shift": 7}
    ]
  }, {}, {
    "dimensions": {"output_shape": {"feature_count": 1}, "kernel_size": 1},
    "destinations": [{"layer": 0, "enable": true}]
  }],
  "dvs_layer": {
    "destinations": [{"layer": 0, "enable": true, "feature_shift": 2}],
    "merge": true,
    "on_channel": false,
    "pooling": {"x": 2, "y": 4},
    "origin": {"x": 3, "y": 5},
    "cut": {"x": 0, "y": 0},
    "mirror": {"x": true, "y": true},
    "mirror_diagonal": true,
    "pass_sensor_events": true,
    "monitor_enable": true,
    "raw_monitor_enable": true
  },
  "dvs_filter": {
    "enable": true, "filter_size": {"x": 3, "y": 5}, "threshold": 9,
    "hot_pixel_filter_enable": true, "low_pass_mode_enable": true,
    "internal_slow_clk": true
  },
  "readout": {
    "enable": true, "readout_configuration_sel": 3, "threshold": 65535,
    "low_pass_filter_disable": true, "low_pass_filter32_not16": true,
    "output_mode_sel": 2, "monitor_enable": true,
    "readout_pin_monitor_enable": true, "override_threshold_max": true,
    "output_neuron_num": 10, "internal_slow_clk": true
  },
  "slow_clock": {"enable": true, "rate_hz": 1234.5},
  "quirks": {"readout_class_spacing_erratum": false,
             "readout_monitor_suppresses_spikes": false}
})json";

v1::SpeckConfiguration ParseOrDie(absl::string_view json) {
  absl::StatusOr<v1::SpeckConfiguration> proto = ParseConfigurationJson(json);
  EXPECT_TRUE(proto.ok()) << proto.status();
  return proto.ok() ? *std::move(proto) : v1::SpeckConfiguration();
}

// ToProto by value, for brevity.
v1::SpeckConfiguration Encode(const chip::SpeckConfig& config) {
  v1::SpeckConfiguration proto;
  ToProto(config, &proto);
  return proto;
}

// Sets every field, recursively, to a value that is not its default and not
// "0 means default", so that a field the codec forgets shows up as a diff.
void FillEveryField(google::protobuf::Message* message, int repeat) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* reflection = message->GetReflection();
  const google::protobuf::Descriptor* descriptor = message->GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    const int count = field->is_repeated() ? repeat : 1;
    for (int k = 0; k < count; ++k) {
      const uint32_t u = 2 + i + k;
      const int32_t s = -(2 + i + k);
      switch (field->cpp_type()) {
        case FieldDescriptor::CPPTYPE_MESSAGE: {
          google::protobuf::Message* child =
              field->is_repeated() ? reflection->AddMessage(message, field)
                                   : reflection->MutableMessage(message, field);
          FillEveryField(child, repeat);
          break;
        }
        case FieldDescriptor::CPPTYPE_BOOL:
          // `optional bool` fields default to true when absent: use false.
          reflection->SetBool(message, field, !field->has_optional_keyword());
          break;
        case FieldDescriptor::CPPTYPE_UINT32:
          field->is_repeated() ? reflection->AddUInt32(message, field, u)
                               : reflection->SetUInt32(message, field, u);
          break;
        case FieldDescriptor::CPPTYPE_INT32:
          field->is_repeated() ? reflection->AddInt32(message, field, s)
                               : reflection->SetInt32(message, field, s);
          break;
        case FieldDescriptor::CPPTYPE_UINT64:
          field->is_repeated() ? reflection->AddUInt64(message, field, u)
                               : reflection->SetUInt64(message, field, u);
          break;
        case FieldDescriptor::CPPTYPE_DOUBLE:
          field->is_repeated() ? reflection->AddDouble(message, field, u + 0.5)
                               : reflection->SetDouble(message, field, u + 0.5);
          break;
        default:
          ADD_FAILURE() << "FillEveryField: unhandled type of "
                        << field->full_name();
      }
    }
  }
}

TEST(ConfigCodecTest, EmptyProtoGivesSamnaDefaults) {
  chip::SpeckConfig config = FromProto(v1::SpeckConfiguration());
  ExpectConfigEq(config, chip::SpeckConfig());

  // The defaults that differ from the proto's zero values, spelled out.
  ASSERT_EQ(config.cnn_layers.size(), 9u);
  EXPECT_EQ(config.cnn_layers[4].dimensions.stride, (chip::Vec2{1, 1}));
  EXPECT_TRUE(config.dvs_layer.on_channel);
  EXPECT_TRUE(config.dvs_layer.off_channel);
  EXPECT_EQ(config.dvs_layer.pooling, (chip::Vec2{1, 1}));
  EXPECT_EQ(config.dvs_layer.origin, (chip::Vec2{0, 0}));
  EXPECT_EQ(config.dvs_layer.cut, (chip::Vec2{127, 127}));
  EXPECT_TRUE(config.quirks.readout_class_spacing_erratum);
  EXPECT_TRUE(config.quirks.readout_monitor_suppresses_spikes);
}

TEST(ConfigCodecTest, ZeroStrideAndPoolingMeanOne) {
  chip::SpeckConfig config = FromProto(ParseOrDie(R"({
    "cnn_layers": [{"dimensions": {"stride": {"x": 0, "y": 2}},
                    "destinations": [{"layer": 1, "pooling": 0}]}],
    "dvs_layer": {"pooling": {"x": 4, "y": 0},
                  "destinations": [{"layer": 0}]}
  })"));
  EXPECT_EQ(config.cnn_layers[0].dimensions.stride, (chip::Vec2{1, 2}));
  EXPECT_EQ(config.cnn_layers[0].destinations[0].pooling, 1u);
  EXPECT_EQ(config.dvs_layer.pooling, (chip::Vec2{4, 1}));
  EXPECT_EQ(config.dvs_layer.destinations[0].pooling, 1u);
}

TEST(ConfigCodecTest, ExplicitValuesMapThrough) {
  chip::SpeckConfig config = FromProto(ParseOrDie(kRichJson));
  ASSERT_EQ(config.cnn_layers.size(), 9u);

  const chip::CnnLayerConfig& c0 = config.cnn_layers[0];
  EXPECT_EQ(c0.dimensions.input_shape.size, (chip::Vec2{16, 12}));
  EXPECT_EQ(c0.dimensions.input_shape.feature_count, 2u);
  EXPECT_EQ(c0.dimensions.output_shape.size, (chip::Vec2{8, 6}));
  EXPECT_EQ(c0.dimensions.output_shape.feature_count, 3u);
  EXPECT_EQ(c0.dimensions.padding, (chip::Vec2{1, 2}));
  EXPECT_EQ(c0.dimensions.stride, (chip::Vec2{2, 4}));
  EXPECT_EQ(c0.dimensions.kernel_size, 3u);
  EXPECT_THAT(c0.weights, ElementsAre(127, -128, 0, -5));
  EXPECT_THAT(c0.biases, ElementsAre(-300, 0, 12));
  EXPECT_THAT(c0.neurons_initial_value, ElementsAre(-7, 8));
  EXPECT_EQ(c0.threshold_high, 127);
  EXPECT_EQ(c0.threshold_low, -127);
  EXPECT_TRUE(c0.return_to_zero);
  EXPECT_TRUE(c0.leak_enable);
  EXPECT_TRUE(c0.leak_internal_slow_clk_enable);
  EXPECT_TRUE(c0.monitor_enable);
  EXPECT_TRUE(c0.input_congestion_balancer_enable);
  EXPECT_TRUE(c0.output_decimator_enable);
  EXPECT_EQ(c0.output_decimator_interval, 5u);
  ASSERT_EQ(c0.destinations.size(), 2u);
  EXPECT_EQ(c0.destinations[0].layer, 12u);
  EXPECT_TRUE(c0.destinations[0].enable);
  EXPECT_EQ(c0.destinations[0].pooling, 2u);
  EXPECT_EQ(c0.destinations[0].feature_shift, -4);
  EXPECT_EQ(c0.destinations[1].layer, 3u);
  EXPECT_FALSE(c0.destinations[1].enable);
  EXPECT_EQ(c0.destinations[1].pooling, 4u);
  EXPECT_EQ(c0.destinations[1].feature_shift, 7);

  // An empty entry and the cores past the last entry are unused.
  EXPECT_FALSE(config.cnn_layers[1].InUse());
  EXPECT_TRUE(config.cnn_layers[2].InUse());
  EXPECT_EQ(config.cnn_layers[2].dimensions.stride, (chip::Vec2{1, 1}));
  for (int i = 3; i < 9; ++i) EXPECT_FALSE(config.cnn_layers[i].InUse()) << i;

  const chip::DvsLayerConfig& dvs = config.dvs_layer;
  ASSERT_EQ(dvs.destinations.size(), 1u);
  EXPECT_EQ(dvs.destinations[0].layer, 0u);
  EXPECT_TRUE(dvs.destinations[0].enable);
  EXPECT_EQ(dvs.destinations[0].pooling, 1u);
  EXPECT_EQ(dvs.destinations[0].feature_shift, 2);
  EXPECT_TRUE(dvs.merge);
  EXPECT_FALSE(dvs.on_channel);
  EXPECT_TRUE(dvs.off_channel);  // absent
  EXPECT_EQ(dvs.pooling, (chip::Vec2{2, 4}));
  EXPECT_EQ(dvs.origin, (chip::Vec2{3, 5}));
  EXPECT_EQ(dvs.cut, (chip::Vec2{0, 0}));  // present, so not (127, 127)
  EXPECT_TRUE(dvs.mirror.x);
  EXPECT_TRUE(dvs.mirror.y);
  EXPECT_TRUE(dvs.mirror_diagonal);
  EXPECT_TRUE(dvs.pass_sensor_events);
  EXPECT_TRUE(dvs.monitor_enable);
  EXPECT_TRUE(dvs.raw_monitor_enable);

  EXPECT_TRUE(config.dvs_filter.enable);
  EXPECT_EQ(config.dvs_filter.filter_size, (chip::Vec2{3, 5}));
  EXPECT_EQ(config.dvs_filter.threshold, 9u);
  EXPECT_TRUE(config.dvs_filter.hot_pixel_filter_enable);
  EXPECT_TRUE(config.dvs_filter.low_pass_mode_enable);
  EXPECT_TRUE(config.dvs_filter.internal_slow_clk);

  EXPECT_TRUE(config.readout.enable);
  EXPECT_EQ(config.readout.readout_configuration_sel, 3u);
  EXPECT_EQ(config.readout.threshold, 65535u);
  EXPECT_TRUE(config.readout.low_pass_filter_disable);
  EXPECT_TRUE(config.readout.low_pass_filter32_not16);
  EXPECT_EQ(config.readout.output_mode_sel, 2u);
  EXPECT_TRUE(config.readout.monitor_enable);
  EXPECT_TRUE(config.readout.readout_pin_monitor_enable);
  EXPECT_TRUE(config.readout.override_threshold_max);
  EXPECT_EQ(config.readout.output_neuron_num, 10u);
  EXPECT_TRUE(config.readout.internal_slow_clk);

  EXPECT_TRUE(config.slow_clock.enable);
  EXPECT_DOUBLE_EQ(config.slow_clock.rate_hz, 1234.5);
  EXPECT_FALSE(config.quirks.readout_class_spacing_erratum);
  EXPECT_FALSE(config.quirks.readout_monitor_suppresses_spikes);
}

TEST(ConfigCodecTest, DomainRoundTripIsIdentity) {
  chip::SpeckConfig rich = FromProto(ParseOrDie(kRichJson));
  // Also some values no JSON above spells: other cores, off_channel false.
  rich.cnn_layers[8].weights = {-1, 1};
  rich.cnn_layers[8].dimensions.stride = {8, 8};
  rich.dvs_layer.off_channel = false;
  rich.dvs_layer.on_channel = true;
  rich.slow_clock.rate_hz = 0.001;
  for (const chip::SpeckConfig& config : {chip::SpeckConfig(), rich}) {
    ExpectConfigEq(FromProto(Encode(config)), config);
  }
}

TEST(ConfigCodecTest, ToProtoMakesEveryDefaultExplicit) {
  v1::SpeckConfiguration proto = Encode(chip::SpeckConfig());
  ASSERT_EQ(proto.cnn_layers_size(), 9);
  for (const v1::CnnLayerConfig& layer : proto.cnn_layers()) {
    EXPECT_EQ(layer.dimensions().stride().x(), 1u);
    EXPECT_EQ(layer.dimensions().stride().y(), 1u);
  }
  EXPECT_TRUE(proto.dvs_layer().has_on_channel());
  EXPECT_TRUE(proto.dvs_layer().on_channel());
  EXPECT_TRUE(proto.dvs_layer().has_off_channel());
  EXPECT_TRUE(proto.dvs_layer().off_channel());
  EXPECT_EQ(proto.dvs_layer().pooling().x(), 1u);
  EXPECT_EQ(proto.dvs_layer().pooling().y(), 1u);
  EXPECT_TRUE(proto.dvs_layer().has_cut());
  EXPECT_EQ(proto.dvs_layer().cut().x(), 127u);
  EXPECT_EQ(proto.dvs_layer().cut().y(), 127u);
  EXPECT_TRUE(proto.quirks().has_readout_class_spacing_erratum());
  EXPECT_TRUE(proto.quirks().readout_class_spacing_erratum());
  EXPECT_TRUE(proto.quirks().has_readout_monitor_suppresses_spikes());
  EXPECT_TRUE(proto.quirks().readout_monitor_suppresses_spikes());

  // A destination's default pooling is written too.
  chip::SpeckConfig config;
  config.cnn_layers[0].destinations.push_back(chip::Destination());
  EXPECT_EQ(Encode(config).cnn_layers(0).destinations(0).pooling(), 1u);

  // Replaces what was there rather than appending to it.
  ToProto(chip::SpeckConfig(), &proto);
  EXPECT_EQ(proto.cnn_layers_size(), 9);
}

TEST(ConfigCodecTest, EveryProtoFieldIsMappedBothWays) {
  // All fields non-default; 9 cores so that nothing is padded on the way back.
  v1::SpeckConfiguration proto;
  FillEveryField(&proto, /*repeat=*/2);
  while (proto.cnn_layers_size() < 9) {
    FillEveryField(proto.add_cnn_layers(), /*repeat=*/2);
  }
  ASSERT_FALSE(proto.dvs_layer().on_channel());  // the filler's false
  v1::SpeckConfiguration back = Encode(FromProto(proto));
  std::string diff;
  MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differencer.Compare(proto, back)) << diff;
}

TEST(ConfigCodecTest, CanonicalJsonIsStable) {
  v1::SpeckConfiguration once = Encode(FromProto(ParseOrDie(kRichJson)));
  std::string json = ConfigurationToJson(once);
  v1::SpeckConfiguration twice = Encode(FromProto(ParseOrDie(json)));
  EXPECT_TRUE(MessageDifferencer::Equals(once, twice));
  EXPECT_EQ(ConfigurationToJson(twice), json);
  // The explicit (0, 0) cut survives the trip through JSON as present.
  EXPECT_TRUE(twice.dvs_layer().has_cut());
  EXPECT_EQ(twice.dvs_layer().cut().x(), 0u);
}

TEST(ConfigCodecTest, MoreThanNineCoresAreKept) {
  v1::SpeckConfiguration proto;
  for (int i = 0; i < 11; ++i) {
    proto.add_cnn_layers()->set_threshold_high(i + 1);
  }
  chip::SpeckConfig config = FromProto(proto);
  ASSERT_EQ(config.cnn_layers.size(), 11u);
  EXPECT_EQ(config.cnn_layers[10].threshold_high, 11);
  EXPECT_EQ(Encode(config).cnn_layers_size(), 11);
  ExpectConfigEq(FromProto(Encode(config)), config);
}

TEST(ConfigCodecTest, ConfigProblemToProto) {
  struct Case {
    chip::ConfigProblem::Severity severity;
    v1::ConfigProblem::Severity expected;
  };
  for (const Case& c :
       {Case{chip::ConfigProblem::Severity::kError, v1::ConfigProblem::ERROR},
        Case{chip::ConfigProblem::Severity::kNotModelled,
             v1::ConfigProblem::NOT_MODELLED},
        Case{chip::ConfigProblem::Severity::kWarning,
             v1::ConfigProblem::WARNING}}) {
    chip::ConfigProblem problem;
    problem.severity = c.severity;
    problem.field_path = "cnn_layers[3].dimensions.kernel_size";
    problem.message = "17 exceeds the chip limit 16";
    v1::ConfigProblem proto;
    ToProto(problem, &proto);
    EXPECT_EQ(proto.severity(), c.expected);
    EXPECT_EQ(proto.field_path(), "cnn_layers[3].dimensions.kernel_size");
    EXPECT_EQ(proto.message(), "17 exceeds the chip limit 16");
  }
}

TEST(ConfigCodecTest, CoreMemoryUsageToProto) {
  chip::CoreMemoryUsage usage;
  usage.layer = 8;
  usage.kernel_words = 1;
  usage.kernel_limit = 2;
  usage.neuron_words = 3;
  usage.neuron_limit = 4;
  usage.bias_words = 5;
  usage.bias_limit = 6;
  v1::CoreMemoryUsage proto;
  ToProto(usage, &proto);
  EXPECT_EQ(proto.layer(), 8u);
  EXPECT_EQ(proto.kernel_words(), 1u);
  EXPECT_EQ(proto.kernel_limit(), 2u);
  EXPECT_EQ(proto.neuron_words(), 3u);
  EXPECT_EQ(proto.neuron_limit(), 4u);
  EXPECT_EQ(proto.bias_words(), 5u);
  EXPECT_EQ(proto.bias_limit(), 6u);
}

TEST(ConfigCodecTest, LoadConfigFileReadsJson) {
  std::string path = WriteTempFile("good.json", kRichJson);
  absl::StatusOr<chip::SpeckConfig> config = LoadConfigFile(path);
  ASSERT_TRUE(config.ok()) << config.status();
  ExpectConfigEq(*config, FromProto(ParseOrDie(kRichJson)));
}

TEST(ConfigCodecTest, LoadConfigFileMissingIsNotFoundNamingThePath) {
  std::string path = WriteTempFile("unused", "") + ".does-not-exist.json";
  absl::StatusOr<chip::SpeckConfig> config = LoadConfigFile(path);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(config.status().message(), HasSubstr(path));
}

TEST(ConfigCodecTest, LoadConfigFileBadJsonIsInvalidArgumentNamingThePath) {
  std::string path =
      WriteTempFile("bad.json", R"({"cnn_layers": [{"treshold_high": 5}]})");
  absl::StatusOr<chip::SpeckConfig> config = LoadConfigFile(path);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(config.status().message(), HasSubstr(path + ": "));
  EXPECT_THAT(config.status().message(), HasSubstr("treshold_high"));
}

}  // namespace
}  // namespace speckd::codec
