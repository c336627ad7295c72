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
    case DeviceState::kUnusable:
      return "unusable";
  }
  return "unknown";
}

void ManagedDeviceImpl::AddCounters(const driver::DeviceCounters& from,
                                    driver::DeviceCounters* to) {
  to->events_in += from.events_in;
  to->events_out += from.events_out;
  for (size_t i = 0; i < from.core_spikes_out.size(); ++i) {
    to->core_spikes_out[i] += from.core_spikes_out[i];
  }
  to->dvs_monitor_out += from.dvs_monitor_out;
  to->readout_out += from.readout_out;
  to->queued_inputs += from.queued_inputs;
  to->dropped_inputs += from.dropped_inputs;
  to->synops += from.synops;
  to->late_inputs += from.late_inputs;
  to->cascade_overflow += from.cascade_overflow;
}

ManagedDeviceImpl::ManagedDeviceImpl(std::string id, driver::Clock* clock,
                                     const ManagedDeviceOptions& options)
    : id_(std::move(id)),
      clock_(clock),
      options_(options),
      lease_(id_, clock),
      graphs_(id_, options.graphs),
      config_(std::make_shared<const chip::SpeckConfig>()) {
  descriptor_.id = id_;
}

ManagedDeviceImpl::ManagedDeviceImpl(std::unique_ptr<driver::Device> device,
                                     driver::Clock* clock,
                                     const ManagedDeviceOptions& options)
    : ManagedDeviceImpl(device->descriptor().id, clock, options) {
  driver::Board board;
  board.descriptor = device->descriptor();
  board.device = std::move(device);
  Attach(std::move(board));
}

ManagedDeviceImpl::~ManagedDeviceImpl() { Shutdown(); }

void ManagedDeviceImpl::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  stopping_.store(true);
  {
    MutexLock control(&control_mu_);
    std::shared_ptr<Attachment> gone;
    {
      MutexLock lock(&attach_mu_);
      gone = std::move(attached_);
    }
    if (gone != nullptr) Retire(gone.get(), "speckd is shutting down");
  }
  // Abandoned devices stop once their thread returns; not under
  // control_mu_, which a reaper's driver restart (Attach) takes.
  std::vector<std::thread> reapers;
  {
    MutexLock lock(&reap_mu_);
    reapers.swap(reapers_);
  }
  for (std::thread& reaper : reapers) reaper.join();
}

absl::Status ManagedDeviceImpl::Serving() const {
  if (!stopping_.load()) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("device ", id(), " is shutting down with speckd"));
}

std::shared_ptr<ManagedDeviceImpl::Attachment> ManagedDeviceImpl::attached()
    const {
  MutexLock lock(&attach_mu_);
  return attached_;
}

absl::StatusOr<std::shared_ptr<ManagedDeviceImpl::Attachment>>
ManagedDeviceImpl::Using() const {
  if (absl::Status s = Serving(); !s.ok()) return s;
  if (std::shared_ptr<Attachment> a = attached()) return a;
  MutexLock lock(&mu_);
  switch (state_) {
    case DeviceState::kUnusable:
      return absl::FailedPreconditionError(
          absl::StrCat("device ", id_, " cannot be used: ", state_detail_));
    case DeviceState::kLost:
      return absl::UnavailableError(
          absl::StrCat("device ", id_, " is lost (", state_detail_, ")"));
    default:
      return absl::UnavailableError(
          absl::StrCat("device ", id_, " is not present"));
  }
}

absl::StatusOr<std::shared_ptr<ManagedDeviceImpl::Attachment>>
ManagedDeviceImpl::Controlling(const std::string& lease_id) const {
  if (absl::Status s = Serving(); !s.ok()) return s;
  if (absl::Status s = lease_.Check(lease_id); !s.ok()) return s;
  return Using();
}

