#include "driver/chip/validate.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "driver/chip/config.h"
#include "driver/chip/dvs_region.h"
#include "driver/chip/limits.h"

namespace speckd::chip {
namespace {

using Severity = ConfigProblem::Severity;

inline constexpr uint32_t kMaxReadoutSel = 3;
inline constexpr uint32_t kMaxReadoutThreshold = 65535;
inline constexpr uint32_t kMaxFilterSize = 15;
inline constexpr double kTypicalSlowClockMinHz = 10;
inline constexpr double kTypicalSlowClockMaxHz = 10000;

// Collects problems; every check appends and carries on, so the user sees all
// of them at once.
struct Reporter {
  void Add(Severity severity, std::string path, std::string message) {
    problems->push_back({severity, std::move(path), std::move(message)});
  }
  void Error(std::string p, std::string m) {
    Add(Severity::kError, std::move(p), std::move(m));
  }
  void Warning(std::string p, std::string m) {
    Add(Severity::kWarning, std::move(p), std::move(m));
  }
  void NotModelled(std::string p, std::string m) {
    Add(Severity::kNotModelled, std::move(p), std::move(m));
  }

  std::vector<ConfigProblem>* problems;
};

// ceil(log2 v), with ceil(log2 0) = ceil(log2 1) = 0.
int CeilLog2(uint64_t v) {
  int bits = 0;
  while (bits < 64 && (uint64_t{1} << bits) < v) ++bits;
  return bits;
}

// a * 2^bits, saturating: absurd dimensions must still compare as "too big".
uint64_t ShiftSaturated(uint64_t a, int bits) {
  if (a == 0) return 0;
  if (bits >= 64 || a > (std::numeric_limits<uint64_t>::max() >> bits)) {
    return std::numeric_limits<uint64_t>::max();
  }
  return a << bits;
}

// --- Generic field checks ---------------------------------------------------

bool CheckMax(uint64_t value, uint64_t max, const std::string& path,
              Reporter* r) {
  if (value <= max) return true;
  r->Error(path, absl::StrCat(value, " exceeds the chip limit ", max));
  return false;
}

// A count that must be set: 1..max.
bool CheckSet(uint64_t value, uint64_t max, const std::string& path,
              Reporter* r) {
  if (value > 0) return CheckMax(value, max, path, r);
  r->Error(path, absl::StrCat("must be set (1..", max, ")"));
  return false;
}

// A value from a fixed set, e.g. choices "1, 2 or 4".
bool CheckChoice(bool valid, uint32_t value, const char* choices,
                 const std::string& path, Reporter* r) {
  if (!valid) r->Error(path, absl::StrCat(value, " is not ", choices));
  return valid;
}
bool CheckStride(uint32_t value, const std::string& path, Reporter* r) {
  return CheckChoice(IsValidStride(value), value, "1, 2, 4 or 8", path, r);
}
bool CheckPooling(uint32_t value, const std::string& path, Reporter* r) {
  return CheckChoice(IsValidPooling(value), value, "1, 2 or 4", path, r);
}

std::string RangeText(const char* type, int32_t lo, int32_t hi) {
  return absl::StrCat(type, " (", lo, "..", hi, ")");
}

void CheckInt16(int32_t value, const std::string& path, Reporter* r) {
  if (value >= kStateMin && value <= kStateMax) return;
  r->Error(path, absl::StrCat(value, " is outside ",
                              RangeText("int16", kStateMin, kStateMax)));
}

// One problem per array: the first offender and how many there are.
void CheckValues(const std::vector<int32_t>& values, const char* type,
                 int32_t lo, int32_t hi, const std::string& path, Reporter* r) {
  size_t first = values.size();
  size_t count = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] >= lo && values[i] <= hi) continue;
    if (count++ == 0) first = i;
  }
  if (count == 0) return;
  r->Error(
      absl::StrCat(path, "[", first, "]"),
      absl::StrCat(values[first], " is outside ", RangeText(type, lo, hi), "; ",
                   count, count == 1 ? " value" : " values", " out of range"));
}

