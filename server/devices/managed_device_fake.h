// FakeManagedDevice: a ManagedDevice in memory, for tests of the services
// and the subscription hub without a device thread. Writes are converted and
// kept at once; the test plays the device thread with Output() and Notify().
//
//   FakeManagedDevice fake("speck2edevkit:0");
//   devices.AddManaged(std::make_unique<...>(...));
//   fake.Output(output);     // runs the graphs, as the device thread would
#ifndef SPECKD_SERVER_DEVICES_MANAGED_DEVICE_FAKE_H_
#define SPECKD_SERVER_DEVICES_MANAGED_DEVICE_FAKE_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "driver/clock.h"
#include "driver/util/mutex.h"
#include "server/devices/graph_set.h"
#include "server/devices/lease.h"
#include "server/devices/managed_device.h"

namespace speckd::server {

class FakeManagedDevice final : public ManagedDevice, public graph::InputSink {
 public:
  explicit FakeManagedDevice(std::string id,
                             driver::Clock* clock = driver::RealClock())
      : id_(std::move(id)),
        lease_(id_, clock),
        graphs_(id_, GraphSetOptions{}),
        config_(std::make_shared<const chip::SpeckConfig>()) {}

  // --- what tests do ---
  // Runs `output` through the graphs, then hands `notices` on, as the
  // device thread would.
  void Output(const driver::DeviceOutput& output) {
    graphs_.Process(output,
                    [this](const std::string& id, const std::string& why) {
                      Notify({Notice::Kind::kGraphStopped, why, 0}, id);
                    });
  }
  // A notice for the device's streams (or one graph's, with `graph_id`).
  void Notify(const Notice& notice, const std::string& graph_id = "") {
    MutexLock lock(&mu_);
    if (sink_ == nullptr) return;
    if (graph_id.empty()) {
      sink_->OnDeviceNotice(id_, notice);
    } else {
      sink_->OnGraphNotice(graph_id, notice);
    }
  }
  std::vector<chip::InputEvent> written() {
    MutexLock lock(&mu_);
    return written_;
  }

