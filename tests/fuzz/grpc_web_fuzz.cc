// What the web port takes from a browser before any gRPC code sees it: the
// content type, the grpc-timeout header, and the request body in both wire
// formats (binary frames; base64 text mode), plus the encoding of what it
// sends back (data frames, trailers with a percent-encoded message).
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "server/web/grpc_web.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  namespace web = speckd::server::web;
  (void)web::ParseContentType(input);
  (void)web::ParseGrpcTimeout(input);
  for (web::WireFormat format : {web::WireFormat::kBinary, web::WireFormat::kText}) {
    absl::StatusOr<std::vector<std::string>> messages =
        web::DecodeRequestBody(input, format);
    if (messages.ok()) {
      for (const std::string& m : *messages) {
        (void)web::EncodeDataFrame(m, format);
      }
    }
    (void)web::EncodeTrailers(3, input, format);
  }
  (void)web::PercentEncode(input);
  return 0;
}
