// speckd.v1.ConfigService: validate (dry run), apply, get.
#ifndef SPECKD_SERVER_API_CONFIG_SERVICE_H_
#define SPECKD_SERVER_API_CONFIG_SERVICE_H_

#include "proto/speckd/v1/config_service.grpc.pb.h"
#include "server/api/subscriptions.h"
#include "server/devices/device_manager.h"

namespace speckd::server::api {

namespace v1 = ::speckd::v1;

class ConfigServiceImpl final : public v1::ConfigService::CallbackService {
 public:
  // Both must outlive the service. `hub` tells subscribers when the device
  // is reconfigured.
  ConfigServiceImpl(DeviceManager* devices, SubscriptionHub* hub)
      : devices_(devices), hub_(hub) {}

  grpc::ServerUnaryReactor* ValidateConfiguration(
      grpc::CallbackServerContext* context,
      const v1::ValidateConfigurationRequest* request,
      v1::ValidateConfigurationResponse* response) override;
  grpc::ServerUnaryReactor* ApplyConfiguration(
      grpc::CallbackServerContext* context,
      const v1::ApplyConfigurationRequest* request,
      v1::ApplyConfigurationResponse* response) override;
  grpc::ServerUnaryReactor* GetConfiguration(
      grpc::CallbackServerContext* context,
      const v1::GetConfigurationRequest* request,
      v1::GetConfigurationResponse* response) override;

 private:
  DeviceManager* const devices_;
  SubscriptionHub* const hub_;
};

}  // namespace speckd::server::api

#endif  // SPECKD_SERVER_API_CONFIG_SERVICE_H_
