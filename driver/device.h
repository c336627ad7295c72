// The Device seam: what speckd needs from a Speck2e devkit, whether it is the
// simulated devkit (driver/sim) or a board on USB (driver/usb). The daemon,
// the event graph and every test talk only to this interface.
//
//   std::unique_ptr<Device> dev = sim::NewSimDevice(0);
//   dev->descriptor().id;  // "speck2edevkit:0"
#ifndef SPECKD_DRIVER_DEVICE_H_
#define SPECKD_DRIVER_DEVICE_H_

#include <cstdint>
#include <string>

namespace speckd::driver {

enum class Backend { kSim, kUsb };

// Identity of a device; fixed for the device's lifetime.
struct DeviceDescriptor {
  // Stable id "<type>:<rank>", e.g. "speck2edevkit:0" (sinabs' naming).
  std::string id;
  // samna's device type name, e.g. "Speck2eDevKit".
  std::string type_name;
  std::string serial_number;
  Backend backend = Backend::kSim;
  // USB location; 0 for simulated devices.
  uint32_t usb_bus_number = 0;
  uint32_t usb_device_address = 0;
  std::string logic_version;
};

class Device {
 public:
  virtual ~Device() = default;

  // Thread-safe; the reference stays valid for the device's lifetime.
  virtual const DeviceDescriptor& descriptor() const = 0;
};

}  // namespace speckd::driver

#endif  // SPECKD_DRIVER_DEVICE_H_
