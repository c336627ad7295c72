#include "driver/samna/samna_device.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "driver/chip/input_check.h"
#include "driver/chip/validate.h"
#include "driver/device_checks.h"
#include "driver/samna/bridge_columns.h"
#include "driver/samna/configuration_json.h"
#include "driver/sim/input_queue.h"
#include "driver/sim/output_counts.h"
#include "driver/sim/wall_stop_watch.h"
#include "driver/util/mutex.h"

namespace speckd::driver::samna {
namespace {

// Listeners hear of the passing time at least this often (windows close).
constexpr absl::Duration kHeartbeat = absl::Milliseconds(10);

uint64_t Micros(absl::Duration d) {
  return static_cast<uint64_t>(
      std::max<int64_t>(0, absl::ToInt64Microseconds(d)));
}

// What waits for the device thread: a board's outputs or a notice, each of
// the epoch it happened in.
struct Item {
  static Item Empty(uint64_t epoch) {
    Item item;
    item.epoch = epoch;
    return item;
  }
  uint64_t epoch = 0;
  chip::OutputBatch events;
  std::vector<PowerMeasurement> power;
  std::optional<DeviceNotice> notice;
  size_t size() const {
    return events.spikes.size() + events.readout_values.size() +
           events.readout_pins.size() + power.size();
  }
};

struct PendingFlush {
  uint64_t sequence = 0;  // inputs written before it
  uint64_t last_input_us = 0;
};

class SamnaDevice final : public Device, public BoardOutputs {
 public:
  SamnaDevice(const DeviceDescriptor& descriptor,
              std::shared_ptr<BoardLink> link,
              const SamnaDeviceOptions& options)
      : descriptor_(descriptor),
        link_(std::move(link)),
        options_(options),
        clock_(options.clock),
        queue_(options.input_queue_capacity),
        watch_(options.clock->Now()),
        config_(std::make_shared<const chip::SpeckConfig>()) {
    link_->Attach(this);
    thread_ = std::thread([this] { Run(); });
  }

  ~SamnaDevice() override {
    link_->Detach();
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
    if (absl::Status s = chip::Validate(config).ToStatus(); !s.ok()) return s;
    auto shared = std::make_shared<const chip::SpeckConfig>(config);
    bridge::Request request;
    request.mutable_apply_configuration()->set_board(link_->board());
    request.mutable_apply_configuration()->set_configuration_json(
        ConfigurationJsonForSamna(config));
    MutexLock calls(&call_mu_);
    if (absl::Status s = CallLocked(std::move(request), options_.apply_timeout);
        !s.ok()) {
      return s;
    }
    MutexLock lock(&mu_);
    DropInputsLocked(DeviceNotice::Kind::kReconfigured);
    config_ = shared;
    input_check_ = chip::InputCheck(shared.get());
    configured_ = true;
    slow_clock_ = {config.slow_clock.enable,
                   config.slow_clock.enable ? config.slow_clock.rate_hz : 0};
    return absl::OkStatus();
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
    if (absl::Status s = chip::CheckInputs(events, input_check_); !s.ok())
      return s;
    if (absl::Status s = CheckBatchFits(events.size(), queue_.capacity());
        !s.ok()) {
      return s;
    }
    const uint64_t generation = drop_generation_;
    while (!stop_ && gone_.empty() && !queue_.Fits(events.size())) {
      if (clock_->Now() >= deadline) {
        return absl::DeadlineExceededError(absl::StrCat(
            "the device's input queue stayed full (", queue_.size(),
            " events waiting for their time) until the deadline"));
      }
      clock_->WaitUntil(&space_cv_, &mu_, deadline);
      if (drop_generation_ != generation) {
        return absl::AbortedError(
            "the device's queued inputs were dropped (cancel, stop-watch "
            "reset or a new configuration) while this write waited for room");
      }
    }
    if (absl::Status s = UsableLocked(); !s.ok()) return s;
    if (events.empty()) return absl::OkStatus();
    written_ += events.size();
    last_input_us_ = std::max(last_input_us_, events.back().timestamp_us);
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
    MutexLock lock(&mu_);
    return DropInputsLocked(DeviceNotice::Kind::kInputsCancelled);
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
    MutexLock calls(&call_mu_);
    if (reset) {
      // Outputs of the old epoch are in before the new one starts.
      bridge::Request sync;
      sync.mutable_sync()->set_board(link_->board());
      if (absl::Status s = CallLocked(std::move(sync), options_.call_timeout);
          !s.ok()) {
        return s;
      }
    }
    bridge::Request request;
    bridge::StopWatchCall* call = request.mutable_stop_watch();
    call->set_board(link_->board());
    call->set_reset(reset);
    if (enable.has_value()) call->set_enable(*enable);
    if (absl::Status s = CallLocked(std::move(request), options_.call_timeout);
        !s.ok()) {
      return s;
    }
    MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    if (reset) {
      DropInputsLocked(DeviceNotice::Kind::kStopWatchReset);
      ++epoch_;
      watch_.Set(0, now);
      time_us_ = 0;
    }
    if (enable.has_value()) {
      watch_.Set(watch_.Read(now), now);
      watch_.set_running(*enable);
    }
    work_cv_.Signal();
    return StopWatchLocked();
  }

