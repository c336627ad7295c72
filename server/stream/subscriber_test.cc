#include "server/stream/subscriber.h"

#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "driver/util/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/speckd/v1/events.pb.h"

namespace speckd::server {
namespace {

using ::speckd::v1::StreamMessage;

// Generous bound for waits that must succeed; only reached on failure.
constexpr absl::Duration kLongWait = absl::Seconds(10);
// How long a producer that should be blocked is given to (wrongly) return.
constexpr absl::Duration kBlockedWait = absl::Milliseconds(100);

// A payload as the executor builds it: a StreamMessage with only `spikes`.
PayloadPtr SpikePayload(int spikes) {
  StreamMessage message;
  v1::SpikeBatch* batch = message.mutable_spikes();
  for (int i = 0; i < spikes; ++i) {
    batch->add_timestamp_us(static_cast<uint64_t>(1000 + i));
    batch->add_layer(1);
    batch->add_feature(static_cast<uint32_t>(i % 4));
    batch->add_x(static_cast<uint32_t>(i));
    batch->add_y(2);
  }
  auto payload = std::make_shared<Payload>();
  payload->bytes = message.SerializeAsString();
  payload->items = static_cast<uint64_t>(spikes);
  return payload;
}

// A payload of exactly `size` bytes (contents irrelevant to the queue).
PayloadPtr SizedPayload(size_t size, uint64_t items = 1) {
  auto payload = std::make_shared<Payload>();
  payload->bytes.assign(size, 'x');
  payload->items = items;
  return payload;
}

StreamMessage Parse(const Subscriber::Delivery& delivery) {
  StreamMessage message;
  EXPECT_TRUE(
      message.ParseFromString(delivery.header + delivery.payload->bytes));
  return message;
}

SubscriberOptions Options(OverflowPolicy policy, size_t max_messages,
                          size_t max_bytes = size_t{16} << 20) {
  SubscriberOptions options;
  options.policy = policy;
  options.max_messages = max_messages;
  options.max_bytes = max_bytes;
  return options;
}

TEST(EncodeHeaderTest, WritesVarintFieldsAndOmitsZeroDropped) {
  EXPECT_EQ(Subscriber::EncodeHeader(1, 0), std::string("\x08\x01", 2));
  EXPECT_EQ(Subscriber::EncodeHeader(300, 5),
            std::string("\x08\xac\x02\x10\x05", 5));

  const uint64_t max = std::numeric_limits<uint64_t>::max();
  StreamMessage message;
  ASSERT_TRUE(message.ParseFromString(Subscriber::EncodeHeader(max, max)));
  EXPECT_EQ(message.sequence(), max);
  EXPECT_EQ(message.dropped_since_last(), max);
}

TEST(SubscriberTest, HeaderPlusPayloadParsesAsStreamMessage) {
  Subscriber sub(SubscriberOptions{});
  ASSERT_TRUE(sub.Push(SpikePayload(3)));
  sub.AddDropped(4);
  ASSERT_TRUE(sub.Push(SpikePayload(2)));

  std::optional<Subscriber::Delivery> first = sub.Pop();
  ASSERT_TRUE(first.has_value());
  StreamMessage message = Parse(*first);
  EXPECT_EQ(message.sequence(), 1u);
  EXPECT_EQ(message.dropped_since_last(), 4u);
  ASSERT_EQ(message.payload_case(), StreamMessage::kSpikes);
  EXPECT_THAT(message.spikes().timestamp_us(),
              ::testing::ElementsAre(1000u, 1001u, 1002u));
  EXPECT_THAT(message.spikes().x(), ::testing::ElementsAre(0u, 1u, 2u));
  EXPECT_EQ(first->sequence, 1u);
  EXPECT_EQ(first->dropped_since_last, 4u);

  std::optional<Subscriber::Delivery> second = sub.Pop();
  ASSERT_TRUE(second.has_value());
  message = Parse(*second);
  EXPECT_EQ(message.sequence(), 2u);
  EXPECT_EQ(message.dropped_since_last(), 0u);
  EXPECT_EQ(message.spikes().timestamp_us_size(), 2);
}

TEST(SubscriberTest, SequencesArePerSubscriberAndPayloadsAreShared) {
  Subscriber a(SubscriberOptions{});
  Subscriber b(SubscriberOptions{});
  std::vector<PayloadPtr> payloads = {SpikePayload(1), SpikePayload(2),
                                      SpikePayload(3)};
  for (const PayloadPtr& p : payloads) ASSERT_TRUE(a.Push(p));
  // b subscribed later: it misses the first payload but still starts at 1.
  ASSERT_TRUE(b.Push(payloads[1]));
  ASSERT_TRUE(b.Push(payloads[2]));

  for (uint64_t i = 0; i < 3; ++i) {
    std::optional<Subscriber::Delivery> d = a.Pop();
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->sequence, i + 1);
    EXPECT_EQ(Parse(*d).sequence(), i + 1);
    EXPECT_EQ(d->payload.get(), payloads[i].get());
  }
  for (uint64_t i = 0; i < 2; ++i) {
    std::optional<Subscriber::Delivery> d = b.Pop();
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->sequence, i + 1);
    EXPECT_EQ(Parse(*d).sequence(), i + 1);
    EXPECT_EQ(d->payload.get(), payloads[i + 1].get());
  }
  EXPECT_FALSE(a.Pop().has_value());
  EXPECT_FALSE(b.Pop().has_value());
}

