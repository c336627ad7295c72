// speckd out of file descriptors: it refuses new connections for as long as
// that lasts and then accepts again, instead of losing a port for good.
//
// Why this needs care: Debian 12's gRPC (1.51) abandons a listening socket
// after accept4 fails with anything but EAGAIN, ECONNABORTED or EINTR
// (iomgr/tcp_server_posix.cc logs "Failed accept4: Too many open files" once
// and never accepts again), and libevent's listener (the web port) retries at
// once, spinning a core and logging every attempt. gRPC 1.51 has no option
// for either. Both reach accept4 through the dynamic linker, so this library
// defines accept4 in speckd's binary: when the real call fails with EMFILE or
// ENFILE, it refuses the connections waiting on that socket (each is accepted
// into a descriptor held in reserve for this and closed at once, so the
// client sees the connection close instead of hanging) and reports EAGAIN.
// The listener then waits for the next connection as usual; once descriptors
// are free, accepting carries on. Refusals are counted and logged at most
// every 10 s.
//
// The same accept4 applies speckd's caps on connections per client address
// and in all (connection_table.h): a connection past a cap is closed at
// once, the client sees it close, and the refusal is counted and logged at
// most every 10 s.
//
//   RaiseOpenFileLimit();        // soft limit up to the hard limit
//   absl::Status s = InstallAcceptGuard();   // at start, before listening
//   SetConnectionLimits({.per_client = 128, .total = 4096});
#ifndef SPECKD_SERVER_LISTEN_DESCRIPTORS_H_
#define SPECKD_SERVER_LISTEN_DESCRIPTORS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "server/listen/connection_table.h"

namespace speckd::server {

// Raises the soft RLIMIT_NOFILE to the hard limit (systemd starts services
// with a soft limit of 1024) and returns the limit now in force.
uint64_t RaiseOpenFileLimit();

// Sets the reserve descriptor aside. INTERNAL if accept4 calls in this
// process do not reach the guard (it was not linked into the binary).
absl::Status InstallAcceptGuard();

// Caps every accept4 in the process applies from now on (the default: none).
void SetConnectionLimits(const ConnectionLimits& limits);

struct AcceptGuardStats {
  uint64_t refused = 0;      // connections closed for want of descriptors
  uint64_t exhaustions = 0;  // accept4 calls that failed with EMFILE/ENFILE
  uint64_t refused_client_full = 0;  // past the per-client cap
  uint64_t refused_total_full = 0;   // past the total cap
  uint64_t connections = 0;          // open now, when a cap is set (else 0)
};
AcceptGuardStats GetAcceptGuardStats();

}  // namespace speckd::server

#endif  // SPECKD_SERVER_LISTEN_DESCRIPTORS_H_
