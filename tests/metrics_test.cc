// GET /metrics on the speckd binary's web port, read with a strict parser
// of Prometheus' text format (tests/util/prometheus_text.h): every family
// typed and helped, the tutorial's events counted per device and kind, RPCs
// per method and code with a consistent histogram, the process' memory and
// descriptors. And the parser itself refuses what the format forbids.
#include <grpcpp/grpcpp.h>

#include <map>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/speckd/v1/event_service.grpc.pb.h"
#include "tests/bench/networks.h"
#include "tests/grpc/speckd_client.h"
#include "tests/util/http_get.h"
#include "tests/util/prometheus_text.h"
#include "tests/util/subprocess.h"

namespace speckd::testing {
namespace {

using ::testing::HasSubstr;
using Families = std::map<std::string, PromFamily>;

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<StartedSpeckd> started =
        StartSpeckd(RunfilePath("server/speckd"),
                    {"--listen=127.0.0.1:0", "--web_listen=127.0.0.1:0",
                     "--sim_pacing=as_fast_as_possible"});
    ASSERT_TRUE(started.ok()) << started.status();
    speckd_ = std::move(started->process);
    address_ = started->address;
    absl::StatusOr<int> port = ReadDashboardPort(speckd_.get());
    ASSERT_TRUE(port.ok()) << port.status();
    web_port_ = *port;
  }

  Families Scrape() {
    absl::StatusOr<HttpReply> reply = HttpGet(web_port_, "/metrics");
    EXPECT_TRUE(reply.ok()) << reply.status();
    if (!reply.ok()) return {};
    EXPECT_EQ(reply->code, 200);
    EXPECT_EQ(reply->headers["content-type"],
              "text/plain; version=0.0.4; charset=utf-8");
    absl::StatusOr<Families> parsed = ParsePrometheusText(reply->body);
    EXPECT_TRUE(parsed.ok()) << parsed.status() << "\n" << reply->body;
    return parsed.ok() ? *parsed : Families();
  }

  std::unique_ptr<Subprocess> speckd_;
  std::string address_;
  int web_port_ = 0;
};

double Value(const Families& f, const std::string& name,
             const std::map<std::string, std::string>& labels = {}) {
  absl::StatusOr<double> v = PromValue(f, name, labels);
  EXPECT_TRUE(v.ok()) << name;
  return v.value_or(-1);
}

TEST_F(MetricsTest, TutorialRunIsCountedPerDeviceKindAndRpc) {
  SpeckdClient speckd(address_);
  const std::string lease = speckd.AcquireLease("metrics");
  ASSERT_TRUE(speckd.ApplyConfig(bench::TutorialNetwork(), lease).ok());
  const std::vector<chip::InputEvent> events = bench::TutorialInput(25001);
  v1::WriteEventsResponse written;
  ASSERT_TRUE(speckd.WriteStream(lease, events, 5000, &written).ok());
  speckd.WaitIdle();

  const Families f = Scrape();
  for (const auto& [name, family] : f) {
    EXPECT_FALSE(family.help.empty()) << name;
    EXPECT_FALSE(family.type.empty()) << name;
  }
  const std::string device = "speck2edevkit-sim:0";
  EXPECT_EQ(Value(f, "speckd_device_events_in_total", {{"device", device}}),
            25001);
  EXPECT_EQ(Value(f, "speckd_device_events_out_total",
                  {{"device", device}, {"kind", "core0"}}),
            25001);
  EXPECT_EQ(Value(f, "speckd_device_leased", {{"device", device}}), 1);
  ASSERT_EQ(f.at("speckd_device_info").samples.size(), 1u);
  const PromSample& info = f.at("speckd_device_info").samples[0];
  EXPECT_EQ(info.value, 1);
  EXPECT_EQ(info.labels.at("device"), device);
  EXPECT_EQ(info.labels.at("type"), "Speck2eDevKit");
  EXPECT_EQ(info.labels.at("backend"), "sim");
  // Streaming: it has played inputs since it was configured.
  EXPECT_EQ(info.labels.at("state"), "streaming");
  EXPECT_GT(Value(f, "speckd_device_synops_total", {{"device", device}}), 0);
  const std::string apply = "/speckd.v1.ConfigService/ApplyConfiguration";
  EXPECT_EQ(
      Value(f, "speckd_rpc_calls_total", {{"method", apply}, {"code", "OK"}}),
      1);
  EXPECT_EQ(Value(f, "speckd_rpc_duration_seconds_count", {{"method", apply}}),
            1);
  EXPECT_GT(Value(f, "process_resident_memory_bytes"), 1e6);
  EXPECT_GT(Value(f, "process_open_fds"), 3);
  EXPECT_EQ(f.at("speckd_rpc_duration_seconds").type, "histogram");
}

