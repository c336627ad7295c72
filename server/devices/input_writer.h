// InputWriter puts writes into a device on a thread of its own, so that gRPC
// handlers never block on a full device queue, with bounded memory:
//
// - at most kMaxAdmitted writes are converted and waiting for the device;
// - at most `max_waiting` more, holding at most `max_waiting_bytes` of
//   requests together, wait to be admitted, each holding only its request
//   (conversion happens on admission), until its deadline (then
//   DEADLINE_EXCEEDED); beyond that a write is refused with
//   RESOURCE_EXHAUSTED at once.
//
// Deadlines are on the Clock. Cancel() drops every write not yet handed to
// the device; the device's own CancelInputs drops what it queued (and fails a
// write blocked on it).
//
//   InputWriter writer(device, clock, {});
//   writer.Submit({.inputs = convert, .deadline = d, .done = reply});
#ifndef SPECKD_SERVER_DEVICES_INPUT_WRITER_H_
#define SPECKD_SERVER_DEVICES_INPUT_WRITER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "driver/chip/config.h"
#include "driver/chip/events.h"
#include "driver/clock.h"
#include "driver/device.h"
#include "driver/util/mutex.h"
#include "server/devices/input_tap.h"

namespace speckd::server {

// What a write put into the device.
struct WriteResult {
  uint64_t accepted = 0;
  uint64_t last_timestamp_us = 0;
  // Accepted DVS events outside the DVS layer's region (origin..cut after
  // pooling): the chip ignores them, and the writer should hear of it.
  uint64_t outside_dvs_region = 0;
};

struct WriteJob {
  // Turns the request into checked, time-ordered inputs for the device's
  // configuration in effect, when the writer is ready for them.
  std::function<absl::StatusOr<std::vector<chip::InputEvent>>(
      const chip::SpeckConfig& config)>
      inputs;
  // Also tell the device to close windows up to the last input.
  bool flush = false;
  // On the device's clock: how long the write may wait for room.
  absl::Time deadline;
  // Called exactly once, unless Submit refuses the job (then never): with
  // what was accepted, or why not. On the writer's thread or Submit's.
  std::function<void(absl::StatusOr<WriteResult>)> done;
  // After a successful write, before `done` (the device is streaming).
  std::function<void()> on_written;
  // The memory its request holds while the write waits.
  size_t request_bytes = 0;
};

struct InputWriterOptions {
  // Writes waiting to be admitted, at most, and the memory their requests
  // hold together (a parsed request takes about twice its size on the wire;
  // one write may always wait, whatever its size).
  size_t max_waiting = 16;
  size_t max_waiting_bytes = size_t{32} << 20;
};

class InputWriter {
 public:
  // Converted writes waiting for the device, at most.
  static constexpr size_t kMaxAdmitted = 4;

  // `device`, `clock` and `tap` (null: none) must outlive the writer; the
  // tap hears of every batch the device accepted.
  InputWriter(driver::Device* device, driver::Clock* clock,
              const InputWriterOptions& options, InputTap* tap = nullptr);
  ~InputWriter();
  InputWriter(const InputWriter&) = delete;
  InputWriter& operator=(const InputWriter&) = delete;

  // Queues `job`. Refused (and `done` never called) with the conversion's
  // error when admitted at once, RESOURCE_EXHAUSTED when too many writes
  // wait, and Stop's reason once stopping.
  absl::Status Submit(WriteJob job);

  // Drops every write not yet handed to the device; each one's `done` gets
  // ABORTED with `reason`. Returns the inputs dropped (of converted writes)
  // and the writes dropped.
  struct Dropped {
    uint64_t inputs = 0;
    uint64_t writes = 0;
  };
  Dropped Cancel(absl::string_view reason);

  // Refuses new writes and fails the waiting ones with `why` (not OK; the
  // first reason given sticks: a write racing a lost device hears of the loss,
  // not of a shutdown), waits for the one in hand (cancel the device's inputs
  // to cut it short) and joins the threads. Idempotent; not concurrently with
  // itself.
  void Stop(
      absl::Status why = absl::UnavailableError("speckd is shutting down"));

  // Writes admitted, waiting or in hand (a write whose caller is being told
  // it is done no longer counts).
  size_t pending() const;
  // True once no write is pending and every reply has been made; false at
  // `deadline` (wall time: a guard for callers, not a write deadline).
  bool WaitUntilEmpty(absl::Time deadline) const;

 private:
  struct Admitted {
    WriteJob job;
    std::vector<chip::InputEvent> events;
    uint64_t outside_dvs_region = 0;
  };
  // The job's inputs for the device's configuration now (taking the job),
  // or why not (leaving it for its reply).
  absl::StatusOr<Admitted> Convert(WriteJob* job);

  void Loop();
  // Fails waiting writes at their deadline, also while the writer thread is
  // blocked on a full device.
  void ExpireLoop();
  // Moves waiting writes whose deadline passed into `failed`.
  void ExpireLocked(std::vector<std::pair<WriteJob, absl::Status>>* failed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // ExpireLocked, then admits waiting writes while there is room (converting
  // them unlocked; conversion errors go into `failed` too).
  void AdmitLocked(std::vector<std::pair<WriteJob, absl::Status>>* failed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FailLocked(std::vector<std::pair<WriteJob, absl::Status>>* failed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  size_t PendingLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Why `job` may not wait now, if it may not (too many, or too much).
  absl::Status RoomToWaitLocked(const WriteJob& job) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Hands one admitted write to the device (blocking while its queue is
  // full); what the write's `done` is to hear.
  absl::StatusOr<WriteResult> Write(Admitted* admitted);

  driver::Device* const device_;
  driver::Clock* const clock_;
  const InputWriterOptions options_;
  InputTap* const tap_;

  // Guards the queues below; never held while calling the device or a
  // job's callbacks (they may take any lock).
  mutable Mutex mu_;
  CondVar cv_;
  std::deque<Admitted> admitted_ ABSL_GUARDED_BY(mu_);
  std::deque<WriteJob> waiting_ ABSL_GUARDED_BY(mu_);
  // Writes being converted outside the lock (they count as admitted).
  size_t converting_ ABSL_GUARDED_BY(mu_) = 0;
  // A write handed to the device and not done yet.
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  // Done callbacks of finished writes still running.
  int replying_ ABSL_GUARDED_BY(mu_) = 0;
  mutable CondVar empty_cv_;
  // OK until Stop; then why, what writes submitted after it hear.
  absl::Status stopped_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
  std::thread expirer_;
};

}  // namespace speckd::server

#endif  // SPECKD_SERVER_DEVICES_INPUT_WRITER_H_
