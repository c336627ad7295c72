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
#include "driver/clock_fake.h"
#include "driver/util/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/speckd/v1/events.pb.h"

namespace speckd::server {
namespace {

using ::speckd::v1::StreamMessage;

// Generous bound for waits that must succeed; only reached on failure.
constexpr absl::Duration kLongWait = absl::Seconds(10);
// How long a thread that should stay blocked is given to (wrongly) return.
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
  ASSERT_EQ(sub.Push(SpikePayload(3)), 0u);
  sub.AddDropped(4);
  ASSERT_EQ(sub.Push(SpikePayload(2)), 0u);

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
  for (const PayloadPtr& p : payloads) ASSERT_EQ(a.Push(p), 0u);
  // b subscribed later: it misses the first payload but still starts at 1.
  ASSERT_EQ(b.Push(payloads[1]), 0u);
  ASSERT_EQ(b.Push(payloads[2]), 0u);

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
    // Each push past the cap evicts the oldest and says how many items.
    EXPECT_EQ(sub.Push(payloads.back()), i > 4 ? uint64_t(i - 4) : 0u);
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
    EXPECT_EQ(sub.Push(SizedPayload(kSize, 2)), i < 3 ? 0u : 2u);
    EXPECT_LE(sub.stats().queued_bytes, kCap) << "after push " << i;
  }
  SubscriberStats stats = sub.stats();
  EXPECT_EQ(stats.queued_messages, 3u);
  EXPECT_EQ(stats.queued_bytes, 3 * kSize);
  EXPECT_EQ(stats.dropped_items, 5u * 2u);
}

TEST(SubscriberTest, DropOldestAcceptsOversizedMessageAlone) {
  Subscriber sub(Options(OverflowPolicy::kDropOldest, 10, 50));
  ASSERT_EQ(sub.Push(SizedPayload(20, 1)), 0u);
  ASSERT_EQ(sub.Push(SizedPayload(20, 1)), 0u);
  PayloadPtr big = SizedPayload(80, 3);
  EXPECT_EQ(sub.Push(big), 2u);
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

// LOSSLESS waits are timed by the subscriber's clock: a fake one here, so
// that a producer stays blocked until the test moves time or pops.
SubscriberOptions Lossless(driver::FakeClock* clock, size_t max_messages,
                           size_t max_bytes = size_t{16} << 20) {
  SubscriberOptions options =
      Options(OverflowPolicy::kLossless, max_messages, max_bytes);
  options.clock = clock;
  return options;
}

TEST(SubscriberTest, LosslessProducerBlocksUntilPop) {
  driver::FakeClock clock;
  Subscriber sub(Lossless(&clock, 2));
  std::vector<PayloadPtr> payloads = {SpikePayload(1), SpikePayload(2),
                                      SpikePayload(3)};
  ASSERT_EQ(sub.Push(payloads[0]), 0u);
  ASSERT_EQ(sub.Push(payloads[1]), 0u);
  ASSERT_EQ(sub.stats().queued_messages, 2u);

  Notification returned;
  std::atomic<uint64_t> result{99};
  std::thread producer([&] {
    result = sub.Push(payloads[2]);
    returned.Notify();
  });
  // Blocked, not dropped: it waits on the clock for room.
  ASSERT_TRUE(clock.AwaitWaiters(1, kLongWait));
  EXPECT_FALSE(returned.HasBeenNotified());
  EXPECT_EQ(sub.stats().queued_messages, 2u);

  std::optional<Subscriber::Delivery> d = sub.Pop();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->payload.get(), payloads[0].get());
  EXPECT_TRUE(returned.WaitForNotificationWithTimeout(kLongWait));
  producer.join();
  EXPECT_EQ(result, 0u);

  for (size_t i = 1; i < 3; ++i) {
    d = sub.Pop();
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->payload.get(), payloads[i].get());
    EXPECT_EQ(d->dropped_since_last, 0u);
  }
  EXPECT_EQ(sub.stats().dropped_items, 0u);
  EXPECT_FALSE(sub.closed());
}

