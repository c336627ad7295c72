#include "driver/sim/sim_device.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "driver/chip/input_check.h"
#include "driver/chip/model.h"
#include "driver/chip/validate.h"
#include "driver/device_checks.h"
#include "driver/sim/input_queue.h"
#include "driver/sim/neuron_io.h"
#include "driver/sim/output_counts.h"
#include "driver/sim/power_model.h"
#include "driver/sim/wall_stop_watch.h"
#include "driver/util/mutex.h"

namespace speckd::driver::sim {
namespace {

constexpr uint64_t kNever = InputQueue::kNever;
// Inputs processed between two deliveries to the listener, at most.
constexpr size_t kChunk = size_t{1} << 18;
// In real time the listener hears of the time line's progress at least this
// often (stop-watch µs), so windows close on time even without events.
constexpr uint64_t kHeartbeatUs = 10000;
// In real time, dense input is released at most this often: waking for every
// event of a 1 MHz stream would cost more than the events (and deliver them
// in tiny messages). Sparse input still runs when its time comes. Each
// release costs a stream message per subscriber, and on a small VM those
// wake-ups and loopback sends dominate: 500 µs instead of 200 µs halved the
// daemon's CPU at 1 M events/s and cut p99 latency from 1-5 ms to ~1 ms
// (speckd_bench --runs=latency), for ~0.15 ms more at the median.
constexpr uint64_t kRealTimeQuantumUs = 500;

absl::Status ShuttingDown() {
  return absl::UnavailableError("the simulated devkit is shutting down");
}

class SimDevice final : public Device {
 public:
  explicit SimDevice(const SimDeviceOptions& options)
      : clock_(options.clock),
        queue_(options.input_queue_capacity),
        faults_(options.faults),
        pacing_(options.pacing) {
    descriptor_.id = absl::StrCat("speck2edevkit-sim:", options.rank);
    descriptor_.type_name = "Speck2eDevKit";
    descriptor_.serial_number = absl::StrCat("sim-", options.rank);
    descriptor_.backend = Backend::kSim;
    descriptor_.logic_version = "speckd-sim";
    descriptor_.product = "simulated Speck2e devkit (speckd chip model)";
    watch_ = WallStopWatch(clock_->Now());
    // A default (empty) configuration so that every query works before the
    // first apply; writes still need an applied configuration.
    config_ = std::make_shared<const chip::SpeckConfig>();
    model_config_ = config_;
    model_ = std::move(chip::ChipModel::Create(*config_)).value();
    thread_ = std::thread([this] { Run(); });
    if (faults_ != nullptr) {
      faults_->SetWake(this, [this] {
        MutexLock lock(&mu_);
        work_cv_.SignalAll();
        space_cv_.SignalAll();
      });
    }
  }

  ~SimDevice() override {
    if (faults_ != nullptr) faults_->ClearWake(this);
    {
      MutexLock lock(&mu_);
      stop_ = true;
      work_cv_.SignalAll();
      space_cv_.SignalAll();
    }
    thread_.join();
  }

  const DeviceDescriptor& descriptor() const override { return descriptor_; }

  void SetOutputListener(OutputListener* listener) override {
    MutexLock lock(&listener_mu_);
    listener_ = listener;
  }

  absl::Status ApplyConfiguration(const chip::SpeckConfig& config) override {
    auto shared = std::make_shared<const chip::SpeckConfig>(config);
    absl::StatusOr<std::unique_ptr<chip::ChipModel>> model =
        chip::ChipModel::Create(*shared);
    if (!model.ok()) return model.status();
    // Compiled off the device thread; swapped in on it, together with the
    // configuration writes are checked against, so that no input checked
    // against the old one survives the swap.
    auto fresh =
        std::make_shared<std::unique_ptr<chip::ChipModel>>(*std::move(model));
    return RunOnDeviceThread([this, fresh, shared] {
      const chip::ModelStats& old = model_->stats();
      synops_base_ += old.TotalSynops();
      spikes_base_ += old.TotalSpikes();
      late_base_ += old.late_inputs;
      overflow_base_ += old.cascade_overflow;
      model_ = std::move(*fresh);
      model_config_ = shared;
      MutexLock lock(&mu_);
      // The new network continues on the same time line, with the
      // configuration's slow clock.
      model_->SetTime(device_time_us_);
      const chip::SlowClockConfig& clock = model_->config().slow_clock;
      slow_clock_ = {clock.enable, clock.enable ? clock.rate_hz : 0};
      config_ = shared;
      input_check_ = chip::InputCheck(shared.get());
      configured_ = true;
      notices_.push_back(
          {DeviceNotice::Kind::kReconfigured, DropQueuedLocked()});
    });
  }

