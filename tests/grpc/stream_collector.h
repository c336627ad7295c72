// Reads a server stream on its own thread and keeps every message, so tests
// can wait for conditions with deadlines instead of sleeping:
//
//   StreamCollector<v1::StreamMessage> counts(
//       [&](grpc::ClientContext* ctx) { return stub->SubscribeSpikeCounts(ctx,
//       req); });
//   ASSERT_TRUE(counts.WaitFor([](const auto& msgs) { return msgs.size() >= 3;
//   })); counts.Cancel();
#ifndef SPECKD_TESTS_GRPC_STREAM_COLLECTOR_H_
#define SPECKD_TESTS_GRPC_STREAM_COLLECTOR_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "driver/util/mutex.h"

namespace speckd::testing {

template <typename Message>
class StreamCollector {
 public:
  using Opener = std::function<std::unique_ptr<grpc::ClientReader<Message>>(
      grpc::ClientContext*)>;

  // With `gate`, nothing is read until it is notified (at most 30 s): a
  // client that falls behind, for tests of what the server drops.
  explicit StreamCollector(const Opener& open,
                           const Notification* gate = nullptr) {
    reader_ = open(&context_);
    // The server sends headers once the subscription is attached.
    reader_->WaitForInitialMetadata();
    thread_ = std::thread([this, gate] {
      if (gate != nullptr) {
        (void)gate->WaitForNotificationWithTimeout(absl::Seconds(30));
      }
      Message message;
      while (reader_->Read(&message)) {
        MutexLock lock(&mu_);
        messages_.push_back(message);
        changed_.SignalAll();
      }
      grpc::Status status = reader_->Finish();
      MutexLock lock(&mu_);
      status_ = status;
      changed_.SignalAll();
    });
  }

  ~StreamCollector() {
    Cancel();
    thread_.join();
  }

  // True once `done(messages)` holds (or the stream ended and it holds), false
  // after `timeout`.
  bool WaitFor(const std::function<bool(const std::vector<Message>&)>& done,
               absl::Duration timeout = absl::Seconds(30)) {
    const absl::Time deadline = absl::Now() + timeout;
    MutexLock lock(&mu_);
    while (!done(messages_) && !status_.has_value()) {
      if (changed_.WaitWithDeadline(&mu_, deadline)) break;
    }
    return done(messages_);
  }

  // Waits for the stream to end; its status, or nullopt after `timeout`.
  std::optional<grpc::Status> WaitForEnd(
      absl::Duration timeout = absl::Seconds(30)) {
    const absl::Time deadline = absl::Now() + timeout;
    MutexLock lock(&mu_);
    while (!status_.has_value()) {
      if (changed_.WaitWithDeadline(&mu_, deadline)) break;
    }
    return status_;
  }

  std::vector<Message> messages() {
    MutexLock lock(&mu_);
    return messages_;
  }

  void Cancel() { context_.TryCancel(); }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<Message>> reader_;
  Mutex mu_;
  CondVar changed_;
  std::vector<Message> messages_ ABSL_GUARDED_BY(mu_);
  std::optional<grpc::Status> status_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace speckd::testing

#endif  // SPECKD_TESTS_GRPC_STREAM_COLLECTOR_H_