  StopWatchState stop_watch() const override {
    MutexLock lock(&mu_);
    return StopWatchLocked();
  }

  absl::Status SetSlowClock(bool enable, double rate_hz) override {
    if (absl::Status s = CheckSlowClock(enable, rate_hz); !s.ok()) return s;
    bridge::Request request;
    request.mutable_slow_clock()->set_board(link_->board());
    request.mutable_slow_clock()->set_enable(enable);
    request.mutable_slow_clock()->set_rate_hz(rate_hz);
    MutexLock calls(&call_mu_);
    if (absl::Status s = CallLocked(std::move(request), options_.call_timeout);
        !s.ok()) {
      return s;
    }
    MutexLock lock(&mu_);
    slow_clock_ = {enable, enable ? rate_hz : 0};
    return absl::OkStatus();
  }

  SlowClockState slow_clock() const override {
    MutexLock lock(&mu_);
    return slow_clock_;
  }

  absl::Status SetPacing(Pacing pacing) override {
    if (pacing == Pacing::kRealTime) return absl::OkStatus();
    return absl::UnimplementedError(
        "a board driven through samna plays its inputs in real time (its stop "
        "watch paces them); as-fast-as-possible runs only on the simulated "
        "devkit or offline (speckctl simulate)");
  }

  Pacing pacing() const override { return Pacing::kRealTime; }

  absl::Status SetPowerMonitorRate(double rate_hz) override {
    if (absl::Status s = CheckPowerMonitorRate(rate_hz); !s.ok()) return s;
    bridge::Request request;
    request.mutable_power_monitor()->set_board(link_->board());
    request.mutable_power_monitor()->set_rate_hz(rate_hz);
    MutexLock calls(&call_mu_);
    if (absl::Status s = CallLocked(std::move(request), options_.call_timeout);
        !s.ok()) {
      return s;
    }
    MutexLock lock(&mu_);
    power_rate_hz_ = rate_hz;
    return absl::OkStatus();
  }

  double power_monitor_rate() const override {
    MutexLock lock(&mu_);
    return power_rate_hz_;
  }

  absl::StatusOr<std::vector<int16_t>> ReadNeurons(
      int layer, absl::Span<const NeuronAddress> neurons,
      std::vector<NeuronAddress>* addresses) override {
    absl::StatusOr<std::vector<NeuronAddress>> wanted = Neurons(layer, neurons);
    if (!wanted.ok()) return wanted.status();
    bridge::Request request;
    bridge::NeuronRead* read = request.mutable_read_neurons();
    read->set_board(link_->board());
    read->set_layer(layer);
    ToColumns(*wanted, read->mutable_feature(), read->mutable_x(),
              read->mutable_y());
    MutexLock calls(&call_mu_);
    absl::StatusOr<bridge::Reply> reply =
        link_->process().Call(std::move(request), options_.call_timeout);
    if (!reply.ok()) return reply.status();
    const std::string& bytes = reply->neurons().value();
    if (bytes.size() != wanted->size() * sizeof(int16_t)) {
      return absl::InternalError(
          absl::StrCat("the samna bridge answered ", bytes.size() / 2,
                       " neuron values for ", wanted->size(), " neurons"));
    }
    std::vector<int16_t> values(wanted->size());
    std::memcpy(values.data(), bytes.data(), bytes.size());
    if (addresses != nullptr) *addresses = std::move(*wanted);
    return values;
  }

