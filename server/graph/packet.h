// What flows along a graph's edges. Every packet carries the device time line
// (epoch, time reached, flush), so windowing nodes downstream can close
// windows even when no event arrives.
#ifndef SPECKD_SERVER_GRAPH_PACKET_H_
#define SPECKD_SERVER_GRAPH_PACKET_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "driver/chip/events.h"
#include "driver/device.h"

namespace speckd::server::graph {

// The type of a port: what a node takes in or puts out.
enum class PortType {
  kNone,
  // Device output events: spikes, readout values/pins, power measurements.
  kEvents,
  // Spikes grouped per window (SpikeCollection).
  kCollections,
  // Per-feature counts per window (SpikeCount).
  kCounts,
  // Count maps of one layer per window (activity frames).
  kFrames,
  // Majority-readout predictions.
  kReadout,
  // Any of the above (the subscription endpoint).
  kAny,
};

const char* PortTypeName(PortType type);

struct TimeLine {
  uint64_t epoch = 0;
  // Every later event of this epoch has timestamp_us >= time_us.
  uint64_t time_us = 0;
  // A writer finished: close windows up to and including last_input_us.
  bool flush = false;
  uint64_t last_input_us = 0;
};

// Windowed items say how many empty windows came between the previous
// window and this one (`empty_before`), so that a jump of the time line
// costs one item, whatever its length. Those windows are empty, not dropped.

struct SpikeWindow {
  uint64_t start_us = 0;
  uint64_t end_us = 0;
  uint64_t empty_before = 0;
  std::vector<chip::Spike> spikes;
};

struct CountWindow {
  uint64_t start_us = 0;
  uint64_t end_us = 0;
  uint64_t empty_before = 0;
  std::vector<uint32_t> counts;  // per feature
};

struct ActivityFrame {
  uint32_t layer = 0;
  uint64_t start_us = 0;
  uint64_t end_us = 0;
  uint64_t empty_before = 0;
  uint32_t width = 0;
  uint32_t height = 0;
  std::vector<uint32_t> counts;  // [y * width + x], summed over features
  uint64_t total = 0;
};

struct MajorityDecision {
  uint64_t start_us = 0;
  uint64_t end_us = 0;
  uint64_t empty_before = 0;
  uint32_t feature = 0;
  uint32_t count = 0;
  bool decided = false;  // false: the default feature was chosen
};

// Views into storage owned by the producing node (or the device output);
// valid only for the duration of the call that receives the packet.
struct Packet {
  PortType type = PortType::kEvents;
  TimeLine time;
  absl::Span<const chip::Spike> spikes;
  absl::Span<const chip::ReadoutValue> readout_values;
  absl::Span<const chip::ReadoutPinValue> readout_pins;
  absl::Span<const driver::PowerMeasurement> power;
  absl::Span<const SpikeWindow> collections;
  absl::Span<const CountWindow> counts;
  absl::Span<const ActivityFrame> frames;
  absl::Span<const MajorityDecision> majority;

  // Events, windows, frames or decisions the packet carries (for counters
  // and drop accounting).
  uint64_t items() const;
};

}  // namespace speckd::server::graph

#endif  // SPECKD_SERVER_GRAPH_PACKET_H_
