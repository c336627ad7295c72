#include "server/api/device_service.h"

#include "server/api/status.h"

namespace speckd::server::api {
namespace {

speckd::v1::DeviceState ToProto(DeviceState state) {
  switch (state) {
    case DeviceState::kAbsent:
      return speckd::v1::ABSENT;
    case DeviceState::kReady:
      return speckd::v1::READY;
    case DeviceState::kConfigured:
      return speckd::v1::CONFIGURED;
    case DeviceState::kStreaming:
      return speckd::v1::STREAMING;
    case DeviceState::kLost:
      return speckd::v1::LOST;
  }
  return speckd::v1::DEVICE_STATE_UNSPECIFIED;
}

}  // namespace

void ToProto(const DeviceSnapshot& snapshot, speckd::v1::Device* out) {
  const driver::DeviceDescriptor& d = snapshot.descriptor;
  out->set_id(d.id);
  out->set_type_name(d.type_name);
  out->set_serial_number(d.serial_number);
  out->set_backend(d.backend == driver::Backend::kSim ? speckd::v1::SIM
                                                      : speckd::v1::USB);
  out->set_state(ToProto(snapshot.state));
  out->set_usb_bus_number(d.usb_bus_number);
  out->set_usb_device_address(d.usb_device_address);
  out->set_logic_version(d.logic_version);
}

grpc::ServerUnaryReactor* DeviceServiceImpl::ListDevices(
    grpc::CallbackServerContext* context,
    const speckd::v1::ListDevicesRequest* /*request*/,
    speckd::v1::ListDevicesResponse* response) {
  for (const DeviceSnapshot& snapshot : devices_->List()) {
    ToProto(snapshot, response->add_devices());
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* DeviceServiceImpl::GetDevice(
    grpc::CallbackServerContext* context,
    const speckd::v1::GetDeviceRequest* request, speckd::v1::Device* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<DeviceSnapshot> snapshot = devices_->Get(request->device_id());
  if (!snapshot.ok()) {
    reactor->Finish(ToGrpcStatus(snapshot.status()));
    return reactor;
  }
  ToProto(*snapshot, response);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace speckd::server::api