// --- Cores ------------------------------------------------------------------

std::string CorePath(size_t i) { return absl::StrCat("cnn_layers[", i, "]"); }

// One output axis: consistent with the convolution and within the chip.
void CheckOutputAxis(const std::string& path, uint32_t in, uint32_t padding,
                     uint32_t kernel, uint32_t stride, uint32_t out,
                     bool inputs_valid, Reporter* r) {
  CheckMax(out, kMaxOutputSize, path, r);
  // Derived from fields already reported when invalid; don't pile on.
  if (!inputs_valid) return;
  const uint32_t expected = ConvOutputSize(in, padding, kernel, stride);
  if (expected == 0) {
    r->Error(path, absl::StrCat(out, ", but kernel ", kernel,
                                " does not fit input ", in, " with padding ",
                                padding, ": there is no output"));
  } else if (out != expected) {
    r->Error(path, absl::StrCat(out, ", but input ", in, ", kernel ", kernel,
                                ", padding ", padding, ", stride ", stride,
                                " give ", expected));
  }
}

// Returns whether the dimensions the array sizes derive from (kernel, feature
// counts, output size) are within the chip's limits.
bool CheckDimensions(const std::string& prefix, const CnnLayerDimensions& d,
                     Reporter* r) {
  const std::string p = prefix + ".dimensions";
  const bool kernel =
      CheckSet(d.kernel_size, kMaxKernelSize, p + ".kernel_size", r);
  const bool stride_x = CheckStride(d.stride.x, p + ".stride.x", r);
  const bool stride_y = CheckStride(d.stride.y, p + ".stride.y", r);
  const bool pad_x = CheckMax(d.padding.x, kMaxPadding, p + ".padding.x", r);
  const bool pad_y = CheckMax(d.padding.y, kMaxPadding, p + ".padding.y", r);
  const bool in_x = CheckSet(d.input_shape.size.x, kMaxInputSize,
                             p + ".input_shape.size.x", r);
  const bool in_y = CheckSet(d.input_shape.size.y, kMaxInputSize,
                             p + ".input_shape.size.y", r);
  const bool channels = CheckSet(d.input_shape.feature_count, kMaxFeatures,
                                 p + ".input_shape.feature_count", r);
  const bool features = CheckMax(d.output_shape.feature_count, kMaxFeatures,
                                 p + ".output_shape.feature_count", r);
  CheckOutputAxis(p + ".output_shape.size.x", d.input_shape.size.x, d.padding.x,
                  d.kernel_size, d.stride.x, d.output_shape.size.x,
                  kernel && stride_x && pad_x && in_x, r);
  CheckOutputAxis(p + ".output_shape.size.y", d.input_shape.size.y, d.padding.y,
                  d.kernel_size, d.stride.y, d.output_shape.size.y,
                  kernel && stride_y && pad_y && in_y, r);
  return kernel && channels && features &&
         d.output_shape.size.x <= kMaxOutputSize &&
         d.output_shape.size.y <= kMaxOutputSize;
}

void CheckArrays(const std::string& prefix, const CnnLayerConfig& core,
                 bool dims_valid, Reporter* r) {
  const CnnLayerDimensions& d = core.dimensions;
  const uint64_t f = d.output_shape.feature_count;
  const uint64_t c = d.input_shape.feature_count;
  const uint64_t k = d.kernel_size;
  const uint64_t ox = d.output_shape.size.x;
  const uint64_t oy = d.output_shape.size.y;
  if (dims_valid && core.weights.size() != f * c * k * k) {
    r->Error(prefix + ".weights",
             absl::StrCat(core.weights.size(), " values, expected ",
                          f * c * k * k, " = ", f, " features x ", c,
                          " channels x ", k, " x ", k, " ([f][c][x][y])"));
  }
  CheckValues(core.weights, "int8", kWeightMin, kWeightMax, prefix + ".weights",
              r);

  if (!core.biases.empty() && core.biases.size() != f) {
    r->Error(prefix + ".biases",
             absl::StrCat(core.biases.size(), " values, expected empty or ", f,
                          " (one per output feature)"));
  }
  CheckValues(core.biases, "int16", kStateMin, kStateMax, prefix + ".biases",
              r);

  const std::string init = prefix + ".neurons_initial_value";
  if (dims_valid && !core.neurons_initial_value.empty() &&
      core.neurons_initial_value.size() != f * ox * oy) {
    r->Error(init,
             absl::StrCat(core.neurons_initial_value.size(),
                          " values, expected empty or ", f * ox * oy, " = ", f,
                          " features x ", ox, " x ", oy, " ([f][x][y])"));
  }
  CheckValues(core.neurons_initial_value, "int16", kStateMin, kStateMax, init,
              r);
}

