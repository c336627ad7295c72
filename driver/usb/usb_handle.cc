#include "driver/usb/usb_handle.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace speckd::driver::usb {
namespace {

unsigned int TimeoutMs(absl::Duration timeout) {
  // libusb reads 0 as "no timeout": never that.
  const int64_t ms =
      absl::ToInt64Milliseconds(absl::Ceil(timeout, absl::Milliseconds(1)));
  return static_cast<unsigned int>(std::max<int64_t>(ms, 1));
}

}  // namespace

absl::Status UsbError(int libusb_error, absl::string_view what) {
  const std::string message =
      absl::StrCat(what, ": ", libusb_error_name(libusb_error));
  switch (libusb_error) {
    case LIBUSB_ERROR_NO_DEVICE:
      return absl::UnavailableError(
          absl::StrCat(message, " (the board was unplugged)"));
    case LIBUSB_ERROR_TIMEOUT:
      return absl::DeadlineExceededError(message);
    case LIBUSB_ERROR_ACCESS:
      return absl::PermissionDeniedError(message);
    case LIBUSB_ERROR_BUSY:
      return absl::FailedPreconditionError(message);
    default:
      return absl::InternalError(message);
  }
}

UsbHandle::UsbHandle(libusb_device_handle* handle, int interface_number,
                     std::vector<uint8_t> endpoints,
                     std::shared_ptr<libusb_context> context)
    : context_(std::move(context)),
      handle_(handle),
      interface_number_(interface_number),
      endpoints_(std::move(endpoints)) {}

UsbHandle::~UsbHandle() {
  // Fails harmlessly (NO_DEVICE) for a board that is gone.
  (void)libusb_release_interface(handle_, interface_number_);
  libusb_close(handle_);
}

absl::StatusOr<size_t> UsbHandle::BulkOut(uint8_t endpoint,
                                          absl::Span<const uint8_t> data,
                                          absl::Duration timeout) {
  int sent = 0;
  const int r = libusb_bulk_transfer(
      handle_, endpoint, const_cast<uint8_t*>(data.data()),
      static_cast<int>(data.size()), &sent, TimeoutMs(timeout));
  if (r != 0) {
    return UsbError(r,
                    absl::StrFormat("bulk OUT to endpoint 0x%02x", endpoint));
  }
  return static_cast<size_t>(sent);
}

absl::StatusOr<size_t> UsbHandle::BulkIn(uint8_t endpoint,
                                         std::vector<uint8_t>* data,
                                         absl::Duration timeout) {
  int got = 0;
  const int r = libusb_bulk_transfer(handle_, endpoint, data->data(),
                                     static_cast<int>(data->size()), &got,
                                     TimeoutMs(timeout));
  if (r != 0) {
    return UsbError(r,
                    absl::StrFormat("bulk IN from endpoint 0x%02x", endpoint));
  }
  data->resize(got);
  return static_cast<size_t>(got);
}

}  // namespace speckd::driver::usb
