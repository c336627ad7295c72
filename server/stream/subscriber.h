// One subscriber's bounded queue of stream messages. Producers (the graph
// executor on a device thread) push shared, already-serialized payloads; the
// subscriber's gRPC reactor pops them one at a time, each stamped with the
// subscriber's own sequence number and how many items it lost since its
// previous message.
//
//   auto sub = std::make_shared<Subscriber>(SubscriberOptions{});
//   sub->SetReadyCallback([reactor] { reactor->MaybeWrite(); });
//   sub->Push(payload);                 // producer
//   std::optional<Delivery> d = sub->Pop();   // consumer: d->header +
//   d->payload
//
// Memory stays under the caps whatever the consumer does: DROP_OLDEST
// discards the oldest queued messages (and counts their items), LOSSLESS
// makes Push wait for room (back-pressure on the producer).
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
#include "absl/time/time.h"
#include "driver/util/mutex.h"

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
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  // Queues `payload`. DROP_OLDEST never blocks. LOSSLESS blocks while the
  // queue is full, until there is room, the subscriber is closed, or
  // `deadline` passes (then the payload is dropped and counted). Returns
  // false once closed. Calls the ready callback when the queue was empty.
  bool Push(PayloadPtr payload, absl::Time deadline = absl::InfiniteFuture());

  // Counts `items` lost upstream (e.g. a producer could not keep up); they are
  // reported in the next message's dropped_since_last.
  void AddDropped(uint64_t items);

  // Next message, or nullopt if the queue is empty.
  std::optional<Delivery> Pop();

  // Invoked (outside the queue's lock, never concurrently with itself) when a
  // message arrives in an empty queue. Replacing or clearing it waits for a
  // running invocation to return, so a reactor can clear it before deleting
  // itself.
  void SetReadyCallback(std::function<void()> callback);

  // Stops accepting messages and wakes blocked producers. Idempotent.
  void Close();
  bool closed() const;

  SubscriberStats stats() const;
  const SubscriberOptions& options() const { return options_; }

  // Serializes fields 1 (sequence) and 2 (dropped_since_last) as varints;
  // exposed for tests.
  static std::string EncodeHeader(uint64_t sequence,
                                  uint64_t dropped_since_last);

 private:
  void NotifyReady();

  const SubscriberOptions options_;
  mutable Mutex mu_;
  CondVar room_;  // LOSSLESS producers wait here
  std::deque<PayloadPtr> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t dropped_since_last_ ABSL_GUARDED_BY(mu_) = 0;
  SubscriberStats stats_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;

  Mutex callback_mu_;
  std::function<void()> ready_ ABSL_GUARDED_BY(callback_mu_);
};

}  // namespace speckd::server

#endif  // SPECKD_SERVER_STREAM_SUBSCRIBER_H_
