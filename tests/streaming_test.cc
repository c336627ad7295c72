// Streams under stress, over a real loopback server: a subscriber that never
// reads stays within its cap while another receives everything; clients that
// cancel or vanish leave nothing behind; shutdown ends streams with a status;
// the other subscription kinds deliver what they promise.
#include <grpcpp/generic/generic_stub.h>

#include "driver/util/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/bench/networks.h"
#include "tests/grpc/speckd_fixture.h"
#include "tests/grpc/stream_collector.h"

namespace speckd::testing {
namespace {

// A subscription whose client never reads: opened, then left alone.
class StalledReader final : public grpc::ClientReadReactor<v1::StreamMessage> {
 public:
  StalledReader(v1::EventService::Stub* stub,
                const v1::SubscribeEventsRequest& request)
      : request_(request) {
    stub->async()->SubscribeEvents(&context_, &request_, this);
    StartCall();  // and never StartRead
  }
  void OnDone(const grpc::Status&) override { done_.Notify(); }
  void Cancel() { context_.TryCancel(); }
  bool WaitDone() {
    return done_.WaitForNotificationWithTimeout(absl::Seconds(10));
  }

 private:
  v1::SubscribeEventsRequest request_;
  grpc::ClientContext context_;
  Notification done_;
};

std::vector<chip::InputEvent> TutorialRepeated(size_t n) {
  return bench::TutorialInput(n);  // one output spike per input
}

TEST(StreamingTest, StalledSubscriberStaysUnderItsCapAndOthersGetEverything) {
  SpeckdFixture speckd;
  const std::string lease = speckd.AcquireLease();
  ASSERT_TRUE(speckd.ApplyConfig(bench::TutorialNetwork(), lease).ok());

  v1::SubscribeEventsRequest stalled_request;
  stalled_request.set_device_id("speck2edevkit-sim:0");
  stalled_request.mutable_options()->set_max_queued_messages(8);
  stalled_request.mutable_options()->set_max_queued_bytes(1 << 20);
  StalledReader stalled(speckd.event_stub.get(), stalled_request);

  v1::SubscribeEventsRequest active_request;
  active_request.set_device_id("speck2edevkit-sim:0");
  active_request.mutable_options()->set_overflow_policy(v1::LOSSLESS);
  active_request.mutable_options()->set_lease_id(lease);
  StreamCollector<v1::StreamMessage> active([&](grpc::ClientContext* ctx) {
    return speckd.event_stub->SubscribeEvents(ctx, active_request);
  });
  ASSERT_TRUE(speckd.server().WaitForOpenStreams(2, absl::Seconds(10)));

  // 2 M spikes (about 14 MB on the wire): far beyond the stalled client's
  // transport window and its 8-message queue.
  const std::vector<chip::InputEvent> events = TutorialRepeated(2000000);
  v1::WriteEventsResponse response;
  ASSERT_TRUE(speckd.WriteStream(lease, events, 50000, &response).ok());
  ASSERT_TRUE(active.WaitFor(
      [](const std::vector<v1::StreamMessage>& m) {
        return SpikesIn(m) >= 2000000;
      },
      absl::Seconds(60)));
  EXPECT_EQ(SpikesIn(active.messages()), 2000000u);
  for (const v1::StreamMessage& m : active.messages()) {
    EXPECT_EQ(m.dropped_since_last(), 0u);
  }

  // The stalled subscriber: bounded queue, drops counted.
  uint64_t dropped = 0;
  for (const server::SubscriberStats& s : speckd.server().StreamStats()) {
    EXPECT_LE(s.queued_bytes, size_t{16} << 20);
    if (s.delivered_items < 2000000) {
      EXPECT_LE(s.queued_messages, 8u);
      EXPECT_LE(s.queued_bytes, size_t{1} << 20);
      dropped = s.dropped_items;
    }
  }
  EXPECT_GT(dropped, 0u);
  stalled.Cancel();
  EXPECT_TRUE(stalled.WaitDone());
}

TEST(StreamingTest, CancelledAndVanishedClientsLeaveNoStreamsOrGraphs) {
  SpeckdFixture speckd;
  const std::string lease = speckd.AcquireLease();
  ASSERT_TRUE(speckd.ApplyConfig(bench::TutorialNetwork(), lease).ok());
  for (int round = 0; round < 30; ++round) {
    {
      // Cancelled mid-stream.
      v1::SubscribeSpikeCountsRequest request;
      request.set_interval_ms(10 + round);
      request.set_feature_count(2);
      StreamCollector<v1::StreamMessage> counts([&](grpc::ClientContext* ctx) {
        return speckd.event_stub->SubscribeSpikeCounts(ctx, request);
      });
      v1::SubscribeEventsRequest events_request;
      StreamCollector<v1::StreamMessage> spikes([&](grpc::ClientContext* ctx) {
        return speckd.event_stub->SubscribeEvents(ctx, events_request);
      });
      v1::WriteEventsResponse response;
      ASSERT_TRUE(
          speckd.WriteBatch(lease, bench::TutorialInput(1000), true, &response)
              .ok());
      counts.Cancel();
      spikes.Cancel();
    }
    {
      // Vanished: the client's connection goes away without a cancel.
      std::shared_ptr<grpc::Channel> channel = speckd.NewChannel();
      auto stub = v1::EventService::NewStub(channel);
      auto reader = std::make_unique<StalledReader>(
          stub.get(), v1::SubscribeEventsRequest());
      ASSERT_TRUE(speckd.server().WaitForOpenStreams(1, absl::Seconds(10)));
      stub.reset();
      channel.reset();
      reader->Cancel();
      EXPECT_TRUE(reader->WaitDone());
    }
  }
  EXPECT_TRUE(speckd.server().WaitForOpenStreams(0, absl::Seconds(10)));
  EXPECT_EQ(speckd.server().subscription_graphs(), 0u);
  EXPECT_EQ(speckd.Health(), "SERVING");
}

TEST(StreamingTest, ShutdownEndsStreamsWithUnavailableInsteadOfHanging) {
  auto speckd = std::make_unique<SpeckdFixture>();
  v1::SubscribePowerRequest request;
  StreamCollector<v1::StreamMessage> power([&](grpc::ClientContext* ctx) {
    return speckd->event_stub->SubscribePower(ctx, request);
  });
  const absl::Time start = absl::Now();
  speckd->server().Shutdown(absl::Seconds(20));
  std::optional<grpc::Status> end = power.WaitForEnd(absl::Seconds(10));
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(end->error_message(), ::testing::HasSubstr("shutting down"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  // The last message says why, before the status does.
  std::vector<v1::StreamMessage> messages = power.messages();
  ASSERT_FALSE(messages.empty());
  EXPECT_EQ(messages.back().notice().kind(), v1::StreamNotice::SHUTTING_DOWN);
}

bool HasNotice(const std::vector<v1::StreamMessage>& messages,
               v1::StreamNotice::Kind kind) {
  for (const v1::StreamMessage& m : messages) {
    if (m.has_notice() && m.notice().kind() == kind) return true;
  }
  return false;
}

TEST(StreamingTest, SubscribersHearOfReconfigurationAndStopWatchReset) {
  SpeckdFixture speckd;
  const std::string lease = speckd.AcquireLease();
  ASSERT_TRUE(speckd.ApplyConfig(bench::TutorialNetwork(), lease).ok());
  v1::SubscribeEventsRequest spikes_request;
  StreamCollector<v1::StreamMessage> spikes([&](grpc::ClientContext* ctx) {
    return speckd.event_stub->SubscribeEvents(ctx, spikes_request);
  });
  v1::SubscribeSpikeCountsRequest counts_request;
  counts_request.set_interval_ms(50);
  counts_request.set_feature_count(2);
  StreamCollector<v1::StreamMessage> counts([&](grpc::ClientContext* ctx) {
    return speckd.event_stub->SubscribeSpikeCounts(ctx, counts_request);
  });
  ASSERT_TRUE(speckd.server().WaitForOpenStreams(2, absl::Seconds(10)));

  ASSERT_TRUE(speckd.ApplyConfig(bench::TutorialNetwork(), lease).ok());
  for (auto* stream : {&spikes, &counts}) {
    EXPECT_TRUE(stream->WaitFor(
        [](const std::vector<v1::StreamMessage>& m) {
          return HasNotice(m, v1::StreamNotice::DEVICE_RECONFIGURED);
        },
        absl::Seconds(10)));
  }

  grpc::ClientContext context;
  v1::SetStopWatchRequest reset;
  reset.set_device_id("speck2edevkit-sim:0");
  reset.set_lease_id(lease);
  reset.set_reset(true);
  v1::StopWatch stop_watch;
  ASSERT_TRUE(
      speckd.device_stub->SetStopWatch(&context, reset, &stop_watch).ok());
  EXPECT_TRUE(spikes.WaitFor(
      [](const std::vector<v1::StreamMessage>& m) {
        return HasNotice(m, v1::StreamNotice::STOP_WATCH_RESET);
      },
      absl::Seconds(10)));
  // Notices are messages like any other: numbered in order, nothing dropped.
  std::vector<v1::StreamMessage> messages = spikes.messages();
  for (size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ(messages[i].sequence(), i + 1);
    EXPECT_EQ(messages[i].dropped_since_last(), 0u);
  }
}

TEST(StreamingTest, DeviceInfoCountsTheWorkDone) {
  SpeckdFixture speckd;
  const std::string lease = speckd.AcquireLease();
  ASSERT_TRUE(speckd.ApplyConfig(bench::TutorialNetwork(), lease).ok());
  v1::WriteEventsResponse response;
  ASSERT_TRUE(
      speckd.WriteBatch(lease, bench::TutorialInput(1000), true, &response)
          .ok());
  // Accepted is not processed: wait until the device has done the work.
  const v1::Device device = speckd.WaitIdle();
  EXPECT_EQ(device.events_in(), 1000u);
  EXPECT_EQ(device.events_out(), 1000u);  // one spike per tutorial input
  EXPECT_EQ(device.queued_inputs(), 0u);  // flushed
  // Each tutorial input reaches 16x16 synapses of one of two features.
  EXPECT_GE(device.synops(), 1000u);
  EXPECT_EQ(device.cascade_overflow(), 0u);
}

TEST(StreamingTest, ActivityFramesOfTheDvsLayerAndPowerMeasurements) {
  SpeckdFixture speckd;
  const std::string lease = speckd.AcquireLease();
  chip::SpeckConfig config = bench::TutorialNetwork();
  config.dvs_layer.merge = true;
  config.dvs_layer.cut = {15, 15};
  config.dvs_layer.monitor_enable = true;
  config.dvs_layer.destinations = {{0, true, 1, 0}};
  ASSERT_TRUE(speckd.ApplyConfig(config, lease).ok());

  grpc::ClientContext power_context;
  v1::SetPowerMonitorRequest rate;
  rate.set_device_id("speck2edevkit-sim:0");
  rate.set_lease_id(lease);
  rate.set_rate_hz(20);
  v1::SetPowerMonitorResponse rate_response;
  ASSERT_TRUE(
      speckd.device_stub->SetPowerMonitor(&power_context, rate, &rate_response)
          .ok());

  v1::SubscribeActivityRequest activity_request;
  activity_request.set_layer(13);
  activity_request.set_frame_interval_ms(100);
  StreamCollector<v1::StreamMessage> frames([&](grpc::ClientContext* ctx) {
    return speckd.event_stub->SubscribeActivity(ctx, activity_request);
  });
  StreamCollector<v1::StreamMessage> power([&](grpc::ClientContext* ctx) {
    return speckd.event_stub->SubscribePower(ctx, v1::SubscribePowerRequest());
  });

  // 1 s of DVS events at pixel (3, 4), 1 per ms.
  std::vector<chip::InputEvent> events;
  for (uint64_t t = 0; t < 1000000; t += 1000) {
    events.push_back(chip::InputEvent::FromDvs({t, 3, 4, true}));
  }
  v1::WriteEventsResponse response;
  ASSERT_TRUE(speckd.WriteBatch(lease, events, true, &response).ok());

  ASSERT_TRUE(frames.WaitFor(
      [](const std::vector<v1::StreamMessage>& m) { return m.size() >= 10; }));

  const std::vector<v1::StreamMessage> frame_messages = frames.messages();
  const v1::ActivityFrame& frame = frame_messages[0].activity_frame();
  EXPECT_EQ(frame.layer(), 13u);
  EXPECT_EQ(frame.width(), 16u);
  EXPECT_EQ(frame.height(), 16u);
  EXPECT_EQ(frame.total(), 100u);
  EXPECT_EQ(frame.counts(4 * 16 + 3), 100u);

  ASSERT_TRUE(power.WaitFor([](const std::vector<v1::StreamMessage>& m) {
    size_t n = 0;
    for (const auto& message : m)
      n += message.measurements().timestamp_us_size();
    return n >= 5 * 19;
  }));
  const std::vector<v1::StreamMessage> measurements = power.messages();
  const v1::MeasurementBatch& first = measurements[0].measurements();
  EXPECT_EQ(first.channel(0), v1::VDD_IO);
  EXPECT_GT(first.value(0), 0.0);
}

// With DVS pooling 2 and mirror.x the DVS layer's x runs 64..127 for the
// default cut: the heatmap must be wide enough to hold every event (it once
// was 64 wide and dropped all of them).
TEST(StreamingTest, HeatmapOfAPooledMirroredDvsLayerHoldsEveryEvent) {
  SpeckdFixture speckd;
  const std::string lease = speckd.AcquireLease();
  chip::SpeckConfig config = bench::TutorialNetwork();
  config.dvs_layer.pooling = {2, 2};
  config.dvs_layer.mirror.x = true;
  config.dvs_layer.monitor_enable = true;
  ASSERT_TRUE(speckd.ApplyConfig(config, lease).ok());
  v1::SubscribeActivityRequest request;
  request.set_layer(13);
  request.set_frame_interval_ms(10);
  StreamCollector<v1::StreamMessage> frames([&](grpc::ClientContext* ctx) {
    return speckd.event_stub->SubscribeActivity(ctx, request);
  });

  std::vector<chip::InputEvent> events;
  for (uint64_t i = 0; i < 300; ++i) {
    const uint8_t x = static_cast<uint8_t>((i * 37) % 128);
    const uint8_t y = static_cast<uint8_t>((i * 11) % 128);
    events.push_back(chip::InputEvent::FromDvs({i * 10, x, y, i % 2 == 0}));
  }
  events.push_back(chip::InputEvent::FromDvs({20000, 0, 0, true}));  // closes
  v1::WriteEventsResponse response;
  ASSERT_TRUE(speckd.WriteBatch(lease, events, true, &response).ok());
  ASSERT_TRUE(frames.WaitFor([](const std::vector<v1::StreamMessage>& m) {
    return !m.empty() && m[0].has_activity_frame();
  }));
  const v1::ActivityFrame frame = frames.messages()[0].activity_frame();
  EXPECT_EQ(frame.width(), 128u);
  EXPECT_EQ(frame.height(), 64u);
  EXPECT_EQ(frame.total(), 300u);
  uint64_t sum = 0;
  for (uint32_t c : frame.counts()) sum += c;
  EXPECT_EQ(sum, 300u);
}

TEST(StreamingTest, WatchDevicesSendsTheListThenChanges) {
  SpeckdFixture speckd;
  StreamCollector<v1::DeviceChange> changes([&](grpc::ClientContext* ctx) {
    return speckd.device_stub->WatchDevices(ctx, v1::WatchDevicesRequest());
  });
  ASSERT_TRUE(changes.WaitFor(
      [](const std::vector<v1::DeviceChange>& m) { return !m.empty(); }));
  const v1::DeviceChange first = changes.messages()[0];
  EXPECT_EQ(first.kind(), v1::DeviceChange::ADDED);
  EXPECT_EQ(first.device().id(), "speck2edevkit-sim:0");
  EXPECT_EQ(first.sequence(), 1u);
  speckd.AcquireLease("watcher-test");
  ASSERT_TRUE(changes.WaitFor([](const std::vector<v1::DeviceChange>& m) {
    for (const auto& c : m) {
      if (c.device().lease().holder() == "watcher-test") return true;
    }
    return false;
  }));
}

}  // namespace
}  // namespace speckd::testing
