// speckd.v1.DeviceService: device list and info, change stream, the control
// lease, and device-level controls.
#ifndef SPECKD_SERVER_API_DEVICE_SERVICE_H_
#define SPECKD_SERVER_API_DEVICE_SERVICE_H_

#include "proto/speckd/v1/device_service.grpc.pb.h"
#include "server/api/stream_reactor.h"
#include "server/api/subscriptions.h"
#include "server/devices/device_manager.h"

namespace speckd::server::api {

namespace v1 = ::speckd::v1;

using DeviceServiceBase = v1::DeviceService::WithRawCallbackMethod_WatchDevices<
    v1::DeviceService::CallbackService>;

class DeviceServiceImpl final : public DeviceServiceBase {
 public:
  // All must outlive the service. `hub` receives the stream notices device
  // controls cause (a stop-watch reset).
  DeviceServiceImpl(DeviceManager* devices, StreamRegistry* registry,
                    SubscriptionHub* hub)
      : devices_(devices), registry_(registry), hub_(hub) {}

  grpc::ServerUnaryReactor* ListDevices(
      grpc::CallbackServerContext* context,
      const v1::ListDevicesRequest* request,
      v1::ListDevicesResponse* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchDevices(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;
  grpc::ServerUnaryReactor* GetDevice(grpc::CallbackServerContext* context,
                                      const v1::GetDeviceRequest* request,
                                      v1::Device* response) override;
  grpc::ServerUnaryReactor* AcquireLease(grpc::CallbackServerContext* context,
                                         const v1::AcquireLeaseRequest* request,
                                         v1::Lease* response) override;
  grpc::ServerUnaryReactor* RenewLease(grpc::CallbackServerContext* context,
                                       const v1::RenewLeaseRequest* request,
                                       v1::Lease* response) override;
  grpc::ServerUnaryReactor* ReleaseLease(
      grpc::CallbackServerContext* context,
      const v1::ReleaseLeaseRequest* request,
      v1::ReleaseLeaseResponse* response) override;
  grpc::ServerUnaryReactor* SetStopWatch(grpc::CallbackServerContext* context,
                                         const v1::SetStopWatchRequest* request,
                                         v1::StopWatch* response) override;
  grpc::ServerUnaryReactor* SetSlowClock(grpc::CallbackServerContext* context,
                                         const v1::SetSlowClockRequest* request,
                                         v1::SlowClock* response) override;
  grpc::ServerUnaryReactor* SetPacing(grpc::CallbackServerContext* context,
                                      const v1::SetPacingRequest* request,
                                      v1::SetPacingResponse* response) override;
  grpc::ServerUnaryReactor* SetPowerMonitor(
      grpc::CallbackServerContext* context,
      const v1::SetPowerMonitorRequest* request,
      v1::SetPowerMonitorResponse* response) override;
  grpc::ServerUnaryReactor* ReadNeuronValues(
      grpc::CallbackServerContext* context,
      const v1::ReadNeuronValuesRequest* request,
      v1::NeuronValues* response) override;
  grpc::ServerUnaryReactor* WriteNeuronValues(
      grpc::CallbackServerContext* context,
      const v1::WriteNeuronValuesRequest* request,
      v1::WriteNeuronValuesResponse* response) override;

 private:
  DeviceManager* const devices_;
  StreamRegistry* const registry_;
  SubscriptionHub* const hub_;
};

}  // namespace speckd::server::api

#endif  // SPECKD_SERVER_API_DEVICE_SERVICE_H_
