#include "tests/usb/usbmon_pcap.h"

#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace speckd::testing {
namespace {

constexpr uint32_t kPcapMagic = 0xa1b2c3d4;
constexpr uint32_t kLinkUsbLinuxMmapped = 220;
constexpr size_t kUsbHeader = 64;

template <typename T>
T Load(const std::string& bytes, size_t at) {
  T value;
  std::memcpy(&value, bytes.data() + at, sizeof(T));
  return value;
}

}  // namespace

absl::StatusOr<UsbCapture> ReadUsbmonPcap(const std::string& path, int bus,
                                          int device) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string bytes = buffer.str();
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", why));
  };
  if (bytes.size() < 24 || Load<uint32_t>(bytes, 0) != kPcapMagic) {
    return bad(
        "not a classic little-endian pcap file (a pcapng from Wireshark: "
        "convert it with editcap -F pcap)");
  }
  if (Load<uint32_t>(bytes, 20) != kLinkUsbLinuxMmapped) {
    return bad("not a usbmon capture (link type 220, USB_LINUX_MMAPPED)");
  }
  UsbCapture capture;
  capture.bus = bus;
  capture.device = device;
  std::map<uint64_t, size_t> pending;  // urb id -> index in bulk
  size_t at = 24;
  while (at + 16 <= bytes.size()) {
    const uint32_t captured = Load<uint32_t>(bytes, at + 8);
    const size_t record = at + 16;
    at = record + captured;
    if (at > bytes.size()) return bad("the last record is cut short");
    if (captured < kUsbHeader) return bad("a record shorter than its header");
    const uint64_t id = Load<uint64_t>(bytes, record);
    const char type = bytes[record + 8];
    const uint8_t xfer = bytes[record + 9];
    const uint8_t endpoint = bytes[record + 10];
    const int devnum = static_cast<uint8_t>(bytes[record + 11]);
    const int busnum = Load<uint16_t>(bytes, record + 12);
    const int32_t status = Load<int32_t>(bytes, record + 28);
    const uint32_t length = Load<uint32_t>(bytes, record + 32);
    const uint32_t data_len = Load<uint32_t>(bytes, record + 36);
    const std::string data = bytes.substr(
        record + kUsbHeader, std::min<size_t>(data_len, captured - kUsbHeader));
    if (xfer == 2) ++capture.control;
    if (xfer != 3) continue;
    if (capture.device == 0) {
      capture.bus = busnum;
      capture.device = devnum;
    }
    if (busnum != capture.bus || devnum != capture.device) continue;
    if (type == 'S') {
      BulkTransfer t;
      t.endpoint = endpoint;
      t.requested = length;
      if ((endpoint & 0x80) == 0) t.data.assign(data.begin(), data.end());
      pending[id] = capture.bulk.size();
      capture.bulk.push_back(std::move(t));
    } else if (type == 'C' || type == 'E') {
      auto it = pending.find(id);
      if (it == pending.end()) continue;
      BulkTransfer& t = capture.bulk[it->second];
      t.status = status;
      if (t.in()) t.data.assign(data.begin(), data.end());
      pending.erase(it);
    }
  }
  capture.unmatched = static_cast<int>(pending.size());
  return capture;
}

}  // namespace speckd::testing