void CheckNeuronSettings(const std::string& prefix, const CnnLayerConfig& core,
                         const SpeckConfig& config, Reporter* r) {
  CheckInt16(core.threshold_high, prefix + ".threshold_high", r);
  CheckInt16(core.threshold_low, prefix + ".threshold_low", r);
  if (core.threshold_low == 0) {
    r->Warning(prefix + ".threshold_low", "0 triggers a chip bug; use -1");
  }
  if (core.threshold_high <= core.threshold_low) {
    r->Warning(prefix + ".threshold_high",
               absl::StrCat(core.threshold_high, " is not above threshold_low ",
                            core.threshold_low,
                            ": neurons are held at or above the threshold"));
  }
  CheckMax(core.output_decimator_interval, kMaxDecimatorInterval,
           prefix + ".output_decimator_interval", r);
  if (core.input_congestion_balancer_enable) {
    r->NotModelled(prefix + ".input_congestion_balancer_enable",
                   "accepted; the simulated devkit does not model the "
                   "congestion balancer (no input is dropped)");
  }
  if (core.leak_internal_slow_clk_enable) {
    r->NotModelled(prefix + ".leak_internal_slow_clk_enable",
                   "accepted; the simulated devkit drives the leak from the "
                   "configured slow clock");
  }
  if (core.leak_enable && !config.slow_clock.enable) {
    r->Warning(prefix + ".leak_enable",
               "the slow clock is off, so biases are never applied");
  }
}

// What a destination's source emits, for the checks against its target.
struct Source {
  uint64_t channels = 0;
  // e.g. "4 features", "2 polarity channels (merge is false)".
  std::string channels_text;
  // e.g. "output", "DVS output".
  std::string name;
  // Coordinates the source emits per axis are 0..extent-1; 0 skips the check.
  uint64_t extent_x = 0;
  uint64_t extent_y = 0;
};

// Pooled events must land inside the target's input map. A partial last
// pooling window is allowed but its events are dropped by the target.
void CheckPooledAxis(const Source& src, const char* axis, uint64_t extent,
                     uint32_t pooling, uint32_t target_layer, uint32_t target,
                     const std::string& path, Reporter* r) {
  if (extent == 0) return;
  const std::string target_text = absl::StrCat(
      CorePath(target_layer), " input_shape.size.", axis, " ", target);
  const uint64_t floor = extent / pooling;
  const uint64_t ceil = (extent + pooling - 1) / pooling;
  if (floor > target) {
    r->Error(path,
             absl::StrCat(src.name, " ", axis, " ", extent, " / pooling ",
                          pooling, " = ", floor, " exceeds ", target_text));
  } else if (ceil > target) {
    r->Warning(path, absl::StrCat(src.name, " ", axis, " ", extent,
                                  " / pooling ", pooling, " rounds up to ",
                                  ceil, ", beyond ", target_text,
                                  ": events of the last partial pooling "
                                  "window are dropped"));
  }
}

