// Builders and matchers shared by the validation tests.
#ifndef SPECKD_DRIVER_CHIP_VALIDATE_TEST_UTIL_H_
#define SPECKD_DRIVER_CHIP_VALIDATE_TEST_UTIL_H_

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "driver/chip/config.h"
#include "driver/chip/validate.h"
#include "gmock/gmock.h"

namespace speckd::chip {

// Readable gtest failures: print problems as the user would see them.
inline void PrintTo(const ConfigProblem& p, std::ostream* os) {
  *os << p.ToString();
}

namespace validate_testing {

using Severity = ConfigProblem::Severity;
using ::testing::AllOf;
using ::testing::AllOfArray;
using ::testing::Eq;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Matcher;

// in x in x c -> k x k conv (stride, padding) -> f, consistent and warning
// free; weights all 1.
inline CnnLayerConfig MakeCore(uint32_t in, uint32_t c, uint32_t f, uint32_t k,
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

inline Destination To(uint32_t layer, uint32_t pooling = 1, int32_t shift = 0) {
  return {layer, /*enable=*/true, pooling, shift};
}

inline SpeckConfig WithCore(const CnnLayerConfig& core, int layer = 0) {
  SpeckConfig config;
  config.cnn_layers[layer] = core;
  return config;
}

// The sinabs tutorial: 16x16x1 -> 16x16 kernel -> 1x1x2, weights 0/127.
inline SpeckConfig TutorialConfig() {
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
inline SpeckConfig TwoCoreConfig() {
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
inline Matcher<ConfigProblem> Problem(Severity severity,
                                      const std::string& path,
                                      std::vector<std::string> parts) {
  std::vector<Matcher<const std::string&>> has;
  for (const std::string& part : parts) has.push_back(HasSubstr(part));
  return AllOf(Field(&ConfigProblem::severity, severity),
               Field(&ConfigProblem::field_path, path),
               Field(&ConfigProblem::message, AllOfArray(has)));
}
inline Matcher<ConfigProblem> Error(const std::string& path,
                                    std::vector<std::string> parts) {
  return Problem(Severity::kError, path, std::move(parts));
}
inline Matcher<ConfigProblem> Warning(const std::string& path,
                                      std::vector<std::string> parts) {
  return Problem(Severity::kWarning, path, std::move(parts));
}
inline Matcher<ConfigProblem> NotModelled(const std::string& path,
                                          std::vector<std::string> parts) {
  return Problem(Severity::kNotModelled, path, std::move(parts));
}
// Exact message.
inline Matcher<ConfigProblem> ErrorIs(const std::string& path,
                                      const std::string& message) {
  return AllOf(Field(&ConfigProblem::severity, Severity::kError),
               Field(&ConfigProblem::field_path, path),
               Field(&ConfigProblem::message, Eq(message)));
}

inline std::vector<ConfigProblem> Problems(const SpeckConfig& config) {
  return Validate(config).problems;
}

}  // namespace validate_testing
}  // namespace speckd::chip

#endif  // SPECKD_DRIVER_CHIP_VALIDATE_TEST_UTIL_H_
