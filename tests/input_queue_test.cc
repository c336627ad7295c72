// What happens to input that is accepted but not yet played, over a real
// loopback server in real-time pacing: a minute of queued events is dropped
// at once by CancelInputs, a stop-watch reset or a configuration apply; the
// drop is counted and announced; the next write plays on time instead of
// waiting behind the old events.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/bench/networks.h"
#include "tests/grpc/speckd_fixture.h"
#include "tests/grpc/stream_collector.h"

namespace speckd::testing {
namespace {

enum class Drop { kCancel, kReset, kApply };

std::string DropName(const ::testing::TestParamInfo<Drop>& info) {
  switch (info.param) {
    case Drop::kCancel:
      return "CancelInputs";
    case Drop::kReset:
      return "StopWatchReset";
    case Drop::kApply:
      return "ConfigurationApply";
  }
  return "";
}

// `n` tutorial spikes from `start_us`, one per ms.
std::vector<chip::InputEvent> SpikesFrom(uint64_t start_us, size_t n) {
  std::vector<chip::InputEvent> events = bench::TutorialInput(n);
  for (size_t i = 0; i < n; ++i) events[i].timestamp_us = start_us + i * 1000;
  return events;
}

uint64_t CountsIn(const std::vector<v1::StreamMessage>& messages) {
  uint64_t n = 0;
  for (const v1::StreamMessage& m : messages) {
    for (const v1::SpikeCount& w : m.spike_counts().windows()) {
      for (uint64_t c : w.counts()) n += c;
    }
  }
  return n;
}

const v1::StreamNotice* DropNotice(const std::vector<v1::StreamMessage>& m) {
  for (const v1::StreamMessage& message : m) {
    if (message.notice().kind() == v1::StreamNotice::INPUTS_DROPPED) {
      return &message.notice();
    }
  }
  return nullptr;
}

class InputQueueTest : public ::testing::TestWithParam<Drop> {
 protected:
  InputQueueTest() : speckd_(Paced(driver::Pacing::kRealTime)) {}

  v1::Device Device() {
    grpc::ClientContext context;
    v1::GetDeviceRequest request;
    request.set_device_id("speck2edevkit-sim:0");
    v1::Device device;
    EXPECT_TRUE(
        speckd_.device_stub->GetDevice(&context, request, &device).ok());
    return device;
  }

  // Drops what is queued the way the test's parameter says; the inputs the
  // call itself reports dropped (the others report through the notice).
  void DropQueued(const std::string& lease) {
    grpc::ClientContext context;
    switch (GetParam()) {
      case Drop::kCancel: {
        v1::CancelInputsRequest request;
        request.set_device_id("speck2edevkit-sim:0");
        request.set_lease_id(lease);
        v1::CancelInputsResponse response;
        ASSERT_TRUE(
            speckd_.device_stub->CancelInputs(&context, request, &response)
                .ok());
        EXPECT_GT(response.dropped_inputs(), 50000u);
        return;
      }
      case Drop::kReset: {
        v1::SetStopWatchRequest request;
        request.set_device_id("speck2edevkit-sim:0");
        request.set_lease_id(lease);
        request.set_reset(true);
        v1::StopWatch stop_watch;
        ASSERT_TRUE(
            speckd_.device_stub->SetStopWatch(&context, request, &stop_watch)
                .ok());
        EXPECT_EQ(stop_watch.epoch(), 1u);
        return;
      }
      case Drop::kApply:
        ASSERT_TRUE(speckd_.ApplyConfig(bench::TutorialNetwork(), lease).ok());
        return;
    }
  }

  SpeckdFixture speckd_;
};

TEST_P(InputQueueTest, AMinuteOfQueuedInputIsDroppedAtOnce) {
  const std::string lease = speckd_.AcquireLease();
  ASSERT_TRUE(speckd_.ApplyConfig(bench::TutorialNetwork(), lease).ok());
  v1::SubscribeSpikeCountsRequest counts_request;
  counts_request.set_interval_ms(50);
  counts_request.set_feature_count(2);
  StreamCollector<v1::StreamMessage> counts([&](grpc::ClientContext* ctx) {
    return speckd_.event_stub->SubscribeSpikeCounts(ctx, counts_request);
  });

  // 60 s of input, 1 per ms, starting 2 s ahead of the stop watch (so none
  // of it plays before it is dropped).
  const uint64_t now_us = Device().stop_watch().time_us();
  v1::WriteEventsResponse response;
  ASSERT_TRUE(speckd_
                  .WriteStream(lease, SpikesFrom(now_us + 2000000, 60000), 5000,
                               &response)
                  .ok());
  EXPECT_EQ(response.accepted(), 60000u);
  EXPECT_GT(Device().queued_inputs(), 50000u);

  DropQueued(lease);
  const v1::Device after = Device();
  EXPECT_EQ(after.queued_inputs(), 0u);
  EXPECT_EQ(after.pending_writes(), 0u);
  EXPECT_GT(after.dropped_inputs(), 50000u);
  // A reset starts a new epoch; cancel and apply leave the stop watch be.
  EXPECT_EQ(after.stop_watch().epoch(), GetParam() == Drop::kReset ? 1u : 0u);
  ASSERT_TRUE(counts.WaitFor([](const std::vector<v1::StreamMessage>& m) {
    return DropNotice(m) != nullptr;
  }));
  {
    const std::vector<v1::StreamMessage> messages = counts.messages();
    const v1::StreamNotice* notice = DropNotice(messages);
    EXPECT_EQ(notice->dropped_inputs(), after.dropped_inputs());
  }
  const uint64_t counted_before = CountsIn(counts.messages());

  // The next write plays when its timestamps come, not a minute later: 100
  // spikes over 100 ms starting 100 ms from now.
  const uint64_t restart_us = after.stop_watch().time_us() + 100000;
  ASSERT_TRUE(
      speckd_.WriteStream(lease, SpikesFrom(restart_us, 100), 100, &response)
          .ok());
  // Played in ~0.2 s; behind the old queue it would take over a minute.
  ASSERT_TRUE(counts.WaitFor(
      [&](const std::vector<v1::StreamMessage>& m) {
        return CountsIn(m) >= counted_before + 100;
      },
      absl::Seconds(20)));
  EXPECT_EQ(CountsIn(counts.messages()), counted_before + 100);
  EXPECT_EQ(speckd_.WaitIdle().queued_inputs(), 0u);
}

INSTANTIATE_TEST_SUITE_P(EachWayOfDropping, InputQueueTest,
                         ::testing::Values(Drop::kCancel, Drop::kReset,
                                           Drop::kApply),
                         DropName);

}  // namespace
}  // namespace speckd::testing