TEST(SubscriberTest, LosslessCloseUnblocksProducer) {
  driver::FakeClock clock;
  Subscriber sub(Lossless(&clock, 1));
  ASSERT_EQ(sub.Push(SpikePayload(1)), 0u);

  Notification returned;
  std::atomic<uint64_t> result{99};
  std::thread producer([&] {
    result = sub.Push(SpikePayload(2));
    returned.Notify();
  });
  ASSERT_TRUE(clock.AwaitWaiters(1, kLongWait));
  sub.Close();
  EXPECT_TRUE(returned.WaitForNotificationWithTimeout(kLongWait));
  producer.join();
  // The consumer went away: nothing is dropped, nothing is queued.
  EXPECT_EQ(result, 0u);
  EXPECT_TRUE(sub.closed());
  EXPECT_TRUE(sub.close_reason().ok());
  EXPECT_EQ(sub.Push(SpikePayload(3)), 0u);
  EXPECT_EQ(sub.stats().queued_messages, 1u);
  EXPECT_EQ(sub.stats().dropped_items, 0u);
}

// A LOSSLESS subscriber that stops reading holds the producer (the device)
// for its stall burst at most; then it ends, with a reason, never the
// device.
TEST(SubscriberTest, LosslessStallBudgetEndsTheSubscriberNotTheProducer) {
  driver::FakeClock clock;
  Subscriber sub(Lossless(&clock, 1));
  ASSERT_EQ(sub.Push(SpikePayload(1)), 0u);
  int ready_calls = 0;
  sub.SetReadyCallback([&] { ++ready_calls; });

  Notification returned;
  std::atomic<uint64_t> result{0};
  std::thread producer([&] {
    result = sub.Push(SpikePayload(5));
    returned.Notify();
  });
  ASSERT_TRUE(clock.AwaitWaiters(1, kLongWait));
  clock.Advance(absl::Milliseconds(1999));
  ASSERT_TRUE(clock.AwaitWaiters(1, kLongWait));  // still within the burst
  EXPECT_FALSE(returned.HasBeenNotified());
  clock.Advance(absl::Milliseconds(1));
  EXPECT_TRUE(returned.WaitForNotificationWithTimeout(kLongWait));
  producer.join();

  EXPECT_EQ(result, 5u);
  EXPECT_TRUE(sub.closed());
  EXPECT_EQ(sub.close_reason().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(sub.close_reason().message()),
              ::testing::HasSubstr("read too slowly"));
  EXPECT_EQ(sub.stats().dropped_items, 5u);
  EXPECT_EQ(ready_calls, 1);  // told, so its stream can end
}

TEST(SubscriberTest, LosslessStallBudgetIsEarnedBackWhileKeepingUp) {
  driver::FakeClock clock;
  Subscriber sub(Lossless(&clock, 1));
  ASSERT_EQ(sub.Push(SpikePayload(1)), 0u);
  // Stall 1.5 s of the 2 s burst, then let the producer through.
  Notification returned;
  std::thread producer([&] {
    EXPECT_EQ(sub.Push(SpikePayload(1)), 0u);
    returned.Notify();
  });
  ASSERT_TRUE(clock.AwaitWaiters(1, kLongWait));
  clock.Advance(absl::Milliseconds(1500));
  ASSERT_TRUE(clock.AwaitWaiters(1, kLongWait));
  ASSERT_TRUE(sub.Pop().has_value());
  ASSERT_TRUE(returned.WaitForNotificationWithTimeout(kLongWait));
  producer.join();
  // 10 s of keeping up earns 1 s back: 0.5 + 1 = 1.5 s of stall allowed.
  clock.Advance(absl::Seconds(10));
  std::thread second([&] { EXPECT_EQ(sub.Push(SpikePayload(1)), 1u); });
  ASSERT_TRUE(clock.AwaitWaiters(1, kLongWait));
  clock.Advance(absl::Milliseconds(1400));
  ASSERT_TRUE(clock.AwaitWaiters(1, kLongWait));
  EXPECT_FALSE(sub.closed());
  clock.Advance(absl::Milliseconds(100));
  second.join();
  EXPECT_TRUE(sub.closed());
}

TEST(SubscriberTest, LosslessHonorsByteCapButAcceptsOversizedAlone) {
  driver::FakeClock clock;
  SubscriberOptions options = Lossless(&clock, 100, 50);
  options.stall_burst = absl::ZeroDuration();  // no waiting at all
  Subscriber sub(options);
  ASSERT_EQ(sub.Push(SizedPayload(30)), 0u);
  // 30 + 30 > 50: no room, and no stall allowed.
  EXPECT_EQ(sub.Push(SizedPayload(30, 4)), 4u);
  EXPECT_EQ(sub.stats().queued_bytes, 30u);
  EXPECT_EQ(sub.close_reason().code(), absl::StatusCode::kResourceExhausted);

  Subscriber fresh(options);
  // Larger than the cap, but the queue is empty: accepted without blocking.
  EXPECT_EQ(fresh.Push(SizedPayload(80)), 0u);
  EXPECT_EQ(fresh.stats().queued_bytes, 80u);
}

