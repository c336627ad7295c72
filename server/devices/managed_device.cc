#include "server/devices/managed_device.h"

#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/log/log.h"

namespace speckd::server {
namespace {

// STREAMING settles back to CONFIGURED after this long without writes.
constexpr absl::Duration kStreamingIdle = absl::Seconds(1);

std::string NewLeaseId() {
  std::random_device random;
  return absl::StrFormat("%08x%08x%08x%08x", random(), random(), random(),
                         random());
}

std::string Timestamp(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

}  // namespace

const char* DeviceStateName(DeviceState state) {
  switch (state) {
    case DeviceState::kAbsent:
      return "absent";
    case DeviceState::kReady:
      return "ready";
    case DeviceState::kConfigured:
      return "configured";
    case DeviceState::kStreaming:
      return "streaming";
    case DeviceState::kLost:
      return "lost";
  }
  return "unknown";
}

ManagedDevice::ManagedDevice(std::unique_ptr<driver::Device> device,
                             driver::Clock* clock)
    : device_(std::move(device)),
      clock_(clock),
      config_(
          std::make_shared<const chip::SpeckConfig>(device_->configuration())) {
  device_->SetOutputListener(this);
  writer_ = std::thread([this] { WriterLoop(); });
}

ManagedDevice::~ManagedDevice() {
  {
    MutexLock lock(&writer_mu_);
    stopping_ = true;
    writer_cv_.SignalAll();
  }
  writer_.join();
  device_->SetOutputListener(nullptr);
}

DeviceSnapshot ManagedDevice::Snapshot() const {
  DeviceSnapshot s;
  s.descriptor = device_->descriptor();
  {
    MutexLock lock(&mu_);
    s.state = state_;
    if (lease_.has_value()) {
      s.lease = LeaseInfo{"", lease_->holder, lease_->expires, lease_->ttl};
    }
  }
  s.stop_watch = device_->stop_watch();
  s.slow_clock = device_->slow_clock();
  s.pacing = device_->pacing();
  s.power_monitor_rate_hz = device_->power_monitor_rate();
  s.counters = device_->counters();
  return s;
}

void ManagedDevice::SetChangeCallback(std::function<void()> callback) {
  MutexLock lock(&change_mu_);
  on_change_ = std::move(callback);
}

void ManagedDevice::NotifyChanged() {
  MutexLock lock(&change_mu_);
  if (on_change_) on_change_();
}

// --- control lease -----------------------------------------------------------

absl::Status ManagedDevice::CheckLeaseLocked(
    const std::string& lease_id) const {
  const absl::Time now = clock_->Now();
  if (lease_.has_value() && lease_->expires > now) {
    if (lease_->lease_id == lease_id) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrFormat(
        "device %s is leased by '%s' until %s (%.1f s from now); only the "
        "lease holder may change it",
        id(), lease_->holder, Timestamp(lease_->expires),
        absl::ToDoubleSeconds(lease_->expires - now)));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "device ", id(),
      lease_id.empty() ? " needs" : "'s lease has expired; it needs",
      " a control lease: call AcquireLease first and pass its lease_id"));
}

absl::Status ManagedDevice::CheckLease(const std::string& lease_id) const {
  MutexLock lock(&mu_);
  return CheckLeaseLocked(lease_id);
}

absl::StatusOr<LeaseInfo> ManagedDevice::AcquireLease(const std::string& holder,
                                                      absl::Duration ttl) {
  LeaseInfo lease;
  {
    MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    if (lease_.has_value() && lease_->expires > now) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "device %s is leased by '%s' until %s (%.1f s from now)", id(),
          lease_->holder, Timestamp(lease_->expires),
          absl::ToDoubleSeconds(lease_->expires - now)));
    }
    lease_ = LeaseInfo{NewLeaseId(), holder, now + ttl, ttl};
    lease = *lease_;
  }
  log::Info("lease_acquired", {{"device", id()},
                               {"holder", holder},
                               {"ttl_ms", absl::ToInt64Milliseconds(ttl)}});
  NotifyChanged();
  return lease;
}

absl::StatusOr<LeaseInfo> ManagedDevice::RenewLease(
    const std::string& lease_id) {
  MutexLock lock(&mu_);
  absl::Status held = CheckLeaseLocked(lease_id);
  if (!held.ok()) return held;
  // Renewal restarts the lease's original time-to-live.
  lease_->expires = clock_->Now() + lease_->ttl;
  return *lease_;
}

absl::Status ManagedDevice::ReleaseLease(const std::string& lease_id) {
  std::string holder;
  {
    MutexLock lock(&mu_);
    absl::Status held = CheckLeaseLocked(lease_id);
    if (!held.ok()) return held;
    holder = lease_->holder;
    lease_.reset();
  }
  log::Info("lease_released", {{"device", id()}, {"holder", holder}});
  NotifyChanged();
  return absl::OkStatus();
}