DeviceSnapshot ManagedDeviceImpl::Snapshot() const {
  const std::shared_ptr<Attachment> a = attached();
  DeviceSnapshot s;
  Settings settings;
  {
    MutexLock lock(&mu_);
    s.descriptor = descriptor_;
    s.state = state_;
    // A usable device with nothing to report says what drives it (e.g.
    // the samna version behind a bridge).
    const bool usable =
        state_ == DeviceState::kReady || state_ == DeviceState::kConfigured;
    s.state_detail = state_detail_.empty() && usable ? descriptor_.driver_detail
                                                     : state_detail_;
    s.problem = problem_;
    s.counters = past_counters_;
    if (settings_.has_value()) settings = *settings_;
  }
  if (a != nullptr) {
    settings = SettingsOf(*a->device);
    AddCounters(a->device->counters(), &s.counters);
    s.pending_writes = a->writer->pending();
  }
  s.lease = lease_.Holder();
  s.stop_watch = settings.stop_watch;
  s.slow_clock = settings.slow_clock;
  s.pacing = settings.pacing;
  s.power_monitor_rate_hz = settings.power_monitor_rate_hz;
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

absl::StatusOr<LeaseInfo> ManagedDeviceImpl::TakeOverLease(
    const std::string& holder, absl::Duration ttl) {
  if (absl::Status s = Serving(); !s.ok()) return s;
  auto [lease, previous] = lease_.TakeOver(holder, ttl);
  log::Warning(
      "lease_taken_over",
      {{"device", id()}, {"holder", holder}, {"from", previous.value_or("")}});
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
  MindWatchdog();
  bool changed = false;
  if (std::optional<std::string> expired = lease_.Expire()) {
    log::Info("lease_expired", {{"device", id()}, {"holder", *expired}});
    changed = true;
  }
  const std::shared_ptr<Attachment> a = attached();
  const bool idle = a == nullptr || (a->device->counters().queued_inputs == 0 &&
                                     a->writer->pending() == 0);
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
  MutexLock control(&control_mu_);
  absl::StatusOr<std::shared_ptr<Attachment>> a = Controlling(lease_id);
  if (!a.ok()) return a.status();
  chip::ValidationReport report = chip::Validate(config);
  if (!report.ok()) return report.ToStatus();
  // Writes speckd still holds were meant for the old network; the device
  // drops what it queued itself (and says so on its output).
  const InputWriter::Dropped held = (*a)->writer->Cancel(
      "a new configuration was applied before this write "
      "reached the device");
  if (absl::Status s = (*a)->device->ApplyConfiguration(config); !s.ok()) {
    return s;
  }
  int cores = 0;
  for (const chip::CnnLayerConfig& core : config.cnn_layers) {
    cores += core.InUse();
  }
  std::string key;
  {
    MutexLock lock(&mu_);
    configured_ = true;
    config_ = (*a)->device->configuration();
    if (state_ == DeviceState::kReady) state_ = DeviceState::kConfigured;
    state_detail_.clear();
    key = board_key_;
  }
  // Kept for the next start of the daemon (the service).
  if (options_.configs != nullptr && !key.empty()) {
    if (absl::Status saved = options_.configs->Save(key, config); !saved.ok()) {
      log::Warning("config_not_saved",
                   {{"device", id()}, {"error", saved.message()}});
    }
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
  MutexLock control(&control_mu_);
  absl::StatusOr<std::shared_ptr<Attachment>> a = Controlling(lease_id);
  if (!a.ok()) return a.status();
  if (reset) {
    (*a)->writer->Cancel(
        "the stop watch was reset before this write reached the "
        "device");
  }
  absl::StatusOr<driver::StopWatchState> state =
      (*a)->device->SetStopWatch(enable, reset);
  if (!state.ok()) return state;
  if (reset) {
    log::Info("stop_watch_reset", {{"device", id()}, {"epoch", state->epoch}});
  }
  NotifyChanged();
  return state;
}

absl::StatusOr<driver::SlowClockState> ManagedDeviceImpl::SetSlowClock(
    const std::string& lease_id, bool enable, double rate_hz) {
  MutexLock control(&control_mu_);
  absl::StatusOr<std::shared_ptr<Attachment>> a = Controlling(lease_id);
  if (!a.ok()) return a.status();
  if (absl::Status s = (*a)->device->SetSlowClock(enable, rate_hz); !s.ok()) {
    return s;
  }
  NotifyChanged();
  return (*a)->device->slow_clock();
}

absl::StatusOr<driver::Pacing> ManagedDeviceImpl::SetPacing(
    const std::string& lease_id, driver::Pacing pacing) {
  MutexLock control(&control_mu_);
  absl::StatusOr<std::shared_ptr<Attachment>> a = Controlling(lease_id);
  if (!a.ok()) return a.status();
  if (absl::Status s = (*a)->device->SetPacing(pacing); !s.ok()) return s;
  NotifyChanged();
  return (*a)->device->pacing();
}

absl::StatusOr<double> ManagedDeviceImpl::SetPowerMonitorRate(
    const std::string& lease_id, double rate_hz) {
  MutexLock control(&control_mu_);
  absl::StatusOr<std::shared_ptr<Attachment>> a = Controlling(lease_id);
  if (!a.ok()) return a.status();
  if (absl::Status s = (*a)->device->SetPowerMonitorRate(rate_hz); !s.ok()) {
    return s;
  }
  NotifyChanged();
  return (*a)->device->power_monitor_rate();
}

absl::StatusOr<std::vector<int16_t>> ManagedDeviceImpl::ReadNeurons(
    int layer, absl::Span<const driver::NeuronAddress> neurons,
    std::vector<driver::NeuronAddress>* addresses) {
  absl::StatusOr<std::shared_ptr<Attachment>> a = Using();
  if (!a.ok()) return a.status();
  return (*a)->device->ReadNeurons(layer, neurons, addresses);
}

absl::Status ManagedDeviceImpl::WriteNeurons(
    const std::string& lease_id, int layer,
    absl::Span<const driver::NeuronAddress> neurons,
    absl::Span<const int16_t> values) {
  absl::StatusOr<std::shared_ptr<Attachment>> a = Controlling(lease_id);
  if (!a.ok()) return a.status();
  return (*a)->device->WriteNeurons(layer, neurons, values);
}

// --- event writes
// --------------------------------------------------------------

absl::Status ManagedDeviceImpl::SubmitWrite(const std::string& lease_id,
                                            WriteJob job) {
  absl::StatusOr<std::shared_ptr<Attachment>> a = Controlling(lease_id);
  if (!a.ok()) return a.status();
  if (!configured()) {
    return absl::FailedPreconditionError(
        absl::StrCat("device ", id(),
                     " has no configuration: apply one before writing "
                     "events"));
  }
  job.on_written = [this] { MarkWritten(); };
  return (*a)->writer->Submit(std::move(job));
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
  absl::StatusOr<std::shared_ptr<Attachment>> a = Controlling(lease_id);
  if (!a.ok()) return a.status();
  const InputWriter::Dropped held =
      (*a)->writer->Cancel("the inputs were cancelled (CancelInputs)");
  absl::StatusOr<uint64_t> queued = (*a)->device->CancelInputs();
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
  const std::shared_ptr<Attachment> a = attached();
  // Nothing can be pending on a board that is away.
  if (a == nullptr) return true;
  const absl::Time deadline = absl::Now() + timeout;
  if (!a->writer->WaitUntilEmpty(deadline)) return false;
  return a->device->WaitUntilIdle(
      std::max(absl::ZeroDuration(), deadline - absl::Now()));
}

// --- graphs
// --------------------------------------------------------------------

absl::Status ManagedDeviceImpl::AddGraph(
    const std::string& graph_id, std::unique_ptr<graph::Graph> graph,
    std::shared_ptr<const chip::SpeckConfig> config, GraphOwner owner,
    bool running) {
  // Nothing would flow into a graph of a board that is away.
  if (absl::StatusOr<std::shared_ptr<Attachment>> a = Using(); !a.ok()) {
    return a.status();
  }
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
  absl::StatusOr<std::shared_ptr<Attachment>> a = Controlling(lease_id);
  if (!a.ok()) return a.status();
  // From another device's thread: best effort, never waiting; what does not
  // fit (or fit the configuration) is reported as dropped.
  absl::Status status = (*a)->device->Write(
      std::vector<chip::InputEvent>(events.begin(), events.end()),
      clock_->Now());
  if (!status.ok()) return events.size();
  input_tap_.Deliver(events);
  MarkWritten();
  return 0;
}

}  // namespace speckd::server
