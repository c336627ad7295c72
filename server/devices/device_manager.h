// DeviceManager owns every device speckd serves (simulated devkits, and
// boards once their drivers exist) as ManagedDevices, looks them up by stable
// id, tells watchers about changes, and runs housekeeping (lease expiry,
// idle state) on a background thread paced by the Clock.
//
//   DeviceManager devices(driver::RealClock());
//   devices.Add(driver::sim::NewSimDevice(0));
//   absl::StatusOr<ManagedDevice*> dev = devices.Find("speck2edevkit:0");
#ifndef SPECKD_SERVER_DEVICES_DEVICE_MANAGER_H_
#define SPECKD_SERVER_DEVICES_DEVICE_MANAGER_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "driver/clock.h"
#include "driver/device.h"
#include "driver/util/mutex.h"
#include "server/devices/managed_device.h"
#include "server/devices/managed_device_impl.h"

namespace speckd::server {

class DeviceManager {
 public:
  explicit DeviceManager(driver::Clock* clock = driver::RealClock(),
                         const ManagedDeviceOptions& options = {});
  ~DeviceManager();
  DeviceManager(const DeviceManager&) = delete;
  DeviceManager& operator=(const DeviceManager&) = delete;

  driver::Clock* clock() const { return clock_; }

  // Takes ownership and manages it. ALREADY_EXISTS if the id is taken.
  absl::Status Add(std::unique_ptr<driver::Device> device);
  // The same for a ready-made ManagedDevice (tests give fakes).
  absl::Status AddManaged(std::unique_ptr<ManagedDevice> device);

  // Every device, ordered by id.
  std::vector<DeviceSnapshot> List() const;
  // The same devices, without snapshots; they live as long as the manager.
  std::vector<ManagedDevice*> Devices() const;
  absl::StatusOr<DeviceSnapshot> Get(absl::string_view id) const;

  // NOT_FOUND (listing the known ids) for an unknown id. An empty id means
  // the only device, or the first one. The pointer lives as long as the
  // manager.
  absl::StatusOr<ManagedDevice*> Find(absl::string_view id) const;

  // The device that holds graph `graph_id`; NOT_FOUND otherwise.
  absl::StatusOr<ManagedDevice*> FindGraph(absl::string_view graph_id) const;
  // "g1", "g2", ...: unique for the server's lifetime.
  std::string NewGraphId();

  // Where every device's notices go (the subscription hub); nullptr stops
  // them. Also for devices added later.
  void SetNoticeSink(NoticeSink* sink);

  // `watcher(snapshot)` runs after any change to a device (state, lease,
  // settings), with its new snapshot (taken once for every watcher), on the
  // thread that made the change; it must not block.
  int AddWatcher(std::function<void(const DeviceSnapshot&)> watcher);
  void RemoveWatcher(int token);

  // Expires leases and settles idle devices; the background thread calls it
  // every 100 ms of clock time.
  void Housekeeping();

 private:
  void Notify(const std::string& id);

  driver::Clock* const clock_;
  const ManagedDeviceOptions options_;

  // Lock order: mu_ before a device's locks (Find and FindGraph ask devices
  // while holding it); watchers_mu_ and janitor_mu_ are leaves.
  mutable Mutex mu_;
  std::map<std::string, std::unique_ptr<ManagedDevice>, std::less<>> devices_
      ABSL_GUARDED_BY(mu_);
  NoticeSink* notice_sink_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::atomic<uint64_t> next_graph_{1};

  Mutex watchers_mu_;
  std::map<int, std::function<void(const DeviceSnapshot&)>> watchers_
      ABSL_GUARDED_BY(watchers_mu_);
  int next_watcher_ ABSL_GUARDED_BY(watchers_mu_) = 1;

  Mutex janitor_mu_;
  CondVar janitor_cv_;
  bool stopping_ ABSL_GUARDED_BY(janitor_mu_) = false;
  std::thread janitor_;
};

}  // namespace speckd::server

#endif  // SPECKD_SERVER_DEVICES_DEVICE_MANAGER_H_