TEST(SubscriberTest, DropOldestKeepsNewestAndCountsDroppedItems) {
  Subscriber sub(Options(OverflowPolicy::kDropOldest, 4));
  std::vector<PayloadPtr> payloads;
  uint64_t dropped_items = 0;
  for (int i = 1; i <= 10; ++i) {
    payloads.push_back(SpikePayload(i));  // i items, to tell them apart
    ASSERT_TRUE(sub.Push(payloads.back()));
    EXPECT_LE(sub.stats().queued_messages, 4u) << "after push " << i;
    if (i <= 6) dropped_items += static_cast<uint64_t>(i);
  }
  EXPECT_EQ(sub.stats().dropped_items, dropped_items);  // 1 + ... + 6 = 21

  std::vector<Subscriber::Delivery> deliveries;
  while (std::optional<Subscriber::Delivery> d = sub.Pop()) {
    deliveries.push_back(*std::move(d));
  }
  ASSERT_EQ(deliveries.size(), 4u);
  for (size_t i = 0; i < deliveries.size(); ++i) {
    StreamMessage message = Parse(deliveries[i]);
    EXPECT_EQ(message.sequence(), i + 1);
    EXPECT_EQ(message.dropped_since_last(), i == 0 ? dropped_items : 0u);
    EXPECT_EQ(deliveries[i].payload.get(), payloads[6 + i].get());
  }

  SubscriberStats stats = sub.stats();
  EXPECT_EQ(stats.delivered_messages, 4u);
  EXPECT_EQ(stats.delivered_items, 7u + 8u + 9u + 10u);
  EXPECT_EQ(stats.dropped_items, 21u);
  EXPECT_EQ(stats.queued_messages, 0u);
  EXPECT_EQ(stats.queued_bytes, 0u);
}

TEST(SubscriberTest, DropOldestHonorsByteCap) {
  constexpr size_t kSize = 100;
  constexpr size_t kCap = 3 * kSize + kSize / 2;  // room for three
  Subscriber sub(Options(OverflowPolicy::kDropOldest, 1000, kCap));
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(sub.Push(SizedPayload(kSize, 2)));
    EXPECT_LE(sub.stats().queued_bytes, kCap) << "after push " << i;
  }
  SubscriberStats stats = sub.stats();
  EXPECT_EQ(stats.queued_messages, 3u);
  EXPECT_EQ(stats.queued_bytes, 3 * kSize);
  EXPECT_EQ(stats.dropped_items, 5u * 2u);
}

TEST(SubscriberTest, DropOldestAcceptsOversizedMessageAlone) {
  Subscriber sub(Options(OverflowPolicy::kDropOldest, 10, 50));
  ASSERT_TRUE(sub.Push(SizedPayload(20, 1)));
  ASSERT_TRUE(sub.Push(SizedPayload(20, 1)));
  PayloadPtr big = SizedPayload(80, 3);
  ASSERT_TRUE(sub.Push(big));
  // The big one evicts everything older but is itself kept.
  SubscriberStats stats = sub.stats();
  EXPECT_EQ(stats.queued_messages, 1u);
  EXPECT_EQ(stats.queued_bytes, 80u);
  EXPECT_EQ(stats.dropped_items, 2u);

  std::optional<Subscriber::Delivery> d = sub.Pop();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->payload.get(), big.get());
  EXPECT_EQ(d->dropped_since_last, 2u);
}

