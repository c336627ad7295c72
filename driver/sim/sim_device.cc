#include "driver/sim/sim_device.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <limits>
#include <string>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "driver/chip/input_check.h"
#include "driver/chip/model.h"
#include "driver/chip/validate.h"
#include "driver/sim/power_model.h"
#include "driver/util/mutex.h"

namespace speckd::driver::sim {
namespace {

constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();
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

class SimDevice final : public Device {
 public:
  explicit SimDevice(const SimDeviceOptions& options)
      : clock_(options.clock),
        capacity_(options.input_queue_capacity),
        pacing_(options.pacing) {
    descriptor_.id = absl::StrCat("speck2edevkit:", options.rank);
    descriptor_.type_name = "Speck2eDevKit";
    descriptor_.serial_number = absl::StrCat("sim-", options.rank);
    descriptor_.backend = Backend::kSim;
    descriptor_.logic_version = "speckd-sim";
    stop_watch_origin_ = clock_->Now();
    // A default (empty) configuration so that every query works before the
    // first apply; writes still need an applied configuration.
    model_ = std::move(chip::ChipModel::Create(config_)).value();
    thread_ = std::thread([this] { Run(); });
  }

  ~SimDevice() override {
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
    absl::StatusOr<std::unique_ptr<chip::ChipModel>> model =
        chip::ChipModel::Create(config);
    if (!model.ok()) return model.status();
    // Compiled off the device thread; swapped in on it.
    auto fresh =
        std::make_shared<std::unique_ptr<chip::ChipModel>>(*std::move(model));
    RunOnDeviceThread([this, fresh] {
      const chip::ModelStats& old = model_->stats();
      synops_base_ += old.TotalSynops();
      spikes_base_ += old.TotalSpikes();
      late_base_ += old.late_inputs;
      overflow_base_ += old.cascade_overflow;
      model_ = std::move(*fresh);
      MutexLock lock(&mu_);
      // The new network continues on the same time line, with the
      // configuration's slow clock.
      model_->SetTime(device_time_us_);
      const chip::SlowClockConfig& clock = model_->config().slow_clock;
      slow_clock_ = {clock.enable, clock.enable ? clock.rate_hz : 0};
    });
    MutexLock lock(&mu_);
    config_ = config;
    input_check_ = chip::InputCheck(&config_);
    configured_ = true;
    return absl::OkStatus();
  }

  chip::SpeckConfig configuration() const override {
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
    if (events.size() > capacity_) {
      return absl::InvalidArgumentError(
          absl::StrCat("a batch of ", events.size(),
                       " events exceeds the device's input "
                       "queue of ",
                       capacity_, "; split it"));
    }
    while (!stop_ && queued_ + events.size() > capacity_) {
      if (space_cv_.WaitWithDeadline(&mu_, deadline) &&
          queued_ + events.size() > capacity_) {
        return absl::UnavailableError(
            absl::StrCat("the device's input queue stayed full (", queued_,
                         " events waiting for their time) until the deadline"));
      }
    }
    if (stop_) return absl::UnavailableError("the device is shutting down");
    if (events.empty()) return absl::OkStatus();
    written_ += events.size();
    queued_ += events.size();
    counters_.events_in += events.size();
    last_input_us_ = std::max(last_input_us_, events.back().timestamp_us);
    // Moved, not copied: the batch becomes a chunk of the queue.
    chunks_.push_back(std::move(events));
    work_cv_.Signal();
    return absl::OkStatus();
  }

  void Flush() override {
    MutexLock lock(&mu_);
    flushes_.push_back({written_, last_input_us_});
    work_cv_.Signal();
  }

