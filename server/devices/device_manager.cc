#include "server/devices/device_manager.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/log/log.h"

namespace speckd::server {

DeviceManager::DeviceManager(driver::Clock* clock,
                             const ManagedDeviceOptions& options)
    : clock_(clock), options_(options) {
  janitor_ = std::thread([this] {
    MutexLock lock(&janitor_mu_);
    while (!stopping_) {
      const absl::Time next = clock_->Now() + absl::Milliseconds(100);
      while (!stopping_ && clock_->Now() < next) {
        clock_->WaitUntil(&janitor_cv_, &janitor_mu_, next);
      }
      if (stopping_) break;
      janitor_mu_.Unlock();
      Housekeeping();
      janitor_mu_.Lock();
    }
  });
}

DeviceManager::~DeviceManager() {
  {
    MutexLock lock(&janitor_mu_);
    stopping_ = true;
    janitor_cv_.SignalAll();
  }
  janitor_.join();
  // Devices go before the watchers they might notify, destroyed unlocked:
  // stopping a device runs callbacks that may look devices up.
  std::map<std::string, std::unique_ptr<ManagedDevice>, std::less<>> devices;
  {
    MutexLock lock(&mu_);
    devices.swap(devices_);
  }
  devices.clear();
}

DeviceManager::BoardRecord* DeviceManager::FindBoardLocked(
    const driver::Board& board) {
  if (auto it = boards_.find(board.key); it != boards_.end()) {
    return it->second.get();
  }
  const std::string& serial = board.descriptor.serial_number;
  if (serial.empty()) return nullptr;
  for (auto& [key, record] : boards_) {
    if (record->serial_number == serial &&
        absl::StartsWith(record->id, absl::StrCat(board.id_prefix, ":"))) {
      // Same board on another port: both keys lead to it from now on.
      boards_[board.key] = record;
      return record.get();
    }
  }
  return nullptr;
}

std::string DeviceManager::NextIdLocked(const std::string& prefix) {
  int& rank = next_rank_[prefix];
  std::string id;
  do {
    id = absl::StrCat(prefix, ":", rank++);
  } while (devices_.count(id) > 0);
  return id;
}

void DeviceManager::OnBoardArrived(driver::Board board) {
  MutexLock serial(&board_mu_);
  ManagedDeviceImpl* device = nullptr;
  bool listed_now = false;
  {
    MutexLock lock(&mu_);
    BoardRecord* record = FindBoardLocked(board);
    if (record == nullptr) {
      auto added = std::make_shared<BoardRecord>();
      added->id = NextIdLocked(board.id_prefix);
      added->serial_number = board.descriptor.serial_number;
      added->removed =
          std::make_unique<ManagedDeviceImpl>(added->id, clock_, options_);
      added->device = added->removed.get();
      boards_[board.key] = added;
      record = added.get();
      log::Info("board_new", {{"device", record->id}, {"board", board.key}});
    }
    device = record->device;
    if (record->removed != nullptr) {
      device->SetNoticeSink(notice_sink_);
      devices_.emplace(record->id, std::move(record->removed));
      listed_now = true;
    }
  }
  // A board already listed tells watchers of the change (CHANGED); one new
  // to the list is attached first, then announced (ADDED) with its state.
  // (The callback is set unlocked: the device holds its own lock while
  // calling it, and the call takes mu_.)
  device->Attach(std::move(board));
  if (listed_now) {
    const std::string id = device->id();
    device->SetChangeCallback(
        [this, id] { Notify(id, DeviceChange::kChanged); });
    Notify(id, DeviceChange::kAdded);
  }
}

void DeviceManager::OnBoardLeft(const std::string& key,
                                const std::string& why) {
  MutexLock serial(&board_mu_);
  std::shared_ptr<BoardRecord> record;
  {
    MutexLock lock(&mu_);
    auto it = boards_.find(key);
    if (it == boards_.end() || it->second->removed != nullptr) return;
    record = it->second;
  }
  const DeviceSnapshot last = record->device->Snapshot();
  if (last.state != DeviceState::kUnusable) {
    record->device->Detach(why);
    return;
  }
  // Nothing was kept for a board that could not be used: it leaves the
  // list, and its id waits for its return.
  {
    MutexLock lock(&mu_);
    auto listed = devices_.find(record->id);
    if (listed == devices_.end()) return;
    listed->second.release();  // record->device is that same object
    record->removed.reset(record->device);
    devices_.erase(listed);
  }
  record->device->SetChangeCallback(nullptr);
  log::Info("board_removed", {{"device", record->id}, {"reason", why}});
  NotifyAll(DeviceChange::kRemoved, last);
}

void DeviceManager::SetBoardFaults(const std::string& key_prefix,
                                   driver::BoardFaults* faults) {
  MutexLock lock(&mu_);
  faults_[key_prefix] = faults;
}

absl::StatusOr<std::pair<std::string, driver::BoardFaults*>>
DeviceManager::FaultsFor(absl::string_view id) const {
  MutexLock lock(&mu_);
  for (const auto& [key, record] : boards_) {
    if (record->id != id) continue;
    for (const auto& [prefix, faults] : faults_) {
      if (absl::StartsWith(key, prefix)) return std::make_pair(key, faults);
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "device ", id,
        " cannot be unplugged from software: only simulated devkits can, "
        "when speckd runs with --sim_faults"));
  }
  if (devices_.count(id) == 0) {
    return absl::NotFoundError(absl::StrCat(
        "no device '", id, "'; known devices: ", KnownIdsLocked()));
  }
  return absl::FailedPreconditionError(
      absl::StrCat("device ", id, " is not on a bus that can be faulted"));
}

