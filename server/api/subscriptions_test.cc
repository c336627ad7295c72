// The subscription hub over fake devices: shared internal graphs, LOSSLESS
// rules, limits, notices in order with the data, drops counted at the
// endpoint.
#include "server/api/subscriptions.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/speckd/v1/events.pb.h"
#include "server/devices/device_manager.h"
#include "server/devices/managed_device_fake.h"

namespace speckd::server::api {
namespace {

using ::testing::HasSubstr;

namespace v1 = ::speckd::v1;

// device_source -> endpoint: every output's spikes.
graph::GraphSpec SpikesSpec() {
  graph::GraphSpec spec;
  spec.nodes.resize(2);
  spec.nodes[0].name = "source";
  spec.nodes[0].kind = graph::NodeKind::kDeviceSource;
  spec.nodes[1].name = "endpoint";
  spec.nodes[1].kind = graph::NodeKind::kEndpoint;
  spec.edges = {{"source", "endpoint"}};
  return spec;
}

driver::DeviceOutput Spikes(int n, uint64_t t) {
  driver::DeviceOutput out;
  for (int i = 0; i < n; ++i) out.events.spikes.push_back({t, 0, 0, 0, 0});
  out.time_us = t;
  return out;
}

std::vector<v1::StreamMessage> Drain(Subscriber& subscriber) {
  std::vector<v1::StreamMessage> out;
  while (std::optional<Subscriber::Delivery> d = subscriber.Pop()) {
    v1::StreamMessage m;
    EXPECT_TRUE(m.ParseFromString(d->header + d->payload->bytes));
    out.push_back(m);
  }
  return out;
}

class SubscriptionHubTest : public ::testing::Test {
 protected:
  SubscriptionHubTest() : hub_(&devices_, driver::RealClock(), Limits()) {
    auto fake = std::make_unique<FakeManagedDevice>("speck2edevkit-sim:0");
    fake_ = fake.get();
    EXPECT_TRUE(devices_.AddManaged(std::move(fake)).ok());
    devices_.SetNoticeSink(&hub_);
  }
  ~SubscriptionHubTest() override { devices_.SetNoticeSink(nullptr); }

  static SubscriptionLimits Limits() {
    SubscriptionLimits limits;
    limits.max_subscriptions = 4;
    limits.max_lossless_per_device = 2;
    limits.max_queued_messages = 10;
    return limits;
  }

  absl::StatusOr<Subscription> Subscribe(const SubscribeOptions& options = {},
                                         const std::string& key = "spikes") {
    return hub_.Subscribe(fake_, key, SpikesSpec(), "endpoint", options);
  }

