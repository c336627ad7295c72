// What needs no daemon: where speckctl connects, how gRPC failures read, and
// the one-line error when nothing listens.
#include "clients/cli/client.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "clients/cli/command.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

// A loopback port nothing listens on (bound, then closed).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

TEST(ResolveServerTest, FlagBeatsEnvironmentBeatsDefault) {
  EXPECT_EQ(ResolveServer(kDefaultServer, false, nullptr), kDefaultServer);
  EXPECT_EQ(ResolveServer(kDefaultServer, false, ""), kDefaultServer);
  EXPECT_EQ(ResolveServer(kDefaultServer, false, "lab:7"), "lab:7");
  EXPECT_EQ(ResolveServer("me:1", true, "lab:7"), "me:1");
}

TEST(ErrorTest, GrpcFailuresKeepTheirCodeAndNameIt) {
  absl::Status lease = FromGrpc(grpc::Status(
      grpc::StatusCode::FAILED_PRECONDITION, "device is leased by 'x'"));
  EXPECT_EQ(lease.message(), "device is leased by 'x'");
  EXPECT_EQ(lease.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ExitCodeFor(lease), kExitFailure);

  absl::Status bad = FromGrpc(
      grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "spikes[3].x: 16"));
  EXPECT_EQ(bad.message(), "spikes[3].x: 16");
  EXPECT_EQ(ExitCodeFor(bad), kExitUsage);

  absl::Status missing =
      FromGrpc(grpc::Status(grpc::StatusCode::NOT_FOUND, "no device 'x'"));
  EXPECT_EQ(ExitCodeFor(missing), kExitUsage);
  EXPECT_TRUE(FromGrpc(grpc::Status::OK).ok());
  EXPECT_EQ(FromGrpc(grpc::Status(grpc::StatusCode::INTERNAL, "")).message(),
            "speckd answered internal without a message");
}

TEST(ErrorTest, StatusCodesAreNamedInLowerCase) {
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::OK), "ok");
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::DEADLINE_EXCEEDED),
            "deadline_exceeded");
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::UNAUTHENTICATED),
            "unauthenticated");
  EXPECT_EQ(StatusCodeName(static_cast<grpc::StatusCode>(99)), "code 99");
}

TEST(ErrorTest, ConnectionFailuresGetAShortReason) {
  EXPECT_EQ(ConnectionFailureReason(
                grpc::Status(grpc::StatusCode::UNAVAILABLE,
                             "failed to connect to all addresses; last error: "
                             "UNKNOWN: ipv4:127.0.0.1:1: Failed to connect to "
                             "remote host: Connection refused"),
                absl::Seconds(5)),
            "connection refused");
  EXPECT_EQ(ConnectionFailureReason(
                grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline"),
                absl::Seconds(5)),
            "no answer within 5s");
  EXPECT_EQ(CannotReach("127.0.0.1:50051", "connection refused").message(),
            "cannot reach speckd at 127.0.0.1:50051: connection refused "
            "\xE2\x80\x94 is it running? (start it with deploy/run.sh)");
}

TEST(ErrorTest, AnHttp1ServerIsProbablyTheWebPort) {
  const std::string reason = ConnectionFailureReason(
      grpc::Status(grpc::StatusCode::UNAVAILABLE,
                   "failed to connect to all addresses; last error: INTERNAL: "
                   "ipv4:127.0.0.1:8080: Trying to connect an http1.x server"),
      absl::Seconds(5));
  EXPECT_EQ(reason, "the server there speaks HTTP/1, not gRPC");
  EXPECT_EQ(CannotReach("127.0.0.1:8080", reason).message(),
            "cannot reach speckd at 127.0.0.1:8080: the server there speaks "
            "HTTP/1, not gRPC \xE2\x80\x94 that looks like speckd's web port "
            "(the dashboard); speckctl needs the gRPC port, 50051 by default");
}

TEST(CheckServerAddressTest, SaysHowToWriteTheAddress) {
  EXPECT_TRUE(CheckServerAddress("127.0.0.1:50051", "--server").ok());
  EXPECT_TRUE(CheckServerAddress("[::1]:50051", "--server").ok());
  EXPECT_TRUE(CheckServerAddress("lab-pc.local:6000", "--server").ok());
  EXPECT_TRUE(CheckServerAddress("unix:/run/speckd.sock", "--server").ok());
  EXPECT_EQ(CheckServerAddress("http://127.0.0.1:50051", "--server").message(),
            "--server=http://127.0.0.1:50051: write HOST:PORT without "
            "http:// (e.g. 127.0.0.1:50051)");
  EXPECT_EQ(CheckServerAddress("127.0.0.1", "$SPECKD_SERVER").message(),
            "$SPECKD_SERVER=127.0.0.1: no port given; speckd's gRPC port is "
            "50051 by default (e.g. 127.0.0.1:50051)");
  EXPECT_EQ(CheckServerAddress("::1", "--server").message(),
            "--server=::1: no port given; speckd's gRPC port is 50051 by "
            "default (e.g. [::1]:50051)");
  EXPECT_EQ(CheckServerAddress("", "--server").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ConnectTest, NothingListeningIsCannotReach) {
  GlobalOptions options;
  options.server = absl::StrCat("127.0.0.1:", FreePort());
  auto client = Client::Connect(options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(client.status().message(),
            absl::StrCat("cannot reach speckd at ", options.server,
                         ": connection refused \xE2\x80\x94 is it running? "
                         "(start it with deploy/run.sh)"));
  EXPECT_EQ(ExitCodeFor(client.status()), kExitFailure);
}

TEST(LeaseHolderTest, NamesProgramHostAndPid) {
  EXPECT_THAT(LeaseHolder(), MatchesRegex("speckctl \\(pid [0-9]+ on .+\\)"));
  SetLeaseCommand("write");
  EXPECT_THAT(LeaseHolder(), StartsWith(absl::StrCat("speckctl write (pid ",
                                                     getpid(), " on ")));
}

}  // namespace
}  // namespace speckd::cli
