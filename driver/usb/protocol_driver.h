// ProtocolDriver: the one component that knows a board's wire protocol. The
// USB bus finds, opens and claims a board and hands it over; the driver
// turns it into a Device. The Speck2e devkit's protocol is not public, so
// speckd ships no driver for it: such a board is listed as present with no
// protocol driver (docs/hardware.md says how to capture the protocol, and
// the samna bridge drives real boards through SynSense's own software).
#ifndef SPECKD_DRIVER_USB_PROTOCOL_DRIVER_H_
#define SPECKD_DRIVER_USB_PROTOCOL_DRIVER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "driver/device.h"
#include "driver/usb/usb_handle.h"
#include "driver/usb/usb_ids.h"

namespace speckd::driver::usb {

class ProtocolDriver {
 public:
  virtual ~ProtocolDriver() = default;
  virtual const char* name() const = 0;
  // True if it drives boards of this kind and id.
  virtual bool Accepts(BoardKind kind, uint16_t vendor_id,
                       uint16_t product_id) const = 0;
  // Takes the claimed board; a Device reporting `descriptor`, or why not
  // (the board is then listed as unusable with that message).
  virtual absl::StatusOr<std::unique_ptr<Device>> Open(
      std::unique_ptr<UsbHandle> handle,
      const DeviceDescriptor& descriptor) = 0;
};

}  // namespace speckd::driver::usb

#endif  // SPECKD_DRIVER_USB_PROTOCOL_DRIVER_H_
