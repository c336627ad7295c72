#include "server/api/device_service.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/api/convert.h"
#include "server/api/event_service.h"
#include "server/api/status.h"

namespace speckd::server::api {

namespace {

constexpr absl::Duration kDefaultLeaseTtl = absl::Seconds(10);

void LeaseToProto(const std::string& device_id, const LeaseInfo& lease,
                  v1::Lease* out) {
  out->set_device_id(device_id);
  out->set_lease_id(lease.lease_id);
  out->set_holder(lease.holder);
  out->set_expires_unix_ms(absl::ToUnixMillis(lease.expires));
}

PayloadPtr EncodeChange(v1::DeviceChange::Kind kind,
                        const DeviceSnapshot& snapshot) {
  v1::DeviceChange change;
  change.set_kind(kind);
  ToProto(snapshot, change.mutable_device());
  return EncodePayload(change, 1);
}

}  // namespace

grpc::ServerUnaryReactor* DeviceServiceImpl::ListDevices(
    grpc::CallbackServerContext* context, const v1::ListDevicesRequest*,
    v1::ListDevicesResponse* response) {
  for (const DeviceSnapshot& snapshot : devices_->List()) {
    ToProto(snapshot, response->add_devices());
  }
  return FinishUnary(context, absl::OkStatus());
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* DeviceServiceImpl::WatchDevices(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw) {
  v1::WatchDevicesRequest request;
  if (absl::Status s = ParseRequest(*raw, &request); !s.ok()) {
    return FailedStream(ToGrpcStatus(s));
  }
  auto subscriber = std::make_shared<Subscriber>(SubscriberOptions{});
  DeviceManager* devices = devices_;
  std::weak_ptr<Subscriber> weak = subscriber;
  const int token =
      devices_->AddWatcher([weak](const DeviceSnapshot& snapshot) {
        std::shared_ptr<Subscriber> s = weak.lock();
        if (s == nullptr) return;
        s->Push(EncodeChange(v1::DeviceChange::CHANGED, snapshot));
      });
  // The current list first (changes in between arrive after it, harmlessly
  // repeating the latest state).
  for (const DeviceSnapshot& snapshot : devices_->List()) {
    subscriber->Push(EncodeChange(v1::DeviceChange::ADDED, snapshot));
  }
  return StreamReactor::Start(
      std::move(subscriber), registry_,
      [devices, token] { devices->RemoveWatcher(token); });
}

grpc::ServerUnaryReactor* DeviceServiceImpl::GetDevice(
    grpc::CallbackServerContext* context, const v1::GetDeviceRequest* request,
    v1::Device* response) {
  absl::StatusOr<DeviceSnapshot> snapshot = devices_->Get(request->device_id());
  if (snapshot.ok()) ToProto(*snapshot, response);
  return FinishUnary(context, snapshot.status());
}

grpc::ServerUnaryReactor* DeviceServiceImpl::AcquireLease(
    grpc::CallbackServerContext* context,
    const v1::AcquireLeaseRequest* request, v1::Lease* response) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request->device_id());
  if (!device.ok()) return FinishUnary(context, device.status());
  if (request->ttl_ms() != 0 &&
      (request->ttl_ms() < 1000 || request->ttl_ms() > 600000)) {
    return FinishUnary(
        context, absl::InvalidArgumentError(
                     absl::StrCat("ttl_ms: ", request->ttl_ms(),
                                  " is outside 1000..600000 (0 means 10000)")));
  }
  const absl::Duration ttl = request->ttl_ms() == 0
                                 ? kDefaultLeaseTtl
                                 : absl::Milliseconds(request->ttl_ms());
  std::string holder = request->holder();
  if (holder.empty()) holder = context->peer();
  absl::StatusOr<LeaseInfo> lease = (*device)->AcquireLease(holder, ttl);
  if (lease.ok()) LeaseToProto((*device)->id(), *lease, response);
  return FinishUnary(context, lease.status());
}

grpc::ServerUnaryReactor* DeviceServiceImpl::RenewLease(
    grpc::CallbackServerContext* context, const v1::RenewLeaseRequest* request,
    v1::Lease* response) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request->device_id());
  if (!device.ok()) return FinishUnary(context, device.status());
  absl::StatusOr<LeaseInfo> lease = (*device)->RenewLease(request->lease_id());
  if (lease.ok()) LeaseToProto((*device)->id(), *lease, response);
  return FinishUnary(context, lease.status());
}

grpc::ServerUnaryReactor* DeviceServiceImpl::ReleaseLease(
    grpc::CallbackServerContext* context,
    const v1::ReleaseLeaseRequest* request, v1::ReleaseLeaseResponse*) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request->device_id());
  if (!device.ok()) return FinishUnary(context, device.status());
  return FinishUnary(context, (*device)->ReleaseLease(request->lease_id()));
}

grpc::ServerUnaryReactor* DeviceServiceImpl::SetStopWatch(
    grpc::CallbackServerContext* context,
    const v1::SetStopWatchRequest* request, v1::StopWatch* response) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request->device_id());
  if (!device.ok()) return FinishUnary(context, device.status());
  std::optional<bool> enable;
  if (request->has_enable()) enable = request->enable();
  absl::StatusOr<driver::StopWatchState> state =
      (*device)->SetStopWatch(request->lease_id(), enable, request->reset());
  if (state.ok()) {
    response->set_enabled(state->enabled);
    response->set_time_us(state->time_us);
    response->set_epoch(state->epoch);
    // Subscribers see timestamps jump back to 0; tell them why.
    if (request->reset()) {
      hub_->Broadcast(
          (*device)->id(),
          EncodeNotice(v1::StreamNotice::STOP_WATCH_RESET,
                       absl::StrCat("stop watch reset; timestamps restart at 0 "
                                    "(epoch ",
                                    state->epoch, ")")));
    }
  }
  return FinishUnary(context, state.status());
}

