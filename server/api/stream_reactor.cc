#include "server/api/stream_reactor.h"

#include <algorithm>
#include <map>
#include <utility>

#include "server/api/convert.h"
#include "server/api/status.h"

namespace speckd::server::api {
namespace {

void ReleasePayload(void* user_data) {
  delete static_cast<PayloadPtr*>(user_data);
}

class FailedStreamReactor final
    : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit FailedStreamReactor(grpc::Status status) {
    Finish(std::move(status));
  }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerWriteReactor<grpc::ByteBuffer>* FailedStream(grpc::Status status) {
  return new FailedStreamReactor(std::move(status));
}

StreamReactor* StreamReactor::Start(std::shared_ptr<Subscriber> subscriber,
                                    StreamRegistry* registry,
                                    std::function<void()> on_done) {
  auto* reactor =
      new StreamReactor(std::move(subscriber), registry, std::move(on_done));
  if (!registry->Add(reactor)) {
    reactor->registered_ = false;
    reactor->End(grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        "speckd has as many streams open as it allows; close one first"));
  } else if (registry->closed()) {
    reactor->End(
        grpc::Status(grpc::StatusCode::UNAVAILABLE, "speckd is shutting down"));
  }
  reactor->subscriber_->SetReadyCallback([reactor] { reactor->MaybeWrite(); });
  // Headers right away: a client that waits for them knows the subscription
  // is attached before it writes events.
  reactor->StartSendInitialMetadata();
  reactor->MaybeWrite();
  return reactor;
}

StreamReactor::StreamReactor(std::shared_ptr<Subscriber> subscriber,
                             StreamRegistry* registry,
                             std::function<void()> on_done)
    : subscriber_(std::move(subscriber)),
      registry_(registry),
      on_done_(std::move(on_done)) {}

void StreamReactor::End(grpc::Status status) {
  const bool failing = !status.ok();
  {
    MutexLock lock(&mu_);
    if (end_status_.has_value()) return;
    end_status_ = std::move(status);
  }
  // A failing end does not drain the queue.
  if (failing) subscriber_->Close();
  MaybeWrite();
}

void StreamReactor::MaybeWrite() {
  grpc::Status finish_with;
  bool finish = false;
  {
    MutexLock lock(&mu_);
    if (writing_ || finished_) return;
    // A subscriber closed with a reason (it fell too far behind, its graph
    // was deleted) ends the stream with it.
    // A subscriber closed with a reason that drains first (its device went
    // away) ends the stream with it once the queue is empty.
    const absl::Status reason = end_status_.has_value()
                                    ? absl::OkStatus()
                                    : subscriber_->close_reason();
    const bool drain = !reason.ok() && subscriber_->drains_before_end();
    if (!reason.ok() && !drain) end_status_ = ToGrpcStatus(reason);
    std::optional<Subscriber::Delivery> next;
    if (!end_status_.has_value() || end_status_->ok())
      next = subscriber_->Pop();
    if (!next.has_value() && drain) end_status_ = ToGrpcStatus(reason);
    if (!next.has_value()) {
      if (!end_status_.has_value()) return;  // wait for the next message
      finished_ = true;
      finish = true;
      finish_with = *end_status_;
    } else {
      writing_ = true;
      // Header copied (a few bytes); payload shared with other subscribers.
      grpc::Slice slices[2] = {
          grpc::Slice(next->header),
          grpc::Slice(const_cast<char*>(next->payload->bytes.data()),
                      next->payload->bytes.size(), &ReleasePayload,
                      new PayloadPtr(next->payload))};
      buffer_ = grpc::ByteBuffer(slices, 2);
    }
  }
  // Outside the lock: gRPC may run reactions inline.
  if (finish) {
    Finish(finish_with);
  } else {
    StartWrite(&buffer_);
  }
}

void StreamReactor::OnWriteDone(bool ok) {
  {
    MutexLock lock(&mu_);
    writing_ = false;
    if (!ok && !end_status_.has_value()) {
      end_status_ = grpc::Status(grpc::StatusCode::CANCELLED,
                                 "the client stopped reading");
    }
  }
  if (!ok) subscriber_->Close();
  MaybeWrite();
}

void StreamReactor::OnCancel() {
  subscriber_->Close();
  End(grpc::Status::CANCELLED);
}

void StreamReactor::OnDone() {
  // Waits for a ready callback that may be running, and stops new ones.
  subscriber_->SetReadyCallback(nullptr);
  subscriber_->Close();
  // Clean up (graph removal) before the registry forgets the stream, so "no
  // open streams" also means "no subscription graphs".
  if (on_done_) on_done_();
  if (registered_) registry_->Remove(this);
  delete this;
}

// --- StreamRegistry
// ----------------------------------------------------------------

StreamRegistry::StreamRegistry(const StreamRegistryOptions& options)
    : options_(options) {
  keep_alive_ = std::thread([this] { KeepAliveLoop(); });
}

StreamRegistry::~StreamRegistry() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    changed_.SignalAll();
  }
  keep_alive_.join();
}

