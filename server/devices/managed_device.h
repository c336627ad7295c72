// ManagedDevice: what speckd keeps for one device it owns, as the services
// and the subscription hub see it. The control lease (one writer, many
// readers), the state machine (ready -> configured -> streaming; lost and
// back; unusable), the
// applied configuration, writes, the device controls, and the graphs that
// run on the device's output. ManagedDeviceImpl (managed_device_impl.h) is
// the real one; tests give services and the hub fakes.
//
//   absl::StatusOr<LeaseInfo> lease = dev->AcquireLease("alice@lab", ttl);
//   dev->ApplyConfiguration(config, lease->lease_id);
//   dev->SubmitWrite(lease->lease_id, std::move(job));
#ifndef SPECKD_SERVER_DEVICES_MANAGED_DEVICE_H_
#define SPECKD_SERVER_DEVICES_MANAGED_DEVICE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "driver/board.h"
#include "driver/chip/config.h"
#include "driver/chip/validate.h"
#include "driver/device.h"
#include "server/devices/graph_set.h"
#include "server/devices/input_tap.h"
#include "server/devices/input_writer.h"
#include "server/devices/lease.h"
#include "server/graph/graph.h"

namespace speckd::server {

enum class DeviceState {
  kAbsent,
  kReady,
  kConfigured,
  kStreaming,
  // Unplugged while speckd had it; the configuration is kept and re-applied
  // when the same board returns.
  kLost,
  // Present but cannot be driven: DeviceSnapshot::problem says why.
  kUnusable,
};

const char* DeviceStateName(DeviceState state);

// A consistent copy of one device's public facts.
struct DeviceSnapshot {
  driver::DeviceDescriptor descriptor;
  DeviceState state = DeviceState::kReady;
  // Why it is LOST or UNUSABLE, and what to do; empty otherwise.
  std::string state_detail;
  driver::BoardProblem problem;
  // Holder and expiry only (no lease_id); nullopt when free.
  std::optional<LeaseInfo> lease;
  driver::StopWatchState stop_watch;
  driver::SlowClockState slow_clock;
  driver::Pacing pacing = driver::Pacing::kRealTime;
  double power_monitor_rate_hz = 0;
  driver::DeviceCounters counters;
  // Writes admitted or waiting in speckd, not yet in the device.
  uint64_t pending_writes = 0;
};

// What subscribers should know that is not data.
struct Notice {
  enum class Kind {
    kDeviceReconfigured,
    kStopWatchReset,
    kInputsDropped,  // cancelled, or dropped by a reset or an apply
    kGraphStopped,   // a graph stopped by itself (lost its lease)
    kShuttingDown,
    kDeviceLost,  // unplugged: the device's streams end after this
  };
  Kind kind = Kind::kDeviceReconfigured;
  std::string message;
  // kInputsDropped: how many.
  uint64_t dropped_inputs = 0;
};

// Where a device's notices go (the subscription hub). Called on the device
// thread, in order with the data its graphs publish, so that a subscriber
// sees a reset exactly where it happened. Must not block.
class NoticeSink {
 public:
  virtual ~NoticeSink() = default;
  // To every stream of the device.
  virtual void OnDeviceNotice(const std::string& device_id,
                              const Notice& notice) = 0;
  // To the streams of one graph.
  virtual void OnGraphNotice(const std::string& graph_id,
                             const Notice& notice) = 0;
};

class ManagedDevice {
 public:
  virtual ~ManagedDevice() = default;

  virtual const std::string& id() const = 0;
  virtual DeviceSnapshot Snapshot() const = 0;

  // --- control lease (FAILED_PRECONDITION naming the holder and expiry) ---
  virtual absl::StatusOr<LeaseInfo> AcquireLease(const std::string& holder,
                                                 absl::Duration ttl) = 0;
  // AcquireLease whoever holds it (the caller was allowed to: an admin).
  virtual absl::StatusOr<LeaseInfo> TakeOverLease(const std::string& holder,
                                                  absl::Duration ttl) = 0;
  virtual absl::StatusOr<LeaseInfo> RenewLease(const std::string& lease_id) = 0;
  virtual absl::Status ReleaseLease(const std::string& lease_id) = 0;
  virtual absl::Status CheckLease(const std::string& lease_id) const = 0;