TEST(SubscriberTest, NoticesBypassTheCapsAndAreNeverDropped) {
  Subscriber sub(Options(OverflowPolicy::kDropOldest, 2));
  PayloadPtr notice = SizedPayload(10, 0);
  ASSERT_EQ(sub.Push(SpikePayload(1)), 0u);
  sub.PushNotice(notice);
  ASSERT_EQ(sub.Push(SpikePayload(2)), 0u);
  EXPECT_EQ(sub.Push(SpikePayload(3)), 1u);  // evicts the 1, not the notice
  std::optional<Subscriber::Delivery> d = sub.Pop();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->payload.get(), notice.get());
  EXPECT_EQ(d->dropped_since_last, 1u);
  EXPECT_EQ(sub.Pop()->payload->items, 2u);
  EXPECT_EQ(sub.Pop()->payload->items, 3u);
}

// Stalled DROP_OLDEST subscribers fill the shared budget; one that keeps up
// still gets everything, and the stalled ones shed their own oldest.
TEST(SubscriberTest, SharedBudgetShedsStalledSubscribersNotTheOneKeepingUp) {
  auto budget = std::make_shared<QueueBudget>(1 << 20);
  SubscriberOptions options = Options(OverflowPolicy::kDropOldest, 10000);
  options.budget = budget;
  std::vector<std::unique_ptr<Subscriber>> stalled;
  for (int i = 0; i < 4; ++i) {
    stalled.push_back(std::make_unique<Subscriber>(options));
  }
  Subscriber live(options);
  uint64_t live_got = 0;
  for (int i = 0; i < 200; ++i) {
    PayloadPtr payload = SizedPayload(64 << 10, 1);  // 64 KiB
    for (auto& s : stalled) s->Push(payload);
    EXPECT_EQ(live.Push(payload), 0u);
    ASSERT_TRUE(live.Pop().has_value());
    ++live_got;
    EXPECT_LE(budget->used(), budget->max());
  }
  EXPECT_EQ(live_got, 200u);
  EXPECT_EQ(live.stats().dropped_items, 0u);
  uint64_t shed = 0;
  for (auto& s : stalled) {
    shed += s->stats().dropped_items;
    // Each holds its uncharged 256 KiB plus at most the whole budget.
    EXPECT_LE(s->stats().queued_bytes, (256u << 10) + (1u << 20));
  }
  EXPECT_GT(shed, 0u);
  stalled.clear();
  EXPECT_EQ(budget->used(), 0u);  // given back
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

  ASSERT_EQ(sub.Push(SpikePayload(1)), 0u);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(queued_in_callback, 1u);
  ASSERT_EQ(sub.Push(SpikePayload(1)), 0u);
  ASSERT_EQ(sub.Push(SpikePayload(1)), 0u);
  EXPECT_EQ(calls, 1);

  while (sub.Pop().has_value()) {
  }
  ASSERT_EQ(sub.Push(SpikePayload(1)), 0u);
  EXPECT_EQ(calls, 2);

  sub.SetReadyCallback(nullptr);
  while (sub.Pop().has_value()) {
  }
  ASSERT_EQ(sub.Push(SpikePayload(1)), 0u);
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

  std::thread producer([&] { EXPECT_EQ(sub.Push(SpikePayload(1)), 0u); });
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
  ASSERT_EQ(sub.Push(SpikePayload(1)), 0u);
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
  EXPECT_EQ(calls, 1);  // the reactor hears of the close
  EXPECT_EQ(sub.Push(SpikePayload(1)), 0u);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(sub.stats().queued_messages, 0u);
  EXPECT_FALSE(sub.Pop().has_value());
}

TEST(SubscriberTest, CloseKeepsQueuedMessagesForDraining) {
  Subscriber sub(SubscriberOptions{});
  ASSERT_EQ(sub.Push(SpikePayload(1)), 0u);
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
  ASSERT_EQ(sub.Push(SpikePayload(1)), 0u);
  ASSERT_EQ(sub.Push(SpikePayload(1)), 0u);
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
