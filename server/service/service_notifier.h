// speckd as a systemd service (Type=notify): READY=1 once both ports listen,
// STATUS= lines, STOPPING=1 when shutdown starts, and WATCHDOG=1 pings while
// the daemon's own loops answer (`alive`: the gRPC server and the web port's
// event loop), so a wedged daemon stops pinging and systemd restarts it. A
// wedged *device* does not stop the pings: the device watchdog marks it LOST
// and restarts its driver alone (server/devices/device_watchdog.h).
//
// Through Debian's libsystemd (sd_notify, sd_watchdog_enabled). Outside
// systemd (no NOTIFY_SOCKET: a hand-run daemon, tests) every call is a no-op.
//
//   ServiceNotifier notifier([&] { return Probe(server, web); });
//   notifier.Ready("serving 1 device");
//   ...
//   notifier.Stopping();
#ifndef SPECKD_SERVER_SERVICE_SERVICE_NOTIFIER_H_
#define SPECKD_SERVER_SERVICE_SERVICE_NOTIFIER_H_

#include <functional>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "driver/util/mutex.h"

namespace speckd::server {

class ServiceNotifier {
 public:
  // OK when the daemon answers, within a deadline shorter than the watchdog
  // interval's half (the probe's own business).
  using Probe = std::function<absl::Status()>;

  // Reads $NOTIFY_SOCKET and $WATCHDOG_USEC; starts the watchdog thread
  // when systemd asked for pings. `alive` must stay callable until the
  // notifier is destroyed.
  explicit ServiceNotifier(Probe alive);
  ~ServiceNotifier();  // stops the watchdog thread
  ServiceNotifier(const ServiceNotifier&) = delete;
  ServiceNotifier& operator=(const ServiceNotifier&) = delete;

  void Ready(absl::string_view status);
  void Status(absl::string_view status);
  // No more pings after this: shutdown may take longer than an interval.
  void Stopping();

  bool under_systemd() const { return under_systemd_; }
  // Zero when systemd asked for no pings.
  absl::Duration watchdog_interval() const { return interval_; }

 private:
  void WatchdogLoop();

  const Probe alive_;
  bool under_systemd_ = false;
  absl::Duration interval_ = absl::ZeroDuration();
  std::thread watchdog_;
  // Guards stopping_; the watchdog thread waits on changed_. No other lock
  // is taken while it is held (the probe runs without it).
  Mutex mu_;
  CondVar changed_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace speckd::server

#endif  // SPECKD_SERVER_SERVICE_SERVICE_NOTIFIER_H_
