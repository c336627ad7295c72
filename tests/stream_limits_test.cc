// What one client can do to everyone else, over a real loopback server: a
// timestamp far in the future, and a LOSSLESS subscriber that stops reading.
// Neither may end other subscribers' streams, grow memory without bound or
// stall the device.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>

#include "driver/util/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/bench/networks.h"
#include "tests/grpc/speckd_fixture.h"
#include "tests/grpc/stream_collector.h"

namespace speckd::testing {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

// This process's resident memory in MiB (server and clients both live here).
double RssMiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024;
  }
  return 0;
}

// Windows a counts stream covered: each window, and the empty ones it says
// came before it.
struct CountsSeen {
  uint64_t windows = 0;
  uint64_t spikes = 0;
  uint64_t largest_gap = 0;
  uint64_t dropped = 0;
};

CountsSeen SeenIn(const std::vector<v1::StreamMessage>& messages) {
  CountsSeen seen;
  for (const v1::StreamMessage& m : messages) {
    seen.dropped += m.dropped_since_last();
    for (const v1::SpikeCount& w : m.spike_counts().windows()) {
      seen.windows += 1 + w.empty_windows_before();
      seen.largest_gap = std::max(seen.largest_gap, w.empty_windows_before());
      for (uint64_t c : w.counts()) seen.spikes += c;
    }
  }
  return seen;
}

TEST(StreamLimitsTest, ATimestamp1000SecondsAheadCostsOneMessage) {
  SpeckdFixture speckd;
  const std::string lease = speckd.AcquireLease();
  ASSERT_TRUE(speckd.ApplyConfig(bench::TutorialNetwork(), lease).ok());

  // Every subscriber uses gRPC's default 4 MiB message limit, as most
  // clients (and every browser) do.
  std::shared_ptr<grpc::Channel> channel = speckd.NewDefaultChannel();
  auto stub = v1::EventService::NewStub(channel);
  v1::SubscribeSpikeCountsRequest counts_request;
  counts_request.set_interval_ms(1);
  counts_request.set_feature_count(2);
  StreamCollector<v1::StreamMessage> counts([&](grpc::ClientContext* ctx) {
    return stub->SubscribeSpikeCounts(ctx, counts_request);
  });
  v1::SubscribeActivityRequest frames_request;
  frames_request.set_layer(0);
  frames_request.set_frame_interval_ms(1);
  StreamCollector<v1::StreamMessage> frames([&](grpc::ClientContext* ctx) {
    return stub->SubscribeActivity(ctx, frames_request);
  });
  StreamCollector<v1::StreamMessage> spikes([&](grpc::ClientContext* ctx) {
    return stub->SubscribeEvents(ctx, v1::SubscribeEventsRequest());
  });
  ASSERT_TRUE(speckd.server().WaitForOpenStreams(3, absl::Seconds(10)));
  const double rss_before = RssMiB();

  // 1000 spikes in the first millisecond, then one 1000 s later.
  std::vector<chip::InputEvent> events = bench::TutorialInput(1000);
  chip::InputEvent late = events.back();
  late.timestamp_us = 1000000000;
  events.push_back(late);
  v1::WriteEventsResponse response;
  ASSERT_TRUE(speckd.WriteBatch(lease, events, true, &response).ok());
  speckd.WaitIdle();

  // Windows [0, 1 ms) and [1000 s, 1000.001 s), and the gap between them.
  ASSERT_TRUE(counts.WaitFor([](const std::vector<v1::StreamMessage>& m) {
    return SeenIn(m).spikes >= 1001;
  }));
  const CountsSeen seen = SeenIn(counts.messages());
  EXPECT_EQ(seen.spikes, 1001u);
  EXPECT_EQ(seen.windows, 1000001u);
  EXPECT_EQ(seen.largest_gap, 999998u);  // and one empty window itself
  EXPECT_EQ(seen.dropped, 0u);           // empty windows are not drops
  EXPECT_LE(counts.messages().size(), 4u);

  ASSERT_TRUE(spikes.WaitFor([](const std::vector<v1::StreamMessage>& m) {
    return SpikesIn(m) >= 1001;
  }));
  ASSERT_TRUE(frames.WaitFor([](const std::vector<v1::StreamMessage>& m) {
    for (const v1::StreamMessage& message : m) {
      if (message.activity_frame().empty_windows_before() >= 999998) {
        return true;
      }
    }
    return false;
  }));
  // Nobody's stream ended: the big gap fit the smallest client limit.
  EXPECT_FALSE(counts.WaitForEnd(absl::ZeroDuration()).has_value());
  EXPECT_FALSE(frames.WaitForEnd(absl::ZeroDuration()).has_value());
  EXPECT_FALSE(spikes.WaitForEnd(absl::ZeroDuration()).has_value());
  // A million windows of two counts would be ~20 MB of messages (the old
  // daemon grew by ~240 MB); the allocator's own bookkeeping under a
  // sanitizer makes RSS meaningless there.
  if (kSanitized) {
    std::printf("RSS bound not checked under a sanitizer (%.0f -> %.0f MiB)\n",
                rss_before, RssMiB());
  } else {
    EXPECT_LT(RssMiB() - rss_before, 16.0);
  }
}

