// A configuration file, as speckd reads it from clients and disk: JSON with
// samna's field names -> every unknown field and type problem -> the proto
// -> validation -> the chip model built from it (Compile).
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "driver/chip/model.h"
#include "driver/chip/validate.h"
#include "proto/codec/config_codec.h"
#include "proto/codec/config_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view json(reinterpret_cast<const char*>(data), size);
  (void)speckd::codec::ConfigurationJsonProblems(json);
  absl::StatusOr<speckd::v1::SpeckConfiguration> proto =
      speckd::codec::ParseConfigurationJson(json);
  if (!proto.ok()) return 0;
  const speckd::chip::SpeckConfig config = speckd::codec::FromProto(*proto);
  const speckd::chip::ValidationReport report = speckd::chip::Validate(config);
  if (!report.ok()) return 0;
  (void)speckd::chip::ChipModel::Create(config);
  return 0;
}
