#include "server/api/device_api.h"

#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "proto/codec/device_codec.h"
#include "server/api/convert.h"

namespace speckd::server::api {
namespace {

constexpr absl::Duration kDefaultLeaseTtl = absl::Seconds(10);
constexpr absl::Duration kDefaultIdleWait = absl::Seconds(10);

void LeaseToProto(const std::string& device_id, const LeaseInfo& lease,
                  v1::Lease* out) {
  out->set_device_id(device_id);
  out->set_lease_id(lease.lease_id);
  out->set_holder(lease.holder);
  out->set_expires_unix_ms(absl::ToUnixMillis(lease.expires));
  if (lease.renewed != absl::InfiniteFuture()) {
    out->set_renewed_unix_ms(absl::ToUnixMillis(lease.renewed));
  }
}

// Neuron addresses of `in`, which must have one feature, x and y (and, for
// writes, value) per neuron.
absl::StatusOr<std::vector<driver::NeuronAddress>> Addresses(
    const v1::NeuronValues& in, bool with_values) {
  const int n = in.feature_size();
  if (in.x_size() != n || in.y_size() != n ||
      (with_values && in.value_size() != n)) {
    return absl::InvalidArgumentError(
        with_values ? "neurons: feature, x, y and value need one value per "
                      "neuron"
                    : "neurons: feature, x and y need one value per neuron");
  }
  std::vector<driver::NeuronAddress> addresses;
  addresses.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    addresses.push_back({in.feature(i), in.x(i), in.y(i)});
  }
  return addresses;
}

v1::DeviceChange::Kind ChangeToProto(DeviceChange change) {
  switch (change) {
    case DeviceChange::kAdded:
      return v1::DeviceChange::ADDED;
    case DeviceChange::kChanged:
      return v1::DeviceChange::CHANGED;
    case DeviceChange::kRemoved:
      return v1::DeviceChange::REMOVED;
  }
  return v1::DeviceChange::CHANGED;
}

}  // namespace

void DeviceApi::Describe(const DeviceSnapshot& snapshot,
                         v1::Device* out) const {
  ToProto(snapshot, out);
  if (hub_ != nullptr) {
    out->set_stalled_subscribers_ended(
        hub_->stalled_subscribers_ended(snapshot.descriptor.id));
  }
}

PayloadPtr DeviceApi::EncodeChange(v1::DeviceChange::Kind kind,
                                   const DeviceSnapshot& snapshot) const {
  v1::DeviceChange change;
  change.set_kind(kind);
  Describe(snapshot, change.mutable_device());
  return EncodePayload(change, 1);
}

DeviceApi::~DeviceApi() {
  MutexLock lock(&mu_);
  stopping_ = true;
  while (waiters_ > 0) waiters_done_.Wait(&mu_);
}

absl::Status DeviceApi::ListDevices(const v1::ListDevicesRequest&,
                                    v1::ListDevicesResponse* response) {
  for (const DeviceSnapshot& snapshot : devices_->List()) {
    Describe(snapshot, response->add_devices());
  }
  return absl::OkStatus();
}

absl::StatusOr<Subscription> DeviceApi::WatchDevices(
    const v1::WatchDevicesRequest&) {
  auto subscriber = std::make_shared<Subscriber>(SubscriberOptions{});
  std::weak_ptr<Subscriber> weak = subscriber;
  const int token = devices_->AddWatcher(
      [this, weak](DeviceChange change, const DeviceSnapshot& snapshot) {
        std::shared_ptr<Subscriber> s = weak.lock();
        if (s != nullptr)
          s->Push(EncodeChange(ChangeToProto(change), snapshot));
      });
  // The current list first (changes in between arrive after it, harmlessly
  // repeating the latest state).
  for (const DeviceSnapshot& snapshot : devices_->List()) {
    subscriber->Push(EncodeChange(v1::DeviceChange::ADDED, snapshot));
  }
  DeviceManager* devices = devices_;
  return Subscription{std::move(subscriber),
                      [devices, token] { devices->RemoveWatcher(token); }};
}

