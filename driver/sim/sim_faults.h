// SimFaults: faults a simulated devkit can be told to have, on demand, to
// test what clients see when a board misbehaves (speckd --sim_faults,
// SimulateFault, speckctl sim). One object per simulated board, shared by
// the bus (which injects) and the board's SimDevice (which obeys); it
// outlives either.
//
//   faults->StallOutput(absl::Milliseconds(500));   // the link stops
//   faults->FillInputQueue(absl::Seconds(1));       // writes wait
//   faults->JumpClock(absl::Seconds(10));           // the stop watch leaps
#ifndef SPECKD_DRIVER_SIM_SIM_FAULTS_H_
#define SPECKD_DRIVER_SIM_SIM_FAULTS_H_

#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "driver/clock.h"
#include "driver/util/mutex.h"

namespace speckd::driver::sim {

class SimFaults {
 public:
  // Longest stall or full queue that can be asked for.
  static constexpr absl::Duration kMaxFault = absl::Seconds(10);

  explicit SimFaults(Clock* clock) : clock_(clock) {}

  // For `d`, the device delivers nothing: its thread waits, as on a stalled
  // USB link, so it stops processing, its queue fills and writers wait.
  void StallOutput(absl::Duration d);
  // For `d`, the input queue takes nothing: writes wait up to their
  // deadline (then DEADLINE_EXCEEDED, as with a genuinely full queue).
  void FillInputQueue(absl::Duration d);
  // The stop watch jumps forward by `d` (a board whose clock leapt).
  void JumpClock(absl::Duration d);

  // --- for the device ---
  absl::Time stall_until() const;
  // Returns once no output stall is in effect (the device thread calls it,
  // unlocked, before each delivery).
  void WaitOutStall() const;
  absl::Time queue_full_until() const;
  // The jump asked for since the last call (zero if none).
  absl::Duration TakeJump();
  // Called (outside the faults' lock) after each injection so the device
  // looks; nullptr detaches. The device sets it while it lives.
  void SetWake(std::function<void()> wake);

 private:
  void Wake();

  Clock* const clock_;
  // Lock order: a leaf, except that Wake() runs the device's callback
  // (which takes the device's own lock) after releasing it; wake_mu_ is
  // held while calling it, so SetWake(nullptr) waits for a call in progress.
  mutable Mutex mu_;
  absl::Time stall_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time queue_full_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Duration jump_ ABSL_GUARDED_BY(mu_);
  Mutex wake_mu_;
  std::function<void()> wake_ ABSL_GUARDED_BY(wake_mu_);
};

}  // namespace speckd::driver::sim

#endif  // SPECKD_DRIVER_SIM_SIM_FAULTS_H_
