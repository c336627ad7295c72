#include "driver/samna/configuration_json.h"

#include "google/protobuf/util/json_util.h"
#include "proto/codec/config_codec.h"
#include "proto/speckd/v1/config.pb.h"

namespace speckd::driver::samna {

std::string ConfigurationJsonForSamna(const chip::SpeckConfig& config) {
  speckd::v1::SpeckConfiguration proto;
  codec::ToProto(config, &proto);
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  // Printing a message cannot fail.
  (void)google::protobuf::util::MessageToJsonString(proto, &out, options);
  return out;
}

}  // namespace speckd::driver::samna
