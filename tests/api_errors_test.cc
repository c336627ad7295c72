// Bad input over gRPC gets the right code and a message naming the field,
// and the daemon keeps serving; the control lease is enforced and expires.
#include <google/protobuf/text_format.h>

#include <thread>

#include "driver/clock_fake.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/codec/config_codec.h"
#include "tests/bench/networks.h"
#include "tests/grpc/raw_calls.h"
#include "tests/grpc/speckd_fixture.h"
#include "tests/grpc/stream_collector.h"

namespace speckd::testing {
namespace {

using ::testing::HasSubstr;

class ApiErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lease_ = speckd_.AcquireLease("alice@lab");
    ASSERT_TRUE(speckd_.ApplyConfig(bench::TutorialNetwork(), lease_).ok());
  }
  void TearDown() override { EXPECT_EQ(speckd_.Health(), "SERVING"); }

  SpeckdFixture speckd_;
  std::string lease_;
};

TEST_F(ApiErrorsTest, InvalidConfigurationListsEveryProblemWithItsPath) {
  chip::SpeckConfig config = bench::TutorialNetwork();
  config.cnn_layers[0].dimensions.kernel_size = 17;
  config.cnn_layers[0].destinations = {{9, true, 1, 0}};
  grpc::Status status = speckd_.ApplyConfig(config, lease_);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              HasSubstr("cnn_layers[0].dimensions.kernel_size: 17 exceeds the "
                        "chip limit 16"));
  EXPECT_THAT(status.error_message(),
              HasSubstr("cnn_layers[0].destinations[0].layer"));
  EXPECT_EQ(speckd_.Health(), "SERVING");

  // The same configuration, validated as a dry run: OK, with every problem.
  grpc::ClientContext context;
  v1::ValidateConfigurationRequest request;
  codec::ToProto(config, request.mutable_configuration());
  v1::ValidateConfigurationResponse response;
  ASSERT_TRUE(
      speckd_.config_stub->ValidateConfiguration(&context, request, &response)
          .ok());
  EXPECT_FALSE(response.valid());
  ASSERT_GE(response.problems_size(), 2);
  EXPECT_EQ(response.problems(0).field_path(),
            "cnn_layers[0].dimensions.kernel_size");
  EXPECT_EQ(response.problems(0).severity(), v1::ConfigProblem::ERROR);
}

TEST_F(ApiErrorsTest, AppliedConfigurationIsServedBackWithDefaultsFilledIn) {
  grpc::ClientContext context;
  v1::GetConfigurationRequest request;
  v1::GetConfigurationResponse response;
  ASSERT_TRUE(
      speckd_.config_stub->GetConfiguration(&context, request, &response).ok());
  EXPECT_TRUE(response.applied());
  EXPECT_EQ(response.configuration().cnn_layers_size(), 9);
  EXPECT_EQ(response.configuration().cnn_layers(0).dimensions().kernel_size(),
            16u);
  EXPECT_EQ(response.configuration().cnn_layers(0).dimensions().stride().x(),
            1u);
  ASSERT_EQ(response.memory_size(), 1);
  EXPECT_EQ(response.memory(0).kernel_words(), 512u);
}

TEST_F(ApiErrorsTest, OutOfRangeAndBackwardEventsRejectWholeBatches) {
  v1::WriteEventsResponse response;
  std::vector<chip::InputEvent> bad_x = {
      chip::InputEvent::FromDvs({0, 1, 1, true}),
      chip::InputEvent::FromDvs({1, 200, 1, true})};
  grpc::Status status = speckd_.WriteBatch(lease_, bad_x, false, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "dvs_events[1].x: 200 is outside the DVS array (0..127)");

  std::vector<chip::InputEvent> backwards = {
      chip::InputEvent::FromSpike({10, 0, 0, 1, 1}),
      chip::InputEvent::FromSpike({5, 0, 0, 1, 1})};
  status = speckd_.WriteBatch(lease_, backwards, false, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "spikes[1].timestamp_us: 5 goes back from 10");

  std::vector<chip::InputEvent> outside = {
      chip::InputEvent::FromSpike({0, 0, 0, 16, 0})};
  status = speckd_.WriteBatch(lease_, outside, false, &response);
  EXPECT_EQ(status.error_message(),
            "spikes[0].x: 16 is outside core 0's input width (0..15)");

  // Nothing of the rejected batches reached the device.
  grpc::ClientContext context;
  v1::GetDeviceRequest get;
  v1::Device device;
  ASSERT_TRUE(speckd_.device_stub->GetDevice(&context, get, &device).ok());
  EXPECT_EQ(device.events_in(), 0u);
}

