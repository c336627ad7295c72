// A graph as clients create it (a serialized GraphSpec) -> the domain spec
// -> validation and construction of every node (against the tutorial's
// configuration, device_sinks writing into a sink that takes everything).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "proto/codec/graph_codec.h"
#include "proto/speckd/v1/graph_service.pb.h"
#include "server/graph/graph.h"
#include "tests/util/tutorial_example.h"

namespace {

// Where a device_sink writes: takes everything (the daemon's is a device).
class Discard final : public speckd::server::graph::InputSink {
 public:
  absl::StatusOr<uint64_t> Write(absl::Span<const speckd::chip::InputEvent>,
                                 const std::string&) override {
    return 0;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  speckd::v1::GraphSpec proto;
  if (!proto.ParseFromArray(data, static_cast<int>(size))) return 0;
  absl::StatusOr<speckd::server::graph::GraphSpec> spec =
      speckd::codec::GraphSpecFromProto(proto, "speck2edevkit-sim:0", "lease");
  if (!spec.ok()) return 0;
  static const speckd::chip::SpeckConfig* config =
      new speckd::chip::SpeckConfig(
          speckd::testing::LoadTutorialExample().value().config);
  speckd::server::graph::GraphContext context;
  context.config = *config;
  static Discard* sink = new Discard;
  context.input_sink = [](const std::string& device_id)
      -> speckd::server::graph::InputSink* {
    return device_id == "speck2edevkit-sim:0" ? sink : nullptr;
  };
  (void)speckd::server::graph::Graph::Build(*spec, context);
  return 0;
}
