// A plain HTTP/1.1 GET over loopback TCP (Connection: close, read to EOF),
// for tests of the web port's pages and /metrics.
#ifndef SPECKD_TESTS_UTIL_HTTP_GET_H_
#define SPECKD_TESTS_UTIL_HTTP_GET_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace speckd::testing {

struct HttpReply {
  int code = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

// `host` is the Host header's value (default "127.0.0.1:PORT"); `headers`
// are more lines ("Authorization: Bearer ...").
absl::StatusOr<HttpReply> HttpGet(int port, const std::string& path,
                                  const std::string& host = "",
                                  absl::Duration timeout = absl::Seconds(10),
                                  const std::vector<std::string>& headers = {});

// A whole HTTP/1.1 answer as read off the wire (chunks joined).
absl::StatusOr<HttpReply> ParseHttpReply(const std::string& raw);

}  // namespace speckd::testing

#endif  // SPECKD_TESTS_UTIL_HTTP_GET_H_
