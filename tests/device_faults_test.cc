// A simulated devkit that misbehaves on demand (as with speckd --sim_faults),
// through a real daemon: what clients see when the link stalls, the input
// queue stays full, or the stop watch leaps. Nothing accepted is lost.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/grpc/speckd_fixture.h"
#include "tests/grpc/stream_collector.h"
#include "tests/util/tutorial_example.h"

namespace speckd::testing {
namespace {

using ::testing::HasSubstr;

class DeviceFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<TutorialExample> c = LoadTutorialExample();
    ASSERT_TRUE(c.ok()) << c.status();
    case_ = *std::move(c);
  }
  TutorialExample case_;
};

TEST_F(DeviceFaultsTest, AStalledLinkHoldsOutputBackAndLosesNothing) {
  SpeckdFixture speckd;
  const std::string lease = speckd.AcquireLease("faults");
  ASSERT_TRUE(speckd.ApplyConfig(case_.config, lease).ok());
  v1::SubscribeEventsRequest request;
  request.set_device_id(kDevice);
  request.mutable_filter()->add_layers(0);
  request.mutable_options()->set_overflow_policy(v1::LOSSLESS);
  request.mutable_options()->set_lease_id(lease);
  StreamCollector<v1::StreamMessage> spikes([&](grpc::ClientContext* ctx) {
    return speckd.event_stub->SubscribeEvents(ctx, request);
  });
  const absl::Time stalled = absl::Now();
  ASSERT_TRUE(
      speckd.SimulateFault(v1::SimulateFaultRequest::STALL_OUTPUT, 400).ok());
  v1::WriteEventsResponse written;
  ASSERT_TRUE(speckd.WriteStream(lease, case_.inputs, 5000, &written).ok());
  ASSERT_TRUE(spikes.WaitFor(
      [](const std::vector<v1::StreamMessage>& m) { return SpikesIn(m) > 0; }));
  EXPECT_GE(absl::Now() - stalled, absl::Milliseconds(380));
  ASSERT_TRUE(spikes.WaitFor([](const std::vector<v1::StreamMessage>& m) {
    return SpikesIn(m) >= 25001;
  }));
  EXPECT_EQ(SpikesIn(spikes.messages()), 25001u);
  for (const v1::StreamMessage& m : spikes.messages()) {
    EXPECT_EQ(m.dropped_since_last(), 0u);
  }
}

TEST_F(DeviceFaultsTest, AFullQueueTimesWritesOutThenTakesThemAgain) {
  SpeckdFixture speckd;
  const std::string lease = speckd.AcquireLease("faults");
  ASSERT_TRUE(speckd.ApplyConfig(case_.config, lease).ok());
  ASSERT_TRUE(
      speckd.SimulateFault(v1::SimulateFaultRequest::FILL_INPUT_QUEUE, 800)
          .ok());
  const std::vector<chip::InputEvent> first(case_.inputs.begin(),
                                            case_.inputs.begin() + 100);
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(200));
    v1::WriteEventsRequest request =
        SpeckdFixture::ToRequest(first.data(), first.size());
    request.set_device_id(kDevice);
    request.set_lease_id(lease);
    v1::WriteEventsResponse response;
    grpc::Status refused =
        speckd.event_stub->WriteEventBatch(&context, request, &response);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  // A write that may wait longer than the fault is taken when it ends.
  v1::WriteEventsResponse response;
  grpc::Status taken = speckd.WriteBatch(lease, first, true, &response);
  ASSERT_TRUE(taken.ok()) << taken.error_message();
  EXPECT_EQ(response.accepted(), 100u);
  const v1::Device idle = speckd.WaitIdle();
  EXPECT_EQ(idle.events_in(), 100u);   // the refused write left nothing behind
  EXPECT_EQ(idle.events_out(), 200u);  // each input: a core spike, a DVS one
}

TEST_F(DeviceFaultsTest, AClockJumpMovesTheStopWatchAndLateInputsAreCounted) {
  SpeckdFixture speckd({driver::Pacing::kRealTime});
  const std::string lease = speckd.AcquireLease("faults");
  ASSERT_TRUE(speckd.ApplyConfig(case_.config, lease).ok());
  const uint64_t before = speckd.GetDevice().stop_watch().time_us();
  ASSERT_TRUE(
      speckd.SimulateFault(v1::SimulateFaultRequest::JUMP_CLOCK, 10000).ok());
  const v1::Device after = speckd.WaitIdle();
  EXPECT_GE(after.stop_watch().time_us(), before + 10000000);
  // Input stamped for before the jump is late now: played at once, counted.
  const std::vector<chip::InputEvent> early(case_.inputs.begin(),
                                            case_.inputs.begin() + 10);
  v1::WriteEventsResponse response;
  ASSERT_TRUE(speckd.WriteBatch(lease, early, true, &response).ok());
  EXPECT_EQ(speckd.WaitIdle().late_inputs(), 10u);
}

TEST_F(DeviceFaultsTest, FaultsNeedADurationAndAPluggedInBoard) {
  SpeckdFixture speckd;
  grpc::Status zero =
      speckd.SimulateFault(v1::SimulateFaultRequest::STALL_OUTPUT, 0);
  EXPECT_EQ(zero.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(zero.error_message(),
              HasSubstr("duration_ms: 0 is outside 1..10000"));
  ASSERT_TRUE(speckd.SimulateFault(v1::SimulateFaultRequest::UNPLUG, 0).ok());
  grpc::Status gone =
      speckd.SimulateFault(v1::SimulateFaultRequest::JUMP_CLOCK, 5);
  EXPECT_EQ(gone.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(gone.error_message(), HasSubstr("unplugged"));
}

}  // namespace
}  // namespace speckd::testing