  // --- configuration ---
  // Validates (INVALID_ARGUMENT listing every error), drops inputs still
  // queued for the old one, applies, and returns the report (warnings,
  // not-modelled findings, memory). Needs the lease.
  virtual absl::StatusOr<chip::ValidationReport> ApplyConfiguration(
      const chip::SpeckConfig& config, const std::string& lease_id) = 0;
  virtual bool configured() const = 0;
  // As applied; shared, so that taking it per write costs no copy.
  virtual std::shared_ptr<const chip::SpeckConfig> configuration() const = 0;

  // --- device controls: the lease, except to read neurons ---
  // A reset drops inputs queued for the old epoch.
  virtual absl::StatusOr<driver::StopWatchState> SetStopWatch(
      const std::string& lease_id, std::optional<bool> enable, bool reset) = 0;
  virtual absl::StatusOr<driver::SlowClockState> SetSlowClock(
      const std::string& lease_id, bool enable, double rate_hz) = 0;
  virtual absl::StatusOr<driver::Pacing> SetPacing(const std::string& lease_id,
                                                   driver::Pacing pacing) = 0;
  virtual absl::StatusOr<double> SetPowerMonitorRate(
      const std::string& lease_id, double rate_hz) = 0;
  virtual absl::StatusOr<std::vector<int16_t>> ReadNeurons(
      int layer, absl::Span<const driver::NeuronAddress> neurons,
      std::vector<driver::NeuronAddress>* addresses) = 0;
  virtual absl::Status WriteNeurons(
      const std::string& lease_id, int layer,
      absl::Span<const driver::NeuronAddress> neurons,
      absl::Span<const int16_t> values) = 0;

  // --- event writes ---
  // Hands `job` to the device's writer (never blocks the caller; see
  // input_writer.h). The lease is checked now. FAILED_PRECONDITION before a
  // configuration is applied.
  virtual absl::Status SubmitWrite(const std::string& lease_id,
                                   WriteJob job) = 0;
  struct Cancelled {
    // Inputs the device had queued, and writes speckd still held.
    uint64_t queued_inputs = 0;
    uint64_t pending_writes = 0;
  };
  // Drops every input not yet processed; needs the lease.
  virtual absl::StatusOr<Cancelled> CancelInputs(
      const std::string& lease_id) = 0;
  // True once every accepted input is processed (or dropped) and its outputs
  // delivered; false after `timeout` of wall time.
  virtual bool WaitUntilIdle(absl::Duration timeout) = 0;

  // --- graphs ---
  // Adds a graph built for `config` (RESOURCE_EXHAUSTED beyond the device's
  // cap on client graphs).
  virtual absl::Status AddGraph(const std::string& graph_id,
                                std::unique_ptr<graph::Graph> graph,
                                std::shared_ptr<const chip::SpeckConfig> config,
                                GraphOwner owner, bool running) = 0;
  // OK if `lease_id` may start, stop or delete the graph: the lease it was
  // made with, or the device's lease; FAILED_PRECONDITION saying so if not.
  virtual absl::Status CheckGraphAccess(const std::string& graph_id,
                                        const std::string& lease_id) const = 0;
  virtual absl::Status SetGraphRunning(const std::string& graph_id,
                                       bool running) = 0;
  virtual absl::Status RemoveGraph(const std::string& graph_id) = 0;
  virtual absl::StatusOr<GraphInfo> GetGraph(
      const std::string& graph_id) const = 0;
  virtual bool HasGraph(absl::string_view graph_id) const = 0;
  virtual std::vector<GraphInfo> ListGraphs(bool include_internal) const = 0;
  virtual absl::Status AttachEndpoint(
      const std::string& graph_id, const std::string& node,
      std::shared_ptr<graph::EndpointSink> sink) = 0;

  // What device_sink nodes of any graph write into this device through.
  virtual graph::InputSink* input() = 0;
  // The inputs the device accepted, for whoever listens (recordings).
  virtual InputTap* input_tap() = 0;

  // Where notices go (nullptr: nowhere). The sink must outlive the device or
  // be replaced first.
  virtual void SetNoticeSink(NoticeSink* sink) = 0;
  // Runs on every change a watcher should see (state, lease, settings), on
  // the thread that made it; must not block.
  virtual void SetChangeCallback(std::function<void()> callback) = 0;
  // Expires the lease and settles STREAMING -> CONFIGURED after idleness;
  // true if anything changed. Called periodically by the DeviceManager.
  virtual bool Housekeeping() = 0;
};

}  // namespace speckd::server

#endif  // SPECKD_SERVER_DEVICES_MANAGED_DEVICE_H_