// The core a destination targets, or nullptr (reported) if it has none.
const CnnLayerConfig* TargetCore(const SpeckConfig& config, uint32_t layer,
                                 const std::string& path, Reporter* r) {
  if (layer >= config.cnn_layers.size()) {
    r->Error(path,
             absl::StrCat("core ", layer, " is not configured (cnn_layers has ",
                          config.cnn_layers.size(), " entries)"));
    return nullptr;
  }
  if (!config.cnn_layers[layer].InUse()) {
    r->Error(path, absl::StrCat("core ", layer,
                                " is not configured (its "
                                "output_shape.feature_count is 0)"));
    return nullptr;
  }
  return &config.cnn_layers[layer];
}

// One enabled destination of core `source_core`, or of the DVS layer (-1).
void CheckDestination(const SpeckConfig& config, const Source& src,
                      int source_core, const Destination& dest,
                      const std::string& path, Reporter* r) {
  const bool pooling_ok = CheckPooling(dest.pooling, path + ".pooling", r);
  if (dest.feature_shift < 0) {
    r->Error(path + ".feature_shift",
             absl::StrCat(dest.feature_shift, " is negative"));
  }
  const bool from_core = source_core >= 0;
  if (from_core && dest.layer == static_cast<uint32_t>(kReadoutLayer)) {
    if (!config.readout.enable) {
      r->Error(path + ".layer", absl::StrCat(dest.layer,
                                             " routes to the readout layer "
                                             "but readout.enable is false"));
    }
    return;
  }
  if (dest.layer >= static_cast<uint32_t>(kNumCores)) {
    r->Error(
        path + ".layer",
        from_core
            ? absl::StrCat(dest.layer, " is neither a core (0..", kNumCores - 1,
                           ") nor the readout (", kReadoutLayer, ")")
            : absl::StrCat(dest.layer, " is not a core (0..", kNumCores - 1,
                           "); the DVS layer can only feed cores"));
    return;
  }
  if (from_core && dest.layer == static_cast<uint32_t>(source_core)) {
    r->Warning(path + ".layer",
               absl::StrCat(dest.layer, " routes core ", source_core,
                            " to itself (recurrent): the chip can deadlock"));
  }
  const CnnLayerConfig* target =
      TargetCore(config, dest.layer, path + ".layer", r);
  if (target == nullptr) return;
  const Shape& in = target->dimensions.input_shape;
  if (dest.feature_shift >= 0 &&
      src.channels + static_cast<uint64_t>(dest.feature_shift) >
          in.feature_count) {
    r->Error(path + ".feature_shift",
             absl::StrCat(src.channels_text, " + shift ", dest.feature_shift,
                          " exceed ", CorePath(dest.layer),
                          " input feature_count ", in.feature_count));
  }
  if (!pooling_ok) return;
  CheckPooledAxis(src, "x", src.extent_x, dest.pooling, dest.layer, in.size.x,
                  path + ".pooling", r);
  CheckPooledAxis(src, "y", src.extent_y, dest.pooling, dest.layer, in.size.y,
                  path + ".pooling", r);
}

void CheckDestinations(const SpeckConfig& config,
                       const std::vector<Destination>& dests, const Source& src,
                       int source_core, const std::string& prefix,
                       Reporter* r) {
  if (dests.size() > static_cast<size_t>(kMaxDestinations)) {
    r->Error(prefix + ".destinations",
             absl::StrCat(dests.size(), " entries; ",
                          source_core >= 0 ? "a core" : "the DVS layer",
                          " has ", kMaxDestinations));
  }
  for (size_t k = 0; k < dests.size(); ++k) {
    if (!dests[k].enable) continue;
    CheckDestination(config, src, source_core, dests[k],
                     absl::StrCat(prefix, ".destinations[", k, "]"), r);
  }
}

Source CoreSource(const CnnLayerConfig& core) {
  const Shape& out = core.dimensions.output_shape;
  Source src;
  src.channels = out.feature_count;
  src.channels_text = absl::StrCat(out.feature_count, " features");
  src.name = "output";
  src.extent_x = out.size.x;
  src.extent_y = out.size.y;
  return src;
}

