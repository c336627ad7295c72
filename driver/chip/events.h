// Events into and out of the chip model. Timestamps are stop-watch µs, 64 bit.
#ifndef SPECKD_DRIVER_CHIP_EVENTS_H_
#define SPECKD_DRIVER_CHIP_EVENTS_H_

#include <cstdint>
#include <vector>

namespace speckd::chip {

// samna speck2e::event::Spike. As input: layer = target core 0..8. As output
// (monitor): layer = source core 0..8, or 13 for the DVS layer.
struct Spike {
  uint64_t timestamp_us = 0;
  uint16_t feature = 0;
  uint8_t layer = 0;
  uint8_t x = 0;
  uint8_t y = 0;
};

inline bool operator==(const Spike& a, const Spike& b) {
  return a.timestamp_us == b.timestamp_us && a.feature == b.feature &&
         a.layer == b.layer && a.x == b.x && a.y == b.y;
}

// samna speck2e::event::DvsEvent, written into the DVS layer.
struct DvsEvent {
  uint64_t timestamp_us = 0;
  uint8_t x = 0;
  uint8_t y = 0;
  bool p = false;  // true = ON
};

// One input of either kind, for queues that keep write order across kinds.
struct InputEvent {
  enum class Kind : uint8_t { kDvsEvent, kSpike };

  static InputEvent FromDvs(const DvsEvent& e) {
    return {e.timestamp_us, 0, 0, e.x, e.y, e.p, Kind::kDvsEvent};
  }
  static InputEvent FromSpike(const Spike& s) {
    return {s.timestamp_us, s.feature, s.layer, s.x, s.y, false, Kind::kSpike};
  }

  uint64_t timestamp_us = 0;
  uint16_t feature = 0;  // Spike only
  uint8_t layer = 0;     // Spike only: target core
  uint8_t x = 0;
  uint8_t y = 0;
  bool p = false;  // DvsEvent only
  Kind kind = Kind::kSpike;
};

// samna ReadoutValue, stamped with the slow-clock tick that produced it.
struct ReadoutValue {
  uint64_t timestamp_us = 0;
  uint32_t value = 0;
};

// samna ReadoutPinValue: class index 1..15 (0 = idle).
struct ReadoutPinValue {
  uint64_t timestamp_us = 0;
  uint32_t index = 0;
};

// What the chip sends the host, in emission order per kind. Reused across
// calls: clear() keeps capacity so steady-state runs do not allocate.
struct OutputBatch {
  std::vector<Spike> spikes;
  std::vector<ReadoutValue> readout_values;
  std::vector<ReadoutPinValue> readout_pins;

  void clear() {
    spikes.clear();
    readout_values.clear();
    readout_pins.clear();
  }
  bool empty() const {
    return spikes.empty() && readout_values.empty() && readout_pins.empty();
  }
};

}  // namespace speckd::chip

#endif  // SPECKD_DRIVER_CHIP_EVENTS_H_
