#include "server/stream/subscriber.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace speckd::server {
namespace {

// Wire-format tags of StreamMessage fields 1 and 2 (varint wire type 0).
constexpr char kSequenceTag = 0x08;
constexpr char kDroppedTag = 0x10;

// Bytes a DROP_OLDEST subscriber may queue before the shared budget is
// charged: a subscriber that keeps up never competes with stalled ones.
constexpr size_t kUnchargedBytes = size_t{256} << 10;

void AppendVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

}  // namespace

Subscriber::Subscriber(const SubscriberOptions& options)
    : options_(options),
      stall_left_(options.stall_burst),
      stall_time_(options.clock->Now()) {}

Subscriber::~Subscriber() {
  MutexLock lock(&mu_);
  if (options_.budget != nullptr) options_.budget->Give(charged_);
}

bool Subscriber::FullLocked(size_t bytes) const {
  // An empty queue always has room, so a payload larger than the byte cap
  // (or a zero message cap) cannot block its producer forever.
  if (queued_messages_ == 0) return false;
  return queued_messages_ >= options_.max_messages ||
         queued_bytes_ + bytes > options_.max_bytes;
}

void Subscriber::CountDroppedLocked(uint64_t items) {
  dropped_since_last_ += items;
  stats_.dropped_items += items;
}

bool Subscriber::RechargeLocked() {
  if (options_.budget == nullptr) return true;
  const size_t wanted =
      queued_bytes_ > kUnchargedBytes ? queued_bytes_ - kUnchargedBytes : 0;
  if (wanted <= charged_) {
    options_.budget->Give(charged_ - wanted);
    charged_ = wanted;
    return true;
  }
  if (!options_.budget->TryTake(wanted - charged_)) return false;
  charged_ = wanted;
  return true;
}

uint64_t Subscriber::DropOldestLocked() {
  // Notices are never dropped.
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (it->notice) continue;
    const uint64_t items = it->payload->items;
    queued_bytes_ -= it->payload->bytes.size();
    --queued_messages_;
    queue_.erase(it);
    CountDroppedLocked(items);
    return items;
  }
  return 0;
}

void Subscriber::CloseLocked(absl::Status reason) {
  if (!closed_) close_reason_ = std::move(reason);
  closed_ = true;
  room_.SignalAll();
}

bool Subscriber::WaitForRoomLocked(size_t bytes) {
  driver::Clock* const clock = options_.clock;
  absl::Time now = clock->Now();
  // Earned back while the subscriber kept up, up to the burst.
  stall_left_ =
      std::min(options_.stall_burst,
               stall_left_ + (now - stall_time_) * options_.stall_refill);
  stall_time_ = now;
  while (!closed_ && FullLocked(bytes)) {
    if (stall_left_ <= absl::ZeroDuration()) {
      CloseLocked(absl::ResourceExhaustedError(absl::StrCat(
          "this LOSSLESS subscriber read too slowly: it may hold up the "
          "device for ",
          absl::FormatDuration(options_.stall_burst), " (earning back ",
          options_.stall_refill * 100,
          "% of the time it keeps up); the subscription ends rather than "
          "stall the device")));
      return false;
    }
    clock->WaitUntil(&room_, &mu_, now + stall_left_);
    const absl::Time after = clock->Now();
    stall_left_ -= after - now;
    stall_time_ = after;
    now = after;
  }
  return !closed_;
}

uint64_t Subscriber::Push(PayloadPtr payload) {
  const size_t size = payload->bytes.size();
  const uint64_t items = payload->items;
  uint64_t dropped = 0;
  bool notify = false;
  {
    MutexLock lock(&mu_);
    if (closed_) return 0;
    if (options_.policy == OverflowPolicy::kLossless) {
      if (!WaitForRoomLocked(size)) {
        // Closed: for running out of stall time the payload is lost with
        // the stream (which ends with the reason); a consumer gone is not a
        // drop.
        if (closed_ && !close_reason_.ok()) {
          CountDroppedLocked(items);
          dropped = items;
        }
        notify = true;
      } else {
        notify = queue_.empty();
        queue_.push_back({std::move(payload), false});
        queued_bytes_ += size;
        ++queued_messages_;
      }
    } else {
      notify = queue_.empty();
      queue_.push_back({std::move(payload), false});
      queued_bytes_ += size;
      ++queued_messages_;
      // Over the shared budget: shed our own oldest, the new one last.
      while (!RechargeLocked()) dropped += DropOldestLocked();
      // Over our own caps: keep at least the newest (what a live view
      // wants).
      while (queued_messages_ > 1 &&
             (queued_messages_ > options_.max_messages ||
              queued_bytes_ > options_.max_bytes)) {
        dropped += DropOldestLocked();
      }
      RechargeLocked();
      notify = notify && !queue_.empty();
    }
  }
  // Outside mu_: the callback typically calls Pop().
  if (notify) NotifyReady();
  return dropped;
}

void Subscriber::PushNotice(PayloadPtr payload) {
  bool was_empty = false;
  {
    MutexLock lock(&mu_);
    if (closed_) return;
    was_empty = queue_.empty();
    queue_.push_back({std::move(payload), true});
  }
  if (was_empty) NotifyReady();
}

void Subscriber::AddDropped(uint64_t items) {
  MutexLock lock(&mu_);
  CountDroppedLocked(items);
}

std::optional<Subscriber::Delivery> Subscriber::Pop() {
  Delivery delivery;
  {
    MutexLock lock(&mu_);
    if (queue_.empty()) return std::nullopt;
    Queued next = std::move(queue_.front());
    queue_.pop_front();
    if (!next.notice) {
      queued_bytes_ -= next.payload->bytes.size();
      --queued_messages_;
      RechargeLocked();
    }
    delivery.payload = std::move(next.payload);
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
// may call NotifyReady) on this subscriber: the mutex is not reentrant.
void Subscriber::NotifyReady() {
  MutexLock lock(&callback_mu_);
  if (ready_) ready_();
}

void Subscriber::Close(absl::Status reason) {
  {
    MutexLock lock(&mu_);
    if (closed_) return;
    CloseLocked(std::move(reason));
  }
  NotifyReady();
}

void Subscriber::CloseAfterDrain(absl::Status reason) {
  {
    MutexLock lock(&mu_);
    if (closed_) return;
    drain_ = true;
    CloseLocked(std::move(reason));
  }
  NotifyReady();
}

bool Subscriber::drains_before_end() const {
  MutexLock lock(&mu_);
  return drain_;
}

bool Subscriber::closed() const {
  MutexLock lock(&mu_);
  return closed_;
}

absl::Status Subscriber::close_reason() const {
  MutexLock lock(&mu_);
  return close_reason_;
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
