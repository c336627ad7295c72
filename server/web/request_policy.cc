#include "server/web/request_policy.h"

#include <arpa/inet.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace speckd::server::web {
namespace {

std::string MachineName(const std::string& configured) {
  if (configured != "<gethostname>") return configured;
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "";
  return name;
}

bool IsIpLiteral(absl::string_view name) {
  const std::string text(name);
  in_addr v4;
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return true;
  if (absl::StartsWith(name, "[") && absl::EndsWith(name, "]")) {
    in6_addr v6;
    const std::string inner(name.substr(1, name.size() - 2));
    return inet_pton(AF_INET6, inner.c_str(), &v6) == 1;
  }
  return false;
}

// RFC 6761: "localhost" and names under it resolve to loopback.
bool IsLoopbackName(absl::string_view name) {
  return name == "localhost" || absl::EndsWith(name, ".localhost");
}

}  // namespace

std::string HostName(absl::string_view host) {
  std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(host));
  if (absl::StartsWith(name, "[")) {
    const size_t close = name.find(']');
    return close == std::string::npos ? name : name.substr(0, close + 1);
  }
  const size_t colon = name.find(':');
  if (colon != std::string::npos) name.resize(colon);
  // "example.org." names the same host as "example.org".
  if (absl::EndsWith(name, ".")) name.pop_back();
  return name;
}

RequestPolicy::RequestPolicy(const RequestPolicyOptions& options) {
  for (const std::string& o : options.allowed_origins) {
    origins_.insert(absl::AsciiStrToLower(absl::StripSuffix(o, "/")));
  }
  for (const std::string& h : options.allowed_hosts) hosts_.insert(HostName(h));
  const std::string machine = MachineName(options.machine_name);
  if (!machine.empty()) hosts_.insert(HostName(machine));
}

absl::Status RequestPolicy::CheckHost(absl::string_view host) const {
  const std::string name = HostName(host);
  if (name.empty()) {
    return absl::PermissionDeniedError(
        "the request names no Host (HTTP/1.1 requires one)");
  }
  if (IsLoopbackName(name) || IsIpLiteral(name) || hosts_.count(name) > 0) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("Host '", name,
                   "' is not a name this port answers to (a guard against DNS "
                   "rebinding); to reach speckd by that name, start it with "
                   "--web_allowed_hosts=",
                   name));
}

absl::Status RequestPolicy::CheckOrigin(absl::string_view origin,
                                        absl::string_view host) const {
  if (origin.empty()) return absl::OkStatus();
  const std::string o = absl::AsciiStrToLower(absl::StripSuffix(origin, "/"));
  const std::string h = absl::AsciiStrToLower(absl::StripAsciiWhitespace(host));
  if (!h.empty() &&
      (o == absl::StrCat("http://", h) || o == absl::StrCat("https://", h))) {
    return absl::OkStatus();
  }
  if (origins_.count(o) > 0) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "pages from ", o,
      " may not call speckd (only the dashboard's own origin may); to allow "
      "them, start speckd with --web_allowed_origins=",
      o));
}

}  // namespace speckd::server::web