  StopWatchState SetStopWatch(std::optional<bool> enable, bool reset) override {
    if (reset) {
      RunOnDeviceThread([this] {
        model_->SetTime(0);
        MutexLock lock(&mu_);
        ++epoch_;
        device_time_us_ = 0;
        last_input_us_ = 0;
        last_delivered_us_ = 0;
        last_release_us_ = 0;
        stop_watch_base_us_ = 0;
        stop_watch_origin_ = clock_->Now();
        RestartPowerScheduleLocked();
      });
    }
    MutexLock lock(&mu_);
    if (enable.has_value() && *enable != stop_watch_enabled_) {
      // Freeze or resume the stop watch where it stands.
      stop_watch_base_us_ = StopWatchUsLocked();
      stop_watch_origin_ = clock_->Now();
      stop_watch_enabled_ = *enable;
      work_cv_.Signal();
    }
    return StopWatchLocked();
  }

  StopWatchState stop_watch() const override {
    MutexLock lock(&mu_);
    return StopWatchLocked();
  }

  absl::Status SetSlowClock(bool enable, double rate_hz) override {
    if (enable) {
      if (std::optional<std::string> error =
              chip::SlowClockRateError(rate_hz)) {
        return absl::InvalidArgumentError(
            absl::StrCat("slow_clock.rate_hz: ", *error));
      }
    }
    RunOnDeviceThread([this, enable, rate_hz] {
      model_->SetSlowClock(enable, rate_hz);
      MutexLock lock(&mu_);
      slow_clock_ = {enable, enable ? rate_hz : 0};
    });
    return absl::OkStatus();
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
      stop_watch_base_us_ = device_time_us_;
      stop_watch_origin_ = clock_->Now();
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
    if (!(rate_hz == 0 || (rate_hz >= 1 && rate_hz <= 100))) {
      return absl::InvalidArgumentError(
          absl::StrCat("rate_hz: ", rate_hz,
                       " is outside the power monitor's 1..100 Hz "
                       "(0 turns it off)"));
    }
    RunOnDeviceThread([this, rate_hz] {
      MutexLock lock(&mu_);
      power_rate_hz_ = rate_hz;
      RestartPowerScheduleLocked();
    });
    return absl::OkStatus();
  }

  double power_monitor_rate() const override {
    MutexLock lock(&mu_);
    return power_rate_hz_;
  }

  absl::StatusOr<std::vector<int16_t>> ReadNeurons(
      int layer, absl::Span<const NeuronAddress> neurons,
      std::vector<NeuronAddress>* addresses) override {
    absl::StatusOr<std::vector<int16_t>> result;
    std::vector<NeuronAddress> wanted(neurons.begin(), neurons.end());
    RunOnDeviceThread([&] {
      if (wanted.empty()) {
        // The whole core, [f][y][x]; empty for an unused core.
        std::vector<int16_t> values = model_->NeuronStates(layer);
        if (values.empty()) {
          result = absl::InvalidArgumentError(
              absl::StrCat("layer: core ", layer, " is not configured"));
          return;
        }
        if (addresses != nullptr) {
          const chip::Shape& out =
              model_->config().cnn_layers[layer].dimensions.output_shape;
          for (uint32_t f = 0; f < out.feature_count; ++f) {
            for (uint32_t y = 0; y < out.size.y; ++y) {
              for (uint32_t x = 0; x < out.size.x; ++x)
                wanted.push_back({f, x, y});
            }
          }
        }
        result = std::move(values);
        return;
      }
      std::vector<int16_t> values;
      values.reserve(wanted.size());
      for (size_t i = 0; i < wanted.size(); ++i) {
        absl::StatusOr<int16_t> v = ReadNeuronAt(layer, wanted, i);
        if (!v.ok()) {
          result = v.status();
          return;
        }
        values.push_back(*v);
      }
      result = std::move(values);
    });
    if (result.ok() && addresses != nullptr) *addresses = std::move(wanted);
    return result;
  }

