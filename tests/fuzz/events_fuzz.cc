// Event writes as clients send them (a serialized WriteEventsRequest:
// packed batches or raw columns) through the edge check against the
// tutorial's configuration, then into the chip model, as the simulated
// devkit processes them.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "driver/chip/model.h"
#include "proto/codec/events_codec.h"
#include "proto/speckd/v1/event_service.pb.h"
#include "tests/util/tutorial_example.h"

namespace {

const speckd::chip::SpeckConfig& Tutorial() {
  static const speckd::chip::SpeckConfig* config =
      new speckd::chip::SpeckConfig(
          speckd::testing::LoadTutorialExample().value().config);
  return *config;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  speckd::v1::WriteEventsRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  absl::StatusOr<std::vector<speckd::chip::InputEvent>> inputs =
      speckd::codec::InputsFromProto(request, Tutorial());
  if (!inputs.ok()) return 0;
  std::unique_ptr<speckd::chip::ChipModel> model =
      speckd::chip::ChipModel::Create(Tutorial()).value();
  speckd::chip::OutputBatch out;
  for (const speckd::chip::InputEvent& input : *inputs) {
    model->Process(input, &out);
  }
  return 0;
}