absl::Status DeviceApi::GetDevice(const v1::GetDeviceRequest& request,
                                  v1::Device* response) {
  absl::StatusOr<DeviceSnapshot> snapshot = devices_->Get(request.device_id());
  if (!snapshot.ok()) return snapshot.status();
  Describe(*snapshot, response);
  return absl::OkStatus();
}

absl::Status DeviceApi::AcquireLease(const v1::AcquireLeaseRequest& request,
                                     const std::string& peer,
                                     v1::Lease* response) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request.device_id());
  if (!device.ok()) return device.status();
  if (request.ttl_ms() != 0 &&
      (request.ttl_ms() < 1000 || request.ttl_ms() > 600000)) {
    return absl::InvalidArgumentError(
        absl::StrCat("ttl_ms: ", request.ttl_ms(),
                     " is outside 1000..600000 (0 means 10000)"));
  }
  const absl::Duration ttl = request.ttl_ms() == 0
                                 ? kDefaultLeaseTtl
                                 : absl::Milliseconds(request.ttl_ms());
  const std::string holder = request.holder().empty() ? peer : request.holder();
  absl::StatusOr<LeaseInfo> lease = request.take_over()
                                        ? (*device)->TakeOverLease(holder, ttl)
                                        : (*device)->AcquireLease(holder, ttl);
  if (!lease.ok()) return lease.status();
  LeaseToProto((*device)->id(), *lease, response);
  return absl::OkStatus();
}

namespace {

using Misbehaviour = driver::BoardFaults::Misbehaviour;

// A fault that lasts (or a clock jump), with its duration checked.
absl::StatusOr<Misbehaviour> MisbehaviourOf(
    const v1::SimulateFaultRequest& request) {
  static const std::pair<v1::SimulateFaultRequest::Fault, Misbehaviour>
      kTimed[] = {
          {v1::SimulateFaultRequest::STALL_OUTPUT, Misbehaviour::kStallOutput},
          {v1::SimulateFaultRequest::FILL_INPUT_QUEUE,
           Misbehaviour::kFillInputQueue},
          {v1::SimulateFaultRequest::JUMP_CLOCK, Misbehaviour::kJumpClock},
          {v1::SimulateFaultRequest::BURST_OUTPUT, Misbehaviour::kBurstOutput},
          {v1::SimulateFaultRequest::WEDGE_THREAD, Misbehaviour::kWedgeThread},
      };
  for (const auto& [fault, what] : kTimed) {
    if (request.fault() != fault) continue;
    const uint32_t max_ms = what == Misbehaviour::kJumpClock ? 3600000 : 10000;
    if (request.duration_ms() < 1 || request.duration_ms() > max_ms) {
      return absl::InvalidArgumentError(absl::StrCat(
          "duration_ms: ", request.duration_ms(), " is outside 1..", max_ms));
    }
    return what;
  }
  return absl::InvalidArgumentError(
      "fault: UNPLUG, REPLUG, STALL_OUTPUT, FILL_INPUT_QUEUE, JUMP_CLOCK, "
      "BURST_OUTPUT or WEDGE_THREAD");
}

}  // namespace

absl::Status DeviceApi::SimulateFault(const v1::SimulateFaultRequest& request,
                                      v1::Device* response) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request.device_id());
  if (!device.ok()) return device.status();
  const std::string id = (*device)->id();
  absl::Status done;
  switch (request.fault()) {
    case v1::SimulateFaultRequest::UNPLUG:
      done = devices_->SimulateUnplug(id);
      break;
    case v1::SimulateFaultRequest::REPLUG:
      done = devices_->SimulateReplug(id);
      break;
    default: {
      absl::StatusOr<Misbehaviour> what = MisbehaviourOf(request);
      if (!what.ok()) return what.status();
      done = devices_->SimulateMisbehaviour(
          id, *what, absl::Milliseconds(request.duration_ms()));
      break;
    }
  }
  if (!done.ok()) return done;
  absl::StatusOr<DeviceSnapshot> snapshot = devices_->Get(id);
  if (!snapshot.ok()) return snapshot.status();
  Describe(*snapshot, response);
  return absl::OkStatus();
}