  // --- ManagedDevice ---
  const std::string& id() const override { return id_; }
  DeviceSnapshot Snapshot() const override {
    DeviceSnapshot s;
    s.descriptor.id = id_;
    s.descriptor.type_name = "Speck2eDevKit";
    s.lease = lease_.Holder();
    MutexLock lock(&mu_);
    s.state = configured_ ? DeviceState::kConfigured : DeviceState::kReady;
    s.counters.events_in = written_.size();
    return s;
  }
  absl::StatusOr<LeaseInfo> AcquireLease(const std::string& holder,
                                         absl::Duration ttl) override {
    return lease_.Acquire(holder, ttl);
  }
  absl::StatusOr<LeaseInfo> TakeOverLease(const std::string& holder,
                                          absl::Duration ttl) override {
    return lease_.TakeOver(holder, ttl).first;
  }
  absl::StatusOr<LeaseInfo> RenewLease(const std::string& lease_id) override {
    return lease_.Renew(lease_id);
  }
  absl::Status ReleaseLease(const std::string& lease_id) override {
    return lease_.Release(lease_id);
  }
  absl::Status CheckLease(const std::string& lease_id) const override {
    return lease_.Check(lease_id);
  }
  absl::StatusOr<chip::ValidationReport> ApplyConfiguration(
      const chip::SpeckConfig& config, const std::string& lease_id) override {
    if (absl::Status s = lease_.Check(lease_id); !s.ok()) return s;
    chip::ValidationReport report = chip::Validate(config);
    if (!report.ok()) return report.ToStatus();
    MutexLock lock(&mu_);
    config_ = std::make_shared<const chip::SpeckConfig>(config);
    configured_ = true;
    return report;
  }
  bool configured() const override {
    MutexLock lock(&mu_);
    return configured_;
  }
  std::shared_ptr<const chip::SpeckConfig> configuration() const override {
    MutexLock lock(&mu_);
    return config_;
  }
  absl::StatusOr<driver::StopWatchState> SetStopWatch(
      const std::string& lease_id, std::optional<bool> enable,
      bool reset) override {
    if (absl::Status s = lease_.Check(lease_id); !s.ok()) return s;
    MutexLock lock(&mu_);
    if (enable.has_value()) stop_watch_.enabled = *enable;
    if (reset) ++stop_watch_.epoch;
    return stop_watch_;
  }
  absl::StatusOr<driver::SlowClockState> SetSlowClock(
      const std::string& lease_id, bool enable, double rate_hz) override {
    if (absl::Status s = lease_.Check(lease_id); !s.ok()) return s;
    return driver::SlowClockState{enable, rate_hz};
  }
  absl::StatusOr<driver::Pacing> SetPacing(const std::string& lease_id,
                                           driver::Pacing pacing) override {
    if (absl::Status s = lease_.Check(lease_id); !s.ok()) return s;
    return pacing;
  }
  absl::StatusOr<double> SetPowerMonitorRate(const std::string& lease_id,
                                             double rate_hz) override {
    if (absl::Status s = lease_.Check(lease_id); !s.ok()) return s;
    return rate_hz;
  }
  absl::StatusOr<std::vector<int16_t>> ReadNeurons(
      int layer, absl::Span<const driver::NeuronAddress> neurons,
      std::vector<driver::NeuronAddress>* addresses) override {
    return absl::UnimplementedError("the fake device has no neurons");
  }
  absl::Status WriteNeurons(const std::string& lease_id, int layer,
                            absl::Span<const driver::NeuronAddress> neurons,
                            absl::Span<const int16_t> values) override {
    return absl::UnimplementedError("the fake device has no neurons");
  }
  absl::Status SubmitWrite(const std::string& lease_id, WriteJob job) override {
    if (absl::Status s = lease_.Check(lease_id); !s.ok()) return s;
    absl::StatusOr<std::vector<chip::InputEvent>> events =
        job.inputs(*configuration());
    if (!events.ok()) return events.status();
    WriteResult result;
    result.accepted = events->size();
    if (!events->empty())
      result.last_timestamp_us = events->back().timestamp_us;
    {
      MutexLock lock(&mu_);
      written_.insert(written_.end(), events->begin(), events->end());
    }
    job.done(result);
    return absl::OkStatus();
  }
  absl::StatusOr<Cancelled> CancelInputs(const std::string& lease_id) override {
    if (absl::Status s = lease_.Check(lease_id); !s.ok()) return s;
    MutexLock lock(&mu_);
    Cancelled cancelled;
    cancelled.queued_inputs = written_.size();
    written_.clear();
    return cancelled;
  }
  bool WaitUntilIdle(absl::Duration) override { return true; }
  absl::Status AddGraph(const std::string& graph_id,
                        std::unique_ptr<graph::Graph> graph,
                        std::shared_ptr<const chip::SpeckConfig> config,
                        GraphOwner owner, bool running) override {
    return graphs_.Add(graph_id, std::move(graph), std::move(config),
                       std::move(owner), running);
  }
  absl::Status CheckGraphAccess(const std::string& graph_id,
                                const std::string& lease_id) const override {
    return graphs_.CheckAccess(graph_id, lease_id, lease_);
  }
  absl::Status SetGraphRunning(const std::string& graph_id,
                               bool running) override {
    return graphs_.SetRunning(graph_id, running);
  }
  absl::Status RemoveGraph(const std::string& graph_id) override {
    return graphs_.Remove(graph_id);
  }
  absl::StatusOr<GraphInfo> GetGraph(
      const std::string& graph_id) const override {
    return graphs_.Get(graph_id);
  }
  bool HasGraph(absl::string_view graph_id) const override {
    return graphs_.Has(graph_id);
  }
  std::vector<GraphInfo> ListGraphs(bool include_internal) const override {
    return graphs_.List(include_internal);
  }
  absl::Status AttachEndpoint(
      const std::string& graph_id, const std::string& node,
      std::shared_ptr<graph::EndpointSink> sink) override {
    return graphs_.AttachEndpoint(graph_id, node, std::move(sink));
  }
  graph::InputSink* input() override { return this; }
  InputTap* input_tap() override { return &input_tap_; }
  void SetNoticeSink(NoticeSink* sink) override {
    MutexLock lock(&mu_);
    sink_ = sink;
  }
  void SetChangeCallback(std::function<void()> callback) override {}
  bool Housekeeping() override { return false; }

  // graph::InputSink
  absl::StatusOr<uint64_t> Write(absl::Span<const chip::InputEvent> events,
                                 const std::string& lease_id) override {
    if (absl::Status s = lease_.Check(lease_id); !s.ok()) return s;
    MutexLock lock(&mu_);
    written_.insert(written_.end(), events.begin(), events.end());
    return 0;
  }

 private:
  const std::string id_;
  ControlLease lease_;
  GraphSet graphs_;
  InputTap input_tap_;
  mutable Mutex mu_;  // a leaf, except while handing notices to the sink
  std::shared_ptr<const chip::SpeckConfig> config_ ABSL_GUARDED_BY(mu_);
  bool configured_ ABSL_GUARDED_BY(mu_) = false;
  driver::StopWatchState stop_watch_ ABSL_GUARDED_BY(mu_);
  std::vector<chip::InputEvent> written_ ABSL_GUARDED_BY(mu_);
  NoticeSink* sink_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace speckd::server

#endif  // SPECKD_SERVER_DEVICES_MANAGED_DEVICE_FAKE_H_
