#include "server/web/request_policy.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace speckd::server::web {
namespace {

using ::testing::HasSubstr;

RequestPolicy Policy(std::vector<std::string> origins = {},
                     std::vector<std::string> hosts = {}) {
  RequestPolicyOptions options;
  options.allowed_origins = std::move(origins);
  options.allowed_hosts = std::move(hosts);
  options.machine_name = "labpc";
  return RequestPolicy(options);
}

TEST(RequestPolicyTest, LoopbackNamesIpLiteralsAndThisMachineAreAnswered) {
  const RequestPolicy policy = Policy();
  for (const char* host : {"127.0.0.1", "127.0.0.1:8080", "localhost:8080",
                           "LOCALHOST", "dash.localhost", "[::1]:8080", "[::1]",
                           "10.0.0.7:80", "labpc:8080", "LabPC."}) {
    EXPECT_TRUE(policy.CheckHost(host).ok()) << host;
  }
}

TEST(RequestPolicyTest, OtherNamesAreRefusedSayingWhichFlagAllowsThem) {
  const RequestPolicy policy = Policy({}, {"speck.lab.example"});
  EXPECT_TRUE(policy.CheckHost("speck.lab.example:8080").ok());
  absl::Status rebound = policy.CheckHost("evil.example:8080");
  EXPECT_EQ(rebound.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(rebound.message(), HasSubstr("Host 'evil.example'"));
  EXPECT_THAT(rebound.message(), HasSubstr("--web_allowed_hosts=evil.example"));
  EXPECT_FALSE(policy.CheckHost("").ok());
  EXPECT_FALSE(policy.CheckHost("[::1").ok());
  EXPECT_FALSE(policy.CheckHost("127.0.0.1.evil.example").ok());
}

TEST(RequestPolicyTest, OnlyTheDashboardsOwnOriginAndListedOnesMayCall) {
  const RequestPolicy policy = Policy({"http://dev.lab:5173/"});
  EXPECT_TRUE(policy.CheckOrigin("", "127.0.0.1:8080").ok());  // not a page
  EXPECT_TRUE(
      policy.CheckOrigin("http://127.0.0.1:8080", "127.0.0.1:8080").ok());
  EXPECT_TRUE(policy.CheckOrigin("https://LabPC:8443", "labpc:8443").ok());
  EXPECT_TRUE(policy.CheckOrigin("http://dev.lab:5173", "127.0.0.1:8080").ok());
  // The same host on another port is another origin.
  EXPECT_FALSE(
      policy.CheckOrigin("http://127.0.0.1:9999", "127.0.0.1:8080").ok());
  absl::Status foreign =
      policy.CheckOrigin("https://evil.example", "127.0.0.1:8080");
  EXPECT_EQ(foreign.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(foreign.message(),
              HasSubstr("--web_allowed_origins=https://evil.example"));
  EXPECT_FALSE(policy.CheckOrigin("null", "127.0.0.1:8080").ok());
}

TEST(RequestPolicyTest, HostNameDropsThePortAndKeepsIpv6Brackets) {
  EXPECT_EQ(HostName("Example.ORG:80"), "example.org");
  EXPECT_EQ(HostName("[::1]:8080"), "[::1]");
  EXPECT_EQ(HostName(" localhost "), "localhost");
}

}  // namespace
}  // namespace speckd::server::web
