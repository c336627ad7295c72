#include "server/listen/connection_table.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "gtest/gtest.h"

namespace speckd::server {
namespace {

// Real sockets: the table tells open from closed by the descriptor's
// identity, so the test needs descriptors that are sockets.
class Sockets {
 public:
  ~Sockets() {
    for (int fd : fds_) close(fd);
  }
  // One end of a new socket pair (the other end is kept open too).
  int New() {
    int pair[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    fds_.push_back(pair[1]);
    fds_.push_back(pair[0]);
    return pair[0];
  }
  void Close(int fd) {
    close(fd);
    fds_.erase(std::remove(fds_.begin(), fds_.end(), fd), fds_.end());
  }

 private:
  std::vector<int> fds_;
};

TEST(ConnectionTableTest, OneClientIsCappedOthersAreNot) {
  Sockets sockets;
  ConnectionTable table({.per_client = 2, .total = 0});
  EXPECT_EQ(table.Admit(sockets.New(), "192.0.2.1"),
            ConnectionTable::kAdmitted);
  EXPECT_EQ(table.Admit(sockets.New(), "192.0.2.1"),
            ConnectionTable::kAdmitted);
  EXPECT_EQ(table.Admit(sockets.New(), "192.0.2.1"),
            ConnectionTable::kClientFull);
  EXPECT_EQ(table.Admit(sockets.New(), "192.0.2.2"),
            ConnectionTable::kAdmitted);
  EXPECT_EQ(table.Open(), 3u);
}

TEST(ConnectionTableTest, TheTotalCapsAllClients) {
  Sockets sockets;
  ConnectionTable table({.per_client = 0, .total = 3});
  EXPECT_EQ(table.Admit(sockets.New(), "192.0.2.1"),
            ConnectionTable::kAdmitted);
  EXPECT_EQ(table.Admit(sockets.New(), "192.0.2.2"),
            ConnectionTable::kAdmitted);
  EXPECT_EQ(table.Admit(sockets.New(), ""), ConnectionTable::kAdmitted);
  EXPECT_EQ(table.Admit(sockets.New(), "192.0.2.3"),
            ConnectionTable::kTotalFull);
}

TEST(ConnectionTableTest, ClosedConnectionsFreeTheirPlace) {
  Sockets sockets;
  ConnectionTable table({.per_client = 2, .total = 0});
  const int first = sockets.New();
  ASSERT_EQ(table.Admit(first, "192.0.2.1"), ConnectionTable::kAdmitted);
  ASSERT_EQ(table.Admit(sockets.New(), "192.0.2.1"),
            ConnectionTable::kAdmitted);
  sockets.Close(first);
  // The freed number now names a file that is not the socket admitted.
  const int file = open("/dev/null", O_RDONLY);
  ASSERT_GE(file, 0);
  EXPECT_EQ(table.Admit(sockets.New(), "192.0.2.1"),
            ConnectionTable::kAdmitted);
  EXPECT_EQ(table.Admit(sockets.New(), "192.0.2.1"),
            ConnectionTable::kClientFull);
  close(file);
}

TEST(ConnectionTableTest, AReusedDescriptorNumberIsANewConnection) {
  Sockets sockets;
  ConnectionTable table({.per_client = 1, .total = 1});
  const int fd = sockets.New();
  ASSERT_EQ(table.Admit(fd, "192.0.2.1"), ConnectionTable::kAdmitted);
  // accept4 returned the same number again: the old connection is gone
  // (here the test re-admits the same socket for another client).
  EXPECT_EQ(table.Admit(fd, "192.0.2.2"), ConnectionTable::kAdmitted);
  EXPECT_EQ(table.Open(), 1u);
  EXPECT_EQ(table.Admit(sockets.New(), "192.0.2.1"),
            ConnectionTable::kTotalFull);
}

TEST(ConnectionTableTest, NoCapsAdmitEverything) {
  Sockets sockets;
  ConnectionTable table({});
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(table.Admit(sockets.New(), "192.0.2.1"),
              ConnectionTable::kAdmitted);
  }
  EXPECT_EQ(table.Open(), 50u);
}

}  // namespace
}  // namespace speckd::server
