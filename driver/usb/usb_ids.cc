#include "driver/usb/usb_ids.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace speckd::driver::usb {
namespace {

std::optional<uint16_t> ParseHex16(absl::string_view text) {
  uint32_t value = 0;
  if (text.size() != 4 || !absl::SimpleHexAtoi(text, &value)) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(value);
}

std::optional<BoardKind> ParseKind(absl::string_view text) {
  if (text == "speck2edevkit") return BoardKind::kSpeck2eDevKit;
  if (text == "fx3-boot") return BoardKind::kFx3Boot;
  if (text == "synsense") return BoardKind::kSynSenseBoard;
  return std::nullopt;
}

absl::Status Bad(absl::string_view origin, absl::string_view rule,
                 absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat(origin, ": '", rule, "': ", why,
                   " (a rule is VVVV:PPPP=KIND, e.g. "
                   "337d:0001=speck2edevkit; KIND is speck2edevkit, fx3-boot "
                   "or synsense)"));
}

}  // namespace

const char* BoardKindName(BoardKind kind) {
  switch (kind) {
    case BoardKind::kSpeck2eDevKit:
      return "speck2edevkit";
    case BoardKind::kFx3Boot:
      return "fx3-boot";
    case BoardKind::kSynSenseBoard:
      return "synsense";
  }
  return "unknown";
}

UsbIds UsbIds::Defaults() {
  UsbIds ids;
  ids.rules_ = {{0x337d, std::nullopt, BoardKind::kSynSenseBoard},
                {0x04b4, 0x00f3, BoardKind::kFx3Boot}};
  return ids;
}

absl::Status UsbIds::Add(absl::string_view rules, absl::string_view origin) {
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(rules, '\n')) {
    ++line_number;
    line = line.substr(0, line.find('#'));
    const std::string where = rules.find('\n') == absl::string_view::npos
                                  ? std::string(origin)
                                  : absl::StrCat(origin, ":", line_number);
    for (absl::string_view rule : absl::StrSplit(line, ',')) {
      rule = absl::StripAsciiWhitespace(rule);
      if (rule.empty()) continue;
      std::pair<absl::string_view, absl::string_view> id_kind =
          absl::StrSplit(rule, absl::MaxSplits('=', 1));
      std::pair<absl::string_view, absl::string_view> vid_pid =
          absl::StrSplit(id_kind.first, absl::MaxSplits(':', 1));
      std::optional<uint16_t> vendor = ParseHex16(vid_pid.first);
      std::optional<uint16_t> product = ParseHex16(vid_pid.second);
      std::optional<BoardKind> kind = ParseKind(id_kind.second);
      if (!vendor.has_value()) {
        return Bad(where, rule, "the vendor id is not 4 hex digits");
      }
      if (!product.has_value()) {
        return Bad(where, rule, "the product id is not 4 hex digits");
      }
      if (!kind.has_value()) {
        return Bad(where, rule,
                   absl::StrCat("unknown kind '", id_kind.second, "'"));
      }
      rules_.push_back({*vendor, *product, *kind});
    }
  }
  return absl::OkStatus();
}

absl::Status UsbIds::AddFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("--usb_ids_file: cannot read ", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  // Line numbers even for a one-line file.
  return Add(absl::StrCat(text.str(), "\n"), path);
}

std::optional<BoardKind> UsbIds::Classify(uint16_t vendor_id,
                                          uint16_t product_id) const {
  for (auto it = rules_.rbegin(); it != rules_.rend(); ++it) {
    if (it->vendor_id != vendor_id) continue;
    if (it->product_id.has_value() && *it->product_id != product_id) continue;
    return it->kind;
  }
  return std::nullopt;
}

std::vector<uint16_t> UsbIds::Vendors() const {
  std::vector<uint16_t> vendors;
  for (const UsbIdRule& rule : rules_) vendors.push_back(rule.vendor_id);
  std::sort(vendors.begin(), vendors.end());
  vendors.erase(std::unique(vendors.begin(), vendors.end()), vendors.end());
  return vendors;
}

}  // namespace speckd::driver::usb
