#include "server/stream/subscriber.h"

#include <utility>

namespace speckd::server {
namespace {

// Wire-format tags of StreamMessage fields 1 and 2 (varint wire type 0).
constexpr char kSequenceTag = 0x08;
constexpr char kDroppedTag = 0x10;

void AppendVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

// Whether a LOSSLESS producer must wait before queueing `payload_bytes`. An
// empty queue always has room, so a payload larger than the byte cap (or a
// zero message cap) cannot block its producer forever.
bool Full(const SubscriberOptions& options, size_t queued_messages,
          size_t queued_bytes, size_t payload_bytes) {
  if (queued_messages == 0) return false;
  return queued_messages >= options.max_messages ||
         queued_bytes + payload_bytes > options.max_bytes;
}

}  // namespace

Subscriber::Subscriber(const SubscriberOptions& options) : options_(options) {}

bool Subscriber::Push(PayloadPtr payload, absl::Time deadline) {
  const size_t size = payload->bytes.size();
  bool was_empty = false;
  {
    MutexLock lock(&mu_);
    if (closed_) return false;
    if (options_.policy == OverflowPolicy::kLossless) {
      while (!closed_ && Full(options_, queue_.size(), queued_bytes_, size)) {
        // WaitWithDeadline returns true on timeout; re-check the condition so
        // a wake-up racing the deadline still queues the payload.
        if (room_.WaitWithDeadline(&mu_, deadline) && !closed_ &&
            Full(options_, queue_.size(), queued_bytes_, size)) {
          dropped_since_last_ += payload->items;
          stats_.dropped_items += payload->items;
          return true;
        }
      }
      if (closed_) return false;
    }

    was_empty = queue_.empty();
    queued_bytes_ += size;
    queue_.push_back(std::move(payload));

    if (options_.policy == OverflowPolicy::kDropOldest) {
      // Keep at least the newest message: it is what a live view wants.
      while (queue_.size() > 1 && (queue_.size() > options_.max_messages ||
                                   queued_bytes_ > options_.max_bytes)) {
        const PayloadPtr& oldest = queue_.front();
        queued_bytes_ -= oldest->bytes.size();
        dropped_since_last_ += oldest->items;
        stats_.dropped_items += oldest->items;
        queue_.pop_front();
      }
    }
  }
  // Outside mu_: the callback typically calls Pop().
  if (was_empty) NotifyReady();
  return true;
}

void Subscriber::AddDropped(uint64_t items) {
  MutexLock lock(&mu_);
  dropped_since_last_ += items;
  stats_.dropped_items += items;
}

std::optional<Subscriber::Delivery> Subscriber::Pop() {
  Delivery delivery;
  {
    MutexLock lock(&mu_);
    if (queue_.empty()) return std::nullopt;
    delivery.payload = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= delivery.payload->bytes.size();
    delivery.sequence = next_sequence_++;
    delivery.dropped_since_last = std::exchange(dropped_since_last_, 0);
    ++stats_.delivered_messages;
    stats_.delivered_items += delivery.payload->items;
    // All waiters: one freed slot may fit a small payload but not the first
    // waiter's large one.
    room_.SignalAll();
  }
  delivery.header =
      EncodeHeader(delivery.sequence, delivery.dropped_since_last);
  return delivery;
}

void Subscriber::SetReadyCallback(std::function<void()> callback) {
  std::function<void()> previous;
  {
    // Acquiring callback_mu_ waits for a running invocation to return.
    MutexLock lock(&callback_mu_);
    previous = std::exchange(ready_, std::move(callback));
  }
  // Destroyed unlocked, in case its captures' destructors touch this
  // subscriber.
}

// Runs the callback while holding callback_mu_ so SetReadyCallback can wait
// for it; hence the callback must not call SetReadyCallback (or Push, which
// may call NotifyReady) on this subscriber: Mutex is not reentrant.
void Subscriber::NotifyReady() {
  MutexLock lock(&callback_mu_);
  if (ready_) ready_();
}

void Subscriber::Close() {
  MutexLock lock(&mu_);
  closed_ = true;
  room_.SignalAll();
}

bool Subscriber::closed() const {
  MutexLock lock(&mu_);
  return closed_;
}

SubscriberStats Subscriber::stats() const {
  MutexLock lock(&mu_);
  SubscriberStats stats = stats_;
  stats.queued_messages = queue_.size();
  stats.queued_bytes = queued_bytes_;
  return stats;
}

std::string Subscriber::EncodeHeader(uint64_t sequence,
                                     uint64_t dropped_since_last) {
  std::string header;
  header.reserve(22);  // Two tags and two varints of at most 10 bytes.
  header.push_back(kSequenceTag);
  AppendVarint(sequence, &header);
  // Proto3 omits default values; parsers treat a missing field 2 as 0.
  if (dropped_since_last != 0) {
    header.push_back(kDroppedTag);
    AppendVarint(dropped_since_last, &header);
  }
  return header;
}

}  // namespace speckd::server