void CheckMemory(size_t i, const CnnLayerConfig& core, ValidationReport* report,
                 Reporter* r) {
  const CoreMemoryUsage u = MemoryUsage(static_cast<int>(i), core);
  report->memory.push_back(u);
  const auto check = [&](const char* what, uint64_t words, uint64_t limit) {
    if (words <= limit) return;
    r->Error(CorePath(i), absl::StrCat(what, " memory needs ", words,
                                       " words; core ", i, " has ", limit));
  };
  check("kernel", u.kernel_words, u.kernel_limit);
  check("neuron", u.neuron_words, u.neuron_limit);
  check("bias", u.bias_words, u.bias_limit);
}

void CheckUnusedCore(const std::string& prefix, const CnnLayerConfig& core,
                     Reporter* r) {
  const auto enabled =
      std::count_if(core.destinations.begin(), core.destinations.end(),
                    [](const Destination& d) { return d.enable; });
  if (enabled > 0) {
    r->Warning(prefix + ".destinations",
               absl::StrCat(enabled,
                            " enabled destination(s) ignored because "
                            "output_shape.feature_count is 0"));
  }
  if (!core.weights.empty()) {
    r->Warning(prefix + ".weights",
               absl::StrCat(core.weights.size(),
                            " values ignored because "
                            "output_shape.feature_count is 0"));
  }
}

void CheckCores(const SpeckConfig& config, ValidationReport* report,
                Reporter* r) {
  if (config.cnn_layers.size() != static_cast<size_t>(kNumCores)) {
    r->Error("cnn_layers",
             absl::StrCat(config.cnn_layers.size(), " entries; the chip has ",
                          kNumCores, " cores (0..", kNumCores - 1, ")"));
  }
  for (size_t i = 0; i < config.cnn_layers.size(); ++i) {
    const CnnLayerConfig& core = config.cnn_layers[i];
    const std::string prefix = CorePath(i);
    if (!core.InUse()) {
      CheckUnusedCore(prefix, core, r);
      continue;
    }
    const bool dims_valid = CheckDimensions(prefix, core.dimensions, r);
    CheckArrays(prefix, core, dims_valid, r);
    CheckNeuronSettings(prefix, core, config, r);
    CheckDestinations(config, core.destinations, CoreSource(core),
                      static_cast<int>(i), prefix, r);
    CheckMemory(i, core, report, r);
  }
}

// --- DVS layer, filter, readout, slow clock ----------------------------------

void CheckDvsRoiAxis(const char* axis, uint32_t pooling, uint32_t origin,
                     uint32_t cut, Reporter* r) {
  if (origin > cut) {
    r->Error(absl::StrCat("dvs_layer.origin.", axis),
             absl::StrCat(origin, " is beyond cut.", axis, " ", cut));
  }
  if (cut >= static_cast<uint32_t>(kDvsSize)) {
    // The register holds 7 bits; larger values cannot be expressed.
    r->Error(absl::StrCat("dvs_layer.cut.", axis),
             absl::StrCat(cut, " exceeds the chip limit ", kDvsSize - 1));
    return;
  }
  if (!IsValidPooling(pooling)) return;
  const uint32_t last = kDvsSize / pooling - 1;
  if (cut > last) {
    r->Warning(absl::StrCat("dvs_layer.cut.", axis),
               absl::StrCat(cut, " exceeds ", last, ", the last ", axis,
                            " of the ", kDvsSize, " / ", pooling,
                            " pooled map: the ROI extends beyond it"));
  }
}

Source DvsSource(const DvsLayerConfig& dvs) {
  Source src;
  src.name = "DVS output";
  // Without merge the channel is the polarity, so only ON events need 2.
  src.channels = (dvs.merge || !dvs.on_channel) ? 1 : 2;
  src.channels_text = absl::StrCat(
      src.channels, " polarity channel", src.channels == 1 ? "" : "s",
      " (merge is ", dvs.merge ? "true" : "false",
      !dvs.merge && !dvs.on_channel ? ", on_channel is false" : "", ")");
  if (IsValidPooling(dvs.pooling.x) && IsValidPooling(dvs.pooling.y) &&
      dvs.origin.x <= dvs.cut.x && dvs.origin.y <= dvs.cut.y) {
    const Vec2 size = DvsOutputSize(dvs);
    src.extent_x = size.x;
    src.extent_y = size.y;
  }
  return src;
}

