// An HTTP/1.1 request over TLS to 127.0.0.1 (OpenSSL, verifying the server's
// certificate against a CA file and the address 127.0.0.1), optionally with
// a client certificate: for tests of the web port over https.
//
//   TlsClient client;  client.ca = "ca.pem";
//   absl::StatusOr<HttpReply> r = HttpsRequest(port, HttpRequestText(...),
//   client);
#ifndef SPECKD_TESTS_UTIL_HTTPS_REQUEST_H_
#define SPECKD_TESTS_UTIL_HTTPS_REQUEST_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/util/http_get.h"

namespace speckd::testing {

struct TlsClient {
  std::string ca;    // PEM CA the server's certificate must chain to
  std::string cert;  // optional client certificate (PEM) ...
  std::string key;   // ... and its key
  std::vector<std::string> alpn;  // protocols offered, e.g. {"h2"}
};

// "POST /path HTTP/1.1" with Host 127.0.0.1:PORT, Connection: close,
// Content-Length, `headers` and `body`.
std::string HttpRequestText(int port, const std::string& method,
                            const std::string& path,
                            const std::vector<std::string>& headers = {},
                            const std::string& body = "");

// Sends `request` and reads the answer to EOF (10 s at most). UNAVAILABLE
// with OpenSSL's words when the handshake fails.
absl::StatusOr<HttpReply> HttpsRequest(int port, const std::string& request,
                                       const TlsClient& client);

// Only the handshake: the common name of the certificate the server showed.
absl::StatusOr<std::string> ServerCertificateName(int port,
                                                  const TlsClient& client);

}  // namespace speckd::testing

#endif  // SPECKD_TESTS_UTIL_HTTPS_REQUEST_H_
