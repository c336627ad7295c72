// A protocol driver for tests of the USB layer: it takes the claimed board,
// runs the simulated chip for it (what the board computes is not the point),
// and keeps a reader on bulk IN 0x81 with a 300 ms timeout, as a real
// driver's reader would, recording how each read ended. Shows that an
// unplugged board never leaves a reader hanging.
#ifndef SPECKD_DRIVER_USB_READING_DRIVER_H_
#define SPECKD_DRIVER_USB_READING_DRIVER_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "driver/usb/protocol_driver.h"
#include "driver/util/mutex.h"

namespace speckd::driver::usb::testing {

struct Reads {
  Mutex mu;
  CondVar changed;
  std::vector<absl::Status> results ABSL_GUARDED_BY(mu);
  std::vector<absl::Duration> took ABSL_GUARDED_BY(mu);
  // Devices the driver made so far.
  int opened ABSL_GUARDED_BY(mu) = 0;
};

class ReadingDriver final : public ProtocolDriver {
 public:
  explicit ReadingDriver(Reads* reads) : reads_(reads) {}
  const char* name() const override { return "test reader"; }
  bool Accepts(BoardKind kind, uint16_t, uint16_t) const override {
    return kind == BoardKind::kSpeck2eDevKit;
  }
  absl::StatusOr<std::unique_ptr<Device>> Open(
      std::unique_ptr<UsbHandle> handle,
      const DeviceDescriptor& descriptor) override;

 private:
  Reads* const reads_;
};

// A usbmon capture (written to TEST_TMPDIR) in which the host submitted a
// bulk IN to 0x81 of bus 2 device 3 that the board never completed: umockdev
// then keeps any such transfer pending, as a board with nothing to say.
std::string PendingInCapture();

}  // namespace speckd::driver::usb::testing

#endif  // SPECKD_DRIVER_USB_READING_DRIVER_H_