  absl::Status WriteNeurons(int layer, absl::Span<const NeuronAddress> neurons,
                            absl::Span<const int16_t> values) override {
    if (neurons.size() != values.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          neurons.size(), " neurons but ", values.size(), " values"));
    }
    absl::StatusOr<std::vector<NeuronAddress>> wanted = Neurons(layer, neurons);
    if (!wanted.ok()) return wanted.status();
    bridge::Request request;
    bridge::NeuronWrite* write = request.mutable_write_neurons();
    write->set_board(link_->board());
    write->set_layer(layer);
    ToColumns(*wanted, write->mutable_feature(), write->mutable_x(),
              write->mutable_y());
    write->mutable_value()->assign(reinterpret_cast<const char*>(values.data()),
                                   values.size() * sizeof(int16_t));
    MutexLock calls(&call_mu_);
    return CallLocked(std::move(request), options_.call_timeout);
  }

  DeviceCounters counters() const override {
    MutexLock lock(&mu_);
    DeviceCounters c = counters_;
    outputs_.CopyTo(&c);
    c.queued_inputs = queue_.size();
    return c;
  }

  void Ping(std::function<void()> pong) override {
    MutexLock lock(&mu_);
    if (stop_) return;
    pings_.push_back(std::move(pong));
    work_cv_.Signal();
  }

  // BoardOutputs, on the bridge's reader thread.
  void OnBridgeOutputs(bridge::Outputs outputs) override {
    Item item;
    absl::Status s = FromColumns(outputs, &item.events, &item.power);
    MutexLock lock(&mu_);
    if (!s.ok()) {
      bridge_errors_ = s.ToString();
      return;
    }
    item.epoch = epoch_;
    const size_t n = item.size();
    if (queued_output_events_ + n > options_.output_queue_capacity) {
      counters_.dropped_outputs += n;
      return;
    }
    outputs_.Add(item.events);
    queued_output_events_ += n;
    items_.push_back(std::move(item));
    work_cv_.Signal();
  }

  void OnBridgeGone(const std::string& why) override {
    MutexLock lock(&mu_);
    gone_ = why;
    work_cv_.SignalAll();
    space_cv_.SignalAll();
    idle_cv_.SignalAll();
  }

 private:
  absl::Status CallLocked(bridge::Request request, absl::Duration timeout)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(call_mu_) {
    return link_->process().Call(std::move(request), timeout).status();
  }

