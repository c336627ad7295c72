// What the web port reads of an evhttp request, and the headers it adds to
// every answer: small helpers kept apart from the server's loop and calls.
#ifndef SPECKD_SERVER_WEB_HTTP_REQUEST_H_
#define SPECKD_SERVER_WEB_HTTP_REQUEST_H_

#include <event2/http.h>

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace speckd::server::web {

// A request header's value; empty when absent.
std::string Header(evhttp_request* req, const char* name);

// The browser's address in gRPC's peer form ("ipv4:192.0.2.7:51234").
std::string BrowserPeer(evhttp_request* req);

// The names of the client certificate the connection's TLS handshake
// verified (none on plain HTTP, or without a certificate).
std::vector<std::string> ClientCertificateNames(evhttp_request* req);

// For a request whose origin the policy allowed: the grant names that origin
// only (never "*", never credentials); requests without one need none.
void AddCors(evhttp_request* req);

// The Content-Type of a dashboard file, by its extension.
const char* MimeType(absl::string_view path);

}  // namespace speckd::server::web

#endif  // SPECKD_SERVER_WEB_HTTP_REQUEST_H_
