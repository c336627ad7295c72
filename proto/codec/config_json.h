// The configuration file format: the protobuf JSON form of
// speckd.v1.SpeckConfiguration with samna's field names (snake_case, as in
// the .proto), e.g.
//
//   {"cnn_layers": [{"dimensions": {"input_shape": {"size": {"x": 16, "y": 16},
//     "feature_count": 1}, ...}, "threshold_high": 127, ...}],
//    "dvs_layer": {"cut": {"x": 127, "y": 127}}}
//
// Unknown field names are errors (a typo must not pass silently): every one
// is reported with its path and, when it looks like a typo, the field meant.
#ifndef SPECKD_PROTO_CODEC_CONFIG_JSON_H_
#define SPECKD_PROTO_CODEC_CONFIG_JSON_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/speckd/v1/config.pb.h"

namespace speckd::codec {

// INVALID_ARGUMENT naming the offending field or position on bad JSON; for
// unknown fields, one line per field as UnknownConfigurationFields says.
absl::StatusOr<speckd::v1::SpeckConfiguration> ParseConfigurationJson(
    absl::string_view json);

// "cnn_layers[0].treshold_high: unknown field (did you mean
// threshold_high?)" for every key of `json` that is no field, sorted by
// path; empty when there are none or the text is not JSON at all.
std::vector<std::string> UnknownConfigurationFields(absl::string_view json);

// Pretty-printed, samna field names, fields at their zero value omitted.
std::string ConfigurationToJson(const speckd::v1::SpeckConfiguration& config);

}  // namespace speckd::codec

#endif  // SPECKD_PROTO_CODEC_CONFIG_JSON_H_
