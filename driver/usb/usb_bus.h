// UsbBus: speckd's one libusb context, its event thread, and the backend of
// boards on USB. It reports every device the id table (usb_ids.h) names to a
// BoardListener as it is found at start (in bus/address order, so ids rank
// by address) and as it is plugged in or out (libusb hotplug), with what the
// user needs to know: where it is, its strings, and, when it cannot be
// driven, why and what to do (permissions, firmware, no protocol driver,
// busy). Probing runs on a worker thread, never in libusb's callback; every
// libusb wait has a timeout.
//
//   absl::StatusOr<std::unique_ptr<UsbBus>> bus =
//       UsbBus::Start(options, &devices);   // devices: a BoardListener
#ifndef SPECKD_DRIVER_USB_USB_BUS_H_
#define SPECKD_DRIVER_USB_USB_BUS_H_

#include <libusb-1.0/libusb.h>

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "driver/board.h"
#include "driver/usb/protocol_driver.h"
#include "driver/usb/usb_ids.h"
#include "driver/util/mutex.h"

namespace speckd::driver::usb {

struct UsbBusOptions {
  UsbIds ids = UsbIds::Defaults();
  // Open and claim boards (to read them and hand them to a driver). Off when
  // another program (samna) must be the board's only opener.
  bool open_boards = true;
  // Tried in order for each claimed board; not owned.
  std::vector<ProtocolDriver*> drivers;
  // Where sysfs is (tests under umockdev see its fake one at the same path).
  std::string sysfs_root = "/sys";
};

// "permission denied on /dev/bus/usb/002/003: ..." with the fix for the user
// speckd runs as (the service user, or a person).
std::string PermissionHint(int bus, int address);

class UsbBus {
 public:
  // Starts libusb, reports the boards present, then follows hotplug.
  // UNAVAILABLE when libusb cannot start (the daemon then runs without USB).
  static absl::StatusOr<std::unique_ptr<UsbBus>> Start(UsbBusOptions options,
                                                       BoardListener* listener);
  // Stops both threads; reports nothing more.
  ~UsbBus();

  // False when libusb cannot tell of plugging (boards are then seen only at
  // start).
  bool hotplug() const { return hotplug_; }
  // True once every event so far has been handled by the worker (tests).
  bool WaitUntilSettled(absl::Duration timeout);

 private:
  struct Event {
    bool arrived = false;
    libusb_device* device = nullptr;  // referenced
  };

  UsbBus(UsbBusOptions options, BoardListener* listener);
  absl::Status Init();
  static int LIBUSB_CALL OnHotplug(libusb_context* context,
                                   libusb_device* device,
                                   libusb_hotplug_event event, void* self);
  void Push(Event event);
  void EventLoop();
  void WorkLoop();
  void Arrived(libusb_device* device);
  void Left(libusb_device* device);
  // Opens, claims and hands `board` to a driver, or sets its problem.
  void Probe(libusb_device* device, BoardKind kind, Board* board);
  void Handover(libusb_device_handle* handle, BoardKind kind, Board* board);

  const UsbBusOptions options_;
  BoardListener* const listener_;
  // Shared with the handles given to drivers: libusb exits after the last
  // of them closes.
  std::shared_ptr<libusb_context> shared_context_;
  libusb_context* context_ = nullptr;
  libusb_hotplug_callback_handle callback_ = 0;
  bool hotplug_ = false;
  std::atomic<bool> stopping_{false};
  std::thread events_;
  std::thread worker_;

  // The worker's queue. Lock order: a leaf (the listener is called without
  // it, on the worker thread only).
  Mutex mu_;
  CondVar work_cv_;
  std::deque<Event> queue_ ABSL_GUARDED_BY(mu_);
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  // While registering: arrivals of boards already present, to be sorted.
  bool enumerating_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<Event> present_ ABSL_GUARDED_BY(mu_);

  // Worker thread only: the board key of each device reported.
  std::map<libusb_device*, std::string> reported_;
};

}  // namespace speckd::driver::usb

#endif  // SPECKD_DRIVER_USB_USB_BUS_H_
