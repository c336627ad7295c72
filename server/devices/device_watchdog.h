// DeviceWatchdog: whether a driver::Device still answers. A driver stuck in
// a call (a USB transfer that never returns, a wedged thread) stops
// processing without failing anything; the device manager's housekeeping
// calls Check() every 100 ms of clock time, which pings the device
// (Device::Ping) every quarter of the limit and reports it wedged once a
// ping has waited longer than the limit. ManagedDeviceImpl then takes the
// device for LOST and restarts its driver (docs/daemon.md, "Devices").
//
//   DeviceWatchdog watchdog(device, clock, absl::Seconds(10), on_answer);
//   if (std::optional<absl::Duration> waited = watchdog.Check()) ...wedged
#ifndef SPECKD_SERVER_DEVICES_DEVICE_WATCHDOG_H_
#define SPECKD_SERVER_DEVICES_DEVICE_WATCHDOG_H_

#include <functional>
#include <memory>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "driver/clock.h"
#include "driver/device.h"
#include "driver/util/mutex.h"

namespace speckd::server {

class DeviceWatchdog {
 public:
  // Pings at most every max(limit / 4, 100 ms). `on_answer` runs on the
  // device's thread with each answer (to note what a restarted driver should
  // get back), also after the watchdog is gone, so it must own what it
  // touches. `device` must outlive the watchdog, `clock` the device.
  DeviceWatchdog(driver::Device* device, driver::Clock* clock,
                 absl::Duration limit, std::function<void()> on_answer);

  // Pings when one is due; once the unanswered ping has waited longer than
  // the limit, how long it has waited.
  std::optional<absl::Duration> Check();

  absl::Duration limit() const { return limit_; }

 private:
  // Shared with the pings still queued in the device.
  struct Pings {
    std::function<void()> on_answer;
    Mutex mu;  // a leaf
    bool outstanding ABSL_GUARDED_BY(mu) = false;
    absl::Time sent ABSL_GUARDED_BY(mu) = absl::InfinitePast();
    absl::Time answered ABSL_GUARDED_BY(mu) = absl::InfinitePast();
  };

  driver::Device* const device_;
  driver::Clock* const clock_;
  const absl::Duration limit_;
  const absl::Duration interval_;
  const std::shared_ptr<Pings> pings_;
};

}  // namespace speckd::server

#endif  // SPECKD_SERVER_DEVICES_DEVICE_WATCHDOG_H_
