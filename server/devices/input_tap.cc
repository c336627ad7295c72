#include "server/devices/input_tap.h"

#include <utility>

namespace speckd::server {

int InputTap::Add(Listener listener) {
  MutexLock lock(&mu_);
  const int token = next_token_++;
  listeners_.emplace(token, std::move(listener));
  count_.store(static_cast<int>(listeners_.size()));
  return token;
}

void InputTap::Remove(int token) {
  MutexLock lock(&mu_);
  listeners_.erase(token);
  count_.store(static_cast<int>(listeners_.size()));
}

void InputTap::Deliver(absl::Span<const chip::InputEvent> events) {
  if (!listening() || events.empty()) return;
  MutexLock lock(&mu_);
  for (auto& [token, listener] : listeners_) listener(events);
}

}  // namespace speckd::server