TEST(SubscriberTest, LosslessProducerBlocksUntilPop) {
  Subscriber sub(Options(OverflowPolicy::kLossless, 2));
  std::vector<PayloadPtr> payloads = {SpikePayload(1), SpikePayload(2),
                                      SpikePayload(3)};
  ASSERT_TRUE(sub.Push(payloads[0]));
  ASSERT_TRUE(sub.Push(payloads[1]));
  ASSERT_EQ(sub.stats().queued_messages, 2u);

  Notification started;
  Notification returned;
  std::atomic<bool> result{false};
  std::thread producer([&] {
    started.Notify();
    result = sub.Push(payloads[2]);
    returned.Notify();
  });
  started.WaitForNotification();
  // Blocked, not dropped: the queue stays full and Push does not return.
  EXPECT_FALSE(returned.WaitForNotificationWithTimeout(kBlockedWait));
  EXPECT_EQ(sub.stats().queued_messages, 2u);

  std::optional<Subscriber::Delivery> d = sub.Pop();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->payload.get(), payloads[0].get());
  EXPECT_TRUE(returned.WaitForNotificationWithTimeout(kLongWait));
  producer.join();
  EXPECT_TRUE(result);

  for (size_t i = 1; i < 3; ++i) {
    d = sub.Pop();
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->payload.get(), payloads[i].get());
    EXPECT_EQ(d->dropped_since_last, 0u);
  }
  EXPECT_EQ(sub.stats().dropped_items, 0u);
}

TEST(SubscriberTest, LosslessCloseUnblocksProducer) {
  Subscriber sub(Options(OverflowPolicy::kLossless, 1));
  ASSERT_TRUE(sub.Push(SpikePayload(1)));

  Notification started;
  Notification returned;
  std::atomic<bool> result{true};
  std::thread producer([&] {
    started.Notify();
    result = sub.Push(SpikePayload(2));
    returned.Notify();
  });
  started.WaitForNotification();
  EXPECT_FALSE(returned.WaitForNotificationWithTimeout(kBlockedWait));

  sub.Close();
  EXPECT_TRUE(returned.WaitForNotificationWithTimeout(kLongWait));
  producer.join();
  EXPECT_FALSE(result);
  EXPECT_TRUE(sub.closed());
  EXPECT_FALSE(sub.Push(SpikePayload(3)));
  EXPECT_EQ(sub.stats().queued_messages, 1u);
}

TEST(SubscriberTest, LosslessDeadlineDropsAndCounts) {
  Subscriber sub(Options(OverflowPolicy::kLossless, 1));
  PayloadPtr kept = SpikePayload(1);
  ASSERT_TRUE(sub.Push(kept));

  const absl::Duration timeout = absl::Milliseconds(20);
  const absl::Time start = absl::Now();
  EXPECT_TRUE(sub.Push(SpikePayload(5), start + timeout));
  EXPECT_GE(absl::Now() - start, timeout);  // it waited for room first
  // An expired deadline drops at once.
  EXPECT_TRUE(sub.Push(SpikePayload(2), absl::InfinitePast()));

  SubscriberStats stats = sub.stats();
  EXPECT_EQ(stats.queued_messages, 1u);
  EXPECT_EQ(stats.dropped_items, 7u);

  std::optional<Subscriber::Delivery> d = sub.Pop();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->payload.get(), kept.get());
  EXPECT_EQ(Parse(*d).dropped_since_last(), 7u);
  // With room again, even an expired deadline queues.
  EXPECT_TRUE(sub.Push(SpikePayload(1), absl::InfinitePast()));
  EXPECT_EQ(sub.stats().queued_messages, 1u);
}

TEST(SubscriberTest, LosslessHonorsByteCapButAcceptsOversizedAlone) {
  Subscriber sub(Options(OverflowPolicy::kLossless, 100, 50));
  ASSERT_TRUE(sub.Push(SizedPayload(30), absl::InfinitePast()));
  // 30 + 30 > 50: no room, dropped at the (expired) deadline.
  EXPECT_TRUE(sub.Push(SizedPayload(30, 4), absl::InfinitePast()));
  EXPECT_EQ(sub.stats().queued_bytes, 30u);
  EXPECT_EQ(sub.stats().dropped_items, 4u);

  ASSERT_TRUE(sub.Pop().has_value());
  // Larger than the cap, but the queue is empty: accepted without blocking.
  EXPECT_TRUE(sub.Push(SizedPayload(80), absl::InfinitePast()));
  EXPECT_EQ(sub.stats().queued_bytes, 80u);
  EXPECT_EQ(sub.stats().dropped_items, 4u);
}