bool StreamRegistry::Add(StreamReactor* reactor) {
  MutexLock lock(&mu_);
  if (reactors_.size() >= options_.max_streams) return false;
  reactors_.insert(reactor);
  changed_.SignalAll();
  return true;
}

void StreamRegistry::Remove(StreamReactor* reactor) {
  MutexLock lock(&mu_);
  reactors_.erase(reactor);
  changed_.SignalAll();
}

bool StreamRegistry::closed() const {
  MutexLock lock(&mu_);
  return closed_;
}

size_t StreamRegistry::open_streams() const {
  MutexLock lock(&mu_);
  return reactors_.size();
}

bool StreamRegistry::WaitForOpenStreams(size_t n, absl::Time deadline) {
  MutexLock lock(&mu_);
  while (reactors_.size() != n) {
    if (changed_.WaitWithDeadline(&mu_, deadline)) return reactors_.size() == n;
  }
  return true;
}

std::vector<SubscriberStats> StreamRegistry::Stats() const {
  MutexLock lock(&mu_);
  std::vector<SubscriberStats> out;
  for (StreamReactor* reactor : reactors_) {
    out.push_back(reactor->subscriber()->stats());
  }
  return out;
}

void StreamRegistry::Announce(const PayloadPtr& payload, absl::Time deadline) {
  MutexLock lock(&mu_);
  for (StreamReactor* reactor : reactors_) {
    reactor->subscriber()->PushNotice(payload);
  }
  // Queues empty out from the reactors' write callbacks, which do not signal
  // this registry; check every millisecond, bounded by `deadline`.
  auto drained = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (StreamReactor* reactor : reactors_) {
      if (reactor->subscriber()->stats().queued_messages > 0) return false;
    }
    return true;
  };
  while (!drained() && absl::Now() < deadline) {
    changed_.WaitWithDeadline(
        &mu_, std::min(deadline, absl::Now() + absl::Milliseconds(1)));
  }
}

void StreamRegistry::CloseAll(const grpc::Status& status, absl::Time deadline) {
  MutexLock lock(&mu_);
  closed_ = true;
  // Under the lock: a reactor cannot be deleted meanwhile, because gRPC never
  // runs a write reactor's OnDone inline (it dispatches it to another thread,
  // which then waits for this lock in Remove).
  for (StreamReactor* reactor : reactors_) reactor->End(status);
  while (!reactors_.empty()) {
    if (changed_.WaitWithDeadline(&mu_, deadline)) break;
  }
}

void StreamRegistry::KeepAliveLoop() {
  const PayloadPtr keep_alive = EncodeKeepAlive(0);
  driver::Clock* const clock = options_.clock;
  // Keyed by reactor while it is registered: Remove() (under mu_) is the only
  // way a reactor leaves, so pointers in reactors_ are live here.
  std::map<StreamReactor*, uint64_t> last_seen;
  MutexLock lock(&mu_);
  while (!stopping_) {
    // A full idle period, whatever else wakes changed_ meanwhile.
    const absl::Time next = clock->Now() + options_.keep_alive;
    while (!stopping_ && clock->Now() < next) {
      clock->WaitUntil(&changed_, &mu_, next);
    }
    if (stopping_) break;
    std::map<StreamReactor*, uint64_t> seen;
    for (StreamReactor* reactor : reactors_) {
      // Messages delivered or waiting: a stream with either is not idle.
      const SubscriberStats stats = reactor->subscriber()->stats();
      const uint64_t activity =
          stats.delivered_messages + stats.queued_messages;
      auto it = last_seen.find(reactor);
      if (it != last_seen.end() && it->second == activity) {
        reactor->subscriber()->PushNotice(keep_alive);
      }
      seen[reactor] = activity;
    }
    last_seen = std::move(seen);
  }
}

}  // namespace speckd::server::api
