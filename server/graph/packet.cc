#include "server/graph/packet.h"

namespace speckd::server::graph {

const char* PortTypeName(PortType type) {
  switch (type) {
    case PortType::kNone:
      return "none";
    case PortType::kEvents:
      return "events";
    case PortType::kCollections:
      return "collections";
    case PortType::kCounts:
      return "counts";
    case PortType::kFrames:
      return "frames";
    case PortType::kReadout:
      return "readout";
    case PortType::kAny:
      return "any";
  }
  return "unknown";
}

uint64_t Packet::items() const {
  switch (type) {
    case PortType::kEvents:
      return spikes.size() + readout_values.size() + readout_pins.size() +
             power.size();
    case PortType::kCollections:
      return collections.size();
    case PortType::kCounts:
      return counts.size();
    case PortType::kFrames:
      return frames.size();
    case PortType::kReadout:
      return majority.size();
    case PortType::kNone:
    case PortType::kAny:
      break;
  }
  return 0;
}

}  // namespace speckd::server::graph