TEST_F(MetricsTest, FailedCallsAreCountedByCode) {
  SpeckdClient speckd(address_);
  v1::WriteEventsRequest write;
  write.set_lease_id("nobody");
  auto stub = v1::EventService::NewStub(speckd.NewChannel());
  grpc::ClientContext context;
  v1::WriteEventsResponse response;
  EXPECT_FALSE(stub->WriteEventBatch(&context, write, &response).ok());
  const Families f = Scrape();
  EXPECT_EQ(Value(f, "speckd_rpc_calls_total",
                  {{"method", "/speckd.v1.EventService/WriteEventBatch"},
                   {"code", "FAILED_PRECONDITION"}}),
            1);
}

TEST(PrometheusTextTest, TheParserRefusesWhatTheFormatForbids) {
  const std::pair<const char*, const char*> bad[] = {
      {"x 1\n", "no TYPE before it"},
      {"# TYPE x gauge\nx 1", "no line feed"},
      {"# TYPE x gauge\nx 1\nx 2\n", "twice"},
      {"# TYPE x gauge\n# TYPE y gauge\nx 1\ny 1\nx{a=\"b\"} 1\n",
       "not together"},
      {"# TYPE x counter\nx -1\n", "below zero"},
      {"# TYPE 1x gauge\n", "bad HELP or TYPE"},
      {"# TYPE x gauge\nx{a=\"\\q\"} 1\n", "bad escape"},
      {"# TYPE x gauge\nx one\n", "bad value"},
      {"# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
       "h_sum 1\nh_count 1\n",
       "cumulative"},
      {"# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",
       "no +Inf"},
  };
  for (const auto& [text, why] : bad) {
    absl::StatusOr<Families> parsed = ParsePrometheusText(text);
    EXPECT_FALSE(parsed.ok()) << text;
    EXPECT_THAT(parsed.status().message(), HasSubstr(why)) << text;
  }
  EXPECT_TRUE(ParsePrometheusText("# HELP x a\n# TYPE x gauge\nx 1\n").ok());
}

// With access tokens, /metrics wants a viewer's: 401 (and how to
// authenticate) without a known token, 200 with one.
TEST(MetricsAccessTest, ScrapingNeedsAViewerTokenWhenSpeckdHasTokens) {
  const std::string tokens = WriteTempFile(
      "metrics-tokens",
      "prometheus viewer "
      "sha256:"
      "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n");
  absl::StatusOr<StartedSpeckd> started =
      StartSpeckd(RunfilePath("server/speckd"),
                  {"--listen=127.0.0.1:0", "--web_listen=127.0.0.1:0",
                   "--auth_tokens=" + tokens});
  ASSERT_TRUE(started.ok()) << started.status();
  absl::StatusOr<int> port = ReadDashboardPort(started->process.get());
  ASSERT_TRUE(port.ok()) << port.status();
  absl::StatusOr<HttpReply> anonymous = HttpGet(*port, "/metrics");
  ASSERT_TRUE(anonymous.ok()) << anonymous.status();
  EXPECT_EQ(anonymous->code, 401);
  EXPECT_EQ(anonymous->headers["www-authenticate"], "Bearer");
  EXPECT_THAT(anonymous->body, HasSubstr("needs an access token for /metrics"));
  absl::StatusOr<HttpReply> wrong = HttpGet(
      *port, "/metrics", "", absl::Seconds(10), {"Authorization: Bearer nope"});
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(wrong->code, 401);
  // The token whose SHA-256 the file has: "test".
  absl::StatusOr<HttpReply> viewer = HttpGet(
      *port, "/metrics", "", absl::Seconds(10), {"Authorization: Bearer test"});
  ASSERT_TRUE(viewer.ok());
  EXPECT_EQ(viewer->code, 200);
  EXPECT_TRUE(ParsePrometheusText(viewer->body).ok());
}

}  // namespace
}  // namespace speckd::testing