void ManagedDevice::Housekeeping() {
  bool changed = false;
  std::string expired_holder;
  const absl::Time now = clock_->Now();
  const bool idle = device_->counters().queued_inputs == 0;
  {
    MutexLock lock(&mu_);
    if (lease_.has_value() && lease_->expires <= now) {
      expired_holder = lease_->holder;
      lease_.reset();
      changed = true;
    }
    if (state_ == DeviceState::kStreaming && idle &&
        now - last_write_ >= kStreamingIdle) {
      state_ = DeviceState::kConfigured;
      changed = true;
    }
  }
  if (!expired_holder.empty()) {
    log::Info("lease_expired", {{"device", id()}, {"holder", expired_holder}});
  }
  if (changed) NotifyChanged();
}

// --- configuration
// -------------------------------------------------------------

absl::StatusOr<chip::ValidationReport> ManagedDevice::ApplyConfiguration(
    const chip::SpeckConfig& config, const std::string& lease_id) {
  absl::Status held = CheckLease(lease_id);
  if (!held.ok()) return held;
  chip::ValidationReport report = chip::Validate(config);
  if (!report.ok()) return report.ToStatus();
  absl::Status applied = device_->ApplyConfiguration(config);
  if (!applied.ok()) return applied;
  auto shared =
      std::make_shared<const chip::SpeckConfig>(device_->configuration());
  {
    MutexLock lock(&graphs_mu_);
    // Graphs only run on the device thread; the apply above has been
    // sequenced with it, and frame sizes follow the new configuration.
    for (auto& [graph_id, entry] : graphs_) entry.graph->Reconfigure(config);
  }
  int cores = 0;
  for (const chip::CnnLayerConfig& core : config.cnn_layers)
    cores += core.InUse();
  {
    MutexLock lock(&mu_);
    configured_ = true;
    config_ = std::move(shared);
    if (state_ == DeviceState::kReady) state_ = DeviceState::kConfigured;
  }
  log::Info(
      "config_applied",
      {{"device", id()}, {"cores", cores}, {"notes", report.problems.size()}});
  NotifyChanged();
  return report;
}

bool ManagedDevice::configured() const {
  MutexLock lock(&mu_);
  return configured_;
}

std::shared_ptr<const chip::SpeckConfig> ManagedDevice::configuration() const {
  MutexLock lock(&mu_);
  return config_;
}

// --- device controls
// -----------------------------------------------------------

absl::StatusOr<driver::StopWatchState> ManagedDevice::SetStopWatch(
    const std::string& lease_id, std::optional<bool> enable, bool reset) {
  absl::Status held = CheckLease(lease_id);
  if (!held.ok()) return held;
  driver::StopWatchState state = device_->SetStopWatch(enable, reset);
  if (reset)
    log::Info("stop_watch_reset", {{"device", id()}, {"epoch", state.epoch}});
  NotifyChanged();
  return state;
}

absl::Status ManagedDevice::SetSlowClock(const std::string& lease_id,
                                         bool enable, double rate_hz) {
  absl::Status held = CheckLease(lease_id);
  if (!held.ok()) return held;
  absl::Status status = device_->SetSlowClock(enable, rate_hz);
  if (status.ok()) NotifyChanged();
  return status;
}

absl::Status ManagedDevice::SetPacing(const std::string& lease_id,
                                      driver::Pacing pacing) {
  absl::Status held = CheckLease(lease_id);
  if (!held.ok()) return held;
  absl::Status status = device_->SetPacing(pacing);
  if (status.ok()) NotifyChanged();
  return status;
}

absl::Status ManagedDevice::SetPowerMonitorRate(const std::string& lease_id,
                                                double rate_hz) {
  absl::Status held = CheckLease(lease_id);
  if (!held.ok()) return held;
  absl::Status status = device_->SetPowerMonitorRate(rate_hz);
  if (status.ok()) NotifyChanged();
  return status;
}

absl::Status ManagedDevice::WriteNeurons(
    const std::string& lease_id, int layer,
    absl::Span<const driver::NeuronAddress> neurons,
    absl::Span<const int16_t> values) {
  absl::Status held = CheckLease(lease_id);
  if (!held.ok()) return held;
  return device_->WriteNeurons(layer, neurons, values);
}

// --- event writes
// --------------------------------------------------------------

absl::Status ManagedDevice::SubmitWrite(
    const std::string& lease_id, std::vector<chip::InputEvent> events,
    bool flush, absl::Time deadline, std::function<void(absl::Status)> done) {
  {
    MutexLock lock(&mu_);
    absl::Status held = CheckLeaseLocked(lease_id);
    if (!held.ok()) return held;
    if (!configured_) {
      return absl::FailedPreconditionError(
          absl::StrCat("device ", id(),
                       " has no configuration: apply one before writing "
                       "events"));
    }
  }
  MutexLock lock(&writer_mu_);
  if (stopping_) return absl::UnavailableError("speckd is shutting down");
  jobs_.push_back({std::move(events), flush, deadline, std::move(done)});
  writer_cv_.Signal();
  return absl::OkStatus();
}

