#include "clients/cli/tutorial.h"

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace speckd::cli {
namespace {

namespace v1 = ::speckd::v1;

constexpr int kPatch = 16;  // the tutorial's DVS patch and kernel side

// A small, fully specified pseudo-random sequence (splitmix64), so that the
// generated input is the same on every platform and standard library.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // 0..n-1; n is a power of two here, so there is no modulo bias.
  uint32_t Below(uint32_t n) { return static_cast<uint32_t>(Next() % n); }

 private:
  uint64_t state_;
};

constexpr uint64_t kSeed = 20230601;

// Timestamps of the pattern: i = 0 .. rate * duration, inclusive.
std::vector<uint64_t> Timestamps(double rate_hz, absl::Duration duration) {
  const double seconds = absl::ToDoubleSeconds(duration);
  // The epsilon keeps 5000 Hz * 5 s at 25000 despite rounding.
  const uint64_t last =
      static_cast<uint64_t>(std::floor(rate_hz * seconds + 1e-9));
  std::vector<uint64_t> t;
  t.reserve(last + 1);
  for (uint64_t i = 0; i <= last; ++i) {
    t.push_back(kPatternStartUs + static_cast<uint64_t>(std::llround(
                                      static_cast<double>(i) * 1e6 / rate_hz)));
  }
  return t;
}

v1::Vec2* Set(v1::Vec2* v, uint32_t x, uint32_t y) {
  v->set_x(x);
  v->set_y(y);
  return v;
}

}  // namespace

v1::SpeckConfiguration TutorialConfiguration() {
  v1::SpeckConfiguration config;
  v1::CnnLayerConfig* core = config.add_cnn_layers();
  v1::CnnLayerDimensions* dims = core->mutable_dimensions();
  Set(dims->mutable_input_shape()->mutable_size(), kPatch, kPatch);
  dims->mutable_input_shape()->set_feature_count(1);
  Set(dims->mutable_output_shape()->mutable_size(), 1, 1);
  dims->mutable_output_shape()->set_feature_count(2);
  Set(dims->mutable_padding(), 0, 0);
  Set(dims->mutable_stride(), 1, 1);
  dims->set_kernel_size(kPatch);
  // Flat [f][c][x][y]: feature 0 sees the top rows, feature 1 the bottom.
  for (int f = 0; f < 2; ++f) {
    for (int x = 0; x < kPatch; ++x) {
      for (int y = 0; y < kPatch; ++y) {
        const bool top = y < kPatch / 2;
        core->add_weights((f == 0) == top ? 127 : 0);
      }
    }
  }
  core->add_biases(0);
  core->add_biases(0);
  core->set_threshold_high(127);
  core->set_threshold_low(-127);
  core->set_monitor_enable(true);

  v1::DvsLayerConfig* dvs = config.mutable_dvs_layer();
  v1::CnnLayerDestination* to_core = dvs->add_destinations();
  to_core->set_layer(0);
  to_core->set_enable(true);
  dvs->set_merge(true);
  Set(dvs->mutable_pooling(), 1, 1);
  Set(dvs->mutable_origin(), 0, 0);
  Set(dvs->mutable_cut(), kPatch - 1, kPatch - 1);
  dvs->set_monitor_enable(true);
  return config;
}

v1::WriteEventsRequest TutorialEvents(double rate_hz, absl::Duration duration) {
  const uint64_t half_us =
      static_cast<uint64_t>(absl::ToInt64Microseconds(duration)) / 2;
  Random random(kSeed);
  v1::WriteEventsRequest events;
  v1::DvsEventBatch* dvs = events.mutable_dvs_events();
  for (uint64_t t : Timestamps(rate_hz, duration)) {
    dvs->add_timestamp_us(t);
    dvs->add_x(random.Below(kPatch));
    const uint32_t row = random.Below(kPatch / 2);
    dvs->add_y(t < half_us ? row : row + kPatch / 2);
    dvs->add_p(random.Below(2) == 1);
  }
  return events;
}

v1::WriteEventsRequest UniformEvents(double rate_hz, absl::Duration duration) {
  Random random(kSeed + 1);
  v1::WriteEventsRequest events;
  v1::DvsEventBatch* dvs = events.mutable_dvs_events();
  for (uint64_t t : Timestamps(rate_hz, duration)) {
    dvs->add_timestamp_us(t);
    dvs->add_x(random.Below(128));
    dvs->add_y(random.Below(128));
    dvs->add_p(random.Below(2) == 1);
  }
  return events;
}

absl::StatusOr<v1::WriteEventsRequest> PatternEvents(absl::string_view pattern,
                                                     double rate_hz,
                                                     absl::Duration duration) {
  if (!(rate_hz > 0) || rate_hz > 1e6) {
    return absl::InvalidArgumentError(
        absl::StrCat("--rate=", rate_hz, ": must be in (0, 1000000] events/s"));
  }
  if (duration < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--duration=", absl::FormatDuration(duration),
                     ": must not be negative"));
  }
  if (rate_hz * absl::ToDoubleSeconds(duration) > 1e8) {
    return absl::InvalidArgumentError(
        "--rate * --duration: more than 1e8 events; write a file instead");
  }
  if (pattern == "tutorial") return TutorialEvents(rate_hz, duration);
  if (pattern == "uniform") return UniformEvents(rate_hz, duration);
  return absl::InvalidArgumentError(
      absl::StrCat("--pattern=", pattern, ": use tutorial or uniform"));
}

}  // namespace speckd::cli
