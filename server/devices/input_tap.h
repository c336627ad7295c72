// InputTap: who hears of the inputs a device accepted (recordings). Every
// batch the device took, from writes and from device_sink graphs, goes to
// each listener in order, after the device accepted it. A listener may make
// the writer wait (a LOSSLESS recording applies back-pressure, within its
// bounded stall).
//
//   int token = device->input_tap()->Add([](absl::Span<const InputEvent> e) {
//     ...
//   });
//   device->input_tap()->Remove(token);   // no call in progress after this
#ifndef SPECKD_SERVER_DEVICES_INPUT_TAP_H_
#define SPECKD_SERVER_DEVICES_INPUT_TAP_H_

#include <atomic>
#include <functional>
#include <map>

#include "absl/base/thread_annotations.h"
#include "absl/types/span.h"
#include "driver/chip/events.h"
#include "driver/util/mutex.h"

namespace speckd::server {

class InputTap {
 public:
  using Listener = std::function<void(absl::Span<const chip::InputEvent>)>;

  int Add(Listener listener);
  // Waits for a delivery in progress to return.
  void Remove(int token);

  // True while someone listens (writers copy their batch only then).
  bool listening() const { return count_.load() > 0; }
  void Deliver(absl::Span<const chip::InputEvent> events);

 private:
  // Held while delivering, so that Remove waits for a delivery to end;
  // deliveries (from the writer thread and from other devices' threads)
  // take it in turn. A leaf apart from what listeners take.
  Mutex mu_;
  std::map<int, Listener> listeners_ ABSL_GUARDED_BY(mu_);
  int next_token_ ABSL_GUARDED_BY(mu_) = 1;
  std::atomic<int> count_{0};
};

}  // namespace speckd::server

#endif  // SPECKD_SERVER_DEVICES_INPUT_TAP_H_