  DeviceManager devices_;
  SubscriptionHub hub_;
  FakeManagedDevice* fake_ = nullptr;
};

TEST_F(SubscriptionHubTest, IdenticalRequestsShareAGraphThatEndsWithTheLast) {
  absl::StatusOr<Subscription> a = Subscribe();
  absl::StatusOr<Subscription> b = Subscribe();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(hub_.internal_graphs(), 1u);
  EXPECT_EQ(fake_->ListGraphs(/*include_internal=*/true).size(), 1u);
  EXPECT_TRUE(fake_->ListGraphs(/*include_internal=*/false).empty());
  absl::StatusOr<Subscription> other = Subscribe({}, "other");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(hub_.internal_graphs(), 2u);

  fake_->Output(Spikes(3, 10));
  EXPECT_EQ(Drain(*a->subscriber).at(0).spikes().timestamp_us_size(), 3);
  EXPECT_EQ(Drain(*b->subscriber).at(0).spikes().timestamp_us_size(), 3);

  a->release();
  EXPECT_EQ(hub_.internal_graphs(), 2u);
  b->release();
  other->release();
  EXPECT_EQ(hub_.internal_graphs(), 0u);
  EXPECT_TRUE(fake_->ListGraphs(true).empty());
  EXPECT_EQ(hub_.subscriptions(), 0u);
}

TEST_F(SubscriptionHubTest, LosslessNeedsTheLeaseAndIsCappedPerDevice) {
  SubscribeOptions lossless;
  lossless.policy = OverflowPolicy::kLossless;
  absl::StatusOr<Subscription> refused = Subscribe(lossless);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("a LOSSLESS subscription can slow device "
                        "speck2edevkit-sim:0 down"));
  lossless.lease_id = fake_->AcquireLease("alice", absl::Seconds(10))->lease_id;
  absl::StatusOr<Subscription> one = Subscribe(lossless);
  absl::StatusOr<Subscription> two = Subscribe(lossless);
  ASSERT_TRUE(one.ok() && two.ok());
  absl::StatusOr<Subscription> three = Subscribe(lossless);
  EXPECT_EQ(three.status().code(), absl::StatusCode::kResourceExhausted);
  // The daemon's own consumers need no lease.
  SubscribeOptions exempt;
  exempt.policy = OverflowPolicy::kLossless;
  exempt.exempt_from_lease = true;
  one->release();
  EXPECT_TRUE(Subscribe(exempt).ok());
}

TEST_F(SubscriptionHubTest, SubscriptionsAndQueueSizesHaveServerLimits) {
  SubscribeOptions greedy;
  greedy.max_queued_messages = 1000000;
  greedy.max_queued_bytes = size_t{1} << 40;
  absl::StatusOr<Subscription> first = Subscribe(greedy);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->subscriber->options().max_messages, 10u);
  EXPECT_EQ(first->subscriber->options().max_bytes, size_t{64} << 20);
  std::vector<Subscription> more;
  for (int i = 0; i < 3; ++i) more.push_back(*Subscribe());
  absl::StatusOr<Subscription> over = Subscribe();
  EXPECT_EQ(over.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(over.status().message(), HasSubstr("4 subscriptions, at most 4"));
  first->release();
  EXPECT_TRUE(Subscribe().ok());
}

// Notices come from the device thread between its outputs, and reach every
// subscriber of the device in that order.
TEST_F(SubscriptionHubTest, NoticesArriveInOrderWithTheData) {
  absl::StatusOr<Subscription> sub = Subscribe();
  ASSERT_TRUE(sub.ok());
  fake_->Output(Spikes(1, 10));
  fake_->Notify({Notice::Kind::kStopWatchReset, "stop watch reset", 0});
  fake_->Notify(
      {Notice::Kind::kInputsDropped, "7 queued inputs were dropped", 7});
  fake_->Output(Spikes(2, 0));
  std::vector<v1::StreamMessage> got = Drain(*sub->subscriber);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_TRUE(got[0].has_spikes());
  EXPECT_EQ(got[1].notice().kind(), v1::StreamNotice::STOP_WATCH_RESET);
  EXPECT_EQ(got[2].notice().kind(), v1::StreamNotice::INPUTS_DROPPED);
  EXPECT_EQ(got[2].notice().dropped_inputs(), 7u);
  EXPECT_EQ(got[3].spikes().timestamp_us_size(), 2);
}

TEST_F(SubscriptionHubTest, WhatSubscribersLoseCountsAsTheEndpointsDrops) {
  SubscribeOptions small;
  small.max_queued_messages = 2;
  absl::StatusOr<Subscription> sub = Subscribe(small);
  ASSERT_TRUE(sub.ok());
  for (int i = 0; i < 5; ++i) fake_->Output(Spikes(10, i));
  std::vector<GraphInfo> graphs = fake_->ListGraphs(true);
  ASSERT_EQ(graphs.size(), 1u);
  EXPECT_EQ(graphs[0].counters[1].dropped, 30u);  // 3 messages of 10 spikes
  std::vector<v1::StreamMessage> got = Drain(*sub->subscriber);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].dropped_since_last(), 30u);
}

TEST_F(SubscriptionHubTest, EndingAGraphsStreamsClosesThemWithTheReason) {
  absl::StatusOr<Subscription> sub = Subscribe();
  ASSERT_TRUE(sub.ok());
  const std::string graph_id = fake_->ListGraphs(true).at(0).id;
  hub_.EndGraphStreams(graph_id, absl::NotFoundError("graph was deleted"));
  EXPECT_TRUE(sub->subscriber->closed());
  EXPECT_EQ(sub->subscriber->close_reason().code(),
            absl::StatusCode::kNotFound);
  sub->release();
}

}  // namespace
}  // namespace speckd::server::api