void CheckDvsLayer(const SpeckConfig& config, Reporter* r) {
  const DvsLayerConfig& dvs = config.dvs_layer;
  const bool pool_x = CheckPooling(dvs.pooling.x, "dvs_layer.pooling.x", r);
  const bool pool_y = CheckPooling(dvs.pooling.y, "dvs_layer.pooling.y", r);
  CheckDvsRoiAxis("x", pool_x ? dvs.pooling.x : 0, dvs.origin.x, dvs.cut.x, r);
  CheckDvsRoiAxis("y", pool_y ? dvs.pooling.y : 0, dvs.origin.y, dvs.cut.y, r);
  if (!dvs.on_channel && !dvs.off_channel) {
    r->Warning("dvs_layer.on_channel",
               "on_channel and off_channel are both false: no DVS event "
               "passes");
  }
  if (dvs.pass_sensor_events) {
    r->NotModelled("dvs_layer.pass_sensor_events",
                   "the simulated devkit has no sensor: only host-written "
                   "DvsEvents enter the DVS layer");
  }
  if (dvs.raw_monitor_enable) {
    r->NotModelled("dvs_layer.raw_monitor_enable",
                   "the simulated devkit has no sensor: there are no raw "
                   "sensor events to monitor");
  }

  CheckDestinations(config, dvs.destinations, DvsSource(dvs), -1, "dvs_layer",
                    r);
}

void CheckDvsFilter(const DvsFilterConfig& filter, Reporter* r) {
  CheckMax(filter.filter_size.x, kMaxFilterSize, "dvs_filter.filter_size.x", r);
  CheckMax(filter.filter_size.y, kMaxFilterSize, "dvs_filter.filter_size.y", r);
  if (filter.low_pass_mode_enable && filter.hot_pixel_filter_enable) {
    r->Error("dvs_filter.low_pass_mode_enable",
             "true together with hot_pixel_filter_enable; the modes are "
             "exclusive (low-pass, or noise filter, or noise filter + "
             "hot-pixel)");
  }
  if (filter.enable) {
    r->NotModelled("dvs_filter.enable",
                   "the DVS filter is accepted but not modelled: events pass "
                   "unfiltered");
  }
  if (filter.internal_slow_clk) {
    r->NotModelled("dvs_filter.internal_slow_clk",
                   "the simulated devkit uses the configured slow clock");
  }
}

bool RoutesToReadout(const std::vector<Destination>& dests) {
  return std::any_of(dests.begin(), dests.end(), [](const Destination& d) {
    return d.enable && d.layer == static_cast<uint32_t>(kReadoutLayer);
  });
}

void CheckReadout(const SpeckConfig& config, Reporter* r) {
  const ReadoutConfig& readout = config.readout;
  CheckMax(readout.readout_configuration_sel, kMaxReadoutSel,
           "readout.readout_configuration_sel", r);
  CheckMax(readout.output_mode_sel, kMaxReadoutSel, "readout.output_mode_sel",
           r);
  CheckMax(readout.threshold, kMaxReadoutThreshold, "readout.threshold", r);
  if (readout.internal_slow_clk) {
    r->NotModelled("readout.internal_slow_clk",
                   "the simulated devkit uses the configured slow clock");
  }
  if (!readout.enable) return;
  bool fed = RoutesToReadout(config.dvs_layer.destinations);
  for (const CnnLayerConfig& core : config.cnn_layers) {
    fed |= core.InUse() && RoutesToReadout(core.destinations);
  }
  if (!fed) {
    r->Warning("readout.enable",
               absl::StrCat("true, but no enabled destination routes to "
                            "layer ",
                            kReadoutLayer, ": the readout gets no input"));
  }
  if (!config.slow_clock.enable) {
    r->Warning("readout.enable",
               "the slow clock is off, and the readout is evaluated on "
               "slow-clock ticks");
  }
}

