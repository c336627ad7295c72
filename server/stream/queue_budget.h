// QueueBudget: one cap on the bytes queued for every DROP_OLDEST subscriber
// together, so that what many slow clients can make the daemon hold has a
// stated upper bound whatever queue sizes they ask for. Thread-safe.
//
//   QueueBudget budget(256 << 20);
//   if (budget.TryTake(n)) { ...queue n bytes...; later budget.Give(n); }
#ifndef SPECKD_SERVER_STREAM_QUEUE_BUDGET_H_
#define SPECKD_SERVER_STREAM_QUEUE_BUDGET_H_

#include <atomic>
#include <cstddef>

namespace speckd::server {

class QueueBudget {
 public:
  explicit QueueBudget(size_t max_bytes) : max_(max_bytes) {}

  // Takes `bytes` if they fit under the cap; false (nothing taken) if not.
  bool TryTake(size_t bytes) {
    size_t used = used_.load(std::memory_order_relaxed);
    do {
      if (bytes > max_ - used) return false;
    } while (!used_.compare_exchange_weak(used, used + bytes,
                                          std::memory_order_relaxed));
    return true;
  }
  void Give(size_t bytes) { used_.fetch_sub(bytes, std::memory_order_relaxed); }

  size_t used() const { return used_.load(std::memory_order_relaxed); }
  size_t max() const { return max_; }

 private:
  const size_t max_;
  std::atomic<size_t> used_{0};
};

}  // namespace speckd::server

#endif  // SPECKD_SERVER_STREAM_QUEUE_BUDGET_H_
