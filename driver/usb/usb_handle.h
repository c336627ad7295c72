// UsbHandle: an opened USB device with its interface claimed, as the USB bus
// hands it to a protocol driver. Every transfer has a timeout (never a hang:
// an unplugged board ends a transfer with UNAVAILABLE); destroying the handle
// releases the interface and closes the device.
//
//   absl::StatusOr<size_t> n = handle->BulkOut(0x02, bytes, absl::Seconds(1));
//   absl::StatusOr<size_t> got = handle->BulkIn(0x81, &buffer, timeout);
#ifndef SPECKD_DRIVER_USB_USB_HANDLE_H_
#define SPECKD_DRIVER_USB_USB_HANDLE_H_

#include <libusb-1.0/libusb.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace speckd::driver::usb {

// A libusb error as a status: NO_DEVICE is UNAVAILABLE ("unplugged"),
// TIMEOUT is DEADLINE_EXCEEDED, ACCESS is PERMISSION_DENIED, BUSY is
// FAILED_PRECONDITION; each message names libusb's error and `what`.
absl::Status UsbError(int libusb_error, absl::string_view what);

class UsbHandle {
 public:
  // Takes `handle` with `interface_number` claimed; `context` keeps the
  // libusb context alive as long as the handle (libusb_exit with a device
  // still open is undefined).
  UsbHandle(libusb_device_handle* handle, int interface_number,
            std::vector<uint8_t> endpoints,
            std::shared_ptr<libusb_context> context);
  ~UsbHandle();
  UsbHandle(const UsbHandle&) = delete;
  UsbHandle& operator=(const UsbHandle&) = delete;

  int interface_number() const { return interface_number_; }
  // The claimed interface's endpoint addresses (0x81 = IN 1).
  const std::vector<uint8_t>& endpoints() const { return endpoints_; }

  // Bytes sent / received. `timeout` is rounded up to whole milliseconds.
  absl::StatusOr<size_t> BulkOut(uint8_t endpoint,
                                 absl::Span<const uint8_t> data,
                                 absl::Duration timeout);
  absl::StatusOr<size_t> BulkIn(uint8_t endpoint, std::vector<uint8_t>* data,
                                absl::Duration timeout);

 private:
  const std::shared_ptr<libusb_context> context_;
  libusb_device_handle* const handle_;
  const int interface_number_;
  const std::vector<uint8_t> endpoints_;
};

}  // namespace speckd::driver::usb

#endif  // SPECKD_DRIVER_USB_USB_HANDLE_H_
