// The grpc-web wire protocol (as browsers' grpc-web clients and Envoy's
// grpc_web filter speak it): content types, length-prefixed frames, the
// trailers frame (flag 0x80), base64 "text" mode, grpc-timeout.
//
//   std::optional<WireFormat> format = ParseContentType(content_type);
//   absl::StatusOr<std::vector<std::string>> messages =
//       DecodeRequestBody(body, *format);
//   std::string out = EncodeDataFrame(reply, *format) +
//                     EncodeTrailers(0, "", *format);
#ifndef SPECKD_SERVER_WEB_GRPC_WEB_H_
#define SPECKD_SERVER_WEB_GRPC_WEB_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace speckd::server::web {

enum class WireFormat {
  kBinary,  // application/grpc-web, application/grpc-web+proto
  kText,    // application/grpc-web-text(+proto): frames base64-encoded
};

// nullopt for anything that is not a grpc-web content type (parameters such
// as "; charset=utf-8" are ignored).
std::optional<WireFormat> ParseContentType(absl::string_view content_type);

// The content type a response of `format` carries.
const char* ContentTypeOf(WireFormat format);

// The messages of a request body. INVALID_ARGUMENT ("malformed grpc-web
// request: ...") for bad base64, truncated frames, or unknown frame flags.
absl::StatusOr<std::vector<std::string>> DecodeRequestBody(
    absl::string_view body, WireFormat format);

// One message as a data frame (flag 0x00, 4-byte big-endian length); in text
// mode the frame is base64-encoded on its own, so chunks decode separately.
std::string EncodeDataFrame(absl::string_view message, WireFormat format);

// The trailers frame (flag 0x80) carrying grpc-status and, if not empty,
// grpc-message (percent-encoded as the gRPC spec asks).
std::string EncodeTrailers(int status_code, absl::string_view status_message,
                           WireFormat format);

// Percent-encodes a grpc-message value (spec: printable ASCII except '%').
std::string PercentEncode(absl::string_view message);

// The grpc-timeout header ("10S", "500m", "250u", "1H", "2M", "100n").
std::optional<absl::Duration> ParseGrpcTimeout(absl::string_view value);

}  // namespace speckd::server::web

#endif  // SPECKD_SERVER_WEB_GRPC_WEB_H_
