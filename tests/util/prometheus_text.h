// A strict reader of Prometheus' text exposition format (0.0.4), for tests
// of /metrics: it refuses what Prometheus' own parser would, and what its
// format rules forbid even where parsers are lenient (a sample before its
// TYPE, a family's samples split up, a duplicate series, bad names, bad
// escapes, histogram buckets that are not cumulative or lack +Inf, _count
// that differs from the +Inf bucket).
#ifndef SPECKD_TESTS_UTIL_PROMETHEUS_TEXT_H_
#define SPECKD_TESTS_UTIL_PROMETHEUS_TEXT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace speckd::testing {

struct PromSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct PromFamily {
  std::string name;
  std::string type;
  std::string help;
  std::vector<PromSample> samples;
};

// Families by name. INVALID_ARGUMENT naming the line and what is wrong.
absl::StatusOr<std::map<std::string, PromFamily>> ParsePrometheusText(
    absl::string_view text);

// The value of `name` with exactly `labels`; NOT_FOUND if absent.
absl::StatusOr<double> PromValue(
    const std::map<std::string, PromFamily>& families, const std::string& name,
    const std::map<std::string, std::string>& labels = {});

}  // namespace speckd::testing

#endif  // SPECKD_TESTS_UTIL_PROMETHEUS_TEXT_H_
