#include "server/listen/descriptors.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::server {
namespace {

// A listening socket on a loopback port of its own.
class Listener {
 public:
  Listener() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(at);
    bind(fd_, reinterpret_cast<sockaddr*>(&at), size);
    listen(fd_, 64);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&at), &size);
    address_ = at;
  }
  ~Listener() { close(fd_); }

  int Connect() const {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_EQ(connect(fd, reinterpret_cast<const sockaddr*>(&address_),
                      sizeof(address_)),
              0);
    return fd;
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  sockaddr_in address_{};
};

bool ClosedByPeer(int fd) {
  char byte;
  return recv(fd, &byte, 1, MSG_DONTWAIT) == 0;
}

// The soft descriptor limit, restored when the test ends.
class SoftLimit {
 public:
  SoftLimit() { getrlimit(RLIMIT_NOFILE, &saved_); }
  ~SoftLimit() { setrlimit(RLIMIT_NOFILE, &saved_); }
  // Leaves this process no descriptor to open.
  void Exhaust() {
    const int probe = open("/dev/null", O_RDONLY | O_CLOEXEC);
    rlimit none = saved_;
    none.rlim_cur = probe;  // descriptors 0..probe-1 stay usable
    close(probe);
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &none), 0);
  }

 private:
  rlimit saved_{};
};

TEST(AcceptGuardTest, IsWhatThisProcessCalls) {
  EXPECT_TRUE(InstallAcceptGuard().ok());
}

TEST(AcceptGuardTest, RefusesWaitingConnectionsThenAcceptsAgain) {
  ASSERT_TRUE(InstallAcceptGuard().ok());
  Listener listener;
  std::vector<int> waiting;
  for (int i = 0; i < 5; ++i) waiting.push_back(listener.Connect());
  const AcceptGuardStats before = GetAcceptGuardStats();
  {
    SoftLimit limit;
    limit.Exhaust();
    errno = 0;
    EXPECT_EQ(accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC), -1);
    // EAGAIN, not EMFILE: gRPC keeps the listener and waits for the next.
    EXPECT_EQ(errno, EAGAIN);
  }
  const AcceptGuardStats after = GetAcceptGuardStats();
  EXPECT_EQ(after.refused - before.refused, waiting.size());
  EXPECT_EQ(after.exhaustions - before.exhaustions, 1u);
  for (int fd : waiting) {
    EXPECT_TRUE(ClosedByPeer(fd)) << "a waiting client was left hanging";
    close(fd);
  }
  // With descriptors free again, the next client is accepted as usual.
  const int client = listener.Connect();
  const int accepted = accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC);
  EXPECT_GE(accepted, 0) << strerror(errno);
  EXPECT_FALSE(ClosedByPeer(client));
  close(accepted);
  close(client);
}

TEST(AcceptGuardTest, OtherErrorsPassThrough) {
  errno = 0;
  EXPECT_EQ(accept4(-1, nullptr, nullptr, 0), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST(RaiseOpenFileLimitTest, SoftLimitReachesTheHardLimit) {
  SoftLimit restore;
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  rlimit lower = limit;
  lower.rlim_cur = 256 < limit.rlim_max ? 256 : limit.rlim_max;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lower), 0);
  EXPECT_EQ(RaiseOpenFileLimit(), limit.rlim_max);
}

}  // namespace
}  // namespace speckd::server
