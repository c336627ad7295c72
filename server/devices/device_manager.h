// DeviceManager owns every device speckd serves and tracks each one's state
// (absent -> ready -> configured -> streaming; lost). The API layer looks
// devices up here by their stable id.
//
//   DeviceManager devices;
//   devices.Add(driver::sim::NewSimDevice(0));
//   for (const DeviceSnapshot& d : devices.List()) ...
#ifndef SPECKD_SERVER_DEVICES_DEVICE_MANAGER_H_
#define SPECKD_SERVER_DEVICES_DEVICE_MANAGER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "driver/device.h"

namespace speckd::server {

enum class DeviceState { kAbsent, kReady, kConfigured, kStreaming, kLost };

absl::string_view DeviceStateName(DeviceState state);

// A consistent copy of one device's public facts.
struct DeviceSnapshot {
  driver::DeviceDescriptor descriptor;
  DeviceState state = DeviceState::kReady;
};

class DeviceManager {
 public:
  DeviceManager() = default;
  DeviceManager(const DeviceManager&) = delete;
  DeviceManager& operator=(const DeviceManager&) = delete;

  // Takes ownership. ALREADY_EXISTS if the id is taken. Thread-safe.
  absl::Status Add(std::unique_ptr<driver::Device> device);

  // Every device, ordered by id. Thread-safe.
  std::vector<DeviceSnapshot> List() const;

  // NOT_FOUND (listing the known ids) for an unknown id. Thread-safe.
  absl::StatusOr<DeviceSnapshot> Get(absl::string_view id) const;

 private:
  struct Entry {
    std::unique_ptr<driver::Device> device;
    DeviceState state = DeviceState::kReady;
  };

  mutable absl::Mutex mu_;
  std::map<std::string, Entry, std::less<>> devices_ ABSL_GUARDED_BY(mu_);
};

}  // namespace speckd::server

#endif  // SPECKD_SERVER_DEVICES_DEVICE_MANAGER_H_
