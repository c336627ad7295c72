// ConfigApi: the logic of speckd.v1.ConfigService (validate as a dry run,
// apply, get), gRPC-free; services.h serves it.
#ifndef SPECKD_SERVER_API_CONFIG_API_H_
#define SPECKD_SERVER_API_CONFIG_API_H_

#include "absl/status/status.h"
#include "proto/speckd/v1/config_service.pb.h"
#include "server/devices/device_manager.h"

namespace speckd::server::api {

namespace v1 = ::speckd::v1;

class ConfigApi {
 public:
  // `devices` must outlive the API.
  explicit ConfigApi(DeviceManager* devices) : devices_(devices) {}

  absl::Status ValidateConfiguration(
      const v1::ValidateConfigurationRequest& request,
      v1::ValidateConfigurationResponse* response);
  // Subscribers hear of it from the device (DEVICE_RECONFIGURED, and
  // INPUTS_DROPPED when queued inputs were dropped).
  absl::Status ApplyConfiguration(const v1::ApplyConfigurationRequest& request,
                                  v1::ApplyConfigurationResponse* response);
  absl::Status GetConfiguration(const v1::GetConfigurationRequest& request,
                                v1::GetConfigurationResponse* response);

 private:
  DeviceManager* const devices_;
};

}  // namespace speckd::server::api

#endif  // SPECKD_SERVER_API_CONFIG_API_H_
