// The simulated devkit's queue of accepted inputs: the writers' batches kept
// as chunks, oldest first, and taken out by timestamp. Not thread-safe: the
// device guards it with its own mutex.
//
//   InputQueue queue(/*capacity=*/1 << 21);
//   if (queue.Fits(batch.size())) queue.Push(std::move(batch));
//   queue.TakeDue(stop_watch_us, kChunk, &due);   // what is due now
#ifndef SPECKD_DRIVER_SIM_INPUT_QUEUE_H_
#define SPECKD_DRIVER_SIM_INPUT_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <vector>

#include "driver/chip/events.h"

namespace speckd::driver::sim {

class InputQueue {
 public:
  static constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();

  explicit InputQueue(size_t capacity) : capacity_(capacity) {}

  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  bool Fits(size_t n) const { return n <= capacity_ - size_; }

  // Appends a time-ordered batch; it becomes a chunk (moved, not copied).
  void Push(std::vector<chip::InputEvent> batch);
  // The timestamp of the oldest / newest queued input; kNever when empty.
  uint64_t NextTime() const;
  uint64_t LastTime() const;
  // Moves up to `max` inputs stamped at or before `limit_us` into `batch`
  // (empty on entry), in order. Whole chunks are swapped, not copied.
  void TakeDue(uint64_t limit_us, size_t max,
               std::vector<chip::InputEvent>* batch);
  // Drops every queued input; returns how many there were.
  size_t Clear();

 private:
  const size_t capacity_;
  std::deque<std::vector<chip::InputEvent>> chunks_;
  // The front chunk is consumed from here.
  size_t front_offset_ = 0;
  size_t size_ = 0;
};

}  // namespace speckd::driver::sim

#endif  // SPECKD_DRIVER_SIM_INPUT_QUEUE_H_
