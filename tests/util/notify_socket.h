// A NOTIFY_SOCKET of a test's own, read as systemd reads it: one datagram
// per sd_notify call ("READY=1\nSTATUS=...", "WATCHDOG=1", ...).
//
//   NotifySocket socket;
//   setenv("NOTIFY_SOCKET", socket.path().c_str(), 1);  // or a child's env
//   EXPECT_EQ(socket.Next(), "READY=1\nSTATUS=...");
#ifndef SPECKD_TESTS_UTIL_NOTIFY_SOCKET_H_
#define SPECKD_TESTS_UTIL_NOTIFY_SOCKET_H_

#include <string>

#include "absl/time/time.h"

namespace speckd::testing {

class NotifySocket {
 public:
  // Under /tmp: socket paths must fit in 108 bytes, TEST_TMPDIR may not.
  NotifySocket();
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  const std::string& path() const { return path_; }
  // The next datagram, or "" when none came within `timeout`.
  std::string Next(absl::Duration timeout = absl::Seconds(5));

 private:
  std::string dir_;
  std::string path_;
  int fd_ = -1;
};

}  // namespace speckd::testing

#endif  // SPECKD_TESTS_UTIL_NOTIFY_SOCKET_H_