grpc::ServerUnaryReactor* DeviceServiceImpl::SetSlowClock(
    grpc::CallbackServerContext* context,
    const v1::SetSlowClockRequest* request, v1::SlowClock* response) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request->device_id());
  if (!device.ok()) return FinishUnary(context, device.status());
  absl::Status status = (*device)->SetSlowClock(
      request->lease_id(), request->slow_clock().enabled(),
      request->slow_clock().rate_hz());
  if (status.ok()) {
    const driver::SlowClockState clock = (*device)->device()->slow_clock();
    response->set_enabled(clock.enabled);
    response->set_rate_hz(clock.rate_hz);
  }
  return FinishUnary(context, status);
}

grpc::ServerUnaryReactor* DeviceServiceImpl::SetPacing(
    grpc::CallbackServerContext* context, const v1::SetPacingRequest* request,
    v1::SetPacingResponse* response) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request->device_id());
  if (!device.ok()) return FinishUnary(context, device.status());
  absl::Status status = (*device)->SetPacing(
      request->lease_id(), request->pacing() == v1::AS_FAST_AS_POSSIBLE
                               ? driver::Pacing::kAsFastAsPossible
                               : driver::Pacing::kRealTime);
  response->set_pacing((*device)->device()->pacing() ==
                               driver::Pacing::kRealTime
                           ? v1::REAL_TIME
                           : v1::AS_FAST_AS_POSSIBLE);
  return FinishUnary(context, status);
}

grpc::ServerUnaryReactor* DeviceServiceImpl::SetPowerMonitor(
    grpc::CallbackServerContext* context,
    const v1::SetPowerMonitorRequest* request,
    v1::SetPowerMonitorResponse* response) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request->device_id());
  if (!device.ok()) return FinishUnary(context, device.status());
  absl::Status status =
      (*device)->SetPowerMonitorRate(request->lease_id(), request->rate_hz());
  response->set_rate_hz((*device)->device()->power_monitor_rate());
  return FinishUnary(context, status);
}

grpc::ServerUnaryReactor* DeviceServiceImpl::ReadNeuronValues(
    grpc::CallbackServerContext* context,
    const v1::ReadNeuronValuesRequest* request, v1::NeuronValues* response) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request->device_id());
  if (!device.ok()) return FinishUnary(context, device.status());
  const v1::NeuronValues& in = request->neurons();
  if (in.x_size() != in.feature_size() || in.y_size() != in.feature_size()) {
    return FinishUnary(context,
                       absl::InvalidArgumentError(
                           "neurons: feature, x and y need one value per "
                           "neuron"));
  }
  std::vector<driver::NeuronAddress> wanted;
  for (int i = 0; i < in.feature_size(); ++i) {
    wanted.push_back({in.feature(i), in.x(i), in.y(i)});
  }
  std::vector<driver::NeuronAddress> addresses;
  absl::StatusOr<std::vector<int16_t>> values =
      (*device)->device()->ReadNeurons(static_cast<int>(request->layer()),
                                       wanted, &addresses);
  if (values.ok()) {
    response->set_layer(request->layer());
    for (size_t i = 0; i < addresses.size(); ++i) {
      response->add_feature(addresses[i].feature);
      response->add_x(addresses[i].x);
      response->add_y(addresses[i].y);
      response->add_value((*values)[i]);
    }
  }
  return FinishUnary(context, values.status());
}

grpc::ServerUnaryReactor* DeviceServiceImpl::WriteNeuronValues(
    grpc::CallbackServerContext* context,
    const v1::WriteNeuronValuesRequest* request,
    v1::WriteNeuronValuesResponse* response) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request->device_id());
  if (!device.ok()) return FinishUnary(context, device.status());
  const v1::NeuronValues& in = request->neurons();
  const int n = in.feature_size();
  if (in.x_size() != n || in.y_size() != n || in.value_size() != n) {
    return FinishUnary(context,
                       absl::InvalidArgumentError(
                           "neurons: feature, x, y and value need one value "
                           "per neuron"));
  }
  std::vector<driver::NeuronAddress> addresses;
  std::vector<int16_t> values;
  for (int i = 0; i < n; ++i) {
    if (in.value(i) < -32768 || in.value(i) > 32767) {
      return FinishUnary(context, absl::InvalidArgumentError(absl::StrCat(
                                      "neurons.value[", i, "]: ", in.value(i),
                                      " is outside int16 (-32768..32767)")));
    }
    addresses.push_back({in.feature(i), in.x(i), in.y(i)});
    values.push_back(static_cast<int16_t>(in.value(i)));
  }
  absl::Status status = (*device)->WriteNeurons(
      request->lease_id(), static_cast<int>(in.layer()), addresses, values);
  if (status.ok()) response->set_written(static_cast<uint32_t>(n));
  return FinishUnary(context, status);
}

}  // namespace speckd::server::api