absl::Status DeviceApi::RenewLease(const v1::RenewLeaseRequest& request,
                                   v1::Lease* response) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request.device_id());
  if (!device.ok()) return device.status();
  absl::StatusOr<LeaseInfo> lease = (*device)->RenewLease(request.lease_id());
  if (!lease.ok()) return lease.status();
  LeaseToProto((*device)->id(), *lease, response);
  return absl::OkStatus();
}

absl::Status DeviceApi::ReleaseLease(const v1::ReleaseLeaseRequest& request,
                                     v1::ReleaseLeaseResponse*) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request.device_id());
  if (!device.ok()) return device.status();
  return (*device)->ReleaseLease(request.lease_id());
}

absl::Status DeviceApi::SetStopWatch(const v1::SetStopWatchRequest& request,
                                     v1::StopWatch* response) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request.device_id());
  if (!device.ok()) return device.status();
  std::optional<bool> enable;
  if (request.has_enable()) enable = request.enable();
  // Subscribers hear of a reset from the device itself, in order with its
  // output (a STOP_WATCH_RESET notice).
  absl::StatusOr<driver::StopWatchState> state =
      (*device)->SetStopWatch(request.lease_id(), enable, request.reset());
  if (!state.ok()) return state.status();
  codec::ToProto(*state, response);
  return absl::OkStatus();
}

absl::Status DeviceApi::SetSlowClock(const v1::SetSlowClockRequest& request,
                                     v1::SlowClock* response) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request.device_id());
  if (!device.ok()) return device.status();
  absl::StatusOr<driver::SlowClockState> clock = (*device)->SetSlowClock(
      request.lease_id(), request.slow_clock().enabled(),
      request.slow_clock().rate_hz());
  if (!clock.ok()) return clock.status();
  codec::ToProto(*clock, response);
  return absl::OkStatus();
}

absl::Status DeviceApi::SetPacing(const v1::SetPacingRequest& request,
                                  v1::SetPacingResponse* response) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request.device_id());
  if (!device.ok()) return device.status();
  absl::StatusOr<driver::Pacing> pacing = (*device)->SetPacing(
      request.lease_id(), codec::PacingFromProto(request.pacing()));
  if (!pacing.ok()) return pacing.status();
  response->set_pacing(codec::ToProto(*pacing));
  return absl::OkStatus();
}

absl::Status DeviceApi::SetPowerMonitor(
    const v1::SetPowerMonitorRequest& request,
    v1::SetPowerMonitorResponse* response) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request.device_id());
  if (!device.ok()) return device.status();
  absl::StatusOr<double> rate =
      (*device)->SetPowerMonitorRate(request.lease_id(), request.rate_hz());
  if (!rate.ok()) return rate.status();
  response->set_rate_hz(*rate);
  return absl::OkStatus();
}

absl::Status DeviceApi::ReadNeuronValues(
    const v1::ReadNeuronValuesRequest& request, v1::NeuronValues* response) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request.device_id());
  if (!device.ok()) return device.status();
  absl::StatusOr<std::vector<driver::NeuronAddress>> wanted =
      Addresses(request.neurons(), /*with_values=*/false);
  if (!wanted.ok()) return wanted.status();
  std::vector<driver::NeuronAddress> addresses;
  absl::StatusOr<std::vector<int16_t>> values = (*device)->ReadNeurons(
      static_cast<int>(request.layer()), *wanted, &addresses);
  if (!values.ok()) return values.status();
  response->set_layer(request.layer());
  for (size_t i = 0; i < addresses.size(); ++i) {
    response->add_feature(addresses[i].feature);
    response->add_x(addresses[i].x);
    response->add_y(addresses[i].y);
    response->add_value((*values)[i]);
  }
  return absl::OkStatus();
}