  absl::Status WriteNeurons(int layer, absl::Span<const NeuronAddress> neurons,
                            absl::Span<const int16_t> values) override {
    if (neurons.size() != values.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("value: ", values.size(), " values for ", neurons.size(),
                       " neurons"));
    }
    absl::Status status;
    RunOnDeviceThread([&] {
      // Check every address before writing any: all or nothing.
      for (size_t i = 0; i < neurons.size(); ++i) {
        absl::StatusOr<int16_t> v = ReadNeuronAt(layer, neurons, i);
        if (!v.ok()) {
          status = v.status();
          return;
        }
      }
      for (size_t i = 0; i < neurons.size(); ++i) {
        status.Update(
            model_->WriteNeuron(layer, static_cast<int>(neurons[i].feature),
                                static_cast<int>(neurons[i].x),
                                static_cast<int>(neurons[i].y), values[i]));
      }
    });
    return status;
  }

  DeviceCounters counters() const override {
    MutexLock lock(&mu_);
    DeviceCounters c = counters_;
    c.queued_inputs = queued_;
    return c;
  }

 private:
  // Device thread only: neuron `i` of `neurons`, errors naming it.
  absl::StatusOr<int16_t> ReadNeuronAt(int layer,
                                       absl::Span<const NeuronAddress> neurons,
                                       size_t i) const {
    absl::StatusOr<int16_t> v = model_->ReadNeuron(
        layer, static_cast<int>(neurons[i].feature),
        static_cast<int>(neurons[i].x), static_cast<int>(neurons[i].y));
    if (v.ok()) return v;
    return absl::Status(
        v.status().code(),
        absl::StrCat("neurons[", i, "]: ", v.status().message()));
  }

  // Runs `fn` on the device thread (which owns the model) and waits for it.
  void RunOnDeviceThread(std::function<void()> fn) {
    Notification done;
    {
      MutexLock lock(&mu_);
      if (stop_) return;
      commands_.push_back([&fn, &done] {
        fn();
        done.Notify();
      });
      work_cv_.Signal();
    }
    done.WaitForNotification();
  }

  uint64_t StopWatchUsLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (pacing_ == Pacing::kAsFastAsPossible) return device_time_us_;
    if (!stop_watch_enabled_) return stop_watch_base_us_;
    const absl::Duration run = clock_->Now() - stop_watch_origin_;
    return stop_watch_base_us_ + static_cast<uint64_t>(std::max<int64_t>(
                                     0, absl::ToInt64Microseconds(run)));
  }

