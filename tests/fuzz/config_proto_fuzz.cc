// A configuration as a gRPC client sends it (a serialized SpeckConfiguration)
// -> the domain configuration -> validation -> the chip model.
#include <cstddef>
#include <cstdint>

#include "driver/chip/model.h"
#include "driver/chip/validate.h"
#include "proto/codec/config_codec.h"
#include "proto/speckd/v1/config.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  speckd::v1::SpeckConfiguration proto;
  if (!proto.ParseFromArray(data, static_cast<int>(size))) return 0;
  const speckd::chip::SpeckConfig config = speckd::codec::FromProto(proto);
  if (!speckd::chip::Validate(config).ok()) return 0;
  (void)speckd::chip::ChipModel::Create(config);
  return 0;
}
