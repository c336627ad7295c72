// Reads a usbmon capture (classic pcap, link type 220 DLT_USB_LINUX_MMAPPED:
// what `tcpdump -i usbmonN -w FILE` writes, and the only kind umockdev
// replays) into the bulk transfers of one device, in the order they were
// submitted, each with what completed it.
#ifndef SPECKD_TESTS_USB_USBMON_PCAP_H_
#define SPECKD_TESTS_USB_USBMON_PCAP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace speckd::testing {

struct BulkTransfer {
  uint8_t endpoint = 0;  // 0x80 set for IN
  bool in() const { return (endpoint & 0x80) != 0; }
  // OUT: the bytes sent. IN: the bytes the device returned.
  std::vector<uint8_t> data;
  // The length the host asked for (IN) or sent (OUT).
  uint32_t requested = 0;
  int32_t status = 0;  // of the completion (0 = success)
};

struct UsbCapture {
  int bus = 0;
  int device = 0;
  std::vector<BulkTransfer> bulk;
  // Submits with no completion in the file, and non-bulk transfers.
  int unmatched = 0;
  int control = 0;
};

// The bulk transfers of device `bus`:`device` (0, 0: the first device with
// bulk traffic). INVALID_ARGUMENT naming the file and what is wrong.
absl::StatusOr<UsbCapture> ReadUsbmonPcap(const std::string& path, int bus = 0,
                                          int device = 0);

}  // namespace speckd::testing

#endif  // SPECKD_TESTS_USB_USBMON_PCAP_H_
