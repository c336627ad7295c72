// Before speckd starts anything: can it listen where it was told? A clear
// answer for the commonest mistake (a second speckd on the same port), with
// the process that holds the port when this user may see it, instead of
// gRPC's own error dump.
//
//   absl::Status s = CheckCanListen("127.0.0.1:50051", "gRPC");
//   // "cannot listen on 127.0.0.1:50051 (gRPC): speckd (pid 4242) already
//   //  listens there — is speckd already running? ..."
#ifndef SPECKD_SERVER_LISTEN_LISTEN_CHECK_H_
#define SPECKD_SERVER_LISTEN_LISTEN_CHECK_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace speckd::server {

// A process listening on a TCP port.
struct PortOwner {
  int pid = 0;
  std::string name;  // /proc/PID/comm
};

// The process that listens on TCP `port` (IPv4 or IPv6), if this user can
// see it in /proc.
std::optional<PortOwner> FindPortOwner(uint16_t port);

// Binds HOST:PORT once and lets go. OK when it could (or for port 0);
// otherwise FAILED_PRECONDITION (in use, naming the owner when known),
// PERMISSION_DENIED (a port below 1024) or INVALID_ARGUMENT (not HOST:PORT,
// or a host that is not this machine's).
absl::Status CheckCanListen(absl::string_view host_port,
                            absl::string_view what);

// Whether HOST:PORT listens on loopback only (127.0.0.0/8, ::1,
// localhost). "0.0.0.0", "::", an empty host and other addresses reach the
// network.
bool IsLoopbackListen(absl::string_view host_port);

// Without TLS and access tokens, anyone who reaches a port can drive the
// devices. OK for loopback, for a `secured` port (TLS and tokens: then any
// address is fine), or with `insecure_remote` (the operator's explicit
// choice); otherwise FAILED_PRECONDITION saying why and what to do instead
// (`how` says how to secure it).
absl::Status CheckRemoteListen(absl::string_view host_port,
                               absl::string_view what, bool insecure_remote,
                               bool secured = false,
                               absl::string_view how = "");

}  // namespace speckd::server

#endif  // SPECKD_SERVER_LISTEN_LISTEN_CHECK_H_
