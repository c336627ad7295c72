#include "server/devices/device_manager.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace speckd::server {

absl::string_view DeviceStateName(DeviceState state) {
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

absl::Status DeviceManager::Add(std::unique_ptr<driver::Device> device) {
  std::string id = device->descriptor().id;
  absl::MutexLock lock(&mu_);
  if (devices_.count(id) > 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("a device with id '", id, "' is already registered"));
  }
  devices_.emplace(std::move(id),
                   Entry{std::move(device), DeviceState::kReady});
  return absl::OkStatus();
}

std::vector<DeviceSnapshot> DeviceManager::List() const {
  absl::MutexLock lock(&mu_);
  std::vector<DeviceSnapshot> out;
  out.reserve(devices_.size());
  for (const auto& [id, entry] : devices_) {
    out.push_back({entry.device->descriptor(), entry.state});
  }
  return out;
}

absl::StatusOr<DeviceSnapshot> DeviceManager::Get(absl::string_view id) const {
  absl::MutexLock lock(&mu_);
  auto it = devices_.find(id);
  if (it == devices_.end()) {
    std::vector<absl::string_view> known;
    for (const auto& [known_id, entry] : devices_) known.push_back(known_id);
    return absl::NotFoundError(
        absl::StrCat("no device '", id, "'; known devices: ",
                     known.empty() ? "none" : absl::StrJoin(known, ", ")));
  }
  return DeviceSnapshot{it->second.device->descriptor(), it->second.state};
}

}  // namespace speckd::server
