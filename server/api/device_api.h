// DeviceApi: the logic of speckd.v1.DeviceService (device list and info,
// changes, the control lease, device-level controls), gRPC-free: each call
// takes its request and fills its response, returning an absl::Status.
// services.h serves it over gRPC; tests call it with fake devices.
#ifndef SPECKD_SERVER_API_DEVICE_API_H_
#define SPECKD_SERVER_API_DEVICE_API_H_

#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "driver/util/mutex.h"
#include "proto/speckd/v1/device_service.pb.h"
#include "server/api/subscriptions.h"
#include "server/devices/device_manager.h"

namespace speckd::server::api {

namespace v1 = ::speckd::v1;

class DeviceApi {
 public:
  // `devices` (and `hub`, which counts the subscribers it ended, if given)
  // must outlive the API.
  explicit DeviceApi(DeviceManager* devices,
                     const SubscriptionHub* hub = nullptr)
      : devices_(devices), hub_(hub) {}
  // Ends WaitIdle calls still waiting (UNAVAILABLE) and waits for them.
  ~DeviceApi();

  absl::Status ListDevices(const v1::ListDevicesRequest& request,
                           v1::ListDevicesResponse* response);
  // A subscriber that gets the current list (ADDED), then every change.
  absl::StatusOr<Subscription> WatchDevices(
      const v1::WatchDevicesRequest& request);
  absl::Status GetDevice(const v1::GetDeviceRequest& request,
                         v1::Device* response);
  absl::Status SimulateFault(const v1::SimulateFaultRequest& request,
                             v1::Device* response);
  // `peer` names the holder when the request does not.
  absl::Status AcquireLease(const v1::AcquireLeaseRequest& request,
                            const std::string& peer, v1::Lease* response);
  absl::Status RenewLease(const v1::RenewLeaseRequest& request,
                          v1::Lease* response);
  absl::Status ReleaseLease(const v1::ReleaseLeaseRequest& request,
                            v1::ReleaseLeaseResponse* response);
  absl::Status SetStopWatch(const v1::SetStopWatchRequest& request,
                            v1::StopWatch* response);
  absl::Status SetSlowClock(const v1::SetSlowClockRequest& request,
                            v1::SlowClock* response);
  absl::Status SetPacing(const v1::SetPacingRequest& request,
                         v1::SetPacingResponse* response);
  absl::Status SetPowerMonitor(const v1::SetPowerMonitorRequest& request,
                               v1::SetPowerMonitorResponse* response);
  absl::Status ReadNeuronValues(const v1::ReadNeuronValuesRequest& request,
                                v1::NeuronValues* response);
  absl::Status WriteNeuronValues(const v1::WriteNeuronValuesRequest& request,
                                 v1::WriteNeuronValuesResponse* response);
  absl::Status CancelInputs(const v1::CancelInputsRequest& request,
                            v1::CancelInputsResponse* response);
  // Calls `done` once the device is idle (filling `response`), or with
  // DEADLINE_EXCEEDED after the timeout. It waits on a thread of its own,
  // kMaxWaiters at a time (RESOURCE_EXHAUSTED beyond).
  void WaitIdle(const v1::WaitIdleRequest& request, v1::Device* response,
                std::function<void(absl::Status)> done);

  static constexpr int kMaxWaiters = 8;

 private:
  // The device as clients see it: its snapshot and the hub's counts.
  void Describe(const DeviceSnapshot& snapshot, v1::Device* out) const;
  PayloadPtr EncodeChange(v1::DeviceChange::Kind kind,
                          const DeviceSnapshot& snapshot) const;
  absl::Status WaitIdleBlocking(ManagedDevice* device, absl::Duration timeout,
                                v1::Device* response);

  DeviceManager* const devices_;
  const SubscriptionHub* const hub_;
  Mutex mu_;
  CondVar waiters_done_;
  int waiters_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace speckd::server::api

#endif  // SPECKD_SERVER_API_DEVICE_API_H_
