// sinabs' "Spike Count Visualization" tutorial over gRPC, end to end: apply
// the tutorial configuration, write its 25001 events, and receive spike
// counts per 50 ms window and every spike, as fast as possible and once in
// real time.
#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/grpc/speckd_fixture.h"
#include "tests/grpc/stream_collector.h"
#include "tests/util/tutorial_example.h"

namespace speckd::testing {
namespace {

using Windows = std::map<uint64_t, std::vector<uint32_t>>;

Windows CountsByWindow(const std::vector<v1::StreamMessage>& messages) {
  Windows windows;
  for (const v1::StreamMessage& m : messages) {
    for (const v1::SpikeCount& w : m.spike_counts().windows()) {
      EXPECT_EQ(w.window_start_us() % 50000, 0u);
      EXPECT_EQ(w.window_end_us(), w.window_start_us() + 50000);
      windows[w.window_start_us() / 50000] = {w.counts().begin(),
                                              w.counts().end()};
    }
  }
  return windows;
}

void ExpectTutorialWindows(const Windows& windows) {
  ASSERT_GE(windows.size(), 101u);
  EXPECT_EQ(windows.at(0), (std::vector<uint32_t>{225, 0}));
  for (uint64_t w = 1; w <= 49; ++w) {
    EXPECT_EQ(windows.at(w), (std::vector<uint32_t>{250, 0})) << "window " << w;
  }
  for (uint64_t w = 50; w <= 99; ++w) {
    EXPECT_EQ(windows.at(w), (std::vector<uint32_t>{0, 250})) << "window " << w;
  }
  EXPECT_EQ(windows.at(100), (std::vector<uint32_t>{0, 26}));
  // Later windows (real time keeps the stop watch running) are empty.
  for (auto it = windows.find(101); it != windows.end(); ++it) {
    EXPECT_EQ(it->second, (std::vector<uint32_t>{0, 0}))
        << "window " << it->first;
  }
}

void ExpectSequencesWithoutDrops(
    const std::vector<v1::StreamMessage>& messages) {
  for (size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ(messages[i].sequence(), i + 1);
    EXPECT_EQ(messages[i].dropped_since_last(), 0u);
  }
}

class TutorialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<TutorialExample> c = LoadTutorialExample();
    ASSERT_TRUE(c.ok()) << c.status();
    case_ = *std::move(c);
  }

  // LOSSLESS: every window and spike is checked. It needs the lease.
  v1::SubscribeSpikeCountsRequest CountsRequest(const std::string& lease) {
    v1::SubscribeSpikeCountsRequest request;
    request.set_device_id("speck2edevkit-sim:0");
    request.set_interval_ms(50);
    request.set_feature_count(2);
    request.mutable_options()->set_overflow_policy(v1::LOSSLESS);
    request.mutable_options()->set_lease_id(lease);
    return request;
  }

  // The output core's spikes (the example also monitors the DVS layer).
  v1::SubscribeEventsRequest SpikesRequest(const std::string& lease) {
    v1::SubscribeEventsRequest request;
    request.set_device_id("speck2edevkit-sim:0");
    request.mutable_filter()->add_layers(0);
    request.mutable_options()->set_overflow_policy(v1::LOSSLESS);
    request.mutable_options()->set_lease_id(lease);
    return request;
  }

  TutorialExample case_;
};

TEST_F(TutorialTest, AsFastAsPossible) {
  SpeckdFixture speckd(Paced(driver::Pacing::kAsFastAsPossible));
  const std::string lease = speckd.AcquireLease("tutorial");
  ASSERT_TRUE(speckd.ApplyConfig(case_.config, lease).ok());

  StreamCollector<v1::StreamMessage> counts([&](grpc::ClientContext* ctx) {
    return speckd.event_stub->SubscribeSpikeCounts(ctx, CountsRequest(lease));
  });
  StreamCollector<v1::StreamMessage> spikes([&](grpc::ClientContext* ctx) {
    return speckd.event_stub->SubscribeEvents(ctx, SpikesRequest(lease));
  });

  v1::WriteEventsResponse response;
  grpc::Status written =
      speckd.WriteStream(lease, case_.inputs, 5000, &response);
  ASSERT_TRUE(written.ok()) << written.error_message();
  EXPECT_EQ(response.accepted(), 25001u);
  EXPECT_EQ(response.last_timestamp_us(), 5005000u);

  ASSERT_TRUE(counts.WaitFor([](const std::vector<v1::StreamMessage>& m) {
    return CountsByWindow(m).count(100) > 0;
  }));
  ExpectTutorialWindows(CountsByWindow(counts.messages()));
  ExpectSequencesWithoutDrops(counts.messages());

  ASSERT_TRUE(spikes.WaitFor([](const std::vector<v1::StreamMessage>& m) {
    return SpikesIn(m) >= 25001;
  }));
  EXPECT_EQ(SpikesIn(spikes.messages()), 25001u);
  ExpectSequencesWithoutDrops(spikes.messages());
}

TEST_F(TutorialTest, RealTimePacingTakesFiveSecondsAndGivesTheSameWindows) {
  SpeckdFixture speckd(Paced(driver::Pacing::kRealTime));
  const std::string lease = speckd.AcquireLease("tutorial");
  ASSERT_TRUE(speckd.ApplyConfig(case_.config, lease).ok());

  StreamCollector<v1::StreamMessage> counts([&](grpc::ClientContext* ctx) {
    return speckd.event_stub->SubscribeSpikeCounts(ctx, CountsRequest(lease));
  });
  StreamCollector<v1::StreamMessage> spikes([&](grpc::ClientContext* ctx) {
    return speckd.event_stub->SubscribeEvents(ctx, SpikesRequest(lease));
  });

  // Hold the stop watch at 0 while the events are queued, then let it run,
  // as sinabs does (reset, write, start).
  grpc::ClientContext stop_context;
  v1::SetStopWatchRequest stop;
  stop.set_device_id("speck2edevkit-sim:0");
  stop.set_lease_id(lease);
  stop.set_enable(false);
  stop.set_reset(true);
  v1::StopWatch watch;
  ASSERT_TRUE(
      speckd.device_stub->SetStopWatch(&stop_context, stop, &watch).ok());
  EXPECT_EQ(watch.epoch(), 1u);

  v1::WriteEventsResponse response;
  ASSERT_TRUE(speckd.WriteStream(lease, case_.inputs, 5000, &response).ok());
  EXPECT_EQ(response.accepted(), 25001u);

  const absl::Time start = absl::Now();
  grpc::ClientContext start_context;
  v1::SetStopWatchRequest run;
  run.set_device_id("speck2edevkit-sim:0");
  run.set_lease_id(lease);
  run.set_enable(true);
  ASSERT_TRUE(
      speckd.device_stub->SetStopWatch(&start_context, run, &watch).ok());

  ASSERT_TRUE(counts.WaitFor(
      [](const std::vector<v1::StreamMessage>& m) {
        return CountsByWindow(m).count(100) > 0;
      },
      absl::Seconds(30)));
  const absl::Duration took = absl::Now() - start;
  // Paced by the stop watch: the last window closes after ~5 s, not at once.
  EXPECT_GE(took, absl::Milliseconds(4900));
  ExpectTutorialWindows(CountsByWindow(counts.messages()));
  ASSERT_TRUE(spikes.WaitFor([](const std::vector<v1::StreamMessage>& m) {
    return SpikesIn(m) >= 25001;
  }));
  EXPECT_EQ(SpikesIn(spikes.messages()), 25001u);
}

}  // namespace
}  // namespace speckd::testing
