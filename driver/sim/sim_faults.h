// SimFaults: faults a simulated devkit can be told to have, on demand, to
// test what clients see when a board misbehaves (speckd --sim_faults,
// SimulateFault, speckctl sim). One object per simulated board, shared by
// the bus (which injects) and the board's SimDevice (which obeys); it
// outlives either.
//
//   faults->StallOutput(absl::Milliseconds(500));   // the link stops
//   faults->FillInputQueue(absl::Seconds(1));       // writes wait
//   faults->JumpClock(absl::Seconds(10));           // the stop watch leaps
//   faults->BurstOutput(absl::Seconds(1));          // held, then all at once
//   faults->WedgeThread(absl::Seconds(5));          // the driver hangs
#ifndef SPECKD_DRIVER_SIM_SIM_FAULTS_H_
#define SPECKD_DRIVER_SIM_SIM_FAULTS_H_

#include <cstddef>
#include <deque>
#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "driver/clock.h"
#include "driver/device.h"
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
  // For `d`, the device keeps processing but holds its outputs back, then
  // delivers them back to back (a link that buffers, then flushes at once).
  void BurstOutput(absl::Duration d);
  // The device's thread stops dead for `d`, as a driver stuck in a call:
  // no processing, no deliveries, no answers (the daemon's watchdog should
  // notice). Only the device running at the time is wedged.
  void WedgeThread(absl::Duration d);

  // --- for the device ---
  absl::Time stall_until() const;
  // Returns once no output stall is in effect (the device thread calls it,
  // unlocked, before each delivery).
  void WaitOutStall() const;
  absl::Time queue_full_until() const;
  // The jump asked for since the last call (zero if none).
  absl::Duration TakeJump();
  absl::Time burst_until() const;
  // Takes the wedge asked for (if any) and waits it out on the clock; the
  // device thread calls it, unlocked, at the top of its loop.
  void WaitOutWedge();
  // A device thread is waiting out a wedge now (tests wait for it).
  bool wedged() const;
  // Called (outside the faults' lock) after each injection so that the
  // device `owner` looks; ClearWake(owner) detaches it (a later device of the
  // same board may have set its own meanwhile).
  void SetWake(const void* owner, std::function<void()> wake);
  void ClearWake(const void* owner);

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
  absl::Time burst_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Duration wedge_ ABSL_GUARDED_BY(mu_);
  bool wedged_ ABSL_GUARDED_BY(mu_) = false;
  // Waits on the clock until `until`; nothing signals sleep_cv_, so each
  // wait ends at its deadline (on a fake clock, when the test moves it).
  // The mutex and condition variable live as long as the faults: a clock
  // may still touch them just after a sleeper has returned.
  void SleepUntil(absl::Time until) const;
  mutable Mutex sleep_mu_;  // a leaf
  mutable CondVar sleep_cv_;

  Mutex wake_mu_;
  const void* wake_owner_ ABSL_GUARDED_BY(wake_mu_) = nullptr;
  std::function<void()> wake_ ABSL_GUARDED_BY(wake_mu_);
};

// What a burst holds back, for the device thread alone: outputs wait here
// while faults->burst_until() is ahead, at most kMaxEvents events of them
// (beyond, the burst ends early: memory stays bounded). With no faults,
// nothing is held.
class HeldOutputs {
 public:
  static constexpr size_t kMaxEvents = size_t{1} << 22;

  HeldOutputs(const SimFaults* faults, Clock* clock)
      : faults_(faults), clock_(clock) {}

  // Keeps `output` if a burst is in effect and there is room.
  bool Hold(const DeviceOutput& output);
  // Once the burst is over (or full): hands everything held, oldest first,
  // to `listener` (may be null: dropped, as live outputs would be).
  void Release(OutputListener* listener);
  // A wait that must end by `t` ends by the burst's end while it holds.
  absl::Time WakeBy(absl::Time t) const;

 private:
  const SimFaults* const faults_;
  Clock* const clock_;
  std::deque<DeviceOutput> held_;
  size_t events_ = 0;
  bool full_ = false;
};

}  // namespace speckd::driver::sim

#endif  // SPECKD_DRIVER_SIM_SIM_FAULTS_H_
