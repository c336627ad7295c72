// DeviceManager owns every device speckd serves as ManagedDevices: it is the
// BoardListener of the backends (simulated devkits, USB boards), gives each
// board its stable id, keeps a board's device across unplugs, looks devices
// up by id, tells watchers about changes, and runs housekeeping (lease
// expiry, idle state) on a background thread paced by the Clock.
//
// Ids (docs/daemon.md, "Device ids"): "<prefix>:<rank>", ranked per prefix in
// the order boards are first seen; a board that returns with the same key
// (bus and port path) or the same serial number gets its id back.
//
//   DeviceManager devices(driver::RealClock());
//   sim_bus.Start(&devices);     // OnBoardArrived: "speck2edevkit-sim:0"
//   absl::StatusOr<ManagedDevice*> dev = devices.Find("");
#ifndef SPECKD_SERVER_DEVICES_DEVICE_MANAGER_H_
#define SPECKD_SERVER_DEVICES_DEVICE_MANAGER_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "driver/board.h"
#include "driver/clock.h"
#include "driver/device.h"
#include "driver/util/mutex.h"
#include "server/devices/managed_device.h"
#include "server/devices/managed_device_impl.h"

namespace speckd::server {

enum class DeviceChange { kAdded, kChanged, kRemoved };

class DeviceManager final : public driver::BoardListener {
 public:
  explicit DeviceManager(driver::Clock* clock = driver::RealClock(),
                         const ManagedDeviceOptions& options = {});
  ~DeviceManager() override;
  DeviceManager(const DeviceManager&) = delete;
  DeviceManager& operator=(const DeviceManager&) = delete;

  driver::Clock* clock() const { return clock_; }

  // A board is present: a new one gets the next id of its prefix (logged);
  // one seen before (same key, or same serial number) is attached again and
  // restored. Never fails.
  void OnBoardArrived(driver::Board board) override;
  // A driven board becomes LOST (kept, with its lease, configuration and
  // graphs); one that could not be used is removed from the list (its id is
  // kept for its return). Unknown keys are ignored.
  void OnBoardLeft(const std::string& key, const std::string& why) override;

  // Lets SimulateUnplug/SimulateReplug reach the boards whose keys start
  // with `key_prefix` ("sim:"); `faults` must outlive the manager.
  void SetBoardFaults(const std::string& key_prefix,
                      driver::BoardFaults* faults);
  // Pretends device `id` was pulled out / plugged back in, where its backend
  // allows it (FAILED_PRECONDITION saying how to allow it otherwise).
  absl::Status SimulateUnplug(absl::string_view id);
  absl::Status SimulateReplug(absl::string_view id);
  absl::Status SimulateMisbehaviour(absl::string_view id,
                                    driver::BoardFaults::Misbehaviour what,
                                    absl::Duration duration);

  // Takes ownership and manages it under its own id (tests). ALREADY_EXISTS
  // if the id is taken.
  absl::Status Add(std::unique_ptr<driver::Device> device);
  // The same for a ready-made ManagedDevice (tests give fakes).
  absl::Status AddManaged(std::unique_ptr<ManagedDevice> device);

  // Every device, ordered by id.
  std::vector<DeviceSnapshot> List() const;
  // The same devices, without snapshots; they live as long as the manager.
  std::vector<ManagedDevice*> Devices() const;
  absl::StatusOr<DeviceSnapshot> Get(absl::string_view id) const;

  // NOT_FOUND (listing the known ids) for an unknown id. An empty id means
  // the only hardware board that can be used, else the first simulated
  // device (FAILED_PRECONDITION listing them when several boards could be
  // meant). The pointer lives as long as the manager.
  absl::StatusOr<ManagedDevice*> Find(absl::string_view id) const;

  // The device that holds graph `graph_id`; NOT_FOUND otherwise.
  absl::StatusOr<ManagedDevice*> FindGraph(absl::string_view graph_id) const;
  // "g1", "g2", ...: unique for the server's lifetime.
  std::string NewGraphId();

  // Where every device's notices go (the subscription hub); nullptr stops
  // them. Also for devices added later.
  void SetNoticeSink(NoticeSink* sink);

  // `watcher(change, snapshot)` runs when a device is added or removed and
  // after any change to one (state, lease, settings), with its new snapshot
  // (taken once for every watcher), on the thread that made the change; it
  // must not block.
  using Watcher = std::function<void(DeviceChange, const DeviceSnapshot&)>;
  int AddWatcher(Watcher watcher);
  void RemoveWatcher(int token);

  // Expires leases and settles idle devices; the background thread calls it
  // every 100 ms of clock time.
  void Housekeeping();

 private:
  // A board seen since the daemon started.
  struct BoardRecord {
    std::string id;
    std::string serial_number;
    ManagedDeviceImpl* device = nullptr;  // owned by devices_ while listed
    std::unique_ptr<ManagedDeviceImpl> removed;  // owned here while not
  };

  // The record of `board` (by key, else by serial number), or null.
  BoardRecord* FindBoardLocked(const driver::Board& board)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string NextIdLocked(const std::string& prefix)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<ManagedDevice*> FindDefaultLocked() const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string KnownIdsLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The key of the board with device id `id`, and the faults of its
  // backend; NOT_FOUND or FAILED_PRECONDITION.
  absl::StatusOr<std::pair<std::string, driver::BoardFaults*>> FaultsFor(
      absl::string_view id) const;
  void Notify(const std::string& id, DeviceChange change);
  void NotifyAll(DeviceChange change, const DeviceSnapshot& snapshot);

  driver::Clock* const clock_;
  const ManagedDeviceOptions options_;

  // Lock order: board_mu_ (serializes arrivals and departures, held while a
  // device is attached or detached) before mu_; mu_ before a device's locks
  // (Find and FindGraph ask devices while holding it); watchers_mu_ and
  // janitor_mu_ are leaves.
  Mutex board_mu_;
  mutable Mutex mu_;
  std::map<std::string, std::unique_ptr<ManagedDevice>, std::less<>> devices_
      ABSL_GUARDED_BY(mu_);
  // By board key; a board that returned under a new key (same serial) has
  // both keys pointing at one record.
  std::map<std::string, std::shared_ptr<BoardRecord>> boards_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> next_rank_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, driver::BoardFaults*> faults_ ABSL_GUARDED_BY(mu_);
  NoticeSink* notice_sink_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::atomic<uint64_t> next_graph_{1};

  Mutex watchers_mu_;
  std::map<int, Watcher> watchers_ ABSL_GUARDED_BY(watchers_mu_);
  int next_watcher_ ABSL_GUARDED_BY(watchers_mu_) = 1;

  Mutex janitor_mu_;
  CondVar janitor_cv_;
  bool stopping_ ABSL_GUARDED_BY(janitor_mu_) = false;
  std::thread janitor_;
};

}  // namespace speckd::server

#endif  // SPECKD_SERVER_DEVICES_DEVICE_MANAGER_H_
