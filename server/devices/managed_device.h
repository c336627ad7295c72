// ManagedDevice: what speckd keeps for one device it owns. The control lease
// (one writer, many readers), the state machine (ready -> configured ->
// streaming; lost), the applied configuration, the graphs that run on the
// device's output, and a writer thread so that gRPC handlers never block on a
// full device queue.
//
//   ManagedDevice dev(std::move(device), clock);
//   auto lease = dev.AcquireLease("alice@lab", absl::Seconds(10));
//   dev.ApplyConfiguration(config, lease->lease_id);
//   dev.SubmitWrite(lease->lease_id, events, /*flush=*/true, deadline, done);
#ifndef SPECKD_SERVER_DEVICES_MANAGED_DEVICE_H_
#define SPECKD_SERVER_DEVICES_MANAGED_DEVICE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "driver/chip/config.h"
#include "driver/chip/validate.h"
#include "driver/clock.h"
#include "driver/device.h"
#include "driver/util/mutex.h"
#include "server/graph/graph.h"

namespace speckd::server {

enum class DeviceState { kAbsent, kReady, kConfigured, kStreaming, kLost };

const char* DeviceStateName(DeviceState state);

struct LeaseInfo {
  // Secret; only the holder learns it.
  std::string lease_id;
  std::string holder;
  absl::Time expires;
  absl::Duration ttl;
};

struct GraphInfo {
  std::string id;
  std::string device_id;
  graph::GraphSpec spec;
  bool running = false;
  bool internal = false;
  std::vector<graph::NodeCounters> counters;
};

// A consistent copy of one device's public facts.
struct DeviceSnapshot {
  driver::DeviceDescriptor descriptor;
  DeviceState state = DeviceState::kReady;
  std::string state_detail;
  // Holder and expiry only (no lease_id); nullopt when free.
  std::optional<LeaseInfo> lease;
  driver::StopWatchState stop_watch;
  driver::SlowClockState slow_clock;
  driver::Pacing pacing = driver::Pacing::kRealTime;
  double power_monitor_rate_hz = 0;
  driver::DeviceCounters counters;
};

class ManagedDevice : public driver::OutputListener, public graph::InputSink {
 public:
  // Takes ownership of `device`; `clock` times leases and idleness.
  ManagedDevice(std::unique_ptr<driver::Device> device, driver::Clock* clock);
  ~ManagedDevice() override;

  const std::string& id() const { return device_->descriptor().id; }
  driver::Device* device() { return device_.get(); }
  DeviceSnapshot Snapshot() const;

  // Called on every change a watcher should see (state, lease, settings).
  void SetChangeCallback(std::function<void()> callback);

  // --- control lease ---------------------------------------------------------
  // FAILED_PRECONDITION naming the holder and expiry if someone else holds it.
  absl::StatusOr<LeaseInfo> AcquireLease(const std::string& holder,
                                         absl::Duration ttl);
  absl::StatusOr<LeaseInfo> RenewLease(const std::string& lease_id);
  absl::Status ReleaseLease(const std::string& lease_id);
  // OK if `lease_id` is the current lease; otherwise FAILED_PRECONDITION
  // saying who holds it until when (or that nobody does).
  absl::Status CheckLease(const std::string& lease_id) const;

  // Expires the lease and settles STREAMING -> CONFIGURED after idleness.
  // Called periodically by the DeviceManager.
  void Housekeeping();

  // --- configuration ---------------------------------------------------------
  // Validates (INVALID_ARGUMENT listing every error), applies, and returns
  // the report (warnings, not-modelled findings, memory).
  absl::StatusOr<chip::ValidationReport> ApplyConfiguration(
      const chip::SpeckConfig& config, const std::string& lease_id);
  bool configured() const;
  // The device's configuration as applied; shared, so that taking it for
  // every write message costs no copy of the weights.
  std::shared_ptr<const chip::SpeckConfig> configuration() const;