// A LOSSLESS subscription whose client reads nothing until told to.
class PausedReader final : public grpc::ClientReadReactor<v1::StreamMessage> {
 public:
  PausedReader(v1::EventService::Stub* stub,
               const v1::SubscribeEventsRequest& request)
      : request_(request) {
    stub->async()->SubscribeEvents(&context_, &request_, this);
    StartCall();
  }
  void Resume() { StartRead(&message_); }
  void OnReadDone(bool ok) override {
    if (ok) StartRead(&message_);
  }
  void OnDone(const grpc::Status& status) override {
    status_ = status;
    done_.Notify();
  }
  // The stream's status, or nullopt if it did not end in time.
  std::optional<grpc::Status> WaitDone(absl::Duration timeout) {
    if (!done_.WaitForNotificationWithTimeout(timeout)) return std::nullopt;
    return status_;
  }
  ~PausedReader() {
    context_.TryCancel();
    done_.WaitForNotification();
  }

 private:
  v1::SubscribeEventsRequest request_;
  grpc::ClientContext context_;
  v1::StreamMessage message_;
  grpc::Status status_;  // written before done_ is notified
  Notification done_;
};

TEST(StreamLimitsTest, ALosslessReaderThatStopsIsEndedNotTheDevice) {
  SpeckdFixture speckd;
  const std::string lease = speckd.AcquireLease();
  ASSERT_TRUE(speckd.ApplyConfig(bench::TutorialNetwork(), lease).ok());

  v1::SubscribeEventsRequest lossless;
  lossless.set_device_id("speck2edevkit-sim:0");
  lossless.mutable_options()->set_overflow_policy(v1::LOSSLESS);
  lossless.mutable_options()->set_lease_id(lease);
  lossless.mutable_options()->set_max_queued_messages(4);
  PausedReader paused(speckd.event_stub.get(), lossless);
  lossless.mutable_options()->clear_max_queued_messages();
  StreamCollector<v1::StreamMessage> reading([&](grpc::ClientContext* ctx) {
    return speckd.event_stub->SubscribeEvents(ctx, lossless);
  });
  ASSERT_TRUE(speckd.server().WaitForOpenStreams(2, absl::Seconds(10)));

  // 2 M spikes, far beyond the paused reader's queue and transport window.
  v1::WriteEventsResponse response;
  ASSERT_TRUE(
      speckd.WriteStream(lease, bench::TutorialInput(2000000), 50000, &response)
          .ok());
  const v1::Device idle = speckd.WaitIdle(absl::Seconds(60));
  EXPECT_EQ(idle.events_out(), 2000000u);

  // The reader that kept up lost nothing.
  ASSERT_TRUE(reading.WaitFor(
      [](const std::vector<v1::StreamMessage>& m) {
        return SpikesIn(m) >= 2000000;
      },
      absl::Seconds(60)));
  EXPECT_EQ(SpikesIn(reading.messages()), 2000000u);
  for (const v1::StreamMessage& m : reading.messages()) {
    EXPECT_EQ(m.dropped_since_last(), 0u);
  }

  // The paused one learns why, once it reads again, and is counted.
  paused.Resume();
  std::optional<grpc::Status> end = paused.WaitDone(absl::Seconds(30));
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(end->error_message(), ::testing::HasSubstr("read too slowly"));
  ASSERT_TRUE(speckd.server().WaitForOpenStreams(1, absl::Seconds(10)));
  EXPECT_EQ(speckd.WaitIdle().stalled_subscribers_ended(), 1u);
  EXPECT_EQ(speckd.Health(), "SERVING");
}

}  // namespace
}  // namespace speckd::testing
