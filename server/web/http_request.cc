#include "server/web/http_request.h"

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/keyvalq_struct.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/web/web_tls.h"

namespace speckd::server::web {

// The browser's address in gRPC's peer form ("ipv4:192.0.2.7:51234").
std::string BrowserPeer(evhttp_request* req) {
  char* host = nullptr;  // libevent 2.1's signature; not to be freed
  uint16_t port = 0;
  evhttp_connection_get_peer(evhttp_request_get_connection(req), &host, &port);
  if (host == nullptr) return "unknown";
  return absl::StrCat(absl::StrContains(host, ':') ? "ipv6:[" : "ipv4:", host,
                      absl::StrContains(host, ':') ? "]:" : ":", port);
}

// The names of the client certificate the connection's TLS handshake
// verified (none on plain HTTP).
std::vector<std::string> ClientCertificateNames(evhttp_request* req) {
  bufferevent* bev =
      evhttp_connection_get_bufferevent(evhttp_request_get_connection(req));
  return WebTls::VerifiedClientNames(
      bev != nullptr ? bufferevent_openssl_get_ssl(bev) : nullptr);
}

std::string Header(evhttp_request* req, const char* name) {
  const char* value =
      evhttp_find_header(evhttp_request_get_input_headers(req), name);
  return value != nullptr ? value : "";
}

// For a request whose origin the policy allowed: the grant names that origin
// only (never "*", never credentials); requests without one need none.
void AddCors(evhttp_request* req) {
  evkeyvalq* out = evhttp_request_get_output_headers(req);
  const std::string origin = Header(req, "Origin");
  if (!origin.empty()) {
    evhttp_add_header(out, "Access-Control-Allow-Origin", origin.c_str());
  }
  evhttp_add_header(out, "Vary", "Origin");
  evhttp_add_header(out, "Access-Control-Expose-Headers",
                    "grpc-status, grpc-message");
}

const char* MimeType(absl::string_view path) {
  if (absl::EndsWith(path, ".html")) return "text/html; charset=utf-8";
  if (absl::EndsWith(path, ".js")) return "text/javascript; charset=utf-8";
  if (absl::EndsWith(path, ".css")) return "text/css; charset=utf-8";
  if (absl::EndsWith(path, ".svg")) return "image/svg+xml";
  if (absl::EndsWith(path, ".png")) return "image/png";
  if (absl::EndsWith(path, ".json")) return "application/json";
  if (absl::EndsWith(path, ".csv")) return "text/csv; charset=utf-8";
  if (absl::EndsWith(path, ".wasm")) return "application/wasm";
  return "application/octet-stream";
}

}  // namespace speckd::server::web
