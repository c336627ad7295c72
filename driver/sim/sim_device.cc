#include "driver/sim/sim_device.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace speckd::driver::sim {
namespace {

class SimDevice final : public Device {
 public:
  explicit SimDevice(int rank) {
    descriptor_.id = absl::StrCat("speck2edevkit:", rank);
    descriptor_.type_name = "Speck2eDevKit";
    descriptor_.serial_number = absl::StrCat("sim-", rank);
    descriptor_.backend = Backend::kSim;
    descriptor_.logic_version = "speckd-sim";
  }

  const DeviceDescriptor& descriptor() const override { return descriptor_; }

 private:
  DeviceDescriptor descriptor_;
};

}  // namespace

std::unique_ptr<Device> NewSimDevice(int rank) {
  return std::make_unique<SimDevice>(rank);
}

}  // namespace speckd::driver::sim