void ManagedDevice::WriterLoop() {
  while (true) {
    WriteJob job;
    {
      MutexLock lock(&writer_mu_);
      while (jobs_.empty() && !stopping_) writer_cv_.Wait(&writer_mu_);
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    absl::Status status = absl::OkStatus();
    if (!job.events.empty()) {
      // Blocks while the device queue is full: this is where writers are
      // slowed down (back-pressure), off the gRPC threads.
      status = device_->Write(std::move(job.events), job.deadline);
      if (status.ok()) {
        bool changed = false;
        {
          MutexLock lock(&mu_);
          last_write_ = clock_->Now();
          if (state_ == DeviceState::kConfigured) {
            state_ = DeviceState::kStreaming;
            changed = true;
          }
        }
        if (changed) NotifyChanged();
      }
    }
    if (status.ok() && job.flush) device_->Flush();
    if (job.done) job.done(status);
  }
}

// --- graphs
// --------------------------------------------------------------------

void ManagedDevice::AddGraph(const std::string& graph_id,
                             std::unique_ptr<graph::Graph> graph, bool internal,
                             bool running) {
  MutexLock lock(&graphs_mu_);
  graphs_[graph_id] = GraphEntry{std::move(graph), internal, running};
}

absl::Status ManagedDevice::SetGraphRunning(const std::string& graph_id,
                                            bool running) {
  MutexLock lock(&graphs_mu_);
  auto it = graphs_.find(graph_id);
  if (it == graphs_.end()) {
    return absl::NotFoundError(absl::StrCat("no graph '", graph_id, "'"));
  }
  it->second.running = running;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<graph::Graph>> ManagedDevice::RemoveGraph(
    const std::string& graph_id) {
  MutexLock lock(&graphs_mu_);
  auto it = graphs_.find(graph_id);
  if (it == graphs_.end()) {
    return absl::NotFoundError(absl::StrCat("no graph '", graph_id, "'"));
  }
  std::unique_ptr<graph::Graph> graph = std::move(it->second.graph);
  graphs_.erase(it);
  return graph;
}

GraphInfo ManagedDevice::InfoOf(const std::string& graph_id,
                                const GraphEntry& entry) const {
  GraphInfo info;
  info.id = graph_id;
  info.device_id = id();
  info.spec = entry.graph->spec();
  info.running = entry.running;
  info.internal = entry.internal;
  info.counters = entry.graph->Counters();
  return info;
}

absl::StatusOr<GraphInfo> ManagedDevice::GetGraph(
    const std::string& graph_id) const {
  MutexLock lock(&graphs_mu_);
  auto it = graphs_.find(graph_id);
  if (it == graphs_.end()) {
    return absl::NotFoundError(absl::StrCat("no graph '", graph_id, "'"));
  }
  return InfoOf(graph_id, it->second);
}

bool ManagedDevice::HasGraph(absl::string_view graph_id) const {
  MutexLock lock(&graphs_mu_);
  return graphs_.find(graph_id) != graphs_.end();
}

std::vector<GraphInfo> ManagedDevice::ListGraphs(bool include_internal) const {
  MutexLock lock(&graphs_mu_);
  std::vector<GraphInfo> out;
  for (const auto& [graph_id, entry] : graphs_) {
    if (entry.internal && !include_internal) continue;
    out.push_back(InfoOf(graph_id, entry));
  }
  return out;
}

absl::Status ManagedDevice::WithGraph(
    const std::string& graph_id,
    const std::function<absl::Status(graph::Graph&)>& fn) {
  MutexLock lock(&graphs_mu_);
  auto it = graphs_.find(graph_id);
  if (it == graphs_.end()) {
    return absl::NotFoundError(absl::StrCat("no graph '", graph_id, "'"));
  }
  return fn(*it->second.graph);
}

void ManagedDevice::OnOutput(const driver::DeviceOutput& output) {
  MutexLock lock(&graphs_mu_);
  for (auto& [graph_id, entry] : graphs_) {
    if (entry.running) entry.graph->Process(output);
  }
}

uint64_t ManagedDevice::Write(absl::Span<const chip::InputEvent> events) {
  // From another device's graph (device_sink): best effort, never blocking
  // that device's thread; what does not fit is reported as dropped.
  absl::Status status = device_->Write(
      std::vector<chip::InputEvent>(events.begin(), events.end()), absl::Now());
  return status.ok() ? 0 : events.size();
}

}  // namespace speckd::server
