#include "server/devices/managed_device_impl.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/log/log.h"

namespace speckd::server {
namespace {

// STREAMING settles back to CONFIGURED after this long without writes.
constexpr absl::Duration kStreamingIdle = absl::Seconds(1);

const char* DropCause(driver::DeviceNotice::Kind kind) {
  switch (kind) {
    case driver::DeviceNotice::Kind::kReconfigured:
      return "a new configuration was applied";
    case driver::DeviceNotice::Kind::kStopWatchReset:
      return "the stop watch was reset";
    case driver::DeviceNotice::Kind::kInputsCancelled:
      return "the inputs were cancelled";
  }
  return "unknown";
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

ManagedDeviceImpl::ManagedDeviceImpl(std::unique_ptr<driver::Device> device,
                                     driver::Clock* clock,
                                     const ManagedDeviceOptions& options)
    : device_(std::move(device)),
      clock_(clock),
      lease_(device_->descriptor().id, clock),
      graphs_(device_->descriptor().id, options.graphs),
      writer_(device_.get(), clock, options.writer),
      config_(device_->configuration()) {
  device_->SetOutputListener(this);
}

ManagedDeviceImpl::~ManagedDeviceImpl() { Shutdown(); }

void ManagedDeviceImpl::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  stopping_.store(true);
  writer_.Cancel("speckd is shutting down");
  // Cuts short a write blocked on a full device queue.
  (void)device_->CancelInputs();
  writer_.Stop();
  device_->SetOutputListener(nullptr);
}

absl::Status ManagedDeviceImpl::Serving() const {
  if (!stopping_.load()) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("device ", id(), " is shutting down with speckd"));
}

absl::Status ManagedDeviceImpl::Controlling(const std::string& lease_id) const {
  if (absl::Status s = Serving(); !s.ok()) return s;
  return lease_.Check(lease_id);
}

DeviceSnapshot ManagedDeviceImpl::Snapshot() const {
  DeviceSnapshot s;
  s.descriptor = device_->descriptor();
  {
    MutexLock lock(&mu_);
    s.state = state_;
  }
  s.lease = lease_.Holder();
  s.stop_watch = device_->stop_watch();
  s.slow_clock = device_->slow_clock();
  s.pacing = device_->pacing();
  s.power_monitor_rate_hz = device_->power_monitor_rate();
  s.counters = device_->counters();
  s.pending_writes = writer_.pending();
  return s;
}

void ManagedDeviceImpl::SetChangeCallback(std::function<void()> callback) {
  MutexLock lock(&change_mu_);
  on_change_ = std::move(callback);
}

void ManagedDeviceImpl::NotifyChanged() {
  MutexLock lock(&change_mu_);
  if (on_change_) on_change_();
}

void ManagedDeviceImpl::SetNoticeSink(NoticeSink* sink) {
  MutexLock lock(&sink_mu_);
  notice_sink_ = sink;
}

// --- control lease -----------------------------------------------------------

absl::StatusOr<LeaseInfo> ManagedDeviceImpl::AcquireLease(
    const std::string& holder, absl::Duration ttl) {
  if (absl::Status s = Serving(); !s.ok()) return s;
  absl::StatusOr<LeaseInfo> lease = lease_.Acquire(holder, ttl);
  if (!lease.ok()) return lease;
  log::Info("lease_acquired", {{"device", id()},
                               {"holder", holder},
                               {"ttl_ms", absl::ToInt64Milliseconds(ttl)}});
  NotifyChanged();
  return lease;
}

absl::StatusOr<LeaseInfo> ManagedDeviceImpl::RenewLease(
    const std::string& lease_id) {
  if (absl::Status s = Serving(); !s.ok()) return s;
  return lease_.Renew(lease_id);
}

absl::Status ManagedDeviceImpl::ReleaseLease(const std::string& lease_id) {
  std::optional<LeaseInfo> holder = lease_.Holder();
  if (absl::Status s = lease_.Release(lease_id); !s.ok()) return s;
  log::Info("lease_released",
            {{"device", id()}, {"holder", holder ? holder->holder : ""}});
  NotifyChanged();
  return absl::OkStatus();
}

absl::Status ManagedDeviceImpl::CheckLease(const std::string& lease_id) const {
  return lease_.Check(lease_id);
}

bool ManagedDeviceImpl::Housekeeping() {
  bool changed = false;
  if (std::optional<std::string> expired = lease_.Expire()) {
    log::Info("lease_expired", {{"device", id()}, {"holder", *expired}});
    changed = true;
  }
  const bool idle =
      device_->counters().queued_inputs == 0 && writer_.pending() == 0;
  const absl::Time now = clock_->Now();
  {
    MutexLock lock(&mu_);
    if (state_ == DeviceState::kStreaming && idle &&
        now - last_write_ >= kStreamingIdle) {
      state_ = DeviceState::kConfigured;
      changed = true;
    }
  }
  if (changed) NotifyChanged();
  return changed;
}

// --- configuration
// -------------------------------------------------------------

absl::StatusOr<chip::ValidationReport> ManagedDeviceImpl::ApplyConfiguration(
    const chip::SpeckConfig& config, const std::string& lease_id) {
  if (absl::Status s = Controlling(lease_id); !s.ok()) return s;
  chip::ValidationReport report = chip::Validate(config);
  if (!report.ok()) return report.ToStatus();
  // Writes speckd still holds were meant for the old network; the device
  // drops what it queued itself (and says so on its output).
  const InputWriter::Dropped held = writer_.Cancel(
      "a new configuration was applied before this write "
      "reached the device");
  if (absl::Status s = device_->ApplyConfiguration(config); !s.ok()) return s;
  int cores = 0;
  for (const chip::CnnLayerConfig& core : config.cnn_layers) {
    cores += core.InUse();
  }
  {
    MutexLock lock(&mu_);
    configured_ = true;
    config_ = device_->configuration();
    if (state_ == DeviceState::kReady) state_ = DeviceState::kConfigured;
  }
  log::Info("config_applied", {{"device", id()},
                               {"cores", cores},
                               {"notes", report.problems.size()},
                               {"writes_cancelled", held.writes}});
  NotifyChanged();
  return report;
}

bool ManagedDeviceImpl::configured() const {
  MutexLock lock(&mu_);
  return configured_;
}

std::shared_ptr<const chip::SpeckConfig> ManagedDeviceImpl::configuration()
    const {
  MutexLock lock(&mu_);
  return config_;
}

// --- device controls
// -----------------------------------------------------------

absl::StatusOr<driver::StopWatchState> ManagedDeviceImpl::SetStopWatch(
    const std::string& lease_id, std::optional<bool> enable, bool reset) {
  if (absl::Status s = Controlling(lease_id); !s.ok()) return s;
  if (reset) {
    writer_.Cancel(
        "the stop watch was reset before this write reached the "
        "device");
  }
  absl::StatusOr<driver::StopWatchState> state =
      device_->SetStopWatch(enable, reset);
  if (!state.ok()) return state;
  if (reset) {
    log::Info("stop_watch_reset", {{"device", id()}, {"epoch", state->epoch}});
  }
  NotifyChanged();
  return state;
}

absl::StatusOr<driver::SlowClockState> ManagedDeviceImpl::SetSlowClock(
    const std::string& lease_id, bool enable, double rate_hz) {
  if (absl::Status s = Controlling(lease_id); !s.ok()) return s;
  if (absl::Status s = device_->SetSlowClock(enable, rate_hz); !s.ok()) {
    return s;
  }
  NotifyChanged();
  return device_->slow_clock();
}

absl::StatusOr<driver::Pacing> ManagedDeviceImpl::SetPacing(
    const std::string& lease_id, driver::Pacing pacing) {
  if (absl::Status s = Controlling(lease_id); !s.ok()) return s;
  if (absl::Status s = device_->SetPacing(pacing); !s.ok()) return s;
  NotifyChanged();
  return device_->pacing();
}

absl::StatusOr<double> ManagedDeviceImpl::SetPowerMonitorRate(
    const std::string& lease_id, double rate_hz) {
  if (absl::Status s = Controlling(lease_id); !s.ok()) return s;
  if (absl::Status s = device_->SetPowerMonitorRate(rate_hz); !s.ok()) {
    return s;
  }
  NotifyChanged();
  return device_->power_monitor_rate();
}

absl::StatusOr<std::vector<int16_t>> ManagedDeviceImpl::ReadNeurons(
    int layer, absl::Span<const driver::NeuronAddress> neurons,
    std::vector<driver::NeuronAddress>* addresses) {
  if (absl::Status s = Serving(); !s.ok()) return s;
  return device_->ReadNeurons(layer, neurons, addresses);
}

absl::Status ManagedDeviceImpl::WriteNeurons(
    const std::string& lease_id, int layer,
    absl::Span<const driver::NeuronAddress> neurons,
    absl::Span<const int16_t> values) {
  if (absl::Status s = Controlling(lease_id); !s.ok()) return s;
  return device_->WriteNeurons(layer, neurons, values);
}

// --- event writes
// --------------------------------------------------------------

absl::Status ManagedDeviceImpl::SubmitWrite(const std::string& lease_id,
                                            WriteJob job) {
  if (absl::Status s = Controlling(lease_id); !s.ok()) return s;
  if (!configured()) {
    return absl::FailedPreconditionError(
        absl::StrCat("device ", id(),
                     " has no configuration: apply one before writing "
                     "events"));
  }
  job.on_written = [this] { MarkWritten(); };
  return writer_.Submit(std::move(job));
}

void ManagedDeviceImpl::MarkWritten() {
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

absl::StatusOr<ManagedDevice::Cancelled> ManagedDeviceImpl::CancelInputs(
    const std::string& lease_id) {
  if (absl::Status s = Controlling(lease_id); !s.ok()) return s;
  const InputWriter::Dropped held =
      writer_.Cancel("the inputs were cancelled (CancelInputs)");
  absl::StatusOr<uint64_t> queued = device_->CancelInputs();
  if (!queued.ok()) return queued.status();
  Cancelled cancelled;
  cancelled.queued_inputs = *queued + held.inputs;
  cancelled.pending_writes = held.writes;
  log::Info("inputs_cancelled", {{"device", id()},
                                 {"queued_inputs", cancelled.queued_inputs},
                                 {"pending_writes", held.writes}});
  NotifyChanged();
  return cancelled;
}

bool ManagedDeviceImpl::WaitUntilIdle(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  if (!writer_.WaitUntilEmpty(deadline)) return false;
  return device_->WaitUntilIdle(
      std::max(absl::ZeroDuration(), deadline - absl::Now()));
}

// --- graphs
// --------------------------------------------------------------------

absl::Status ManagedDeviceImpl::AddGraph(
    const std::string& graph_id, std::unique_ptr<graph::Graph> graph,
    std::shared_ptr<const chip::SpeckConfig> config, GraphOwner owner,
    bool running) {
  if (absl::Status s = Serving(); !s.ok()) return s;
  return graphs_.Add(graph_id, std::move(graph), std::move(config),
                     std::move(owner), running);
}

absl::Status ManagedDeviceImpl::CheckGraphAccess(
    const std::string& graph_id, const std::string& lease_id) const {
  return graphs_.CheckAccess(graph_id, lease_id, lease_);
}

absl::Status ManagedDeviceImpl::SetGraphRunning(const std::string& graph_id,
                                                bool running) {
  return graphs_.SetRunning(graph_id, running);
}

absl::Status ManagedDeviceImpl::RemoveGraph(const std::string& graph_id) {
  return graphs_.Remove(graph_id);
}

absl::StatusOr<GraphInfo> ManagedDeviceImpl::GetGraph(
    const std::string& graph_id) const {
  return graphs_.Get(graph_id);
}

bool ManagedDeviceImpl::HasGraph(absl::string_view graph_id) const {
  return graphs_.Has(graph_id);
}

std::vector<GraphInfo> ManagedDeviceImpl::ListGraphs(
    bool include_internal) const {
  return graphs_.List(include_internal);
}

absl::Status ManagedDeviceImpl::AttachEndpoint(
    const std::string& graph_id, const std::string& node,
    std::shared_ptr<graph::EndpointSink> sink) {
  return graphs_.AttachEndpoint(graph_id, node, std::move(sink));
}

// --- the device thread
// ---------------------------------------------------------

void ManagedDeviceImpl::SendDeviceNotice(const Notice& notice) {
  MutexLock lock(&sink_mu_);
  if (notice_sink_ != nullptr) notice_sink_->OnDeviceNotice(id(), notice);
}

void ManagedDeviceImpl::Announce(const driver::DeviceOutput& output) {
  for (const driver::DeviceNotice& n : output.notices) {
    switch (n.kind) {
      case driver::DeviceNotice::Kind::kReconfigured:
        SendDeviceNotice({Notice::Kind::kDeviceReconfigured,
                          "a new configuration was applied", 0});
        break;
      case driver::DeviceNotice::Kind::kStopWatchReset:
        SendDeviceNotice(
            {Notice::Kind::kStopWatchReset,
             absl::StrCat("stop watch reset; timestamps restart at 0 (epoch ",
                          output.epoch, ")"),
             0});
        break;
      case driver::DeviceNotice::Kind::kInputsCancelled:
        break;
    }
    if (n.dropped_inputs == 0) continue;
    const char* cause = DropCause(n.kind);
    log::Info(
        "inputs_dropped",
        {{"device", id()}, {"inputs", n.dropped_inputs}, {"cause", cause}});
    SendDeviceNotice(
        {Notice::Kind::kInputsDropped,
         absl::StrCat(n.dropped_inputs, " queued inputs were dropped: ", cause),
         n.dropped_inputs});
  }
}

void ManagedDeviceImpl::OnOutput(const driver::DeviceOutput& output) {
  if (!output.notices.empty()) Announce(output);
  graphs_.Process(
      output, [this](const std::string& graph_id, const std::string& why) {
        log::Warning("graph_stopped", {{"graph", graph_id}, {"reason", why}});
        MutexLock lock(&sink_mu_);
        if (notice_sink_ != nullptr) {
          notice_sink_->OnGraphNotice(graph_id,
                                      {Notice::Kind::kGraphStopped, why, 0});
        }
      });
}

absl::StatusOr<uint64_t> ManagedDeviceImpl::Write(
    absl::Span<const chip::InputEvent> events, const std::string& lease_id) {
  if (absl::Status held = Controlling(lease_id); !held.ok()) return held;
  // From another device's thread: best effort, never waiting; what does not
  // fit (or fit the configuration) is reported as dropped.
  absl::Status status = device_->Write(
      std::vector<chip::InputEvent>(events.begin(), events.end()),
      clock_->Now());
  if (!status.ok()) return events.size();
  MarkWritten();
  return 0;
}

}  // namespace speckd::server