TEST(SubscriberTest, ReadyCallbackFiresWhenQueueBecomesNonEmpty) {
  Subscriber sub(SubscriberOptions{});
  int calls = 0;
  size_t queued_in_callback = 0;
  sub.SetReadyCallback([&] {
    ++calls;
    // Would deadlock if the callback ran under the queue's lock.
    queued_in_callback = sub.stats().queued_messages;
  });

  ASSERT_TRUE(sub.Push(SpikePayload(1)));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(queued_in_callback, 1u);
  ASSERT_TRUE(sub.Push(SpikePayload(1)));
  ASSERT_TRUE(sub.Push(SpikePayload(1)));
  EXPECT_EQ(calls, 1);

  while (sub.Pop().has_value()) {
  }
  ASSERT_TRUE(sub.Push(SpikePayload(1)));
  EXPECT_EQ(calls, 2);

  sub.SetReadyCallback(nullptr);
  while (sub.Pop().has_value()) {
  }
  ASSERT_TRUE(sub.Push(SpikePayload(1)));
  EXPECT_EQ(calls, 2);
}

TEST(SubscriberTest, ClearingCallbackWaitsForRunningInvocation) {
  Subscriber sub(SubscriberOptions{});
  Notification entered;
  Notification release;
  std::atomic<bool> callback_finished{false};
  std::atomic<int> calls{0};
  sub.SetReadyCallback([&] {
    ++calls;
    entered.Notify();
    release.WaitForNotification();
    callback_finished = true;
  });

  std::thread producer([&] { EXPECT_TRUE(sub.Push(SpikePayload(1))); });
  entered.WaitForNotification();

  Notification cleared;
  std::thread clearer([&] {
    sub.SetReadyCallback(nullptr);
    cleared.Notify();
  });
  EXPECT_FALSE(cleared.WaitForNotificationWithTimeout(kBlockedWait));
  EXPECT_FALSE(callback_finished);

  release.Notify();
  EXPECT_TRUE(cleared.WaitForNotificationWithTimeout(kLongWait));
  // SetReadyCallback returned, so the invocation must have completed.
  EXPECT_TRUE(callback_finished);
  producer.join();
  clearer.join();

  ASSERT_TRUE(sub.Pop().has_value());
  ASSERT_TRUE(sub.Push(SpikePayload(1)));
  EXPECT_EQ(calls, 1);
}

TEST(SubscriberTest, PushAfterCloseFailsWithoutCallback) {
  Subscriber sub(SubscriberOptions{});
  int calls = 0;
  sub.SetReadyCallback([&] { ++calls; });
  EXPECT_FALSE(sub.closed());
  sub.Close();
  sub.Close();  // idempotent
  EXPECT_TRUE(sub.closed());
  EXPECT_FALSE(sub.Push(SpikePayload(1)));
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(sub.stats().queued_messages, 0u);
  EXPECT_FALSE(sub.Pop().has_value());
}

TEST(SubscriberTest, CloseKeepsQueuedMessagesForDraining) {
  Subscriber sub(SubscriberOptions{});
  ASSERT_TRUE(sub.Push(SpikePayload(1)));
  sub.Close();
  std::optional<Subscriber::Delivery> d = sub.Pop();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->sequence, 1u);
  EXPECT_FALSE(sub.Pop().has_value());
}

TEST(SubscriberTest, AddDroppedShowsUpInNextDelivery) {
  Subscriber sub(SubscriberOptions{});
  sub.AddDropped(7);  // while empty: held for the next message
  sub.AddDropped(3);
  ASSERT_TRUE(sub.Push(SpikePayload(1)));
  ASSERT_TRUE(sub.Push(SpikePayload(1)));
  sub.AddDropped(5);

  std::optional<Subscriber::Delivery> d = sub.Pop();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(Parse(*d).dropped_since_last(), 15u);
  d = sub.Pop();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(Parse(*d).dropped_since_last(), 0u);
  EXPECT_EQ(sub.stats().dropped_items, 15u);
}

}  // namespace
}  // namespace speckd::server