  StopWatchState StopWatchLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return {stop_watch_enabled_, StopWatchUsLocked(), epoch_};
  }

  // When (on the clock) the stop watch will read `us`.
  absl::Time ClockTimeOfLocked(uint64_t us) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (us <= stop_watch_base_us_) return stop_watch_origin_;
    return stop_watch_origin_ +
           absl::Microseconds(static_cast<int64_t>(us - stop_watch_base_us_));
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
    a.boundary_events = processed_inputs_ + emitted_outputs_;
    return a;
  }

  void Run();

  uint64_t NextInputUsLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return chunks_.empty() ? kNever
                           : chunks_.front()[front_offset_].timestamp_us;
  }

  // Moves up to `max` queued inputs stamped at or before `limit_us` into
  // `batch` (empty on entry), in order. Whole chunks are swapped, not copied.
  void TakeDueLocked(uint64_t limit_us, size_t max,
                     std::vector<chip::InputEvent>* batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (!chunks_.empty() && batch->size() < max) {
      std::vector<chip::InputEvent>& front = chunks_.front();
      const auto begin = front.begin() + static_cast<ptrdiff_t>(front_offset_);
      // Chunks are time-ordered: the due inputs are a prefix.
      const auto end =
          std::upper_bound(begin, front.end(), limit_us,
                           [](uint64_t limit, const chip::InputEvent& e) {
                             return limit < e.timestamp_us;
                           });
      size_t n =
          std::min(static_cast<size_t>(end - begin), max - batch->size());
      if (n == 0) return;
      if (batch->empty() && front_offset_ == 0 && n == front.size()) {
        batch->swap(front);
        front.clear();
      } else {
        batch->insert(batch->end(), begin, begin + static_cast<ptrdiff_t>(n));
      }
      queued_ -= n;
      front_offset_ += n;
      if (front.empty() || front_offset_ >= front.size()) {
        chunks_.pop_front();
        front_offset_ = 0;
      }
    }
  }

  DeviceDescriptor descriptor_;
  Clock* const clock_;
  const size_t capacity_;

  mutable Mutex mu_;
  CondVar work_cv_;   // the device thread waits here
  CondVar space_cv_;  // writers wait here for queue space
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<std::function<void()>> commands_ ABSL_GUARDED_BY(mu_);
  // Accepted inputs in chunks (the writers' batches), oldest first; the
  // front chunk is consumed from front_offset_.
  std::deque<std::vector<chip::InputEvent>> chunks_ ABSL_GUARDED_BY(mu_);
  size_t front_offset_ ABSL_GUARDED_BY(mu_) = 0;
  size_t queued_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t written_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t processed_ ABSL_GUARDED_BY(mu_) = 0;
  struct FlushMark {
    uint64_t sequence;
    uint64_t last_input_us;
  };
  std::deque<FlushMark> flushes_ ABSL_GUARDED_BY(mu_);
  chip::SpeckConfig config_ ABSL_GUARDED_BY(mu_);
  chip::InputCheck input_check_ ABSL_GUARDED_BY(mu_){&config_};
  bool configured_ ABSL_GUARDED_BY(mu_) = false;
  Pacing pacing_ ABSL_GUARDED_BY(mu_);
  bool stop_watch_enabled_ ABSL_GUARDED_BY(mu_) = true;
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  // Real time: the stop watch reads base + (clock - origin) while enabled.
  uint64_t stop_watch_base_us_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time stop_watch_origin_ ABSL_GUARDED_BY(mu_);
  // How far the device has processed its time line.
  uint64_t device_time_us_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_delivered_us_ ABSL_GUARDED_BY(mu_) = 0;
  // Stop-watch time of the last release of inputs (real-time quantum).
  uint64_t last_release_us_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_input_us_ ABSL_GUARDED_BY(mu_) = 0;
  SlowClockState slow_clock_ ABSL_GUARDED_BY(mu_);
  double power_rate_hz_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_power_index_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t next_power_us_ ABSL_GUARDED_BY(mu_) = kNever;
  Activity power_activity_ ABSL_GUARDED_BY(mu_);
  DeviceCounters counters_ ABSL_GUARDED_BY(mu_);

  // Device thread only.
  std::unique_ptr<chip::ChipModel> model_;
  uint64_t synops_base_ = 0;
  uint64_t spikes_base_ = 0;
  uint64_t late_base_ = 0;
  uint64_t overflow_base_ = 0;
  uint64_t processed_inputs_ = 0;
  uint64_t emitted_outputs_ = 0;

  Mutex listener_mu_;
  OutputListener* listener_ ABSL_GUARDED_BY(listener_mu_) = nullptr;

  std::thread thread_;
};

