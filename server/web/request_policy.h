// Which HTTP requests the web port answers, against the two ways a web page
// the user happens to visit could reach a daemon on the lab's machine:
//
// - DNS rebinding: a page on evil.example re-points its own name at
//   127.0.0.1, and its requests arrive with "Host: evil.example". Only
//   loopback names, IP literals, this machine's host name and the names the
//   operator lists (--web_allowed_hosts) are answered.
// - Cross-site calls: a page on another origin POSTs grpc-web requests (its
//   browser adds "Origin: https://evil.example"). Only the dashboard's own
//   origin (the one the Host names) and the origins the operator lists
//   (--web_allowed_origins) may call, and only they get a CORS grant.
//   Requests without an Origin (speckctl, curl, scripts) are not from a
//   page and are answered.
#ifndef SPECKD_SERVER_WEB_REQUEST_POLICY_H_
#define SPECKD_SERVER_WEB_REQUEST_POLICY_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace speckd::server::web {

struct RequestPolicyOptions {
  // Origins (scheme://host[:port]) allowed besides the dashboard's own.
  std::vector<std::string> allowed_origins;
  // Host names allowed besides loopback names, IP literals and this host.
  std::vector<std::string> allowed_hosts;
  // This machine's name (default: gethostname()); "" for none.
  std::string machine_name = "<gethostname>";
};

class RequestPolicy {
 public:
  explicit RequestPolicy(const RequestPolicyOptions& options = {});

  // PERMISSION_DENIED, saying why and which flag allows it, unless `host`
  // (the Host header, with or without a port) is one this port answers to.
  absl::Status CheckHost(absl::string_view host) const;

  // OK for no Origin, the dashboard's own origin (http or https with the
  // Host's name and port) or an allowed one; else PERMISSION_DENIED naming
  // the origin and the flag that allows it.
  absl::Status CheckOrigin(absl::string_view origin,
                           absl::string_view host) const;

 private:
  std::set<std::string> origins_;  // lower case
  std::set<std::string> hosts_;    // lower case, without ports
};

// "Name" of a Host header: lower case, without the port; IPv6 literals keep
// their brackets ("[::1]:8080" -> "[::1]").
std::string HostName(absl::string_view host);

}  // namespace speckd::server::web

#endif  // SPECKD_SERVER_WEB_REQUEST_POLICY_H_
