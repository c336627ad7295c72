#include "tests/util/notify_socket.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace speckd::testing {

NotifySocket::NotifySocket() {
  char dir[] = "/tmp/speckd-notify-XXXXXX";
  if (mkdtemp(dir) == nullptr) return;
  dir_ = dir;
  path_ = dir_ + "/notify";
  fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  path_.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd_);
    fd_ = -1;
  }
}

NotifySocket::~NotifySocket() {
  if (fd_ >= 0) close(fd_);
  unlink(path_.c_str());
  rmdir(dir_.c_str());
}

std::string NotifySocket::Next(absl::Duration timeout) {
  pollfd p{fd_, POLLIN, 0};
  if (fd_ < 0 ||
      poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout))) != 1) {
    return "";
  }
  char buffer[4096];
  const ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
  return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "";
}

}  // namespace speckd::testing
