#include "server/listen/connection_table.h"

#include <sys/stat.h>

#include <vector>

namespace speckd::server {

bool ConnectionTable::StillOpen(int fd, const Entry& entry) {
  struct stat now {};
  return fstat(fd, &now) == 0 && now.st_dev == entry.device &&
         now.st_ino == entry.inode;
}

void ConnectionTable::Forget(int fd) {
  auto it = by_fd_.find(fd);
  if (it == by_fd_.end()) return;
  auto client = by_client_.find(it->second.client);
  if (client != by_client_.end()) {
    client->second.erase(fd);
    if (client->second.empty()) by_client_.erase(client);
  }
  by_fd_.erase(it);
}

size_t ConnectionTable::PruneClient(const std::string& client) {
  auto it = by_client_.find(client);
  if (it == by_client_.end()) return 0;
  std::vector<int> gone;
  for (int fd : it->second) {
    if (!StillOpen(fd, by_fd_.find(fd)->second)) gone.push_back(fd);
  }
  const size_t remaining = it->second.size() - gone.size();
  for (int fd : gone) Forget(fd);
  return remaining;
}

void ConnectionTable::PruneAll() {
  std::vector<int> gone;
  for (const auto& [fd, entry] : by_fd_) {
    if (!StillOpen(fd, entry)) gone.push_back(fd);
  }
  for (int fd : gone) Forget(fd);
}

ConnectionTable::Verdict ConnectionTable::Admit(int fd,
                                                const std::string& client) {
  // The descriptor was free for accept4 to return it, so whatever this
  // table knew under its number has closed.
  Forget(fd);
  Entry entry{client};
  struct stat identity {};
  if (fstat(fd, &identity) == 0) {
    entry.device = identity.st_dev;
    entry.inode = identity.st_ino;
  }
  // Pruning only when a cap is reached keeps the common accept O(1).
  if (limits_.per_client != 0 && !client.empty()) {
    auto it = by_client_.find(client);
    if (it != by_client_.end() && it->second.size() >= limits_.per_client &&
        PruneClient(client) >= limits_.per_client) {
      return kClientFull;
    }
  }
  if (limits_.total != 0 && by_fd_.size() >= limits_.total) {
    PruneAll();
    if (by_fd_.size() >= limits_.total) return kTotalFull;
  }
  by_client_[client].insert(fd);
  by_fd_.emplace(fd, std::move(entry));
  return kAdmitted;
}

size_t ConnectionTable::Open() {
  PruneAll();
  return by_fd_.size();
}

}  // namespace speckd::server
