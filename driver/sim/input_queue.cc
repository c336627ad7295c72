#include "driver/sim/input_queue.h"

#include <algorithm>
#include <utility>

namespace speckd::driver::sim {

void InputQueue::Push(std::vector<chip::InputEvent> batch) {
  if (batch.empty()) return;
  size_ += batch.size();
  chunks_.push_back(std::move(batch));
}

uint64_t InputQueue::NextTime() const {
  return chunks_.empty() ? kNever : chunks_.front()[front_offset_].timestamp_us;
}

uint64_t InputQueue::LastTime() const {
  return chunks_.empty() ? kNever : chunks_.back().back().timestamp_us;
}

void InputQueue::TakeDue(uint64_t limit_us, size_t max,
                         std::vector<chip::InputEvent>* batch) {
  while (!chunks_.empty() && batch->size() < max) {
    std::vector<chip::InputEvent>& front = chunks_.front();
    const auto begin = front.begin() + static_cast<ptrdiff_t>(front_offset_);
    // Chunks are time-ordered: the due inputs are a prefix.
    const auto end =
        std::upper_bound(begin, front.end(), limit_us,
                         [](uint64_t limit, const chip::InputEvent& e) {
                           return limit < e.timestamp_us;
                         });
    const size_t n =
        std::min(static_cast<size_t>(end - begin), max - batch->size());
    if (n == 0) return;
    if (batch->empty() && front_offset_ == 0 && n == front.size()) {
      batch->swap(front);
      front.clear();
    } else {
      batch->insert(batch->end(), begin, begin + static_cast<ptrdiff_t>(n));
    }
    size_ -= n;
    front_offset_ += n;
    if (front.empty() || front_offset_ >= front.size()) {
      chunks_.pop_front();
      front_offset_ = 0;
    }
  }
}

size_t InputQueue::Clear() {
  const size_t dropped = size_;
  chunks_.clear();
  front_offset_ = 0;
  size_ = 0;
  return dropped;
}

}  // namespace speckd::driver::sim
