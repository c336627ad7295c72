// A simulated devkit that misbehaves on demand (as with speckd --sim_faults),
// through a real daemon: what clients see when the link stalls or bursts, the
// input queue stays full, the stop watch leaps, or the driver wedges.
// Nothing accepted is lost where the contract says so, and every drop is
// counted.
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
  const v1::SubscribeEventsRequest request =
      CoreSpikesRequest(v1::LOSSLESS, lease);
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
  SpeckdFixture speckd(Paced(driver::Pacing::kRealTime));
  const std::string lease = speckd.AcquireLease("faults");
  ASSERT_TRUE(speckd.ApplyConfig(case_.config, lease).ok());
  const uint64_t before = speckd.GetDevice().stop_watch().time_us();
  ASSERT_TRUE(
      speckd.SimulateFault(v1::SimulateFaultRequest::JUMP_CLOCK, 10000).ok());
  // The device thread takes the jump when it next runs: wait for it.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  uint64_t now_us = speckd.WaitIdle().stop_watch().time_us();
  while (now_us < before + 10000000 && absl::Now() < deadline) {
    now_us = speckd.WaitIdle().stop_watch().time_us();
  }
  EXPECT_GE(now_us, before + 10000000);
  // Input stamped for before the jump is late now: played at once, counted.
  const std::vector<chip::InputEvent> early(case_.inputs.begin(),
                                            case_.inputs.begin() + 10);
  v1::WriteEventsResponse response;
  ASSERT_TRUE(speckd.WriteBatch(lease, early, true, &response).ok());
  EXPECT_EQ(speckd.WaitIdle().late_inputs(), 10u);
}

uint64_t DroppedIn(const std::vector<v1::StreamMessage>& messages) {
  uint64_t n = 0;
  for (const v1::StreamMessage& m : messages) n += m.dropped_since_last();
  return n;
}

// Ten tutorials written in 5000-event batches while the link holds its
// output for 600 ms, then delivers ~50 messages back to back: a LOSSLESS
// subscriber gets every spike; one whose queue holds a single message
// drops some, and what it got plus what it was told it lost is exact.
TEST_F(DeviceFaultsTest, AnOutputBurstReachesLosslessWholeAndDropsAreCounted) {
  SpeckdFixture speckd;
  const std::string lease = speckd.AcquireLease("faults");
  ASSERT_TRUE(speckd.ApplyConfig(case_.config, lease).ok());
  const v1::SubscribeEventsRequest lossless =
      CoreSpikesRequest(v1::LOSSLESS, lease);
  StreamCollector<v1::StreamMessage> whole([&](grpc::ClientContext* ctx) {
    return speckd.event_stub->SubscribeEvents(ctx, lossless);
  });
  const v1::SubscribeEventsRequest small =
      CoreSpikesRequest(v1::DROP_OLDEST, "", 1);
  // A client that reads nothing until the burst is over: its one-message
  // queue must overflow (however fast this machine is).
  Notification lossy_reads;
  StreamCollector<v1::StreamMessage> lossy(
      [&](grpc::ClientContext* ctx) {
        return speckd.event_stub->SubscribeEvents(ctx, small);
      },
      &lossy_reads);
  ASSERT_TRUE(speckd.server().WaitForOpenStreams(2, absl::Seconds(10)));
  std::vector<chip::InputEvent> inputs;
  // 40 tutorials: more spikes (1 M) than gRPC's own buffers hold, so a
  // client that does not read falls behind whatever the transport buffers.
  for (uint64_t copy = 0; copy < 40; ++copy) {
    for (chip::InputEvent e : case_.inputs) {
      e.timestamp_us += copy * 6000000;
      inputs.push_back(e);
    }
  }
  const uint64_t expected = inputs.size();
  const absl::Time burst = absl::Now();
  ASSERT_TRUE(
      speckd.SimulateFault(v1::SimulateFaultRequest::BURST_OUTPUT, 600).ok());
  v1::WriteEventsResponse written;
  ASSERT_TRUE(speckd.WriteStream(lease, inputs, 5000, &written).ok());
  ASSERT_TRUE(whole.WaitFor(
      [](const std::vector<v1::StreamMessage>& m) { return SpikesIn(m) > 0; }));
  EXPECT_GE(absl::Now() - burst, absl::Milliseconds(580));
  // Processing went on meanwhile: the device was done before the burst.
  EXPECT_EQ(speckd.GetDevice().events_in(), expected);
  ASSERT_TRUE(whole.WaitFor([&](const std::vector<v1::StreamMessage>& m) {
    return SpikesIn(m) >= expected;
  }));
  EXPECT_EQ(SpikesIn(whole.messages()), expected);
  EXPECT_EQ(DroppedIn(whole.messages()), 0u);
  lossy_reads.Notify();
  speckd.WaitIdle();
  // The last message of the lossy stream may come after WaitIdle: wait for
  // the totals to add up.
  EXPECT_TRUE(lossy.WaitFor([&](const std::vector<v1::StreamMessage>& m) {
    return SpikesIn(m) + DroppedIn(m) >= expected;
  })) << SpikesIn(lossy.messages())
      << " received, " << DroppedIn(lossy.messages()) << " dropped";
  EXPECT_EQ(SpikesIn(lossy.messages()) + DroppedIn(lossy.messages()), expected);
  EXPECT_GT(DroppedIn(lossy.messages()), 0u);
}

