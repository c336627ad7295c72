#include "server/devices/device_manager.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

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
  device->SetChangeCallback([this, id] { Notify(id); });
  {
    MutexLock lock(&mu_);
    if (devices_.count(id) > 0) {
      return absl::AlreadyExistsError(
          absl::StrCat("a device with id '", id, "' is already registered"));
    }
    device->SetNoticeSink(notice_sink_);
    devices_.emplace(id, std::move(device));
  }
  Notify(id);
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
  if (id.empty() && !devices_.empty()) return devices_.begin()->second.get();
  auto it = devices_.find(id);
  if (it != devices_.end()) return it->second.get();
  std::vector<absl::string_view> known;
  for (const auto& [known_id, device] : devices_) known.push_back(known_id);
  return absl::NotFoundError(
      absl::StrCat("no device '", id, "'; known devices: ",
                   known.empty() ? "none" : absl::StrJoin(known, ", ")));
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

int DeviceManager::AddWatcher(
    std::function<void(const DeviceSnapshot&)> watcher) {
  MutexLock lock(&watchers_mu_);
  const int token = next_watcher_++;
  watchers_[token] = std::move(watcher);
  return token;
}

void DeviceManager::RemoveWatcher(int token) {
  MutexLock lock(&watchers_mu_);
  watchers_.erase(token);
}

void DeviceManager::Notify(const std::string& id) {
  {
    MutexLock lock(&watchers_mu_);
    if (watchers_.empty()) return;
  }
  absl::StatusOr<DeviceSnapshot> snapshot = Get(id);
  if (!snapshot.ok()) return;
  MutexLock lock(&watchers_mu_);
  for (auto& [token, watcher] : watchers_) watcher(*snapshot);
}

void DeviceManager::Housekeeping() {
  for (ManagedDevice* device : Devices()) device->Housekeeping();
}

}  // namespace speckd::server
