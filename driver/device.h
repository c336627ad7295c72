// The Device seam: what speckd needs from a Speck2e devkit. Implementations:
// the simulated devkit (driver/sim), boards driven through SynSense's samna
// (driver/samna), and boards on USB once their wire protocol has a driver
// (driver/usb). Backends report boards as they come and
// go (board.h). The daemon, the
// event graph and every test talk only to this interface.
//
//   std::unique_ptr<Device> dev = sim::NewSimDevice(/*rank=*/0);
//   dev->SetOutputListener(&listener);            // outputs arrive here
//   dev->ApplyConfiguration(config);
//   dev->Write(events, clock->Now() + absl::Seconds(1));
//   dev->Flush();
//
// Threading: every method is thread-safe. Outputs are delivered on the
// device's own thread, one OnOutput call at a time, in time order.
// Deadlines are on the Clock the device was made with.
//
// Queued input: what a device accepted but has not processed yet is dropped
// (and counted in `dropped_inputs`) by CancelInputs, a stop-watch reset and
// ApplyConfiguration; the listener hears of each in order, as a DeviceNotice
// on the next output. That covers everything speckd holds; a hardware driver
// keeps only a bounded lead of input in the board.
#ifndef SPECKD_DRIVER_DEVICE_H_
#define SPECKD_DRIVER_DEVICE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "driver/chip/config.h"
#include "driver/chip/events.h"

namespace speckd::driver {

enum class Backend { kSim, kUsb, kSamna };

// "sim", "usb", "samna".
inline const char* BackendName(Backend backend) {
  switch (backend) {
    case Backend::kSim:
      return "sim";
    case Backend::kUsb:
      return "usb";
    case Backend::kSamna:
      return "samna";
  }
  return "?";
}

// Identity of a device; fixed for the device's lifetime.
struct DeviceDescriptor {
  // Stable id "<type>:<rank>", e.g. "speck2edevkit:0" (sinabs' naming) for
  // the first real devkit, "speck2edevkit-sim:0" for the first simulated
  // one. Assigned by the daemon (docs/daemon.md, "Device ids").
  std::string id;
  // samna's device type name, e.g. "Speck2eDevKit".
  std::string type_name;
  std::string serial_number;
  Backend backend = Backend::kSim;
  // USB location and identity; zero/empty for simulated devices.
  uint32_t usb_bus_number = 0;
  uint32_t usb_device_address = 0;
  // Hub ports from the root, "1.3" (as in /sys/bus/usb/devices/2-1.3).
  std::string usb_port_path;
  // "high" (480 Mbit/s), "super" (5 Gbit/s), ...; empty when unknown.
  std::string usb_speed;
  uint16_t usb_vendor_id = 0;
  uint16_t usb_product_id = 0;
  // The string descriptors, when the device could be opened to read them.
  std::string manufacturer;
  std::string product;
  std::string logic_version;
  // What drives the board, in words ("samna 0.48.6 through speckd's
  // bridge, ..."); empty for the simulated devkit.
  std::string driver_detail;
};

enum class Pacing {
  // Inputs are released when the stop watch reaches their timestamp.
  kRealTime,
  // Every write is processed at once; the stop watch follows the inputs.
  kAsFastAsPossible,
};

// One power-monitor reading (samna unifirm Measurement).
struct PowerMeasurement {
  uint64_t timestamp_us = 0;
  // 0 VDD_IO, 1 VDD_RAM, 2 VDD_LOGIC, 3 VDD_PIXEL_DIGITAL, 4 VDD_PIXEL_ANALOG.
  uint8_t channel = 0;
  double value_w = 0;
};

// Something that happened to a device between two of its outputs.
struct DeviceNotice {
  enum class Kind {
    kReconfigured,     // ApplyConfiguration
    kStopWatchReset,   // SetStopWatch(reset): a new epoch
    kInputsCancelled,  // CancelInputs
  };
  Kind kind = Kind::kReconfigured;
  // Queued inputs it dropped.
  uint64_t dropped_inputs = 0;
};

// What a device hands its listener: events in emission order plus how far
// its time line has progressed.
struct DeviceOutput {
  chip::OutputBatch events;
  std::vector<PowerMeasurement> power;
  // The configuration these events come from: a new object from the first
  // output after ApplyConfiguration (listeners compare pointers).
  std::shared_ptr<const chip::SpeckConfig> configuration;
  // What happened since the previous output, in order; a device delivers an
  // output right after each, even when nothing else happens.
  std::vector<DeviceNotice> notices;
  // Stop-watch epoch (incremented by every reset) these timestamps belong to.
  uint64_t epoch = 0;
  // Every later output of this epoch has timestamp_us >= time_us: windows
  // ending at or before it can close.
  uint64_t time_us = 0;
  // Set when this output completes a Flush(): everything written before it
  // has been processed; last_input_us is the largest input timestamp.
  bool flush = false;
  uint64_t last_input_us = 0;
};

class OutputListener {
 public:
  virtual ~OutputListener() = default;
  // Called on the device thread. May block to apply back-pressure (the
  // device then stops processing and its writers are slowed).
  virtual void OnOutput(const DeviceOutput& output) = 0;
};

struct StopWatchState {
  bool enabled = false;
  uint64_t time_us = 0;
  uint64_t epoch = 0;
};

struct SlowClockState {
  bool enabled = false;
  double rate_hz = 0;
};

// Counters since the device was created.
struct DeviceCounters {
  uint64_t events_in = 0;
  uint64_t events_out = 0;
  // events_out by kind: the spikes each core's monitor reported, the DVS
  // layer's monitor (layer 13), and readout values and pins.
  std::array<uint64_t, chip::kNumCores> core_spikes_out{};
  uint64_t dvs_monitor_out = 0;
  uint64_t readout_out = 0;
  // Inputs accepted but not yet processed (waiting for their time).
  uint64_t queued_inputs = 0;
  // Accepted inputs dropped before processing (cancel, reset, apply).
  uint64_t dropped_inputs = 0;
  uint64_t synops = 0;
  uint64_t late_inputs = 0;
  uint64_t cascade_overflow = 0;
  // Outputs the driver could not queue for its listener (bounded).
  uint64_t dropped_outputs = 0;
};

struct NeuronAddress {
  uint32_t feature = 0;
  uint32_t x = 0;
  uint32_t y = 0;
};

class Device {
 public:
  virtual ~Device() = default;

