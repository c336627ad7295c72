// ManagedDeviceImpl's attachments: a board's driver::Device arriving
// (Attach, restoring what it had), leaving (Detach: unplugged), and being
// abandoned when the watchdog finds it wedged (Abandon, then Reap on a thread
// of its own, since a wedged device may never return from a call).
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/devices/managed_device_impl.h"
#include "server/log/log.h"

namespace speckd::server {

void ManagedDeviceImpl::Retire(Attachment* gone, absl::string_view why) {
  gone->writer->Cancel(why);
  // Cuts short a write blocked on a full device queue.
  (void)gone->device->CancelInputs();
  gone->writer->Stop(absl::UnavailableError(why));
  // Waits for a delivery in progress: nothing of the old device reaches the
  // graphs after this.
  gone->device->SetOutputListener(nullptr);
  driver::DeviceCounters counters = gone->device->counters();
  counters.queued_inputs = 0;
  const Settings settings = SettingsOf(*gone->device);
  MutexLock lock(&mu_);
  AddCounters(counters, &past_counters_);
  settings_ = settings;
}

ManagedDeviceImpl::Settings ManagedDeviceImpl::SettingsOf(
    const driver::Device& device) {
  Settings settings;
  settings.stop_watch = device.stop_watch();
  settings.slow_clock = device.slow_clock();
  settings.pacing = device.pacing();
  settings.power_monitor_rate_hz = device.power_monitor_rate();
  return settings;
}

void ManagedDeviceImpl::Attach(driver::Board board) {
  MutexLock control(&control_mu_);
  if (stopping_.load()) return;
  std::shared_ptr<Attachment> previous;
  {
    MutexLock lock(&attach_mu_);
    previous = std::move(attached_);
  }
  if (previous != nullptr) Retire(previous.get(), "the board was replaced");
  board.descriptor.id = id_;
  const std::string key = board.key;
  std::optional<Settings> settings;
  bool configured = false;
  {
    MutexLock lock(&mu_);
    descriptor_ = board.descriptor;
    board_key_ = board.key;
    problem_ = board.problem;
    settings = settings_;
    configured = configured_;
  }
  if (board.device == nullptr) {
    {
      MutexLock lock(&mu_);
      state_ = DeviceState::kUnusable;
      state_detail_ = board.problem.detail;
    }
    log::Warning("device_unusable",
                 {{"device", id_},
                  {"problem", driver::BoardProblemName(board.problem.kind)},
                  {"detail", board.problem.detail}});
    NotifyChanged();
    return;
  }
  auto attachment = std::make_shared<Attachment>(this);
  attachment->device = std::move(board.device);
  attachment->writer = std::make_unique<InputWriter>(
      attachment->device.get(), clock_, options_.writer, &input_tap_);
  attachment->restart = std::move(board.restart);
  attachment->device->SetOutputListener(attachment.get());
  // A board seen before gets back what it had; a new one keeps its defaults.
  const std::string not_restored =
      settings.has_value() ? Restore(attachment->device.get(), *settings)
                           : RestoreSaved(attachment->device.get(), key);
  {
    MutexLock lock(&mu_);
    if (!not_restored.empty()) configured_ = false;
    config_ = attachment->device->configuration();
    state_ = configured_ ? DeviceState::kConfigured : DeviceState::kReady;
    state_detail_ = not_restored;
    settings_.reset();
  }
  if (options_.watchdog > absl::ZeroDuration()) {
    attachment->last_settings = std::make_shared<LastSettings>();
    {
      MutexLock lock(&attachment->last_settings->mu);
      attachment->last_settings->settings = SettingsOf(*attachment->device);
    }
    attachment->watchdog = std::make_unique<DeviceWatchdog>(
        attachment->device.get(), clock_, options_.watchdog,
        [device = attachment->device.get(), last = attachment->last_settings] {
          const Settings now = SettingsOf(*device);
          MutexLock lock(&last->mu);
          last->settings = now;
        });
  }
  {
    MutexLock lock(&attach_mu_);
    attached_ = std::move(attachment);
  }
  if (settings.has_value()) {
    log::Info("device_restored", {{"device", id_},
                                  {"configuration", configured},
                                  {"problem", not_restored}});
  } else {
    log::Info("device_attached", {{"device", id_}});
  }
  NotifyChanged();
}

std::string ManagedDeviceImpl::RestoreSaved(driver::Device* device,
                                            const std::string& key) {
  if (options_.configs == nullptr || key.empty()) return "";
  absl::StatusOr<std::optional<chip::SpeckConfig>> saved =
      options_.configs->Load(key);
  std::string problem;
  if (!saved.ok()) {
    problem = absl::StrCat("its saved configuration could not be read: ",
                           saved.status().message());
  } else if (!saved->has_value()) {
    return "";
  } else if (absl::Status s = device->ApplyConfiguration(**saved); !s.ok()) {
    problem =
        absl::StrCat("its saved configuration (", options_.configs->PathOf(key),
                     ") no longer applies: ", s.message());
  }
  if (!problem.empty()) {
    log::Warning("config_not_restored",
                 {{"device", id_}, {"problem", problem}});
    return problem;
  }
  {
    MutexLock lock(&mu_);
    configured_ = true;
  }
  log::Info("config_restored_from_disk",
            {{"device", id_}, {"file", options_.configs->PathOf(key)}});
  return "";
}

std::string ManagedDeviceImpl::Restore(driver::Device* device,
                                       const Settings& settings) {
  std::shared_ptr<const chip::SpeckConfig> config;
  bool configured = false;
  {
    MutexLock lock(&mu_);
    config = config_;
    configured = configured_;
  }
  std::string problem;
  if (configured) {
    if (absl::Status s = device->ApplyConfiguration(*config); !s.ok()) {
      problem = absl::StrCat(
          "the configuration it had could not be applied again: ", s.message());
    }
  }
  // After the configuration, which sets the slow clock too. A board that is
  // always real time refuses other pacing: not a failure.
  (void)device->SetPacing(settings.pacing);
  (void)device->SetSlowClock(settings.slow_clock.enabled,
                             settings.slow_clock.rate_hz);
  (void)device->SetPowerMonitorRate(settings.power_monitor_rate_hz);
  (void)device->SetStopWatch(settings.stop_watch.enabled, /*reset=*/false);
  return problem;
}

void ManagedDeviceImpl::Detach(const std::string& why) {
  MutexLock control(&control_mu_);
  const std::string detail = absl::StrCat(
      why,
      "; its configuration and settings are kept and re-applied when "
      "it returns");
  // The state first: a call that finds no attachment then reads why.
  bool already_lost = false;
  {
    MutexLock lock(&mu_);
    already_lost =
        state_ == DeviceState::kLost || state_ == DeviceState::kAbsent;
    if (!already_lost) {
      state_ = DeviceState::kLost;
      state_detail_ = detail;
      problem_ = {};
    }
  }
  std::shared_ptr<Attachment> gone;
  {
    MutexLock lock(&attach_mu_);
    gone = std::move(attached_);
  }
  // Whatever is attached stops, even if the state already said lost (a
  // board attached while an abandoned one was being reaped).
  if (gone != nullptr) {
    Retire(gone.get(), absl::StrCat("device ", id_, " went away (", why,
                                    ") before this write reached it"));
  }
  if (already_lost) return;
  log::Warning("device_lost", {{"device", id_}, {"reason", why}});
  SendDeviceNotice({Notice::Kind::kDeviceLost,
                    absl::StrCat("device ", id_, " was lost: ", detail), 0});
  NotifyChanged();
}

void ManagedDeviceImpl::MindWatchdog() {
  std::shared_ptr<Attachment> a = attached();
  if (a == nullptr || a->watchdog == nullptr) return;
  if (std::optional<absl::Duration> waited = a->watchdog->Check()) {
    Abandon(std::move(a), *waited);
  }
}

void ManagedDeviceImpl::Abandon(std::shared_ptr<Attachment> gone,
                                absl::Duration waited) {
  {
    MutexLock lock(&attach_mu_);
    if (attached_ != gone) return;  // replaced or detached meanwhile
    attached_.reset();
  }
  gone->abandoned.store(true);
  const std::string why =
      absl::StrCat("its driver stopped answering (nothing for ",
                   absl::FormatDuration(waited), ", watchdog ",
                   absl::FormatDuration(gone->watchdog->limit()), ")");
  const std::string detail = absl::StrCat(
      why, gone->restart ? "; speckd restarts the driver and re-applies the "
                           "configuration and settings"
                         : "; unplug and replug the board, or restart speckd");
  Settings settings;
  {
    MutexLock last(&gone->last_settings->mu);
    settings = gone->last_settings->settings;
  }
  {
    MutexLock lock(&mu_);
    state_ = DeviceState::kLost;
    state_detail_ = detail;
    problem_ = {};
    settings_ = settings;
  }
  log::Error("device_wedged", {{"device", id_}, {"reason", why}});
  SendDeviceNotice({Notice::Kind::kDeviceLost,
                    absl::StrCat("device ", id_, " was lost: ", detail), 0});
  NotifyChanged();
  MutexLock lock(&reap_mu_);
  reapers_.emplace_back(
      [this, gone = std::move(gone), why]() mutable { Reap(gone, why); });
}

void ManagedDeviceImpl::Reap(std::shared_ptr<Attachment> gone,
                             const std::string& why) {
  // A fresh driver first: the wedged one may take long to return, or never.
  if (gone->restart) gone->restart();
  const absl::Time since = clock_->Now();
  const std::string failed =
      absl::StrCat("device ", id_, " was abandoned (", why,
                   ") before this write reached it");
  gone->writer->Cancel(failed);
  (void)gone->device->CancelInputs();
  gone->writer->Stop(absl::UnavailableError(failed));
  gone->device->SetOutputListener(nullptr);
  driver::DeviceCounters counters = gone->device->counters();
  counters.queued_inputs = 0;
  {
    MutexLock lock(&mu_);
    AddCounters(counters, &past_counters_);
  }
  gone.reset();
  log::Info("wedged_driver_returned",
            {{"device", id_},
             {"after", absl::FormatDuration(clock_->Now() - since)}});
  NotifyChanged();
}

}  // namespace speckd::server