absl::Status DeviceManager::SimulateUnplug(absl::string_view id) {
  absl::StatusOr<std::pair<std::string, driver::BoardFaults*>> target =
      FaultsFor(id);
  if (!target.ok()) return target.status();
  return target->second->Unplug(target->first);
}

absl::Status DeviceManager::SimulateReplug(absl::string_view id) {
  absl::StatusOr<std::pair<std::string, driver::BoardFaults*>> target =
      FaultsFor(id);
  if (!target.ok()) return target.status();
  return target->second->Replug(target->first);
}

absl::Status DeviceManager::SimulateMisbehaviour(
    absl::string_view id, driver::BoardFaults::Misbehaviour what,
    absl::Duration duration) {
  absl::StatusOr<std::pair<std::string, driver::BoardFaults*>> target =
      FaultsFor(id);
  if (!target.ok()) return target.status();
  return target->second->Inject(target->first, what, duration);
}

absl::Status DeviceManager::Add(std::unique_ptr<driver::Device> device) {
  {
    MutexLock lock(&mu_);
    if (devices_.count(device->descriptor().id) > 0) {
      return absl::AlreadyExistsError(absl::StrCat("a device with id '",
                                                   device->descriptor().id,
                                                   "' is already registered"));
    }
  }
  return AddManaged(
      std::make_unique<ManagedDeviceImpl>(std::move(device), clock_, options_));
}

absl::Status DeviceManager::AddManaged(std::unique_ptr<ManagedDevice> device) {
  const std::string id = device->id();
  device->SetChangeCallback([this, id] { Notify(id, DeviceChange::kChanged); });
  {
    MutexLock lock(&mu_);
    if (devices_.count(id) > 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("a device with id '", id, "' is already registered"));
    }
    device->SetNoticeSink(notice_sink_);
    devices_.emplace(id, std::move(device));
  }
  Notify(id, DeviceChange::kAdded);
  return absl::OkStatus();
}

void DeviceManager::SetNoticeSink(NoticeSink* sink) {
  MutexLock lock(&mu_);
  notice_sink_ = sink;
  for (auto& [id, device] : devices_) device->SetNoticeSink(sink);
}

std::vector<ManagedDevice*> DeviceManager::Devices() const {
  MutexLock lock(&mu_);
  std::vector<ManagedDevice*> devices;
  devices.reserve(devices_.size());
  for (const auto& [id, device] : devices_) devices.push_back(device.get());
  return devices;
}

