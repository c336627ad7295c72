// Which USB devices speckd treats as boards, by vendor and product id.
//
// Built in: vendor 337d (SynSense's own id, for boards running SynSense's
// FX3 firmware) as "a SynSense board speckd does not know yet", and 04b4:00f3
// (a Cypress FX3 in its boot loader: a board without firmware). The Speck2e
// devkit's product id is not public, so a lab names it once it has seen it
// in lsusb:
//
//   speckd --usb_ids=337d:XXXX=speck2edevkit
//   speckd --usb_ids_file=/etc/speckd/usb-ids    # one rule per line, '#'
//
// Rules given later win over earlier ones and over the built-in ones.
#ifndef SPECKD_DRIVER_USB_USB_IDS_H_
#define SPECKD_DRIVER_USB_USB_IDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace speckd::driver::usb {

enum class BoardKind {
  // A Speck2e devkit (ids "speck2edevkit:N").
  kSpeck2eDevKit,
  // A Cypress FX3 with no firmware loaded.
  kFx3Boot,
  // A SynSense board of a product speckd does not know (ids "synsense:N").
  kSynSenseBoard,
};

const char* BoardKindName(BoardKind kind);

struct UsbIdRule {
  uint16_t vendor_id = 0;
  // nullopt: every product of the vendor.
  std::optional<uint16_t> product_id;
  BoardKind kind = BoardKind::kSynSenseBoard;
};

class UsbIds {
 public:
  // The built-in rules.
  static UsbIds Defaults();

  // Adds rules "VVVV:PPPP=KIND" (KIND: speck2edevkit, fx3-boot, synsense)
  // separated by commas or newlines; '#' starts a comment. INVALID_ARGUMENT
  // naming `origin` (the flag, or the file and line) and what is wrong.
  absl::Status Add(absl::string_view rules, absl::string_view origin);
  // The same from a file (NOT_FOUND / PERMISSION_DENIED naming it).
  absl::Status AddFile(const std::string& path);

  // The rule for a device, or nullopt if speckd should ignore it.
  std::optional<BoardKind> Classify(uint16_t vendor_id,
                                    uint16_t product_id) const;
  // Vendors any rule names (what hotplug listens for).
  std::vector<uint16_t> Vendors() const;

 private:
  std::vector<UsbIdRule> rules_;  // later ones win
};

}  // namespace speckd::driver::usb

#endif  // SPECKD_DRIVER_USB_USB_IDS_H_