absl::Status DeviceApi::WriteNeuronValues(
    const v1::WriteNeuronValuesRequest& request,
    v1::WriteNeuronValuesResponse* response) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request.device_id());
  if (!device.ok()) return device.status();
  const v1::NeuronValues& in = request.neurons();
  absl::StatusOr<std::vector<driver::NeuronAddress>> addresses =
      Addresses(in, /*with_values=*/true);
  if (!addresses.ok()) return addresses.status();
  std::vector<int16_t> values;
  for (int i = 0; i < in.value_size(); ++i) {
    if (in.value(i) < -32768 || in.value(i) > 32767) {
      return absl::InvalidArgumentError(
          absl::StrCat("neurons.value[", i, "]: ", in.value(i),
                       " is outside int16 (-32768..32767)"));
    }
    values.push_back(static_cast<int16_t>(in.value(i)));
  }
  absl::Status status = (*device)->WriteNeurons(
      request.lease_id(), static_cast<int>(in.layer()), *addresses, values);
  if (!status.ok()) return status;
  response->set_written(static_cast<uint32_t>(values.size()));
  return absl::OkStatus();
}

absl::Status DeviceApi::CancelInputs(const v1::CancelInputsRequest& request,
                                     v1::CancelInputsResponse* response) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request.device_id());
  if (!device.ok()) return device.status();
  absl::StatusOr<ManagedDevice::Cancelled> cancelled =
      (*device)->CancelInputs(request.lease_id());
  if (!cancelled.ok()) return cancelled.status();
  response->set_dropped_inputs(cancelled->queued_inputs);
  response->set_dropped_writes(cancelled->pending_writes);
  return absl::OkStatus();
}

absl::Status DeviceApi::WaitIdleBlocking(ManagedDevice* device,
                                         absl::Duration timeout,
                                         v1::Device* response) {
  const absl::Time deadline = absl::Now() + timeout;
  // In slices, so that shutting down does not wait for a long timeout.
  while (!device->WaitUntilIdle(
      std::min(absl::Milliseconds(100), deadline - absl::Now()))) {
    {
      MutexLock lock(&mu_);
      if (stopping_) return absl::UnavailableError("speckd is shutting down");
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "device ", device->id(), " did not become idle within ",
          absl::FormatDuration(timeout),
          " (real-time pacing plays inputs when the stop watch reaches "
          "them)"));
    }
  }
  Describe(device->Snapshot(), response);
  return absl::OkStatus();
}

void DeviceApi::WaitIdle(const v1::WaitIdleRequest& request,
                         v1::Device* response,
                         std::function<void(absl::Status)> done) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request.device_id());
  if (!device.ok()) return done(device.status());
  if (request.timeout_ms() > 600000) {
    return done(absl::InvalidArgumentError(
        absl::StrCat("timeout_ms: ", request.timeout_ms(),
                     " is outside 1..600000 (0 means 10000)")));
  }
  const absl::Duration timeout = request.timeout_ms() == 0
                                     ? kDefaultIdleWait
                                     : absl::Milliseconds(request.timeout_ms());
  {
    MutexLock lock(&mu_);
    if (stopping_)
      return done(absl::UnavailableError("speckd is shutting down"));
    if (waiters_ >= kMaxWaiters) {
      return done(absl::ResourceExhaustedError(absl::StrCat(
          kMaxWaiters, " WaitIdle calls are waiting already; retry later")));
    }
    ++waiters_;
  }
  std::thread([this, device = *device, timeout, response,
               done = std::move(done)] {
    done(WaitIdleBlocking(device, timeout, response));
    MutexLock lock(&mu_);
    --waiters_;
    waiters_done_.SignalAll();
  }).detach();
}

}  // namespace speckd::server::api