  // --- device controls (lease required)
  // ---------------------------------------
  absl::StatusOr<driver::StopWatchState> SetStopWatch(
      const std::string& lease_id, std::optional<bool> enable, bool reset);
  absl::Status SetSlowClock(const std::string& lease_id, bool enable,
                            double rate_hz);
  absl::Status SetPacing(const std::string& lease_id, driver::Pacing pacing);
  absl::Status SetPowerMonitorRate(const std::string& lease_id, double rate_hz);
  absl::Status WriteNeurons(const std::string& lease_id, int layer,
                            absl::Span<const driver::NeuronAddress> neurons,
                            absl::Span<const int16_t> values);

  // --- event writes
  // ----------------------------------------------------------- Queues a
  // validated, time-ordered batch for the device's writer thread (never blocks
  // the caller). `done` runs on that thread once the device has accepted the
  // batch (or refused it, e.g. the queue stayed full until `deadline`); with
  // `flush`, the device is also told to close windows up to the batch's last
  // timestamp. The lease is checked now.
  absl::Status SubmitWrite(const std::string& lease_id,
                           std::vector<chip::InputEvent> events, bool flush,
                           absl::Time deadline,
                           std::function<void(absl::Status)> done);

  // --- graphs ---------------------------------------------------------------
  // Adds a built graph under `id`, stopped or running.
  void AddGraph(const std::string& id, std::unique_ptr<graph::Graph> graph,
                bool internal, bool running);
  // NOT_FOUND if the graph is not on this device.
  absl::Status SetGraphRunning(const std::string& id, bool running);
  // Removes and returns the graph (it no longer receives output once this
  // returns).
  absl::StatusOr<std::unique_ptr<graph::Graph>> RemoveGraph(
      const std::string& id);
  absl::StatusOr<GraphInfo> GetGraph(const std::string& id) const;
  bool HasGraph(absl::string_view id) const;
  std::vector<GraphInfo> ListGraphs(bool include_internal) const;
  // Runs `fn` on the graph while it cannot be removed or processed.
  absl::Status WithGraph(const std::string& id,
                         const std::function<absl::Status(graph::Graph&)>& fn);

  // driver::OutputListener: the device thread delivers output here.
  void OnOutput(const driver::DeviceOutput& output) override;

  // graph::InputSink: device_sink nodes of other graphs write here.
  uint64_t Write(absl::Span<const chip::InputEvent> events) override;

 private:
  struct WriteJob {
    std::vector<chip::InputEvent> events;
    bool flush = false;
    absl::Time deadline;
    std::function<void(absl::Status)> done;
  };
  struct GraphEntry {
    std::unique_ptr<graph::Graph> graph;
    bool internal = false;
    bool running = false;
  };

  absl::Status CheckLeaseLocked(const std::string& lease_id) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void NotifyChanged();
  void WriterLoop();
  GraphInfo InfoOf(const std::string& id, const GraphEntry& entry) const;

  std::unique_ptr<driver::Device> device_;
  driver::Clock* const clock_;

  mutable Mutex mu_;
  DeviceState state_ ABSL_GUARDED_BY(mu_) = DeviceState::kReady;
  std::optional<LeaseInfo> lease_ ABSL_GUARDED_BY(mu_);
  bool configured_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<const chip::SpeckConfig> config_ ABSL_GUARDED_BY(mu_);
  absl::Time last_write_ ABSL_GUARDED_BY(mu_);

  Mutex change_mu_;
  std::function<void()> on_change_ ABSL_GUARDED_BY(change_mu_);

  // Graphs: shared for processing (device thread), exclusive for changes.
  mutable Mutex graphs_mu_;
  std::map<std::string, GraphEntry, std::less<>> graphs_
      ABSL_GUARDED_BY(graphs_mu_);

  Mutex writer_mu_;
  CondVar writer_cv_;
  std::deque<WriteJob> jobs_ ABSL_GUARDED_BY(writer_mu_);
  bool stopping_ ABSL_GUARDED_BY(writer_mu_) = false;
  std::thread writer_;
};

}  // namespace speckd::server

#endif  // SPECKD_SERVER_DEVICES_MANAGED_DEVICE_H_
