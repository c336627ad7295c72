#include "server/devices/input_writer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "driver/chip/dvs_region.h"

namespace speckd::server {
InputWriter::InputWriter(driver::Device* device, driver::Clock* clock,
                         const InputWriterOptions& options, InputTap* tap)
    : device_(device), clock_(clock), options_(options), tap_(tap) {
  thread_ = std::thread([this] { Loop(); });
  expirer_ = std::thread([this] { ExpireLoop(); });
}

InputWriter::~InputWriter() { Stop(); }

absl::Status InputWriter::Submit(WriteJob job) {
  {
    MutexLock lock(&mu_);
    if (!stopped_.ok()) return stopped_;
    if (!waiting_.empty() || admitted_.size() + converting_ >= kMaxAdmitted) {
      if (absl::Status room = RoomToWaitLocked(job); !room.ok()) return room;
      waiting_.push_back(std::move(job));
      cv_.SignalAll();  // the expirer times the new deadline
      return absl::OkStatus();
    }
    ++converting_;
  }
  // Admitted at once: converted here, off the writer's thread.
  absl::StatusOr<Admitted> admitted = Convert(&job);
  MutexLock lock(&mu_);
  --converting_;
  cv_.SignalAll();
  if (PendingLocked() == 0) empty_cv_.SignalAll();
  if (!admitted.ok()) return admitted.status();
  if (!stopped_.ok()) return stopped_;
  admitted_.push_back(*std::move(admitted));
  return absl::OkStatus();
}

absl::Status InputWriter::RoomToWaitLocked(const WriteJob& job) const {
  if (waiting_.size() >= options_.max_waiting) {
    return absl::ResourceExhaustedError(absl::StrCat(
        waiting_.size(), " writes already wait for room in device ",
        device_->descriptor().id,
        "; retry later, or write from one stream at a time"));
  }
  size_t held = 0;
  for (const WriteJob& waiting : waiting_) held += waiting.request_bytes;
  if (!waiting_.empty() &&
      held + job.request_bytes > options_.max_waiting_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "writes waiting for room in device ", device_->descriptor().id,
        " already hold ", held >> 20, " MiB (at most ",
        options_.max_waiting_bytes >> 20,
        " MiB); retry later, or write smaller batches from one stream at a "
        "time"));
  }
  return absl::OkStatus();
}

void InputWriter::ExpireLocked(
    std::vector<std::pair<WriteJob, absl::Status>>* failed) {
  const absl::Time now = clock_->Now();
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (it->deadline > now) {
      ++it;
      continue;
    }
    failed->push_back(
        {std::move(*it),
         absl::DeadlineExceededError(absl::StrCat(
             "the write waited until its deadline for room in device ",
             device_->descriptor().id, "'s input queue"))});
    it = waiting_.erase(it);
  }
}

void InputWriter::AdmitLocked(
    std::vector<std::pair<WriteJob, absl::Status>>* failed) {
  ExpireLocked(failed);
  while (!waiting_.empty() && admitted_.size() + converting_ < kMaxAdmitted) {
    WriteJob job = std::move(waiting_.front());
    waiting_.pop_front();
    ++converting_;
    mu_.Unlock();
    absl::StatusOr<Admitted> admitted = Convert(&job);
    mu_.Lock();
    --converting_;
    if (!admitted.ok()) {
      failed->push_back({std::move(job), admitted.status()});
    } else {
      admitted_.push_back(*std::move(admitted));
    }
  }
}

absl::StatusOr<InputWriter::Admitted> InputWriter::Convert(WriteJob* job) {
  const std::shared_ptr<const chip::SpeckConfig> config =
      device_->configuration();
  absl::StatusOr<std::vector<chip::InputEvent>> events = job->inputs(*config);
  if (!events.ok()) return events.status();
  Admitted admitted{std::move(*job), *std::move(events), 0};
  int x = 0, y = 0;
  for (const chip::InputEvent& e : admitted.events) {
    if (e.kind == chip::InputEvent::Kind::kDvsEvent &&
        !chip::MapDvsPixel(config->dvs_layer, e.x, e.y, &x, &y)) {
      ++admitted.outside_dvs_region;
    }
  }
  return admitted;
}

void InputWriter::FailLocked(
    std::vector<std::pair<WriteJob, absl::Status>>* failed) {
  mu_.Unlock();
  for (auto& [job, status] : *failed) job.done(status);
  mu_.Lock();
  failed->clear();
  if (PendingLocked() == 0) empty_cv_.SignalAll();
}

