#include "server/service/service_notifier.h"

#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "server/log/log.h"

namespace speckd::server {
namespace {

void Notify(absl::string_view state) {
  const std::string text(state);
  // unset_environment = 0: the probe thread and later calls still need it.
  sd_notify(0, text.c_str());
}

}  // namespace

ServiceNotifier::ServiceNotifier(Probe alive) : alive_(std::move(alive)) {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  under_systemd_ = socket != nullptr && socket[0] != '\0';
  if (!under_systemd_) return;
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    interval_ = absl::Microseconds(static_cast<int64_t>(usec));
    watchdog_ = std::thread([this] { WatchdogLoop(); });
  }
  log::Info("systemd",
            {{"notify", true}, {"watchdog", absl::FormatDuration(interval_)}});
}

ServiceNotifier::~ServiceNotifier() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    changed_.SignalAll();
  }
  if (watchdog_.joinable()) watchdog_.join();
}

void ServiceNotifier::Ready(absl::string_view status) {
  if (under_systemd_) Notify(absl::StrCat("READY=1\nSTATUS=", status));
}

void ServiceNotifier::Status(absl::string_view status) {
  if (under_systemd_) Notify(absl::StrCat("STATUS=", status));
}

void ServiceNotifier::Stopping() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    changed_.SignalAll();
  }
  if (under_systemd_) Notify("STOPPING=1\nSTATUS=shutting down");
}

void ServiceNotifier::WatchdogLoop() {
  // Twice per interval, as sd_watchdog_enabled(3) recommends.
  const absl::Duration period = interval_ / 2;
  while (true) {
    {
      MutexLock lock(&mu_);
      const absl::Time until = absl::Now() + period;
      while (!stopping_ && absl::Now() < until) {
        changed_.WaitWithDeadline(&mu_, until);
      }
      if (stopping_) return;
    }
    absl::Status alive = alive_();
    if (alive.ok()) {
      Notify("WATCHDOG=1");
    } else {
      // No ping: systemd restarts the service if this goes on.
      log::Error("watchdog_missed", {{"error", alive.message()}});
      Notify(absl::StrCat("STATUS=not answering: ", alive.message()));
    }
  }
}

}  // namespace speckd::server
