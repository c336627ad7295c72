// speckd.v1.DeviceService: device list, info and device-level controls.
#ifndef SPECKD_SERVER_API_DEVICE_SERVICE_H_
#define SPECKD_SERVER_API_DEVICE_SERVICE_H_

#include "proto/speckd/v1/device_service.grpc.pb.h"
#include "server/devices/device_manager.h"

namespace speckd::server::api {

class DeviceServiceImpl final
    : public speckd::v1::DeviceService::CallbackService {
 public:
  // `devices` must outlive the service.
  explicit DeviceServiceImpl(DeviceManager* devices) : devices_(devices) {}

  grpc::ServerUnaryReactor* ListDevices(
      grpc::CallbackServerContext* context,
      const speckd::v1::ListDevicesRequest* request,
      speckd::v1::ListDevicesResponse* response) override;

  grpc::ServerUnaryReactor* GetDevice(
      grpc::CallbackServerContext* context,
      const speckd::v1::GetDeviceRequest* request,
      speckd::v1::Device* response) override;

 private:
  DeviceManager* devices_;
};

// The proto form of a device snapshot.
void ToProto(const DeviceSnapshot& snapshot, speckd::v1::Device* out);

}  // namespace speckd::server::api

#endif  // SPECKD_SERVER_API_DEVICE_SERVICE_H_