void InputWriter::ExpireLoop() {
  MutexLock lock(&mu_);
  while (stopped_.ok()) {
    std::vector<std::pair<WriteJob, absl::Status>> failed;
    ExpireLocked(&failed);
    if (!failed.empty()) {
      FailLocked(&failed);
      continue;
    }
    if (waiting_.empty()) {
      cv_.Wait(&mu_);
      continue;
    }
    absl::Time wake = absl::InfiniteFuture();
    for (const WriteJob& job : waiting_) wake = std::min(wake, job.deadline);
    clock_->WaitUntil(&cv_, &mu_, wake);
  }
}

void InputWriter::Loop() {
  MutexLock lock(&mu_);
  while (true) {
    std::vector<std::pair<WriteJob, absl::Status>> failed;
    AdmitLocked(&failed);
    if (!failed.empty()) {
      FailLocked(&failed);
      continue;
    }
    if (!admitted_.empty()) {
      Admitted next = std::move(admitted_.front());
      admitted_.pop_front();
      writing_ = true;
      mu_.Unlock();
      absl::StatusOr<WriteResult> outcome = Write(&next);
      mu_.Lock();
      // pending() stops counting the write before its caller hears it is
      // done; WaitUntilEmpty also waits for the reply.
      writing_ = false;
      ++replying_;
      mu_.Unlock();
      next.job.done(std::move(outcome));
      mu_.Lock();
      --replying_;
      if (PendingLocked() == 0 && replying_ == 0) empty_cv_.SignalAll();
      continue;
    }
    if (!stopped_.ok() && waiting_.empty() && converting_ == 0) return;
    // Until a write arrives or room opens (the expirer times deadlines).
    cv_.Wait(&mu_);
  }
}

absl::StatusOr<WriteResult> InputWriter::Write(Admitted* admitted_write) {
  Admitted& admitted = *admitted_write;
  WriteJob& job = admitted.job;
  WriteResult result;
  result.accepted = admitted.events.size();
  result.outside_dvs_region = admitted.outside_dvs_region;
  if (!admitted.events.empty()) {
    result.last_timestamp_us = admitted.events.back().timestamp_us;
  }
  absl::Status status = absl::OkStatus();
  if (!admitted.events.empty()) {
    // Blocks while the device queue is full: this is where writers are
    // slowed down (back-pressure), off the gRPC threads.
    // The device takes the batch; a tap (a recording) gets a copy, and
    // only what the device accepted.
    std::vector<chip::InputEvent> tapped;
    if (tap_ != nullptr && tap_->listening()) tapped = admitted.events;
    status = device_->Write(std::move(admitted.events), job.deadline);
    if (status.ok() && !tapped.empty()) tap_->Deliver(tapped);
  }
  if (status.ok() && job.flush) device_->Flush();
  if (status.ok() && result.accepted > 0 && job.on_written) job.on_written();
  if (!status.ok()) return status;
  return result;
}

InputWriter::Dropped InputWriter::Cancel(absl::string_view reason) {
  std::deque<Admitted> admitted;
  std::deque<WriteJob> waiting;
  {
    MutexLock lock(&mu_);
    admitted.swap(admitted_);
    waiting.swap(waiting_);
    cv_.SignalAll();
    if (PendingLocked() == 0) empty_cv_.SignalAll();
  }
  Dropped dropped;
  const absl::Status aborted = absl::AbortedError(reason);
  for (Admitted& a : admitted) {
    dropped.inputs += a.events.size();
    ++dropped.writes;
    a.job.done(aborted);
  }
  for (WriteJob& job : waiting) {
    ++dropped.writes;
    job.done(aborted);
  }
  return dropped;
}

void InputWriter::Stop(absl::Status why) {
  std::deque<Admitted> admitted;
  std::deque<WriteJob> waiting;
  absl::Status why_now;
  {
    MutexLock lock(&mu_);
    if (stopped_.ok()) stopped_ = std::move(why);
    admitted.swap(admitted_);
    waiting.swap(waiting_);
    why_now = stopped_;
    cv_.SignalAll();
  }
  for (Admitted& a : admitted) a.job.done(why_now);
  for (WriteJob& job : waiting) job.done(why_now);
  if (thread_.joinable()) thread_.join();
  if (expirer_.joinable()) expirer_.join();
}

size_t InputWriter::PendingLocked() const {
  return admitted_.size() + waiting_.size() + converting_ + (writing_ ? 1 : 0);
}

size_t InputWriter::pending() const {
  MutexLock lock(&mu_);
  return PendingLocked();
}

bool InputWriter::WaitUntilEmpty(absl::Time deadline) const {
  MutexLock lock(&mu_);
  while (PendingLocked() > 0 || replying_ > 0) {
    if (empty_cv_.WaitWithDeadline(&mu_, deadline)) {
      return PendingLocked() == 0 && replying_ == 0;
    }
  }
  return true;
}

}  // namespace speckd::server
