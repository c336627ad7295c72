// The server side of every speckd stream: a small write reactor that sends a
// Subscriber's queued messages one at a time (one write in flight), each as
// two slices (the subscriber's header, then the shared payload, not copied).
// Fanout is the graph endpoint that encodes a packet once and offers it to
// every subscriber. StreamRegistry ends every open stream on shutdown and
// sends keep-alives on idle ones.
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
#include "driver/util/mutex.h"
#include "server/graph/graph.h"
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

  Subscriber* subscriber() { return subscriber_.get(); }

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  StreamReactor(std::shared_ptr<Subscriber> subscriber,
                StreamRegistry* registry, std::function<void()> on_done);
  void MaybeWrite();

  std::shared_ptr<Subscriber> subscriber_;
  StreamRegistry* const registry_;
  std::function<void()> on_done_;

  Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> end_status_ ABSL_GUARDED_BY(mu_);
  // The message being written; gRPC needs it until OnWriteDone.
  grpc::ByteBuffer buffer_;
};

// A graph endpoint: encodes each packet once, offers it to every subscriber.
class Fanout : public graph::EndpointSink {
 public:
  void Add(std::shared_ptr<Subscriber> subscriber);
  void Remove(const Subscriber* subscriber);
  size_t size() const;
  // To every subscriber (notices).
  void Broadcast(const PayloadPtr& payload);

  // On the device thread. LOSSLESS subscribers may block it (back-pressure)
  // up to kLosslessWait, then lose the payload (counted).
  uint64_t Publish(const graph::Packet& packet) override;

  static constexpr absl::Duration kLosslessWait = absl::Seconds(30);

 private:
  mutable Mutex mu_;
  std::vector<std::shared_ptr<Subscriber>> subscribers_ ABSL_GUARDED_BY(mu_);
};

class StreamRegistry {
 public:
  // Sends a keep-alive on streams idle for `keep_alive` (grpc-web proxies and
  // browsers drop silent streams).
  explicit StreamRegistry(absl::Duration keep_alive = absl::Seconds(10));
  ~StreamRegistry();

  void Add(StreamReactor* reactor);
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
  void KeepAliveLoop(absl::Duration period);

  mutable Mutex mu_;
  CondVar changed_;
  std::set<StreamReactor*> reactors_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread keep_alive_;
};

}  // namespace speckd::server::api

#endif  // SPECKD_SERVER_API_STREAM_REACTOR_H_
