// The server side of every speckd stream: a small write reactor that sends a
// Subscriber's queued messages one at a time (one write in flight), each as
// two slices (the subscriber's header, then the shared payload, not copied),
// and ends the stream with the subscriber's close reason when it has one.
// StreamRegistry caps the open streams, ends them all on shutdown and sends
// keep-alives on idle ones.
#ifndef SPECKD_SERVER_API_STREAM_REACTOR_H_
#define SPECKD_SERVER_API_STREAM_REACTOR_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "driver/clock.h"
#include "driver/util/mutex.h"
#include "server/stream/subscriber.h"

namespace speckd::server::api {

class StreamRegistry;

class StreamReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  // Starts streaming `subscriber`'s messages. `on_done` runs once, when the
  // stream is over (client gone, cancelled, or ended): unsubscribe there.
  static StreamReactor* Start(std::shared_ptr<Subscriber> subscriber,
                              StreamRegistry* registry,
                              std::function<void()> on_done);

  // Ends the stream with `status` once the write in flight (and, for OK,
  // the queued messages) have been sent. Thread-safe; first call wins.
  void End(grpc::Status status);
  // Writes the next message or finishes; called when the subscriber has news.
  void MaybeWrite();

  Subscriber* subscriber() { return subscriber_.get(); }

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  StreamReactor(std::shared_ptr<Subscriber> subscriber,
                StreamRegistry* registry, std::function<void()> on_done);

  std::shared_ptr<Subscriber> subscriber_;
  StreamRegistry* const registry_;
  std::function<void()> on_done_;

  Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  // Whether the registry took it (it refuses beyond max_streams); set before
  // any reaction runs.
  bool registered_ = true;
  std::optional<grpc::Status> end_status_ ABSL_GUARDED_BY(mu_);
  // The message being written; gRPC needs it until OnWriteDone.
  grpc::ByteBuffer buffer_;
};

// A stream that ends at once with `status` (bad request, unknown device):
// what every failing Subscribe* returns.
grpc::ServerWriteReactor<grpc::ByteBuffer>* FailedStream(grpc::Status status);

struct StreamRegistryOptions {
  // Streams open at once, at most: one more ends at once with
  // RESOURCE_EXHAUSTED.
  size_t max_streams = 512;
  // A keep-alive goes out on streams idle this long (grpc-web proxies and
  // browsers drop silent streams), by `clock`.
  absl::Duration keep_alive = absl::Seconds(10);
  driver::Clock* clock = driver::RealClock();
};

class StreamRegistry {
 public:
  explicit StreamRegistry(const StreamRegistryOptions& options = {});
  ~StreamRegistry();

  // False (and the reactor is not added) when max_streams are open.
  bool Add(StreamReactor* reactor);
  void Remove(StreamReactor* reactor);
  // Queues `payload` on every open stream and waits until each has sent its
  // queue (so a notice precedes a failing end) or `deadline` passes.
  void Announce(const PayloadPtr& payload, absl::Time deadline);
  // Ends every open stream with `status` and refuses new ones; waits until
  // they are gone or `deadline` passes.
  void CloseAll(const grpc::Status& status, absl::Time deadline);
  bool closed() const;
  size_t open_streams() const;
  // Waits until exactly `n` streams are open; false at `deadline`.
  bool WaitForOpenStreams(size_t n, absl::Time deadline);
  // Queue statistics of every open stream.
  std::vector<SubscriberStats> Stats() const;

 private:
  void KeepAliveLoop();

  const StreamRegistryOptions options_;
  // A leaf lock, except that CloseAll and Announce hold it while ending or
  // feeding reactors (which take only their own and their subscriber's).
  mutable Mutex mu_;
  CondVar changed_;
  std::set<StreamReactor*> reactors_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread keep_alive_;
};

}  // namespace speckd::server::api

#endif  // SPECKD_SERVER_API_STREAM_REACTOR_H_