  absl::Status UsableLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (stop_) return absl::UnavailableError("the device is shutting down");
    if (!gone_.empty()) return absl::UnavailableError(gone_);
    return absl::OkStatus();
  }

  StopWatchState StopWatchLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return {watch_.running(), watch_.Read(clock_->Now()), epoch_};
  }

  uint64_t DropInputsLocked(DeviceNotice::Kind kind)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const uint64_t dropped = queue_.Clear();
    counters_.dropped_inputs += dropped;
    handled_ += dropped;
    ++drop_generation_;
    Item item;
    item.epoch = epoch_;
    item.notice = DeviceNotice{kind, dropped};
    items_.push_back(std::move(item));
    space_cv_.SignalAll();
    work_cv_.Signal();
    return dropped;
  }

  bool IdleLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!gone_.empty() || stop_) return true;
    return queue_.empty() && !sending_ && items_.empty() && !delivering_ &&
           flushes_.empty();
  }

  // `neurons` checked against core `layer`, or all of them, [f][y][x].
  absl::StatusOr<std::vector<NeuronAddress>> Neurons(
      int layer, absl::Span<const NeuronAddress> neurons) const {
    if (layer < 0 || layer >= chip::kNumCores) {
      return absl::InvalidArgumentError(
          absl::StrCat("layer: ", layer, " is not a core (0..8)"));
    }
    const chip::Shape out =
        configuration()->cnn_layers[layer].dimensions.output_shape;
    if (out.feature_count == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("core ", layer, " is not used by the configuration"));
    }
    std::vector<NeuronAddress> all;
    if (neurons.empty()) {
      for (uint32_t f = 0; f < out.feature_count; ++f) {
        for (uint32_t y = 0; y < out.size.y; ++y) {
          for (uint32_t x = 0; x < out.size.x; ++x) all.push_back({f, x, y});
        }
      }
      return all;
    }
    for (size_t i = 0; i < neurons.size(); ++i) {
      const NeuronAddress& n = neurons[i];
      if (n.feature >= out.feature_count || n.x >= out.size.x ||
          n.y >= out.size.y) {
        return absl::InvalidArgumentError(
            absl::StrCat("neurons[", i, "]: (feature ", n.feature, ", x ", n.x,
                         ", y ", n.y, ") is outside core ", layer, "'s ",
                         out.feature_count, "x", out.size.x, "x", out.size.y));
      }
    }
    return std::vector<NeuronAddress>(neurons.begin(), neurons.end());
  }

  void Run();
  bool SendDueLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool FlushLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool PingLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DeliverLocked(Item item, bool flush, uint64_t last_input_us)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Time NextWakeLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const DeviceDescriptor descriptor_;
  const std::shared_ptr<BoardLink> link_;
  const SamnaDeviceOptions options_;
  Clock* const clock_;
  std::thread thread_;

  // Orders this device's bridge calls (a stop-watch reset after the inputs
  // sent before it, ...). Lock order: call_mu_, then mu_; held across the
  // bridge round trip, never while delivering.
  Mutex call_mu_;

  // Everything else. Lock order: after call_mu_ and the link's lock; the
  // listener is called without it.
  mutable Mutex mu_;
  CondVar work_cv_;   // the device thread's wake-up
  CondVar space_cv_;  // room in the input queue
  CondVar idle_cv_;   // WaitUntilIdle
  sim::InputQueue queue_ ABSL_GUARDED_BY(mu_);
  sim::WallStopWatch watch_ ABSL_GUARDED_BY(mu_);
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  // Published to listeners; never goes back within an epoch.
  uint64_t time_us_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_delivery_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::shared_ptr<const chip::SpeckConfig> config_ ABSL_GUARDED_BY(mu_);
  chip::InputCheck input_check_ ABSL_GUARDED_BY(mu_){nullptr};
  bool configured_ ABSL_GUARDED_BY(mu_) = false;
  SlowClockState slow_clock_ ABSL_GUARDED_BY(mu_);
  double power_rate_hz_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<Item> items_ ABSL_GUARDED_BY(mu_);
  size_t queued_output_events_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<PendingFlush> flushes_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void()>> pings_ ABSL_GUARDED_BY(mu_);
  // Inputs written, and of those sent to the board or dropped.
  uint64_t written_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t handled_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t last_input_us_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t drop_generation_ ABSL_GUARDED_BY(mu_) = 0;
  bool sending_ ABSL_GUARDED_BY(mu_) = false;
  bool delivering_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  // Why the bridge went away; empty while it serves.
  std::string gone_ ABSL_GUARDED_BY(mu_);
  std::string bridge_errors_ ABSL_GUARDED_BY(mu_);
  DeviceCounters counters_ ABSL_GUARDED_BY(mu_);
  sim::OutputCounts outputs_ ABSL_GUARDED_BY(mu_);

  // The listener; held while delivering so that SetOutputListener waits.
  Mutex listener_mu_;
  OutputListener* listener_ ABSL_GUARDED_BY(listener_mu_) = nullptr;
};

// The device thread: delivers what waits, answers pings, hands the board
// its due inputs, completes flushes, and beats while the stop watch runs.
void SamnaDevice::Run() {
  MutexLock lock(&mu_);
  while (!stop_) {
    if (!items_.empty()) {
      Item item = std::move(items_.front());
      items_.pop_front();
      queued_output_events_ -= item.size();
      DeliverLocked(std::move(item), false, 0);
    } else if (PingLocked() || SendDueLocked() || FlushLocked()) {
      // Did something; look again.
    } else if (watch_.running() && gone_.empty() &&
               clock_->Now() >= last_delivery_ + kHeartbeat) {
      DeliverLocked(Item::Empty(epoch_), false, 0);
    } else {
      if (IdleLocked()) idle_cv_.SignalAll();
      clock_->WaitUntil(&work_cv_, &mu_, NextWakeLocked());
    }
  }
}

absl::Time SamnaDevice::NextWakeLocked() const {
  if (!gone_.empty()) return absl::InfiniteFuture();
  absl::Time wake = absl::InfiniteFuture();
  if (watch_.running()) {
    wake = last_delivery_ + kHeartbeat;
    if (!queue_.empty()) {
      const uint64_t lead = Micros(options_.lead);
      const uint64_t next = queue_.NextTime();
      wake = std::min(wake, watch_.When(next > lead ? next - lead : 0));
    }
  }
  return wake;
}

