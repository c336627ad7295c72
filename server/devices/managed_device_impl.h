// ManagedDeviceImpl: the ManagedDevice of a real driver::Device (simulated
// or hardware). It composes the pieces that each do one job:
//
//   ControlLease  who may change the device (lease.h)
//   InputWriter   writes into the device off the gRPC threads (input_writer.h)
//   GraphSet      the graphs, owned by the device thread (graph_set.h)
//
// and adds the state machine, the configuration cache, notices and the
// device_sink input. It is the device's output listener.
//
//   ManagedDeviceImpl dev(sim::NewSimDevice(options), clock, {});
#ifndef SPECKD_SERVER_DEVICES_MANAGED_DEVICE_IMPL_H_
#define SPECKD_SERVER_DEVICES_MANAGED_DEVICE_IMPL_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "driver/clock.h"
#include "driver/device.h"
#include "driver/util/mutex.h"
#include "server/devices/graph_set.h"
#include "server/devices/input_writer.h"
#include "server/devices/lease.h"
#include "server/devices/managed_device.h"

namespace speckd::server {

struct ManagedDeviceOptions {
  GraphSetOptions graphs;
  InputWriterOptions writer;
};

class ManagedDeviceImpl final : public ManagedDevice,
                                public driver::OutputListener,
                                public graph::InputSink {
 public:
  // Takes ownership of `device`; `clock` times leases, idleness and write
  // deadlines, and must outlive this.
  ManagedDeviceImpl(std::unique_ptr<driver::Device> device,
                    driver::Clock* clock, const ManagedDeviceOptions& options);
  // Shutdown(), then destroys the device.
  ~ManagedDeviceImpl() override;

  // Refuses new calls (UNAVAILABLE), drops what is queued, stops the writer
  // and detaches from the device. Idempotent; not concurrently with itself.
  void Shutdown();

  const std::string& id() const override { return device_->descriptor().id; }
  DeviceSnapshot Snapshot() const override;

  absl::StatusOr<LeaseInfo> AcquireLease(const std::string& holder,
                                         absl::Duration ttl) override;
  absl::StatusOr<LeaseInfo> RenewLease(const std::string& lease_id) override;
  absl::Status ReleaseLease(const std::string& lease_id) override;
  absl::Status CheckLease(const std::string& lease_id) const override;

  absl::StatusOr<chip::ValidationReport> ApplyConfiguration(
      const chip::SpeckConfig& config, const std::string& lease_id) override;
  bool configured() const override;
  std::shared_ptr<const chip::SpeckConfig> configuration() const override;

  absl::StatusOr<driver::StopWatchState> SetStopWatch(
      const std::string& lease_id, std::optional<bool> enable,
      bool reset) override;
  absl::StatusOr<driver::SlowClockState> SetSlowClock(
      const std::string& lease_id, bool enable, double rate_hz) override;
  absl::StatusOr<driver::Pacing> SetPacing(const std::string& lease_id,
                                           driver::Pacing pacing) override;
  absl::StatusOr<double> SetPowerMonitorRate(const std::string& lease_id,
                                             double rate_hz) override;
  absl::StatusOr<std::vector<int16_t>> ReadNeurons(
      int layer, absl::Span<const driver::NeuronAddress> neurons,
      std::vector<driver::NeuronAddress>* addresses) override;
  absl::Status WriteNeurons(const std::string& lease_id, int layer,
                            absl::Span<const driver::NeuronAddress> neurons,
                            absl::Span<const int16_t> values) override;

  absl::Status SubmitWrite(const std::string& lease_id, WriteJob job) override;
  absl::StatusOr<Cancelled> CancelInputs(const std::string& lease_id) override;
  bool WaitUntilIdle(absl::Duration timeout) override;

  absl::Status AddGraph(const std::string& graph_id,
                        std::unique_ptr<graph::Graph> graph,
                        std::shared_ptr<const chip::SpeckConfig> config,
                        GraphOwner owner, bool running) override;
  absl::Status CheckGraphAccess(const std::string& graph_id,
                                const std::string& lease_id) const override;
  absl::Status SetGraphRunning(const std::string& graph_id,
                               bool running) override;
  absl::Status RemoveGraph(const std::string& graph_id) override;
  absl::StatusOr<GraphInfo> GetGraph(
      const std::string& graph_id) const override;
  bool HasGraph(absl::string_view graph_id) const override;
  std::vector<GraphInfo> ListGraphs(bool include_internal) const override;
  absl::Status AttachEndpoint(
      const std::string& graph_id, const std::string& node,
      std::shared_ptr<graph::EndpointSink> sink) override;

  graph::InputSink* input() override { return this; }
  void SetNoticeSink(NoticeSink* sink) override;
  void SetChangeCallback(std::function<void()> callback) override;
  bool Housekeeping() override;

  // driver::OutputListener: the device thread delivers output here.
  void OnOutput(const driver::DeviceOutput& output) override;

  // graph::InputSink: device_sink nodes write here (never blocking).
  absl::StatusOr<uint64_t> Write(absl::Span<const chip::InputEvent> events,
                                 const std::string& lease_id) override;

 private:
  // OK, or UNAVAILABLE once the device is shutting down.
  absl::Status Serving() const;
  // Serving() and the lease.
  absl::Status Controlling(const std::string& lease_id) const;
  void NotifyChanged();
  void MarkWritten();
  // Device thread: the notices `output` carries, to the notice sink.
  void Announce(const driver::DeviceOutput& output);
  void SendDeviceNotice(const Notice& notice);

  std::unique_ptr<driver::Device> device_;
  driver::Clock* const clock_;
  ControlLease lease_;
  GraphSet graphs_;
  InputWriter writer_;
  std::atomic<bool> stopping_{false};
  bool shut_down_ = false;  // Shutdown()'s own

  // Locks, in the order they may nest (each one's holder takes only those
  // after it):
  //   sink_mu_   held while handing a notice on (the hub takes its own locks)
  //   change_mu_ held while running the change callback (the manager takes
  //              its own and snapshots this device)
  //   mu_        the state below; a leaf
  // The device's own locks, the lease's and the graph set's are leaves too,
  // and never taken with mu_ held.
  mutable Mutex sink_mu_;
  NoticeSink* notice_sink_ ABSL_GUARDED_BY(sink_mu_) = nullptr;

  Mutex change_mu_;
  std::function<void()> on_change_ ABSL_GUARDED_BY(change_mu_);

  mutable Mutex mu_;
  DeviceState state_ ABSL_GUARDED_BY(mu_) = DeviceState::kReady;
  bool configured_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<const chip::SpeckConfig> config_ ABSL_GUARDED_BY(mu_);
  absl::Time last_write_ ABSL_GUARDED_BY(mu_);
};

}  // namespace speckd::server

#endif  // SPECKD_SERVER_DEVICES_MANAGED_DEVICE_IMPL_H_