// Rates print in full ("1000000.5", not StrCat's "1e+06").
std::string Hz(double hz) { return absl::StrFormat("%.10g Hz", hz); }

void CheckSlowClock(const SlowClockConfig& clock, Reporter* r) {
  if (!clock.enable) return;
  const double hz = clock.rate_hz;
  const std::string path = "slow_clock.rate_hz";
  if (std::optional<std::string> error = SlowClockRateError(hz)) {
    r->Error(path, *error);
  } else if (hz < kTypicalSlowClockMinHz || hz > kTypicalSlowClockMaxHz) {
    r->Warning(path, absl::StrCat(Hz(hz),
                                  " is outside the chip's typical 10 Hz - "
                                  "10 kHz"));
  }
}

}  // namespace

std::optional<std::string> SlowClockRateError(double rate_hz) {
  if (!std::isfinite(rate_hz)) {
    return absl::StrCat(Hz(rate_hz), " is not a finite rate");
  }
  if (rate_hz <= 0) {
    return absl::StrCat(Hz(rate_hz), "; the rate must be above 0 Hz");
  }
  if (rate_hz < kMinSlowClockHz) {
    return absl::StrCat(Hz(rate_hz), " is below the lowest rate, ",
                        Hz(kMinSlowClockHz));
  }
  if (rate_hz > kMaxSlowClockHz) {
    return absl::StrCat(Hz(rate_hz), " exceeds the limit ",
                        Hz(kMaxSlowClockHz));
  }
  return std::nullopt;
}

std::string ConfigProblem::ToString() const {
  const char* prefix = severity == Severity::kWarning       ? "warning: "
                       : severity == Severity::kNotModelled ? "not modelled: "
                                                            : "";
  return absl::StrCat(prefix, field_path, ": ", message);
}

bool ValidationReport::ok() const {
  return std::none_of(
      problems.begin(), problems.end(),
      [](const ConfigProblem& p) { return p.severity == Severity::kError; });
}

absl::Status ValidationReport::ToStatus() const {
  std::string lines;
  size_t errors = 0;
  for (const ConfigProblem& p : problems) {
    if (p.severity != Severity::kError) continue;
    ++errors;
    absl::StrAppend(&lines, "\n  ", p.ToString());
  }
  if (errors == 0) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(errors, errors == 1 ? " problem" : " problems",
                   " in the configuration:", lines));
}

CoreMemoryUsage MemoryUsage(int layer, const CnnLayerConfig& cnn) {
  const CnnLayerDimensions& d = cnn.dimensions;
  const uint64_t k = d.kernel_size;
  const uint64_t c = d.input_shape.feature_count;
  const uint64_t f = d.output_shape.feature_count;
  const CoreMemoryLimits limits = CoreLimits(layer);
  CoreMemoryUsage usage;
  usage.layer = layer;
  // Addresses are bit-concatenations, so each field pads to a power of two.
  usage.kernel_words = ShiftSaturated(c, CeilLog2(k * k) + CeilLog2(f));
  usage.kernel_limit = limits.kernel_words;
  usage.neuron_words = ShiftSaturated(
      f, CeilLog2(d.output_shape.size.y) + CeilLog2(d.output_shape.size.x));
  usage.neuron_limit = limits.neuron_words;
  usage.bias_words = (!cnn.biases.empty() || cnn.leak_enable) ? f : 0;
  usage.bias_limit = limits.bias_words;
  return usage;
}

ValidationReport Validate(const SpeckConfig& config) {
  ValidationReport report;
  Reporter r{&report.problems};
  CheckCores(config, &report, &r);
  CheckDvsLayer(config, &r);
  CheckDvsFilter(config.dvs_filter, &r);
  CheckReadout(config, &r);
  CheckSlowClock(config.slow_clock, &r);
  return report;
}

}  // namespace speckd::chip
