// Prometheus' text exposition format (version 0.0.4), written directly:
// Debian packages no maintained C++ client library. One family at a time:
//
//   Exposition e;
//   e.Family("speckd_device_events_in_total", "counter", "Events written.");
//   e.Sample("speckd_device_events_in_total", {{"device", id}}, 25001);
//   std::string text = e.Take();
//
// Label values and help texts are escaped as the format requires; values
// print as integers when they are, +Inf/-Inf/NaN as the format spells them.
#ifndef SPECKD_SERVER_METRICS_EXPOSITION_H_
#define SPECKD_SERVER_METRICS_EXPOSITION_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace speckd::server::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

// The Content-Type of the text format.
inline constexpr char kContentType[] =
    "text/plain; version=0.0.4; charset=utf-8";

class Exposition {
 public:
  // "# HELP" and "# TYPE" lines; `type` is counter, gauge, histogram,
  // summary or untyped.
  void Family(absl::string_view name, absl::string_view type,
              absl::string_view help);
  // One sample line; `name` is the family's, or it with _bucket, _sum or
  // _count for a histogram.
  void Sample(absl::string_view name, const Labels& labels, double value);
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// Backslash, double quote and line feed escaped.
std::string EscapeLabelValue(absl::string_view value);
// Backslash and line feed escaped.
std::string EscapeHelp(absl::string_view help);
// 25001 -> "25001", 0.25 -> "0.25", infinity -> "+Inf".
std::string FormatValue(double value);

}  // namespace speckd::server::metrics

#endif  // SPECKD_SERVER_METRICS_EXPOSITION_H_