  std::shared_ptr<const chip::SpeckConfig> configuration() const override {
    MutexLock lock(&mu_);
    return config_;
  }

  absl::Status Write(std::vector<chip::InputEvent> events,
                     absl::Time deadline) override {
    MutexLock lock(&mu_);
    if (!configured_) {
      return absl::FailedPreconditionError(
          "no configuration applied to this device: apply one first");
    }
    // Also here, not only at the edge: device_sink graphs write directly,
    // and the configuration may have changed since the edge checked.
    if (absl::Status s = chip::CheckInputs(events, input_check_); !s.ok()) {
      return s;
    }
    if (absl::Status s = CheckBatchFits(events.size(), queue_.capacity());
        !s.ok()) {
      return s;
    }
    const uint64_t generation = drop_generation_;
    while (!stop_ && (!queue_.Fits(events.size()) || QueueFaultLocked())) {
      if (clock_->Now() >= deadline) {
        return absl::DeadlineExceededError(absl::StrCat(
            "the device's input queue stayed full (", queue_.size(),
            " events waiting for their time) until the deadline"));
      }
      const absl::Time fault_ends =
          faults_ != nullptr ? faults_->queue_full_until() : deadline;
      clock_->WaitUntil(
          &space_cv_, &mu_,
          QueueFaultLocked() ? std::min(deadline, fault_ends) : deadline);
      if (drop_generation_ != generation) {
        return absl::AbortedError(
            "the device's queued inputs were dropped (cancel, stop-watch "
            "reset or a new configuration) while this write waited for room");
      }
    }
    if (stop_) return ShuttingDown();
    if (events.empty()) return absl::OkStatus();
    written_ += events.size();
    counters_.events_in += events.size();
    last_input_us_ = std::max(last_input_us_, events.back().timestamp_us);
    // Moved, not copied: the batch becomes a chunk of the queue.
    queue_.Push(std::move(events));
    work_cv_.Signal();
    return absl::OkStatus();
  }

  void Flush() override {
    MutexLock lock(&mu_);
    flushes_.push_back({written_, last_input_us_});
    work_cv_.Signal();
  }

  absl::StatusOr<uint64_t> CancelInputs() override {
    uint64_t dropped = 0;
    // On the device thread, so that the notice follows the outputs of every
    // input processed before it.
    absl::Status ran = RunOnDeviceThread([this, &dropped] {
      MutexLock lock(&mu_);
      dropped = DropQueuedLocked();
      notices_.push_back({DeviceNotice::Kind::kInputsCancelled, dropped});
    });
    if (!ran.ok()) return ran;
    return dropped;
  }

  bool WaitUntilIdle(absl::Duration timeout) override {
    const absl::Time deadline = absl::Now() + timeout;
    MutexLock lock(&mu_);
    while (!IdleLocked()) {
      if (idle_cv_.WaitWithDeadline(&mu_, deadline)) return IdleLocked();
    }
    return true;
  }

  absl::StatusOr<StopWatchState> SetStopWatch(std::optional<bool> enable,
                                              bool reset) override {
    if (reset) {
      absl::Status ran = RunOnDeviceThread([this] {
        model_->SetTime(0);
        MutexLock lock(&mu_);
        ++epoch_;
        device_time_us_ = 0;
        last_input_us_ = 0;
        last_delivered_us_ = 0;
        next_release_us_ = 0;
        watch_.Set(0, clock_->Now());
        RestartPowerScheduleLocked();
        notices_.push_back(
            {DeviceNotice::Kind::kStopWatchReset, DropQueuedLocked()});
      });
      if (!ran.ok()) return ran;
    }
    MutexLock lock(&mu_);
    if (enable.has_value() && *enable != watch_.running()) {
      // Freeze or resume the stop watch where it stands.
      watch_.Set(StopWatchUsLocked(), clock_->Now());
      watch_.set_running(*enable);
      work_cv_.Signal();
    }
    return StopWatchLocked();
  }

