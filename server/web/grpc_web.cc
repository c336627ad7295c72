#include "server/web/grpc_web.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace speckd::server::web {
namespace {

constexpr uint8_t kDataFlag = 0x00;
constexpr uint8_t kTrailersFlag = 0x80;

std::string Frame(uint8_t flag, absl::string_view payload) {
  std::string frame;
  frame.reserve(5 + payload.size());
  const uint32_t n = static_cast<uint32_t>(payload.size());
  frame.push_back(static_cast<char>(flag));
  frame.push_back(static_cast<char>(n >> 24));
  frame.push_back(static_cast<char>(n >> 16));
  frame.push_back(static_cast<char>(n >> 8));
  frame.push_back(static_cast<char>(n));
  frame.append(payload.data(), payload.size());
  return frame;
}

absl::Status Malformed(absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("malformed grpc-web request: ", why));
}

// Text bodies may be several base64 strings back to back, each padded (a
// client that sends in chunks encodes each chunk on its own).
absl::StatusOr<std::string> DecodeBase64Segments(absl::string_view text) {
  std::string out;
  size_t start = 0;
  size_t i = 0;
  while (i < text.size()) {
    // A segment ends after a 4-character group that holds padding.
    size_t end = text.find('=', i);
    if (end == absl::string_view::npos) {
      end = text.size();
    } else {
      while (end < text.size() && text[end] == '=') ++end;
    }
    std::string decoded;
    if (!absl::Base64Unescape(text.substr(start, end - start), &decoded)) {
      return Malformed("the body is not valid base64 (grpc-web-text)");
    }
    out += decoded;
    start = i = end;
  }
  return out;
}

}  // namespace

std::optional<WireFormat> ParseContentType(absl::string_view content_type) {
  absl::string_view type = content_type.substr(0, content_type.find(';'));
  type = absl::StripAsciiWhitespace(type);
  const std::string lower = absl::AsciiStrToLower(type);
  if (lower == "application/grpc-web" ||
      lower == "application/grpc-web+proto") {
    return WireFormat::kBinary;
  }
  if (lower == "application/grpc-web-text" ||
      lower == "application/grpc-web-text+proto") {
    return WireFormat::kText;
  }
  return std::nullopt;
}

const char* ContentTypeOf(WireFormat format) {
  return format == WireFormat::kText ? "application/grpc-web-text+proto"
                                     : "application/grpc-web+proto";
}

absl::StatusOr<std::vector<std::string>> DecodeRequestBody(
    absl::string_view body, WireFormat format) {
  std::string storage;
  if (format == WireFormat::kText) {
    absl::StatusOr<std::string> decoded = DecodeBase64Segments(body);
    if (!decoded.ok()) return decoded.status();
    storage = *std::move(decoded);
    body = storage;
  }
  std::vector<std::string> messages;
  size_t pos = 0;
  while (pos < body.size()) {
    if (body.size() - pos < 5) {
      return Malformed(absl::StrCat("a frame header is cut short (",
                                    body.size() - pos, " of 5 bytes)"));
    }
    const uint8_t flag = static_cast<uint8_t>(body[pos]);
    const uint32_t n = (uint32_t{static_cast<uint8_t>(body[pos + 1])} << 24) |
                       (uint32_t{static_cast<uint8_t>(body[pos + 2])} << 16) |
                       (uint32_t{static_cast<uint8_t>(body[pos + 3])} << 8) |
                       uint32_t{static_cast<uint8_t>(body[pos + 4])};
    pos += 5;
    if (flag != kDataFlag) {
      return Malformed(absl::StrFormat(
          "frame flag 0x%02x (requests carry data frames only)", flag));
    }
    if (body.size() - pos < n) {
      return Malformed(absl::StrCat("a frame announces ", n, " bytes but ",
                                    body.size() - pos, " follow"));
    }
    messages.emplace_back(body.substr(pos, n));
    pos += n;
  }
  return messages;
}

std::string EncodeDataFrame(absl::string_view message, WireFormat format) {
  std::string frame = Frame(kDataFlag, message);
  return format == WireFormat::kText ? absl::Base64Escape(frame) : frame;
}

std::string PercentEncode(absl::string_view message) {
  std::string out;
  for (char c : message) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u <= 0x7e && c != '%') {
      out.push_back(c);
    } else {
      absl::StrAppend(&out, absl::StrFormat("%%%02X", u));
    }
  }
  return out;
}

std::string EncodeTrailers(int status_code, absl::string_view status_message,
                           WireFormat format) {
  std::string block = absl::StrCat("grpc-status:", status_code, "\r\n");
  if (!status_message.empty()) {
    absl::StrAppend(&block, "grpc-message:", PercentEncode(status_message),
                    "\r\n");
  }
  std::string frame = Frame(kTrailersFlag, block);
  return format == WireFormat::kText ? absl::Base64Escape(frame) : frame;
}

std::optional<absl::Duration> ParseGrpcTimeout(absl::string_view value) {
  value = absl::StripAsciiWhitespace(value);
  if (value.size() < 2 || value.size() > 9) return std::nullopt;
  int64_t amount = 0;
  if (!absl::SimpleAtoi(value.substr(0, value.size() - 1), &amount) ||
      amount < 0) {
    return std::nullopt;
  }
  switch (value.back()) {
    case 'H':
      return absl::Hours(amount);
    case 'M':
      return absl::Minutes(amount);
    case 'S':
      return absl::Seconds(amount);
    case 'm':
      return absl::Milliseconds(amount);
    case 'u':
      return absl::Microseconds(amount);
    case 'n':
      return absl::Nanoseconds(amount);
    default:
      return std::nullopt;
  }
}

}  // namespace speckd::server::web
