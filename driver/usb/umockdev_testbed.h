// A umockdev testbed for tests of the USB layer: Linux's sysfs and usbfs as
// libusb sees them, with devices described in umockdev-record files
// (testdata/), plugged in and out with real uevents.
//
// libusb sees the testbed only when libumockdev-preload is loaded first, so a
// test binary calls ReexecUnderUmockdev() at the start of main(): it re-runs
// itself under umockdev-wrapper, or returns why it cannot (umockdev is not
// installed), and the tests then skip saying so.
//
//   int main(int argc, char** argv) {
//     speckd::driver::usb::testing::ReexecUnderUmockdev(argv);
//     ...
//   }
//   Testbed bed;
//   bed.Add("speck2e-placeholder.umockdev");   // hotplug "add"
//   bed.Remove("/sys/devices/pci0000:00/0000:00:14.0/usb2/2-1");
#ifndef SPECKD_DRIVER_USB_UMOCKDEV_TESTBED_H_
#define SPECKD_DRIVER_USB_UMOCKDEV_TESTBED_H_

#include <string>

#include "absl/status/status.h"

typedef struct _UMockdevTestbed UMockdevTestbed;

namespace speckd::driver::usb::testing {

// Re-execs the process under umockdev-wrapper unless the preload library is
// loaded. Returns only if it is loaded (OK) or cannot be (why not).
absl::Status ReexecUnderUmockdev(char** argv);
// What ReexecUnderUmockdev returned (OK when the testbed can work).
const absl::Status& UmockdevAvailable();

// The path of a file in driver/usb/testdata.
std::string TestdataPath(const std::string& name);

class Testbed {
 public:
  Testbed();
  ~Testbed();
  Testbed(const Testbed&) = delete;
  Testbed& operator=(const Testbed&) = delete;

  // Adds the devices of testdata file `name` (libusb hears "add").
  absl::Status Add(const std::string& name);
  // The same for a file anywhere.
  absl::Status AddFile(const std::string& path);
  // Answers the usbfs requests of the device at `syspath` from a usbmon
  // capture, strictly in its order (umockdev's pcap replay).
  absl::Status LoadPcap(const std::string& syspath, const std::string& path);
  // Unplugs the device at sysfs path `syspath` ("/sys/devices/...").
  void Remove(const std::string& syspath);
  // Where the testbed keeps its /dev and /sys.
  std::string root() const;

 private:
  UMockdevTestbed* testbed_;
};

// The sysfs path of the placeholder board on bus 2 port `port`.
std::string PlaceholderSyspath(int port);

}  // namespace speckd::driver::usb::testing

#endif  // SPECKD_DRIVER_USB_UMOCKDEV_TESTBED_H_
