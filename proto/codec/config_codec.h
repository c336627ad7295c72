// Conversions between the speckd.v1 configuration messages and the chip
// model's domain types (driver/chip/config.h, driver/chip/validate.h).
//
//   chip::SpeckConfig config = FromProto(request.configuration());
//   chip::ValidationReport report = chip::Validate(config);
//   for (const chip::ConfigProblem& p : report.problems)
//     ToProto(p, response.add_problems());
//
// FromProto applies samna's defaults where the proto says "0 (or absence)
// means default"; ToProto writes every field explicitly, so that
// GetConfiguration shows the configuration in effect with nothing implied.
#ifndef SPECKD_PROTO_CODEC_CONFIG_CODEC_H_
#define SPECKD_PROTO_CODEC_CONFIG_CODEC_H_

#include <string>

#include "absl/status/statusor.h"
#include "driver/chip/config.h"
#include "driver/chip/validate.h"
#include "proto/speckd/v1/config.pb.h"

namespace speckd::codec {

// Never fails: every proto value has a domain value, and range problems are
// left to chip::Validate so that they are reported with their field paths.
// Defaults: stride and pooling 0 -> 1, dvs_layer.on_channel / off_channel
// absent -> true, dvs_layer.cut absent -> (127, 127), quirks absent -> true.
// cnn_layers gets max(9, n) entries: missing cores stay unused, extra ones
// are kept so that validation can report the count.
chip::SpeckConfig FromProto(const speckd::v1::SpeckConfiguration& proto);

// Every field explicit (stride, pooling, on/off_channel, cut and quirks set)
// and at least 9 cnn_layers entries. Replaces *out.
void ToProto(const chip::SpeckConfig& config,
             speckd::v1::SpeckConfiguration* out);
void ToProto(const chip::ConfigProblem& problem,
             speckd::v1::ConfigProblem* out);
void ToProto(const chip::CoreMemoryUsage& usage,
             speckd::v1::CoreMemoryUsage* out);

// Reads a configuration file (JSON, see config_json.h). NOT_FOUND,
// PERMISSION_DENIED etc. naming the path when the file can't be read;
// INVALID_ARGUMENT "<path>: <problem>", one line per problem, for bad JSON
// or a file over kMaxConfigFileBytes.
absl::StatusOr<chip::SpeckConfig> LoadConfigFile(const std::string& path);

// Far above any configuration (full kernels of all 9 cores are ~2 MiB).
inline constexpr size_t kMaxConfigFileBytes = size_t{64} << 20;

}  // namespace speckd::codec

#endif  // SPECKD_PROTO_CODEC_CONFIG_CODEC_H_
