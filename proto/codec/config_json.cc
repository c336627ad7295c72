#include "proto/codec/config_json.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"

namespace speckd::codec {

absl::StatusOr<speckd::v1::SpeckConfiguration> ParseConfigurationJson(
    absl::string_view json) {
  speckd::v1::SpeckConfiguration config;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &config,
      options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "not a valid configuration: ",
        std::string(status.message().data(), status.message().size())));
  }
  return config;
}

std::string ConfigurationToJson(const speckd::v1::SpeckConfiguration& config) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  std::string out;
  // Printing a valid message cannot fail.
  (void)google::protobuf::util::MessageToJsonString(config, &out, options);
  return out;
}

}  // namespace speckd::codec
