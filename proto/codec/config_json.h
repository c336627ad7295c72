// The configuration file format: the protobuf JSON form of
// speckd.v1.SpeckConfiguration with samna's field names (snake_case, as in
// the .proto), e.g.
//
//   {"cnn_layers": [{"dimensions": {"input_shape": {"size": {"x": 16, "y": 16},
//     "feature_count": 1}, ...}, "threshold_high": 127, ...}],
//    "dvs_layer": {"cut": {"x": 127, "y": 127}}}
//
// The JSON must be strict (no trailing commas, member names in double
// quotes); a syntax error says its line and column. Unknown field names are
// errors (a typo must not pass silently): every one is reported with its
// path and, when it looks like a typo, the field meant.
#ifndef SPECKD_PROTO_CODEC_CONFIG_JSON_H_
#define SPECKD_PROTO_CODEC_CONFIG_JSON_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/speckd/v1/config.pb.h"

namespace speckd::codec {

// Something wrong with a configuration file's text: where (a field path,
// empty for the text as a whole) and what.
struct JsonProblem {
  std::string path;
  std::string message;
  // "path: message", or the message alone.
  std::string ToString() const;
};

// Every problem reading `json` as a configuration: each unknown field with
// its path and, when it looks like a typo, the field meant ("unknown field
// (did you mean threshold_high?)"), sorted by path; else the first syntax
// error ("line 3, column 7: ...") or the parser's (a wrong type). Empty when
// it parses.
std::vector<JsonProblem> ConfigurationJsonProblems(absl::string_view json);

// The configuration, or INVALID_ARGUMENT listing ConfigurationJsonProblems,
// one per line.
absl::StatusOr<speckd::v1::SpeckConfiguration> ParseConfigurationJson(
    absl::string_view json);

// Pretty-printed, samna field names, fields at their zero value omitted.
std::string ConfigurationToJson(const speckd::v1::SpeckConfiguration& config);

}  // namespace speckd::codec

#endif  // SPECKD_PROTO_CODEC_CONFIG_JSON_H_