TEST_F(ApiErrorsTest, StreamedWriteNamesTheMessageOfTheBadBatch) {
  std::vector<chip::InputEvent> events = bench::TutorialInput(10);
  events.push_back(chip::InputEvent::FromSpike({20, 0, 0, 0, 99}));
  v1::WriteEventsResponse response;
  grpc::Status status = speckd_.WriteStream(lease_, events, 10, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("message 1: spikes[0].y: 99"));
}

TEST_F(ApiErrorsTest, WritersWithoutTheLeaseAreRefusedWithTheHolderNamed) {
  v1::WriteEventsResponse response;
  grpc::Status status = speckd_.WriteBatch(
      "not-the-lease", bench::TutorialInput(3), false, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("leased by 'alice@lab' until"));

  grpc::ClientContext context;
  v1::AcquireLeaseRequest second;
  second.set_holder("bob");
  v1::Lease lease;
  status = speckd_.device_stub->AcquireLease(&context, second, &lease);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("'alice@lab'"));

  grpc::Status apply = speckd_.ApplyConfig(bench::TutorialNetwork(), "");
  EXPECT_EQ(apply.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(ApiErrorsTest, BadGraphSpecsNameTheNode) {
  auto create = [&](const std::string& text) {
    v1::CreateGraphRequest request;
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(
        text, request.mutable_spec()));
    request.set_lease_id(lease_);
    grpc::ClientContext context;
    v1::Graph graph;
    return speckd_.graph_stub->CreateGraph(&context, request, &graph);
  };
  grpc::Status unknown_edge = create(R"(
      nodes { name: "src" device_source {} }
      nodes { name: "out" endpoint {} }
      edges { source: "src" target: "nowhere" })");
  EXPECT_EQ(unknown_edge.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(unknown_edge.error_message(), HasSubstr("'nowhere'"));

  grpc::Status mismatch = create(R"(
      nodes { name: "src" device_source {} }
      nodes { name: "count" spike_count { feature_count: 2 } }
      nodes { name: "out" endpoint {} }
      edges { source: "src" target: "count" }
      edges { source: "count" target: "out" })");
  EXPECT_EQ(mismatch.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(mismatch.error_message(), HasSubstr("'count'"));

  grpc::Status cycle = create(R"(
      nodes { name: "src" device_source {} }
      nodes { name: "a" type_filter { desired_type: SPIKE } }
      nodes { name: "b" type_filter { desired_type: SPIKE } }
      edges { source: "src" target: "a" }
      edges { source: "a" target: "b" }
      edges { source: "b" target: "a" })");
  EXPECT_EQ(cycle.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(cycle.error_message(), HasSubstr("cycle"));

  grpc::Status bad_parameter = create(R"(
      nodes { name: "src" device_source {} }
      nodes { name: "windows" spike_collection { interval_milli_sec: 0 } }
      edges { source: "src" target: "windows" })");
  EXPECT_EQ(bad_parameter.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad_parameter.error_message(), HasSubstr("'windows'"));

  grpc::Status no_kind = create(R"(nodes { name: "what" })");
  EXPECT_THAT(no_kind.error_message(), HasSubstr("'what'"));
  EXPECT_EQ(speckd_.Health(), "SERVING");
}

TEST_F(ApiErrorsTest, BadSubscriptionsEndAtOnceWithTheField) {
  v1::SubscribeSpikeCountsRequest request;
  request.set_interval_ms(0);
  request.set_feature_count(2);
  StreamCollector<v1::StreamMessage> counts([&](grpc::ClientContext* ctx) {
    return speckd_.event_stub->SubscribeSpikeCounts(ctx, request);
  });
  std::optional<grpc::Status> end = counts.WaitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(end->error_message(), HasSubstr("interval_ms"));

  v1::SubscribeEventsRequest unknown;
  unknown.set_device_id("speck2edevkit:9");
  StreamCollector<v1::StreamMessage> events([&](grpc::ClientContext* ctx) {
    return speckd_.event_stub->SubscribeEvents(ctx, unknown);
  });
  end = events.WaitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(end->error_message(), HasSubstr("speck2edevkit-sim:0"));
}

// Bytes that are no protobuf message: field 1, length-delimited, with a
// length running past the end.
constexpr char kGarbage[] = "\x0a\xff\xff\xff\xff\x0f";

TEST_F(ApiErrorsTest, UnaryRequestsThatDoNotParseAreInvalidArguments) {
  for (const char* method : {"/speckd.v1.DeviceService/GetDevice",
                             "/speckd.v1.ConfigService/ApplyConfiguration",
                             "/speckd.v1.GraphService/CreateGraph",
                             "/speckd.v1.EventService/WriteEventBatch"}) {
    RawResult result = RawUnary(speckd_.channel, method, kGarbage);
    EXPECT_EQ(result.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << method;
    EXPECT_THAT(result.status.error_message(),
                HasSubstr("the request is not a valid speckd.v1."))
        << method;
  }
}

// A write stream with one unparseable message in the middle ends there,
// naming it; the messages before it were accepted and played, those after
// it were not (the first version answered OK and dropped them).
TEST_F(ApiErrorsTest, GarbageInAWriteStreamEndsItAndSaysWhatWasAccepted) {
  std::vector<std::string> messages;
  for (int i = 0; i < 5; ++i) {
    std::vector<chip::InputEvent> one = bench::TutorialInput(3);
    for (chip::InputEvent& e : one) e.timestamp_us += 1000 * i;
    v1::WriteEventsRequest request =
        SpeckdFixture::ToRequest(one.data(), one.size());
    if (i == 0) {
      request.set_device_id("speck2edevkit-sim:0");
      request.set_lease_id(lease_);
    }
    messages.push_back(i == 2 ? std::string(kGarbage)
                              : request.SerializeAsString());
  }
  RawResult result = RawClientStream(
      speckd_.channel, "/speckd.v1.EventService/WriteEvents", messages);
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(result.status.error_message(),
            "message 2: the request is not a valid "
            "speckd.v1.WriteEventsRequest (the 2 messages before it, 6 "
            "events, were accepted)");
  auto accepted = result.trailers.find("speckd-accepted-events");
  ASSERT_NE(accepted, result.trailers.end());
  EXPECT_EQ(accepted->second, "6");
  EXPECT_EQ(speckd_.WaitIdle().events_in(), 6u);
}

// With the device's queue full, writes beyond the waiting cap are refused at
// once instead of piling up in memory; the waiting ones end at their
// deadline; the daemon keeps serving.
TEST(PendingWritesTest, WritesBeyondTheWaitingCapAreRefusedAtOnce) {
  FixtureOptions options = Paced(driver::Pacing::kRealTime);
  options.input_queue_capacity = 1000;
  SpeckdFixture speckd(options);
  const std::string lease = speckd.AcquireLease();
  ASSERT_TRUE(speckd.ApplyConfig(bench::TutorialNetwork(), lease).ok());
  // 1000 inputs an hour from now fill the queue.
  std::vector<chip::InputEvent> far = bench::TutorialInput(1000);
  for (chip::InputEvent& e : far) e.timestamp_us += 3'600'000'000;
  v1::WriteEventsResponse response;
  ASSERT_TRUE(speckd.WriteBatch(lease, far, false, &response).ok());

  constexpr int kWriters = 40;
  std::vector<grpc::Status> results(kWriters);
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      grpc::ClientContext context;
      context.set_deadline(
          absl::ToChronoTime(absl::Now() + absl::Milliseconds(1500)));
      v1::WriteEventsRequest request =
          SpeckdFixture::ToRequest(far.data(), far.size());
      request.set_device_id("speck2edevkit-sim:0");
      request.set_lease_id(lease);
      v1::WriteEventsResponse reply;
      results[i] =
          speckd.event_stub->WriteEventBatch(&context, request, &reply);
    });
  }
  for (std::thread& t : writers) t.join();
  int refused = 0;
  for (const grpc::Status& status : results) {
    if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++refused;
      EXPECT_THAT(status.error_message(),
                  HasSubstr("writes already wait for room in device"));
    } else {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
          << status.error_message();
    }
  }
  // At most 1 in hand, 4 admitted and 16 waiting; the rest at once.
  EXPECT_GE(refused, kWriters - 21);
  EXPECT_EQ(speckd.Health(), "SERVING");
  grpc::ClientContext context;
  v1::GetDeviceRequest get;
  v1::Device device;
  ASSERT_TRUE(speckd.device_stub->GetDevice(&context, get, &device).ok());
  EXPECT_EQ(device.queued_inputs(), 1000u);
}

TEST(LeaseExpiryTest, AnExpiredLeaseFreesTheDevice) {
  driver::FakeClock clock;
  SpeckdFixture speckd(Paced(driver::Pacing::kAsFastAsPossible, &clock));
  grpc::ClientContext context;
  v1::AcquireLeaseRequest request;
  request.set_holder("alice");
  request.set_ttl_ms(2000);
  v1::Lease alice;
  ASSERT_TRUE(speckd.device_stub->AcquireLease(&context, request, &alice).ok());
  EXPECT_GT(alice.expires_unix_ms(), 0);

  clock.Advance(absl::Milliseconds(2100));
  speckd.devices().Housekeeping();
  grpc::ClientContext again;
  request.set_holder("bob");
  v1::Lease bob;
  ASSERT_TRUE(speckd.device_stub->AcquireLease(&again, request, &bob).ok());
  EXPECT_EQ(bob.holder(), "bob");
  v1::WriteEventsResponse response;
  grpc::Status stale =
      speckd.WriteBatch(alice.lease_id(), {}, false, &response);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(stale.error_message(), HasSubstr("'bob'"));
}

}  // namespace
}  // namespace speckd::testing