std::vector<DeviceSnapshot> DeviceManager::List() const {
  const std::vector<ManagedDevice*> devices = Devices();
  std::vector<DeviceSnapshot> out;
  out.reserve(devices.size());
  for (ManagedDevice* device : devices) out.push_back(device->Snapshot());
  return out;
}

absl::StatusOr<DeviceSnapshot> DeviceManager::Get(absl::string_view id) const {
  absl::StatusOr<ManagedDevice*> device = Find(id);
  if (!device.ok()) return device.status();
  return (*device)->Snapshot();
}

absl::StatusOr<ManagedDevice*> DeviceManager::Find(absl::string_view id) const {
  MutexLock lock(&mu_);
  if (id.empty()) return FindDefaultLocked();
  auto it = devices_.find(id);
  if (it != devices_.end()) return it->second.get();
  return absl::NotFoundError(
      absl::StrCat("no device '", id, "'; known devices: ", KnownIdsLocked()));
}

std::string DeviceManager::KnownIdsLocked() const {
  std::vector<absl::string_view> known;
  for (const auto& [known_id, device] : devices_) known.push_back(known_id);
  return known.empty() ? "none" : absl::StrJoin(known, ", ");
}

absl::StatusOr<ManagedDevice*> DeviceManager::FindDefaultLocked() const {
  std::vector<ManagedDevice*> boards;
  ManagedDevice* first_sim = nullptr;
  for (const auto& [id, device] : devices_) {
    const DeviceSnapshot snapshot = device->Snapshot();
    if (snapshot.descriptor.backend == driver::Backend::kSim) {
      if (first_sim == nullptr) first_sim = device.get();
    } else if (snapshot.state != DeviceState::kUnusable) {
      boards.push_back(device.get());
    }
  }
  if (boards.size() == 1) return boards.front();
  if (boards.size() > 1) {
    std::vector<absl::string_view> ids;
    for (ManagedDevice* board : boards) ids.push_back(board->id());
    return absl::FailedPreconditionError(
        absl::StrCat("several boards are connected (", absl::StrJoin(ids, ", "),
                     "): name one with its device id"));
  }
  if (first_sim != nullptr) return first_sim;
  if (devices_.empty()) return absl::NotFoundError("speckd has no devices");
  return absl::FailedPreconditionError(absl::StrCat(
      "no board can be used and there is no simulated devkit to default to; "
      "name a device: ",
      KnownIdsLocked()));
}

absl::StatusOr<ManagedDevice*> DeviceManager::FindGraph(
    absl::string_view graph_id) const {
  MutexLock lock(&mu_);
  for (const auto& [id, device] : devices_) {
    if (device->HasGraph(graph_id)) return device.get();
  }
  return absl::NotFoundError(absl::StrCat("no graph '", graph_id, "'"));
}

std::string DeviceManager::NewGraphId() {
  return absl::StrCat("g", next_graph_.fetch_add(1));
}

int DeviceManager::AddWatcher(Watcher watcher) {
  MutexLock lock(&watchers_mu_);
  const int token = next_watcher_++;
  watchers_[token] = std::move(watcher);
  return token;
}

void DeviceManager::RemoveWatcher(int token) {
  MutexLock lock(&watchers_mu_);
  watchers_.erase(token);
}

void DeviceManager::Notify(const std::string& id, DeviceChange change) {
  {
    MutexLock lock(&watchers_mu_);
    if (watchers_.empty()) return;
  }
  absl::StatusOr<DeviceSnapshot> snapshot = Get(id);
  if (!snapshot.ok()) return;
  NotifyAll(change, *snapshot);
}

void DeviceManager::NotifyAll(DeviceChange change,
                              const DeviceSnapshot& snapshot) {
  MutexLock lock(&watchers_mu_);
  for (auto& [token, watcher] : watchers_) watcher(change, snapshot);
}

void DeviceManager::Housekeeping() {
  for (ManagedDevice* device : Devices()) device->Housekeeping();
}

}  // namespace speckd::server