  StopWatchState stop_watch() const override {
    MutexLock lock(&mu_);
    return StopWatchLocked();
  }

  absl::Status SetSlowClock(bool enable, double rate_hz) override {
    if (absl::Status s = CheckSlowClock(enable, rate_hz); !s.ok()) return s;
    return RunOnDeviceThread([this, enable, rate_hz] {
      model_->SetSlowClock(enable, rate_hz);
      MutexLock lock(&mu_);
      slow_clock_ = {enable, enable ? rate_hz : 0};
    });
  }

  SlowClockState slow_clock() const override {
    MutexLock lock(&mu_);
    return slow_clock_;
  }

  absl::Status SetPacing(Pacing pacing) override {
    MutexLock lock(&mu_);
    if (pacing == pacing_) return absl::OkStatus();
    if (pacing == Pacing::kRealTime) {
      // The stop watch resumes from where the inputs took the time line.
      watch_.Set(device_time_us_, clock_->Now());
    }
    pacing_ = pacing;
    work_cv_.Signal();
    return absl::OkStatus();
  }

  Pacing pacing() const override {
    MutexLock lock(&mu_);
    return pacing_;
  }

  absl::Status SetPowerMonitorRate(double rate_hz) override {
    if (absl::Status s = CheckPowerMonitorRate(rate_hz); !s.ok()) return s;
    return RunOnDeviceThread([this, rate_hz] {
      MutexLock lock(&mu_);
      power_rate_hz_ = rate_hz;
      RestartPowerScheduleLocked();
    });
  }

  double power_monitor_rate() const override {
    MutexLock lock(&mu_);
    return power_rate_hz_;
  }

  absl::StatusOr<std::vector<int16_t>> ReadNeurons(
      int layer, absl::Span<const NeuronAddress> neurons,
      std::vector<NeuronAddress>* addresses) override {
    absl::StatusOr<std::vector<int16_t>> result =
        absl::InternalError("the neuron read did not run");
    std::vector<NeuronAddress> wanted(neurons.begin(), neurons.end());
    absl::Status ran = RunOnDeviceThread([&] {
      result = wanted.empty()
                   ? ReadCore(*model_, layer, addresses ? &wanted : nullptr)
                   : ReadEach(*model_, layer, wanted);
    });
    if (!ran.ok()) return ran;
    if (result.ok() && addresses != nullptr) *addresses = std::move(wanted);
    return result;
  }

  absl::Status WriteNeurons(int layer, absl::Span<const NeuronAddress> neurons,
                            absl::Span<const int16_t> values) override {
    absl::Status status = absl::InternalError("the neuron write did not run");
    absl::Status ran = RunOnDeviceThread(
        [&] { status = WriteEach(*model_, layer, neurons, values); });
    if (!ran.ok()) return ran;
    return status;
  }

  DeviceCounters counters() const override {
    MutexLock lock(&mu_);
    DeviceCounters c = counters_;
    c.queued_inputs = queue_.size();
    return c;
  }

  void Ping(std::function<void()> pong) override {
    MutexLock lock(&mu_);
    if (stop_) return;
    commands_.push_back(std::move(pong));
    work_cv_.Signal();
  }

 private:
  struct FlushMark {
    uint64_t sequence;
    uint64_t last_input_us;
  };

  // Runs `fn` on the device thread (which owns the model) and waits for it.
  absl::Status RunOnDeviceThread(std::function<void()> fn) {
    Notification done;
    {
      MutexLock lock(&mu_);
      if (stop_) return ShuttingDown();
      commands_.push_back([&fn, &done] {
        fn();
        done.Notify();
      });
      work_cv_.Signal();
    }
    done.WaitForNotification();
    return absl::OkStatus();
  }

  // Device thread: drops every queued input, pending flushes with them, and
  // wakes writers waiting for room (they fail: what they waited behind is
  // gone). Returns how many inputs.
  uint64_t DropQueuedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const uint64_t dropped = queue_.Clear();
    processed_ += dropped;
    flushes_.clear();
    counters_.dropped_inputs += dropped;
    ++drop_generation_;
    space_cv_.SignalAll();
    return dropped;
  }

