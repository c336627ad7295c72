// Validation of a Speck2e configuration against the chip's limits
// (docs/chip-model.md) and for internal consistency.
// Every problem is reported, each with a samna field path and the limit:
//
//   ValidationReport report = Validate(config);
//   for (const ConfigProblem& p : report.problems)
//     std::cout << p.ToString();  // "cnn_layers[3].dimensions.kernel_size:
//                                 //  17 exceeds the chip limit 16"
//   if (!report.ok()) ...         // any kError
#ifndef SPECKD_DRIVER_CHIP_VALIDATE_H_
#define SPECKD_DRIVER_CHIP_VALIDATE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "driver/chip/config.h"

namespace speckd::chip {

struct ConfigProblem {
  enum class Severity {
    // The chip cannot run this; the configuration is rejected.
    kError,
    // Accepted; the simulated devkit does not model it.
    kNotModelled,
    // Accepted; probably not what was meant.
    kWarning,
  };
  Severity severity = Severity::kError;
  // samna names, e.g. "cnn_layers[3].dimensions.kernel_size".
  std::string field_path;
  // e.g. "17 exceeds the chip limit 16".
  std::string message;

  // "<field_path>: <message>", prefixed by "not modelled: " / "warning: " for
  // the non-error severities.
  std::string ToString() const;
};

// Words one core's configuration needs (Part B §1.4) and the core's limits.
struct CoreMemoryUsage {
  int layer = 0;
  uint64_t kernel_words = 0;
  uint64_t kernel_limit = 0;
  uint64_t neuron_words = 0;
  uint64_t neuron_limit = 0;
  uint64_t bias_words = 0;
  uint64_t bias_limit = 0;
};

struct ValidationReport {
  std::vector<ConfigProblem> problems;
  // One entry per core in use, ascending layer.
  std::vector<CoreMemoryUsage> memory;

  // True when no problem is an error.
  bool ok() const;
  // OK, or INVALID_ARGUMENT whose message lists every error, one per line
  // ("3 problems in the configuration:\n  cnn_layers[3]...").
  absl::Status ToStatus() const;
};

ValidationReport Validate(const SpeckConfig& config);

// Why `rate_hz` cannot be a slow-clock rate ("0 Hz; the rate must be above
// 0 Hz"), or nullopt when it can: the rule configurations and the devices'
// SetSlowClock share.
std::optional<std::string> SlowClockRateError(double rate_hz);

// Kernel words K = c * 2^(ceil(log2(k*k)) + ceil(log2 f)); neuron words
// N = f * 2^(ceil(log2 oy) + ceil(log2 ox)); bias words = f when the layer
// has biases (non-empty or leak_enable), else 0.
CoreMemoryUsage MemoryUsage(int layer, const CnnLayerConfig& cnn);

}  // namespace speckd::chip

#endif  // SPECKD_DRIVER_CHIP_VALIDATE_H_
