#include "proto/codec/config_codec.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "proto/codec/config_json.h"

namespace speckd::codec {
namespace {

namespace v1 = ::speckd::v1;

// The proto uses 0 for "the default 1" on strides and poolings.
uint32_t ZeroMeansOne(uint32_t value) { return value == 0 ? 1 : value; }

chip::Vec2 FromProto(const v1::Vec2& proto) { return {proto.x(), proto.y()}; }

chip::Vec2 FromProtoZeroMeansOne(const v1::Vec2& proto) {
  return {ZeroMeansOne(proto.x()), ZeroMeansOne(proto.y())};
}

chip::Shape FromProto(const v1::Shape& proto) {
  chip::Shape shape;
  shape.size = FromProto(proto.size());
  shape.feature_count = proto.feature_count();
  return shape;
}

chip::Destination FromProto(const v1::CnnLayerDestination& proto) {
  chip::Destination destination;
  destination.layer = proto.layer();
  destination.enable = proto.enable();
  destination.pooling = ZeroMeansOne(proto.pooling());
  destination.feature_shift = proto.feature_shift();
  return destination;
}

std::vector<chip::Destination> FromProto(
    const google::protobuf::RepeatedPtrField<v1::CnnLayerDestination>& proto) {
  std::vector<chip::Destination> destinations;
  destinations.reserve(proto.size());
  for (const v1::CnnLayerDestination& d : proto) {
    destinations.push_back(FromProto(d));
  }
  return destinations;
}

chip::CnnLayerConfig FromProto(const v1::CnnLayerConfig& proto) {
  chip::CnnLayerConfig layer;
  const v1::CnnLayerDimensions& dims = proto.dimensions();
  layer.dimensions.input_shape = FromProto(dims.input_shape());
  layer.dimensions.output_shape = FromProto(dims.output_shape());
  layer.dimensions.padding = FromProto(dims.padding());
  layer.dimensions.stride = FromProtoZeroMeansOne(dims.stride());
  layer.dimensions.kernel_size = dims.kernel_size();
  layer.weights.assign(proto.weights().begin(), proto.weights().end());
  layer.biases.assign(proto.biases().begin(), proto.biases().end());
  layer.neurons_initial_value.assign(proto.neurons_initial_value().begin(),
                                     proto.neurons_initial_value().end());
  layer.threshold_high = proto.threshold_high();
  layer.threshold_low = proto.threshold_low();
  layer.return_to_zero = proto.return_to_zero();
  layer.leak_enable = proto.leak_enable();
  layer.leak_internal_slow_clk_enable = proto.leak_internal_slow_clk_enable();
  layer.monitor_enable = proto.monitor_enable();
  layer.input_congestion_balancer_enable =
      proto.input_congestion_balancer_enable();
  layer.output_decimator_enable = proto.output_decimator_enable();
  layer.output_decimator_interval = proto.output_decimator_interval();
  layer.destinations = FromProto(proto.destinations());
  return layer;
}

chip::DvsLayerConfig FromProto(const v1::DvsLayerConfig& proto) {
  chip::DvsLayerConfig dvs;  // samna defaults for whatever is absent
  dvs.destinations = FromProto(proto.destinations());
  dvs.merge = proto.merge();
  if (proto.has_on_channel()) dvs.on_channel = proto.on_channel();
  if (proto.has_off_channel()) dvs.off_channel = proto.off_channel();
  dvs.pooling = FromProtoZeroMeansOne(proto.pooling());
  if (proto.has_origin()) dvs.origin = FromProto(proto.origin());
  // Presence, not value, decides: an explicit cut (0, 0) is a 1x1 region.
  if (proto.has_cut()) dvs.cut = FromProto(proto.cut());
  dvs.mirror.x = proto.mirror().x();
  dvs.mirror.y = proto.mirror().y();
  dvs.mirror_diagonal = proto.mirror_diagonal();
  dvs.pass_sensor_events = proto.pass_sensor_events();
  dvs.monitor_enable = proto.monitor_enable();
  dvs.raw_monitor_enable = proto.raw_monitor_enable();
  return dvs;
}

chip::DvsFilterConfig FromProto(const v1::DvsFilterConfig& proto) {
  chip::DvsFilterConfig filter;
  filter.enable = proto.enable();
  filter.filter_size = FromProto(proto.filter_size());
  filter.threshold = proto.threshold();
  filter.hot_pixel_filter_enable = proto.hot_pixel_filter_enable();
  filter.low_pass_mode_enable = proto.low_pass_mode_enable();
  filter.internal_slow_clk = proto.internal_slow_clk();
  return filter;
}

chip::ReadoutConfig FromProto(const v1::ReadoutConfig& proto) {
  chip::ReadoutConfig readout;
  readout.enable = proto.enable();
  readout.readout_configuration_sel = proto.readout_configuration_sel();
  readout.threshold = proto.threshold();
  readout.low_pass_filter_disable = proto.low_pass_filter_disable();
  readout.low_pass_filter32_not16 = proto.low_pass_filter32_not16();
  readout.output_mode_sel = proto.output_mode_sel();
  readout.monitor_enable = proto.monitor_enable();
  readout.readout_pin_monitor_enable = proto.readout_pin_monitor_enable();
  readout.override_threshold_max = proto.override_threshold_max();
  readout.output_neuron_num = proto.output_neuron_num();
  readout.internal_slow_clk = proto.internal_slow_clk();
  return readout;
}

chip::ChipQuirks FromProto(const v1::ChipQuirks& proto) {
  chip::ChipQuirks quirks;  // absent -> on, as on the real chip
  if (proto.has_readout_class_spacing_erratum()) {
    quirks.readout_class_spacing_erratum =
        proto.readout_class_spacing_erratum();
  }
  if (proto.has_readout_monitor_suppresses_spikes()) {
    quirks.readout_monitor_suppresses_spikes =
        proto.readout_monitor_suppresses_spikes();
  }
  return quirks;
}

void ToProto(const chip::Vec2& vec, v1::Vec2* out) {
  out->set_x(vec.x);
  out->set_y(vec.y);
}

void ToProto(const chip::Shape& shape, v1::Shape* out) {
  ToProto(shape.size, out->mutable_size());
  out->set_feature_count(shape.feature_count);
}

void ToProto(const std::vector<chip::Destination>& destinations,
             google::protobuf::RepeatedPtrField<v1::CnnLayerDestination>* out) {
  for (const chip::Destination& d : destinations) {
    v1::CnnLayerDestination* proto = out->Add();
    proto->set_layer(d.layer);
    proto->set_enable(d.enable);
    proto->set_pooling(d.pooling);
    proto->set_feature_shift(d.feature_shift);
  }
}

void ToProto(const chip::CnnLayerConfig& layer, v1::CnnLayerConfig* out) {
  v1::CnnLayerDimensions* dims = out->mutable_dimensions();
  ToProto(layer.dimensions.input_shape, dims->mutable_input_shape());
  ToProto(layer.dimensions.output_shape, dims->mutable_output_shape());
  ToProto(layer.dimensions.padding, dims->mutable_padding());
  ToProto(layer.dimensions.stride, dims->mutable_stride());
  dims->set_kernel_size(layer.dimensions.kernel_size);
  out->mutable_weights()->Add(layer.weights.begin(), layer.weights.end());
  out->mutable_biases()->Add(layer.biases.begin(), layer.biases.end());
  out->mutable_neurons_initial_value()->Add(layer.neurons_initial_value.begin(),
                                            layer.neurons_initial_value.end());
  out->set_threshold_high(layer.threshold_high);
  out->set_threshold_low(layer.threshold_low);
  out->set_return_to_zero(layer.return_to_zero);
  out->set_leak_enable(layer.leak_enable);
  out->set_leak_internal_slow_clk_enable(layer.leak_internal_slow_clk_enable);
  out->set_monitor_enable(layer.monitor_enable);
  out->set_input_congestion_balancer_enable(
      layer.input_congestion_balancer_enable);
  out->set_output_decimator_enable(layer.output_decimator_enable);
  out->set_output_decimator_interval(layer.output_decimator_interval);
  ToProto(layer.destinations, out->mutable_destinations());
}

void ToProto(const chip::DvsLayerConfig& dvs, v1::DvsLayerConfig* out) {
  ToProto(dvs.destinations, out->mutable_destinations());
  out->set_merge(dvs.merge);
  out->set_on_channel(dvs.on_channel);
  out->set_off_channel(dvs.off_channel);
  ToProto(dvs.pooling, out->mutable_pooling());
  ToProto(dvs.origin, out->mutable_origin());
  ToProto(dvs.cut, out->mutable_cut());
  out->mutable_mirror()->set_x(dvs.mirror.x);
  out->mutable_mirror()->set_y(dvs.mirror.y);
  out->set_mirror_diagonal(dvs.mirror_diagonal);
  out->set_pass_sensor_events(dvs.pass_sensor_events);
  out->set_monitor_enable(dvs.monitor_enable);
  out->set_raw_monitor_enable(dvs.raw_monitor_enable);
}

void ToProto(const chip::DvsFilterConfig& filter, v1::DvsFilterConfig* out) {
  out->set_enable(filter.enable);
  ToProto(filter.filter_size, out->mutable_filter_size());
  out->set_threshold(filter.threshold);
  out->set_hot_pixel_filter_enable(filter.hot_pixel_filter_enable);
  out->set_low_pass_mode_enable(filter.low_pass_mode_enable);
  out->set_internal_slow_clk(filter.internal_slow_clk);
}

void ToProto(const chip::ReadoutConfig& readout, v1::ReadoutConfig* out) {
  out->set_enable(readout.enable);
  out->set_readout_configuration_sel(readout.readout_configuration_sel);
  out->set_threshold(readout.threshold);
  out->set_low_pass_filter_disable(readout.low_pass_filter_disable);
  out->set_low_pass_filter32_not16(readout.low_pass_filter32_not16);
  out->set_output_mode_sel(readout.output_mode_sel);
  out->set_monitor_enable(readout.monitor_enable);
  out->set_readout_pin_monitor_enable(readout.readout_pin_monitor_enable);
  out->set_override_threshold_max(readout.override_threshold_max);
  out->set_output_neuron_num(readout.output_neuron_num);
  out->set_internal_slow_clk(readout.internal_slow_clk);
}

v1::ConfigProblem::Severity ToProto(chip::ConfigProblem::Severity severity) {
  switch (severity) {
    case chip::ConfigProblem::Severity::kError:
      return v1::ConfigProblem::ERROR;
    case chip::ConfigProblem::Severity::kNotModelled:
      return v1::ConfigProblem::NOT_MODELLED;
    case chip::ConfigProblem::Severity::kWarning:
      return v1::ConfigProblem::WARNING;
  }
  return v1::ConfigProblem::SEVERITY_UNSPECIFIED;
}

}  // namespace

chip::SpeckConfig FromProto(const v1::SpeckConfiguration& proto) {
  chip::SpeckConfig config;
  // Cores the proto leaves out stay unused; extra ones are kept for
  // validation to report rather than dropped silently.
  config.cnn_layers.resize(
      std::max<size_t>(chip::kNumCores, proto.cnn_layers_size()));
  for (int i = 0; i < proto.cnn_layers_size(); ++i) {
    config.cnn_layers[i] = FromProto(proto.cnn_layers(i));
  }
  config.dvs_layer = FromProto(proto.dvs_layer());
  config.dvs_filter = FromProto(proto.dvs_filter());
  config.readout = FromProto(proto.readout());
  config.slow_clock.enable = proto.slow_clock().enable();
  config.slow_clock.rate_hz = proto.slow_clock().rate_hz();
  config.quirks = FromProto(proto.quirks());
  return config;
}

void ToProto(const chip::SpeckConfig& config, v1::SpeckConfiguration* out) {
  out->Clear();
  for (const chip::CnnLayerConfig& layer : config.cnn_layers) {
    ToProto(layer, out->add_cnn_layers());
  }
  // The proto promises 9 entries; pad a short domain config with unused cores.
  while (out->cnn_layers_size() < chip::kNumCores) {
    ToProto(chip::CnnLayerConfig(), out->add_cnn_layers());
  }
  ToProto(config.dvs_layer, out->mutable_dvs_layer());
  ToProto(config.dvs_filter, out->mutable_dvs_filter());
  ToProto(config.readout, out->mutable_readout());
  out->mutable_slow_clock()->set_enable(config.slow_clock.enable);
  out->mutable_slow_clock()->set_rate_hz(config.slow_clock.rate_hz);
  out->mutable_quirks()->set_readout_class_spacing_erratum(
      config.quirks.readout_class_spacing_erratum);
  out->mutable_quirks()->set_readout_monitor_suppresses_spikes(
      config.quirks.readout_monitor_suppresses_spikes);
}

void ToProto(const chip::ConfigProblem& problem, v1::ConfigProblem* out) {
  out->set_severity(ToProto(problem.severity));
  out->set_field_path(problem.field_path);
  out->set_message(problem.message);
}

void ToProto(const chip::CoreMemoryUsage& usage, v1::CoreMemoryUsage* out) {
  out->set_layer(static_cast<uint32_t>(usage.layer));
  out->set_kernel_words(usage.kernel_words);
  out->set_kernel_limit(usage.kernel_limit);
  out->set_neuron_words(usage.neuron_words);
  out->set_neuron_limit(usage.neuron_limit);
  out->set_bias_words(usage.bias_words);
  out->set_bias_limit(usage.bias_limit);
}

absl::StatusOr<chip::SpeckConfig> LoadConfigFile(const std::string& path) {
  // stdio rather than iostreams: errno tells NOT_FOUND from PERMISSION_DENIED.
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"),
                                             &std::fclose);
  if (file == nullptr) {
    return absl::ErrnoToStatus(errno, absl::StrCat(path, ": cannot open"));
  }
  std::string json;
  char buffer[64 * 1024];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file.get())) > 0) {
    json.append(buffer, n);
    if (json.size() > kMaxConfigFileBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": larger than ", kMaxConfigFileBytes >> 20,
          " MiB; a Speck2e configuration is far smaller (is it the right "
          "file?)"));
    }
  }
  // e.g. EISDIR: a directory opens fine but cannot be read.
  if (std::ferror(file.get())) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot read ", path));
  }
  absl::StatusOr<v1::SpeckConfiguration> proto = ParseConfigurationJson(json);
  if (!proto.ok()) {
    // Every line names the file, as a compiler's errors do.
    return absl::Status(
        proto.status().code(),
        absl::StrJoin(absl::StrSplit(proto.status().message(), '\n'), "\n",
                      [&path](std::string* out, absl::string_view line) {
                        absl::StrAppend(out, path, ": ", line);
                      }));
  }
  return FromProto(*proto);
}

}  // namespace speckd::codec