  // An injected "queue full" is in effect.
  bool QueueFaultLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return faults_ != nullptr && clock_->Now() < faults_->queue_full_until();
  }

  // Device thread: a clock jump asked for moves the stop watch forward.
  void ApplyClockJumpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (faults_ == nullptr) return;
    const absl::Duration jump = faults_->TakeJump();
    if (jump <= absl::ZeroDuration()) return;
    if (pacing_ == Pacing::kAsFastAsPossible) {
      device_time_us_ += static_cast<uint64_t>(absl::ToInt64Microseconds(jump));
    } else {
      watch_.Jump(jump);
    }
  }

  bool IdleLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return queue_.empty() && in_flight_ == 0 && flushes_.empty() &&
           commands_.empty() && notices_.empty();
  }

  uint64_t StopWatchUsLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (pacing_ == Pacing::kAsFastAsPossible) return device_time_us_;
    return watch_.Read(clock_->Now());
  }

  StopWatchState StopWatchLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return {watch_.running(), StopWatchUsLocked(), epoch_};
  }

  // When (on the clock) the stop watch will read `us`.
  absl::Time ClockTimeOfLocked(uint64_t us) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return watch_.When(us);
  }

  uint64_t PowerSampleTime(uint64_t index) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return static_cast<uint64_t>(
        std::ceil(static_cast<double>(index) * 1e6 / power_rate_hz_ - 1e-6));
  }

  // Device thread only: samples from the first period boundary after the
  // device's time, accounting for activity from now on.
  void RestartPowerScheduleLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    power_activity_ = CurrentActivity();
    if (power_rate_hz_ <= 0) {
      next_power_us_ = kNever;
      return;
    }
    next_power_index_ =
        static_cast<uint64_t>(std::floor(static_cast<double>(device_time_us_) /
                                         (1e6 / power_rate_hz_))) +
        1;
    next_power_us_ = PowerSampleTime(next_power_index_);
  }

  // Runs what RunOnDeviceThread queued, without holding mu_ meanwhile.
  void RunCommandsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (!commands_.empty()) {
      std::function<void()> command = std::move(commands_.front());
      commands_.pop_front();
      mu_.Unlock();
      command();
      mu_.Lock();
    }
  }

  // Device thread only (reads the model).
  Activity CurrentActivity() const {
    const chip::ModelStats& s = model_->stats();
    Activity a;
    a.synops = synops_base_ + s.TotalSynops();
    a.spikes = spikes_base_ + s.TotalSpikes();
    a.boundary_events = processed_inputs_ + outputs_.events;
    return a;
  }

  // Device thread: the power sample at `sample_us`, for the activity since
  // the previous one.
  void SamplePowerLocked(uint64_t sample_us, DeviceOutput* output)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    device_time_us_ = std::max(device_time_us_, sample_us);
    const Activity now = CurrentActivity();
    Activity delta;
    delta.synops = now.synops - power_activity_.synops;
    delta.spikes = now.spikes - power_activity_.spikes;
    delta.boundary_events =
        now.boundary_events - power_activity_.boundary_events;
    power_activity_ = now;
    const auto watts = ModelPower(delta, 1.0 / power_rate_hz_);
    for (int rail = 0; rail < kPowerRails; ++rail) {
      output->power.push_back(
          {sample_us, static_cast<uint8_t>(rail), watts[rail]});
    }
  }

  // Device thread: hands `output` to the listener, without holding mu_.
  void DeliverLocked(DeviceOutput* output) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    output->configuration = model_config_;
    output->notices.swap(notices_);
    notices_.clear();
    output->epoch = epoch_;
    output->time_us = device_time_us_;
    last_delivered_us_ = device_time_us_;
    mu_.Unlock();
    if (faults_ != nullptr) faults_->WaitOutStall();
    if (!held_.Hold(*output)) {
      MutexLock listener_lock(&listener_mu_);
      held_.Release(listener_);
      if (listener_ != nullptr) listener_->OnOutput(*output);
    }
    mu_.Lock();
  }

  // Device thread, at the top of its loop: a wedge asked for, then what a
  // burst that ended held.
  void ObeyFaultsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (faults_ == nullptr) return;
    mu_.Unlock();
    faults_->WaitOutWedge();
    {
      MutexLock listener_lock(&listener_mu_);
      held_.Release(listener_);
    }
    mu_.Lock();
  }

  void Run();

  DeviceDescriptor descriptor_;
  Clock* const clock_;

  // Lock order: mu_ is never held while taking listener_mu_ (the listener
  // may call back into the device, e.g. a device_sink writing here).
  mutable Mutex mu_;
  CondVar work_cv_;   // the device thread waits here
  CondVar space_cv_;  // writers wait here for queue space
  CondVar idle_cv_;   // WaitUntilIdle waits here
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<std::function<void()>> commands_ ABSL_GUARDED_BY(mu_);
  InputQueue queue_ ABSL_GUARDED_BY(mu_);
  // Injected faults (null: none); the pointer never changes.
  const std::shared_ptr<SimFaults> faults_;
  // Inputs taken from the queue whose outputs are not delivered yet.
  size_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  // Bumped whenever the queue is dropped: writers waiting for room give up.
  uint64_t drop_generation_ ABSL_GUARDED_BY(mu_) = 0;
  // Inputs ever queued / processed or dropped (flush marks count in these).
  uint64_t written_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t processed_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<FlushMark> flushes_ ABSL_GUARDED_BY(mu_);
  // For the next output.
  std::vector<DeviceNotice> notices_ ABSL_GUARDED_BY(mu_);
  // What writes are checked against; replaced on the device thread.
  std::shared_ptr<const chip::SpeckConfig> config_ ABSL_GUARDED_BY(mu_);
  chip::InputCheck input_check_ ABSL_GUARDED_BY(mu_){nullptr};
  bool configured_ ABSL_GUARDED_BY(mu_) = false;
  Pacing pacing_ ABSL_GUARDED_BY(mu_);
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  // The stop watch in real time (as fast as possible it is device_time_us_).
  WallStopWatch watch_ ABSL_GUARDED_BY(mu_);
  // How far the device has processed its time line.
  uint64_t device_time_us_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_delivered_us_ ABSL_GUARDED_BY(mu_) = 0;
  // Real time: the earliest stop-watch time the device wakes for the next
  // release of inputs (one quantum after the last; any time in a new epoch).
  uint64_t next_release_us_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_input_us_ ABSL_GUARDED_BY(mu_) = 0;
  SlowClockState slow_clock_ ABSL_GUARDED_BY(mu_);
  double power_rate_hz_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_power_index_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t next_power_us_ ABSL_GUARDED_BY(mu_) = kNever;
  Activity power_activity_ ABSL_GUARDED_BY(mu_);
  DeviceCounters counters_ ABSL_GUARDED_BY(mu_);

  // Device thread only.
  std::unique_ptr<chip::ChipModel> model_;
  std::shared_ptr<const chip::SpeckConfig> model_config_;
  uint64_t synops_base_ = 0;
  uint64_t spikes_base_ = 0;
  uint64_t late_base_ = 0;
  uint64_t overflow_base_ = 0;
  uint64_t processed_inputs_ = 0;
  OutputCounts outputs_;

  Mutex listener_mu_;
  OutputListener* listener_ ABSL_GUARDED_BY(listener_mu_) = nullptr;
  // Device thread only: outputs a burst (SimFaults) holds back.
  HeldOutputs held_{faults_.get(), clock_};

  std::thread thread_;
};

