// One subscriber's bounded queue of stream messages. Producers (the graph
// executor on a device thread) push shared, already-serialized payloads; the
// subscriber's gRPC reactor pops them one at a time, each stamped with the
// subscriber's own sequence number and how many items it lost since its
// previous message.
//
//   auto sub = std::make_shared<Subscriber>(SubscriberOptions{});
//   sub->SetReadyCallback([reactor] { reactor->MaybeWrite(); });
//   sub->Push(payload);                       // producer
//   std::optional<Delivery> d = sub->Pop();   // consumer: header + payload
//
// Memory stays under the caps whatever the consumer does:
// - DROP_OLDEST discards the oldest queued messages (and counts their
//   items); its queued bytes are also charged to a QueueBudget shared by
//   every such subscriber.
// - LOSSLESS makes Push wait for room (back-pressure on the producer), but
//   only for a bounded time in all: a burst of `stall_burst`, earned back at
//   `stall_refill` of the clock's time. A subscriber that needs more is ended
//   with RESOURCE_EXHAUSTED instead of stalling the device.
// Notices bypass the caps: they are few, and never dropped.
#ifndef SPECKD_SERVER_STREAM_SUBSCRIBER_H_
#define SPECKD_SERVER_STREAM_SUBSCRIBER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "driver/clock.h"
#include "driver/util/mutex.h"
#include "server/stream/queue_budget.h"

namespace speckd::server {

// A serialized speckd.v1.StreamMessage holding only its payload field (field
// number >= 10), shared by every subscriber it goes to. Appending a header of
// fields 1 and 2 (sequence, dropped_since_last) yields a valid message:
// protobuf concatenation merges fields.
struct Payload {
  std::string bytes;
  // Items it carries (events, windows, frames, measurements), for drop counts.
  uint64_t items = 0;
};
using PayloadPtr = std::shared_ptr<const Payload>;

enum class OverflowPolicy { kDropOldest, kLossless };

struct SubscriberOptions {
  OverflowPolicy policy = OverflowPolicy::kDropOldest;
  size_t max_messages = 256;
  size_t max_bytes = size_t{16} << 20;
  // LOSSLESS: the producer may wait on this subscriber for `stall_burst`,
  // and earns `stall_refill` seconds of waiting back per second.
  absl::Duration stall_burst = absl::Seconds(2);
  double stall_refill = 0.1;
  // DROP_OLDEST: shared by every such subscriber, charged for the bytes one
  // queues beyond its first 256 KiB (so subscribers that keep up never
  // compete with stalled ones); nullptr for none. LOSSLESS subscribers are
  // bounded by their own caps (and their number) instead.
  // Shared: a subscriber may outlive the hub that made it (a removed graph
  // sees one more output on the device thread, holding its subscribers).
  std::shared_ptr<QueueBudget> budget;
  // What LOSSLESS waits are timed by; must outlive the subscriber.
  driver::Clock* clock = driver::RealClock();
};

struct SubscriberStats {
  uint64_t delivered_messages = 0;
  uint64_t delivered_items = 0;
  uint64_t dropped_items = 0;
  size_t queued_messages = 0;
  size_t queued_bytes = 0;
};

class Subscriber {
 public:
  // A popped message: the subscriber's header (serialized fields 1 and 2)
  // followed by the shared payload.
  struct Delivery {
    std::string header;
    PayloadPtr payload;
    uint64_t sequence = 0;
    uint64_t dropped_since_last = 0;
  };

  explicit Subscriber(const SubscriberOptions& options);
  ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  // Queues `payload` (see the policies above) and returns the items this
  // push made the subscriber lose: evicted messages, or the payload itself.
  // Nothing is queued (and 0 returned) once closed. Calls the ready callback
  // when the queue was empty.
  uint64_t Push(PayloadPtr payload);
  // Queues a notice past every cap.
  void PushNotice(PayloadPtr payload);

  // Counts `items` lost upstream; reported in the next message's
  // dropped_since_last.
  void AddDropped(uint64_t items);

  // Next message, or nullopt if the queue is empty.
  std::optional<Delivery> Pop();

  // Invoked (outside the queue's lock, never concurrently with itself) when a
  // message arrives in an empty queue, and when the subscriber is closed.
  // Replacing or clearing it waits for a running invocation to return, so a
  // reactor can clear it before deleting itself.
  void SetReadyCallback(std::function<void()> callback);

  // Stops accepting messages and wakes blocked producers. With a non-OK
  // `reason` the stream is to end with it, without draining the queue; OK
  // keeps what is queued for draining. The first reason sticks.
  void Close(absl::Status reason = absl::OkStatus());
  // Like Close(reason), but the stream ends with `reason` only after the
  // queue is drained (the device went away: what it sent still counts).
  void CloseAfterDrain(absl::Status reason);
  // True if a non-OK close_reason() waits for the queue to drain.
  bool drains_before_end() const;
  bool closed() const;
  // Why it was closed; OK if it was not, or closed without a failure.
  absl::Status close_reason() const;

  SubscriberStats stats() const;
  const SubscriberOptions& options() const { return options_; }

  // Serializes fields 1 (sequence) and 2 (dropped_since_last) as varints;
  // exposed for tests.
  static std::string EncodeHeader(uint64_t sequence,
                                  uint64_t dropped_since_last);

 private:
  void NotifyReady();
  // Evicts the oldest data message; the items it carried.
  uint64_t DropOldestLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Charges (or gives back) the shared budget for the bytes queued beyond
  // the uncharged allowance; false if the budget cannot take more.
  bool RechargeLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CountDroppedLocked(uint64_t items) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // LOSSLESS: waits for room within the stall budget; false if it ran out
  // (the subscriber is then closed with RESOURCE_EXHAUSTED).
  bool WaitForRoomLocked(size_t bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool FullLocked(size_t bytes) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CloseLocked(absl::Status reason) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const SubscriberOptions options_;
  // Lock order: callback_mu_ is taken without mu_ held (NotifyReady runs
  // outside mu_), and the callback may take mu_ (it pops).
  mutable Mutex mu_;
  CondVar room_;  // LOSSLESS producers wait here
  struct Queued {
    PayloadPtr payload;
    bool notice = false;  // not counted against the caps or the budget
  };
  std::deque<Queued> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;  // non-notice messages
  size_t queued_messages_ ABSL_GUARDED_BY(mu_) = 0;
  // What this subscriber holds of options_.budget.
  size_t charged_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t dropped_since_last_ ABSL_GUARDED_BY(mu_) = 0;
  SubscriberStats stats_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool drain_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status close_reason_ ABSL_GUARDED_BY(mu_);
  // LOSSLESS stall budget left, as of stall_time_.
  absl::Duration stall_left_ ABSL_GUARDED_BY(mu_);
  absl::Time stall_time_ ABSL_GUARDED_BY(mu_);

  Mutex callback_mu_;
  std::function<void()> ready_ ABSL_GUARDED_BY(callback_mu_);
};

}  // namespace speckd::server

#endif  // SPECKD_SERVER_STREAM_SUBSCRIBER_H_