bool SamnaDevice::PingLocked() {
  if (pings_.empty() || !gone_.empty()) return false;
  std::vector<std::function<void()>> pongs;
  pongs.swap(pings_);
  mu_.Unlock();
  bool answered = false;
  {
    MutexLock calls(&call_mu_);
    bridge::Request request;
    request.mutable_ping();
    answered = CallLocked(std::move(request), options_.call_timeout).ok();
  }
  if (answered) {
    for (std::function<void()>& pong : pongs) pong();
  }
  mu_.Lock();
  return true;
}

bool SamnaDevice::SendDueLocked() {
  if (queue_.empty() || !gone_.empty() || !watch_.running()) return false;
  const uint64_t now_us = watch_.Read(clock_->Now());
  const uint64_t horizon = now_us + Micros(options_.lead);
  if (queue_.NextTime() > horizon) return false;
  std::vector<chip::InputEvent> batch;
  queue_.TakeDue(horizon, options_.write_chunk, &batch);
  for (const chip::InputEvent& e : batch) {
    if (e.timestamp_us < now_us) ++counters_.late_inputs;
  }
  sending_ = true;
  space_cv_.SignalAll();
  const uint64_t generation = drop_generation_;
  mu_.Unlock();
  bridge::Request request;
  bridge::WriteEvents* write = request.mutable_write();
  write->set_board(link_->board());
  ToColumns(batch, write);
  absl::Status sent;
  {
    MutexLock calls(&call_mu_);
    sent = CallLocked(std::move(request), options_.call_timeout);
  }
  mu_.Lock();
  sending_ = false;
  handled_ += batch.size();
  if (sent.ok()) {
    counters_.events_in += batch.size();
  } else if (drop_generation_ == generation) {
    counters_.dropped_inputs += batch.size();
  }
  return true;
}

bool SamnaDevice::FlushLocked() {
  if (flushes_.empty() || flushes_.front().sequence > handled_) return false;
  const PendingFlush flush = flushes_.front();
  if (gone_.empty()) {
    const absl::Time due =
        watch_.When(flush.last_input_us + Micros(options_.quiet));
    if (watch_.running() && clock_->Now() < due) return false;
    mu_.Unlock();
    {
      // Everything the board sent so far comes in before this returns.
      MutexLock calls(&call_mu_);
      bridge::Request request;
      request.mutable_sync()->set_board(link_->board());
      (void)CallLocked(std::move(request), options_.call_timeout);
    }
    mu_.Lock();
  }
  while (!items_.empty()) {
    Item item = std::move(items_.front());
    items_.pop_front();
    queued_output_events_ -= item.size();
    DeliverLocked(std::move(item), false, 0);
  }
  flushes_.pop_front();
  DeliverLocked(Item::Empty(epoch_), true, flush.last_input_us);
  return true;
}

void SamnaDevice::DeliverLocked(Item item, bool flush, uint64_t last_input_us) {
  DeviceOutput output;
  output.events = std::move(item.events);
  output.power = std::move(item.power);
  if (item.notice.has_value()) output.notices.push_back(*item.notice);
  output.configuration = config_;
  output.epoch = item.epoch;
  if (item.epoch == epoch_) {
    const uint64_t now_us = watch_.Read(clock_->Now());
    const uint64_t lag = Micros(options_.output_lag);
    time_us_ = std::max(time_us_, now_us > lag ? now_us - lag : 0);
  }
  output.time_us = time_us_;
  output.flush = flush;
  output.last_input_us = last_input_us;
  last_delivery_ = clock_->Now();
  delivering_ = true;
  mu_.Unlock();
  {
    MutexLock listener_lock(&listener_mu_);
    if (listener_ != nullptr) listener_->OnOutput(output);
  }
  mu_.Lock();
  delivering_ = false;
}

}  // namespace

std::unique_ptr<Device> NewSamnaDevice(const DeviceDescriptor& descriptor,
                                       std::shared_ptr<BoardLink> link,
                                       const SamnaDeviceOptions& options) {
  return std::make_unique<SamnaDevice>(descriptor, std::move(link), options);
}

}  // namespace speckd::driver::samna