void SimDevice::Run() {
  std::vector<chip::InputEvent> batch;
  DeviceOutput output;
  MutexLock lock(&mu_);
  while (!stop_) {
    ObeyFaultsLocked();
    RunCommandsLocked();
    if (stop_) break;
    ApplyClockJumpLocked();

    const bool real_time = pacing_ == Pacing::kRealTime;
    // How far the time line may advance now: the stop watch in real time;
    // as fast as possible, up to the latest of the oldest and the newest
    // queued input (independent writers' batches may queue out of order: an
    // earlier-stamped one behind a later one plays late, never waits).
    const uint64_t horizon =
        real_time ? StopWatchUsLocked()
        : queue_.empty()
            ? device_time_us_
            : std::max({device_time_us_, queue_.NextTime(), queue_.LastTime()});

    // Release inputs due by the horizon, stopping at a power-sample boundary
    // so that each sample accounts exactly for its interval.
    batch.clear();
    const uint64_t next_sample = power_rate_hz_ > 0 ? next_power_us_ : kNever;
    const bool sample_due =
        next_sample <= horizon && next_sample <= queue_.NextTime();
    if (!sample_due) {
      queue_.TakeDue(
          next_sample == kNever ? horizon : std::min(horizon, next_sample - 1),
          kChunk, &batch);
    }
    processed_ += batch.size();
    in_flight_ = batch.size();
    if (!batch.empty()) next_release_us_ = horizon + kRealTimeQuantumUs;
    bool flush = false;
    uint64_t flush_last_input = 0;
    if (!flushes_.empty() && flushes_.front().sequence <= processed_) {
      flush = true;
      flush_last_input = flushes_.front().last_input_us;
      flushes_.pop_front();
    }
    const uint64_t sample_us = next_power_us_;
    if (sample_due) next_power_us_ = PowerSampleTime(++next_power_index_);
    const bool more_inputs_due = queue_.NextTime() <= horizon;
    if (!batch.empty()) space_cv_.SignalAll();
    mu_.Unlock();

    output.events.clear();
    output.power.clear();
    output.notices.clear();
    model_->Process(batch.data(), batch.size(), &output.events);
    processed_inputs_ += batch.size();
    if (sample_due) {
      if (sample_us > 0) model_->AdvanceTo(sample_us - 1, &output.events);
    } else if (real_time && !more_inputs_due) {
      // Ticks run as the stop watch moves, inputs or not.
      model_->AdvanceTo(horizon, &output.events);
    }
    outputs_.Add(output.events);

    mu_.Lock();
    device_time_us_ = std::max(device_time_us_, model_->time_us());
    if (sample_due) SamplePowerLocked(sample_us, &output);
    const chip::ModelStats& stats = model_->stats();
    outputs_.CopyTo(&counters_);
    counters_.synops = synops_base_ + stats.TotalSynops();
    counters_.late_inputs = late_base_ + stats.late_inputs;
    counters_.cascade_overflow = overflow_base_ + stats.cascade_overflow;

    const bool heartbeat = real_time && watch_.running() &&
                           device_time_us_ >= last_delivered_us_ + kHeartbeatUs;
    // Deliver whenever the time line moved or something happened, so that
    // listeners can close windows even when no event came out.
    if (!batch.empty() || !output.events.empty() || !output.power.empty() ||
        flush || heartbeat || !notices_.empty()) {
      output.flush = flush;
      output.last_input_us = flush_last_input;
      DeliverLocked(&output);
    }
    in_flight_ = 0;
    if (IdleLocked()) idle_cv_.SignalAll();

    // More to do right away? (stop_ may have been set while unlocked.)
    if (stop_) break;
    if (!commands_.empty() || !batch.empty() || sample_due || flush ||
        more_inputs_due ||
        (!flushes_.empty() && flushes_.front().sequence <= processed_)) {
      continue;
    }
    if (!real_time) {
      if (queue_.empty()) {
        clock_->WaitUntil(&work_cv_, &mu_,
                          held_.WakeBy(absl::InfiniteFuture()));
      }
      continue;
    }
    if (!watch_.running()) {
      clock_->WaitUntil(&work_cv_, &mu_, held_.WakeBy(absl::InfiniteFuture()));
      continue;
    }
    // Sleep until the next input, power sample or heartbeat is due.
    uint64_t wake_us = last_delivered_us_ + kHeartbeatUs;
    wake_us = std::min(wake_us, std::max(queue_.NextTime(), next_release_us_));
    if (power_rate_hz_ > 0) wake_us = std::min(wake_us, next_power_us_);
    clock_->WaitUntil(&work_cv_, &mu_,
                      held_.WakeBy(ClockTimeOfLocked(wake_us)));
  }
  // Callers of RunOnDeviceThread may still be waiting: run what they queued.
  RunCommandsLocked();
}

}  // namespace

std::unique_ptr<Device> NewSimDevice(const SimDeviceOptions& options) {
  return std::make_unique<SimDevice>(options);
}

std::unique_ptr<Device> NewSimDevice(int rank) {
  SimDeviceOptions options;
  options.rank = rank;
  return NewSimDevice(options);
}

}  // namespace speckd::driver::sim
