// The connections speckd has accepted, by client address, so that one client
// cannot take every connection the daemon can hold (and no crowd can take
// more than the daemon's total). The accept guard (descriptors.h) asks it
// about each connection on either port, right after accept4.
//
// Connections are not told when they close: gRPC and libevent close their
// sockets themselves. An entry records the socket's identity (device and
// inode, unique among open sockets), so one whose descriptor was closed, or
// now names another file, is recognised as gone and dropped when counting.
//
//   ConnectionTable table({.per_client = 128, .total = 4096});
//   if (table.Admit(fd, "192.0.2.7") != ConnectionTable::kAdmitted) close(fd);
#ifndef SPECKD_SERVER_LISTEN_CONNECTION_TABLE_H_
#define SPECKD_SERVER_LISTEN_CONNECTION_TABLE_H_

#include <sys/types.h>

#include <cstddef>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace speckd::server {

struct ConnectionLimits {
  size_t per_client = 0;  // per client address; 0: no cap
  size_t total = 0;       // over all clients; 0: no cap
};

// Not thread-safe: the accept guard calls it under its own lock.
class ConnectionTable {
 public:
  enum Verdict { kAdmitted, kClientFull, kTotalFull };

  explicit ConnectionTable(ConnectionLimits limits) : limits_(limits) {}

  // `fd` was just accepted from `client` (an IP address; empty for a client
  // without one, such as a Unix socket, which only the total applies to).
  // Counts it unless that would pass a cap.
  Verdict Admit(int fd, const std::string& client);

  // Connections still open (drops those gone).
  size_t Open();

  const ConnectionLimits& limits() const { return limits_; }

 private:
  struct Entry {
    std::string client;
    dev_t device = 0;
    ino_t inode = 0;
  };

  // Whether `entry` still describes what descriptor `fd` is.
  static bool StillOpen(int fd, const Entry& entry);
  void Forget(int fd);
  // Drops the entries of `client` that are gone; returns how many remain.
  size_t PruneClient(const std::string& client);
  void PruneAll();

  ConnectionLimits limits_;
  absl::flat_hash_map<int, Entry> by_fd_;
  absl::flat_hash_map<std::string, absl::flat_hash_set<int>> by_client_;
};

}  // namespace speckd::server

#endif  // SPECKD_SERVER_LISTEN_CONNECTION_TABLE_H_
