#include "server/listen/listen_check.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::server {
namespace {

using ::testing::HasSubstr;

// A socket of this process listening on a free loopback port.
class Listener {
 public:
  Listener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd_, 1), 0);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~Listener() { close(fd_); }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

std::string OwnName() {
  std::ifstream comm("/proc/self/comm");
  std::string name;
  std::getline(comm, name);
  return name;
}

TEST(ListenCheckTest, APortInUseNamesTheProcessThatHoldsIt) {
  Listener held;
  const std::string address = "127.0.0.1:" + std::to_string(held.port());
  absl::Status status = CheckCanListen(address, "gRPC");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(),
              HasSubstr("cannot listen on " + address +
                        " (gRPC): " + OwnName() + " (pid " +
                        std::to_string(getpid()) + ") already listens there"));
  EXPECT_THAT(status.message(), HasSubstr("is speckd already running?"));
  std::optional<PortOwner> owner = FindPortOwner(held.port());
  ASSERT_TRUE(owner.has_value());
  EXPECT_EQ(owner->pid, getpid());
}

TEST(ListenCheckTest, AFreePortAndPortZeroAreFine) {
  uint16_t port = 0;
  {
    Listener once;
    port = once.port();
  }
  EXPECT_TRUE(CheckCanListen("127.0.0.1:" + std::to_string(port), "web").ok());
  EXPECT_TRUE(CheckCanListen("127.0.0.1:0", "gRPC").ok());
  EXPECT_FALSE(FindPortOwner(port).has_value());
}

TEST(ListenCheckTest, BadAddressesSayWhatIsWrong) {
  EXPECT_EQ(CheckCanListen("127.0.0.1", "gRPC").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(CheckCanListen("192.0.2.1:50051", "gRPC").message(),
              HasSubstr("192.0.2.1 is not an address of this machine"));
}

TEST(ListenCheckTest, OnlyLoopbackListensUnlessSecuredOrInsecureRemote) {
  for (const char* loopback :
       {"127.0.0.1:50051", "127.1.2.3:0", "localhost:8080", "[::1]:50051"}) {
    EXPECT_TRUE(IsLoopbackListen(loopback)) << loopback;
    EXPECT_TRUE(CheckRemoteListen(loopback, "gRPC", false).ok());
  }
  for (const char* remote : {"0.0.0.0:50051", "[::]:50051", "10.0.0.7:8080",
                             ":50051", "speck.lab.example:50051"}) {
    EXPECT_FALSE(IsLoopbackListen(remote)) << remote;
    absl::Status refused =
        CheckRemoteListen(remote, "gRPC", false, false, "Give it TLS.");
    EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(refused.message(), HasSubstr("without TLS and access tokens"));
    EXPECT_THAT(refused.message(), HasSubstr("Give it TLS."));
    EXPECT_THAT(refused.message(), HasSubstr("--insecure_remote"));
    EXPECT_THAT(refused.message(), HasSubstr("ssh -L"));
    EXPECT_TRUE(CheckRemoteListen(remote, "web", true).ok());
    EXPECT_TRUE(
        CheckRemoteListen(remote, "gRPC", false, /*secured=*/true).ok());
  }
}

}  // namespace
}  // namespace speckd::server