// The driver wedges for 4 s; the watchdog (1 s here) takes the device for
// LOST within about a second, its streams end as on an unplug, and speckd
// restarts the driver: the device is back, configured, and computes the
// tutorial exactly while the old thread is still stuck.
TEST_F(DeviceFaultsTest, AWedgedDriverIsLostThenRestartedByTheWatchdog) {
  FixtureOptions options;
  options.watchdog = absl::Seconds(1);
  SpeckdFixture speckd(options);
  const std::string lease = speckd.AcquireLease("faults");
  ASSERT_TRUE(speckd.ApplyConfig(case_.config, lease).ok());
  const v1::SubscribeEventsRequest request = CoreSpikesRequest(v1::DROP_OLDEST);
  StreamCollector<v1::StreamMessage> before([&](grpc::ClientContext* ctx) {
    return speckd.event_stub->SubscribeEvents(ctx, request);
  });
  StreamCollector<v1::DeviceChange> watch([&](grpc::ClientContext* ctx) {
    return speckd.device_stub->WatchDevices(ctx, v1::WatchDevicesRequest());
  });
  ASSERT_TRUE(speckd.server().WaitForOpenStreams(2, absl::Seconds(10)));
  const absl::Time wedged = absl::Now();
  ASSERT_TRUE(
      speckd.SimulateFault(v1::SimulateFaultRequest::WEDGE_THREAD, 4000).ok());

  std::optional<grpc::Status> end = before.WaitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(end->error_message(), HasSubstr("stopped answering"));
  ASSERT_FALSE(before.messages().empty());
  EXPECT_EQ(before.messages().back().notice().kind(),
            v1::StreamNotice::DEVICE_LOST);
  const absl::Duration noticed = absl::Now() - wedged;
  EXPECT_GE(noticed, absl::Seconds(1));
  EXPECT_LT(noticed, absl::Seconds(4)) << "noticed only as the wedge ended";

  // Watchers saw it lost, then configured again: the restarted driver.
  ASSERT_TRUE(watch.WaitFor([](const std::vector<v1::DeviceChange>& changes) {
    bool lost = false;
    for (const v1::DeviceChange& c : changes) {
      if (c.device().state() == v1::LOST) lost = true;
      if (lost && c.device().state() == v1::CONFIGURED) return true;
    }
    return false;
  }));
  StreamCollector<v1::StreamMessage> after([&](grpc::ClientContext* ctx) {
    return speckd.event_stub->SubscribeEvents(ctx, request);
  });
  ASSERT_TRUE(speckd.server().WaitForOpenStreams(2, absl::Seconds(10)));
  v1::WriteEventsResponse written;
  ASSERT_TRUE(speckd.WriteStream(lease, case_.inputs, 5000, &written).ok());
  ASSERT_TRUE(after.WaitFor([](const std::vector<v1::StreamMessage>& m) {
    return SpikesIn(m) >= 25001;
  }));
  EXPECT_EQ(SpikesIn(after.messages()), 25001u);
  EXPECT_LT(absl::Now() - wedged, absl::Seconds(4))
      << "the device came back only once the old driver returned";
  EXPECT_EQ(speckd.GetDevice().lease().holder(), "faults");
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