void SimDevice::Run() {
  std::vector<chip::InputEvent> batch;
  DeviceOutput output;
  MutexLock lock(&mu_);
  while (!stop_) {
    RunCommandsLocked();
    if (stop_) break;

    const bool real_time = pacing_ == Pacing::kRealTime;
    // How far the time line may advance now: the stop watch in real time;
    // as fast as possible, up to the last queued input.
    const uint64_t horizon =
        real_time
            ? StopWatchUsLocked()
            : (chunks_.empty() ? device_time_us_
                               : std::max(device_time_us_,
                                          chunks_.back().back().timestamp_us));

    // Release inputs due by the horizon, stopping at a power-sample boundary
    // so that each sample accounts exactly for its interval.
    batch.clear();
    const uint64_t next_sample = power_rate_hz_ > 0 ? next_power_us_ : kNever;
    const bool sample_due =
        next_sample <= horizon && next_sample <= NextInputUsLocked();
    if (!sample_due) {
      TakeDueLocked(
          next_sample == kNever ? horizon : std::min(horizon, next_sample - 1),
          kChunk, &batch);
    }
    processed_ += batch.size();
    if (!batch.empty()) last_release_us_ = horizon;
    bool flush = false;
    uint64_t flush_last_input = 0;
    if (!flushes_.empty() && flushes_.front().sequence <= processed_) {
      flush = true;
      flush_last_input = flushes_.front().last_input_us;
      flushes_.pop_front();
    }
    const uint64_t sample_us = next_power_us_;
    if (sample_due) next_power_us_ = PowerSampleTime(++next_power_index_);
    const bool more_inputs_due = NextInputUsLocked() <= horizon;
    if (!batch.empty()) space_cv_.SignalAll();
    mu_.Unlock();

    output.events.clear();
    output.power.clear();
    model_->Process(batch.data(), batch.size(), &output.events);
    processed_inputs_ += batch.size();
    if (sample_due) {
      if (sample_us > 0) model_->AdvanceTo(sample_us - 1, &output.events);
    } else if (real_time && !more_inputs_due) {
      // Ticks run as the stop watch moves, inputs or not.
      model_->AdvanceTo(horizon, &output.events);
    }
    emitted_outputs_ += output.events.spikes.size() +
                        output.events.readout_values.size() +
                        output.events.readout_pins.size();

    mu_.Lock();
    device_time_us_ = std::max(device_time_us_, model_->time_us());
    if (sample_due) {
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
        output.power.push_back(
            {sample_us, static_cast<uint8_t>(rail), watts[rail]});
      }
    }
    const chip::ModelStats& stats = model_->stats();
    counters_.events_out = emitted_outputs_;
    counters_.synops = synops_base_ + stats.TotalSynops();
    counters_.late_inputs = late_base_ + stats.late_inputs;
    counters_.cascade_overflow = overflow_base_ + stats.cascade_overflow;

    const bool heartbeat = real_time && stop_watch_enabled_ &&
                           device_time_us_ >= last_delivered_us_ + kHeartbeatUs;
    // Deliver whenever the time line moved or something happened, so that
    // listeners can close windows even when no event came out.
    if (!batch.empty() || !output.events.empty() || !output.power.empty() ||
        flush || heartbeat) {
      output.epoch = epoch_;
      output.time_us = device_time_us_;
      output.flush = flush;
      output.last_input_us = flush_last_input;
      last_delivered_us_ = device_time_us_;
      mu_.Unlock();
      {
        MutexLock listener_lock(&listener_mu_);
        if (listener_ != nullptr) listener_->OnOutput(output);
      }
      mu_.Lock();
    }

    // More to do right away? (stop_ may have been set while unlocked.)
    if (stop_) break;
    if (!commands_.empty() || !batch.empty() || sample_due || flush ||
        more_inputs_due ||
        (!flushes_.empty() && flushes_.front().sequence <= processed_)) {
      continue;
    }
    if (!real_time) {
      if (chunks_.empty()) {
        clock_->WaitUntil(&work_cv_, &mu_, absl::InfiniteFuture());
      }
      continue;
    }
    if (!stop_watch_enabled_) {
      clock_->WaitUntil(&work_cv_, &mu_, absl::InfiniteFuture());
      continue;
    }
    // Sleep until the next input, power sample or heartbeat is due.
    uint64_t wake_us = last_delivered_us_ + kHeartbeatUs;
    wake_us = std::min(
        wake_us,
        std::max(NextInputUsLocked(), last_release_us_ + kRealTimeQuantumUs));
    if (power_rate_hz_ > 0) wake_us = std::min(wake_us, next_power_us_);
    clock_->WaitUntil(&work_cv_, &mu_, ClockTimeOfLocked(wake_us));
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