  // The reference stays valid for the device's lifetime.
  virtual const DeviceDescriptor& descriptor() const = 0;

  // Where outputs go (nullptr: discarded). Set before writing; the listener
  // must outlive the device or be replaced first. Returns once no delivery
  // to the previous listener is in progress.
  virtual void SetOutputListener(OutputListener* listener) = 0;

  // Loads a configuration (validated again here: INVALID_ARGUMENT with every
  // problem). Neuron states reset to neurons_initial_value; queued inputs are
  // dropped (the new network would read them differently); the stop watch
  // and its epoch are unchanged.
  virtual absl::Status ApplyConfiguration(const chip::SpeckConfig& config) = 0;
  // The configuration in effect (chip defaults until one is applied); shared,
  // never changed once published.
  virtual std::shared_ptr<const chip::SpeckConfig> configuration() const = 0;

  // Queues inputs, all or none: in non-decreasing timestamp order and each
  // one fit for the configuration (INVALID_ARGUMENT naming the first that is
  // not). Blocks while the input queue is full, up to `deadline` (then
  // DEADLINE_EXCEEDED, nothing queued); ABORTED if the queue is dropped
  // meanwhile; UNAVAILABLE once the device is stopping.
  // FAILED_PRECONDITION before a configuration is applied. The batch is moved
  // into the device's queue (no copy).
  virtual absl::Status Write(std::vector<chip::InputEvent> events,
                             absl::Time deadline) = 0;
  // After every input written so far is processed, delivers an output with
  // flush set. Does not wait.
  virtual void Flush() = 0;
  // Drops every queued input (and writes waiting for room); returns how many
  // inputs it dropped.
  virtual absl::StatusOr<uint64_t> CancelInputs() = 0;
  // True once every input written so far has been processed or dropped and
  // the outputs have been delivered; false if that takes longer than
  // `timeout` (wall time: a guard for callers such as tests, not a device
  // deadline).
  virtual bool WaitUntilIdle(absl::Duration timeout) = 0;

  // Stop watch: enable (unset keeps it), reset (new epoch, time 0; queued
  // inputs, stamped for the old epoch, are dropped).
  virtual absl::StatusOr<StopWatchState> SetStopWatch(
      std::optional<bool> enable, bool reset) = 0;
  virtual StopWatchState stop_watch() const = 0;

  virtual absl::Status SetSlowClock(bool enable, double rate_hz) = 0;
  virtual SlowClockState slow_clock() const = 0;

  // UNIMPLEMENTED where the device cannot (a USB devkit is always real time).
  virtual absl::Status SetPacing(Pacing pacing) = 0;
  virtual Pacing pacing() const = 0;

  // Samples per second, 1..100; 0 turns the power monitor off.
  virtual absl::Status SetPowerMonitorRate(double rate_hz) = 0;
  virtual double power_monitor_rate() const = 0;

  // Membrane state of core `layer`; empty `neurons` reads the whole core.
  // Like every call that needs the device thread, UNAVAILABLE once the
  // device is shutting down.
  virtual absl::StatusOr<std::vector<int16_t>> ReadNeurons(
      int layer, absl::Span<const NeuronAddress> neurons,
      std::vector<NeuronAddress>* addresses) = 0;
  virtual absl::Status WriteNeurons(int layer,
                                    absl::Span<const NeuronAddress> neurons,
                                    absl::Span<const int16_t> values) = 0;

  virtual DeviceCounters counters() const = 0;

  // Liveness, for the daemon's watchdog: `pong` runs once the thread that
  // does the device's work gets to it (after what is queued before it), and
  // never if the device is stopping. Never blocks. A device that leaves a
  // ping unanswered for long is taken for wedged and its driver restarted.
  virtual void Ping(std::function<void()> pong) = 0;
};

}  // namespace speckd::driver

#endif  // SPECKD_DRIVER_DEVICE_H_
