#include "server/api/config_service.h"

#include <memory>

#include "driver/chip/validate.h"
#include "proto/codec/config_codec.h"
#include "server/api/convert.h"
#include "server/api/status.h"

namespace speckd::server::api {

grpc::ServerUnaryReactor* ConfigServiceImpl::ValidateConfiguration(
    grpc::CallbackServerContext* context,
    const v1::ValidateConfigurationRequest* request,
    v1::ValidateConfigurationResponse* response) {
  if (!request->device_id().empty()) {
    absl::StatusOr<ManagedDevice*> device =
        devices_->Find(request->device_id());
    if (!device.ok()) return FinishUnary(context, device.status());
  }
  const chip::ValidationReport report =
      chip::Validate(codec::FromProto(request->configuration()));
  response->set_valid(report.ok());
  for (const chip::ConfigProblem& p : report.problems) {
    codec::ToProto(p, response->add_problems());
  }
  for (const chip::CoreMemoryUsage& m : report.memory) {
    codec::ToProto(m, response->add_memory());
  }
  return FinishUnary(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* ConfigServiceImpl::ApplyConfiguration(
    grpc::CallbackServerContext* context,
    const v1::ApplyConfigurationRequest* request,
    v1::ApplyConfigurationResponse* response) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request->device_id());
  if (!device.ok()) return FinishUnary(context, device.status());
  absl::StatusOr<chip::ValidationReport> report = (*device)->ApplyConfiguration(
      codec::FromProto(request->configuration()), request->lease_id());
  if (!report.ok()) return FinishUnary(context, report.status());
  // Layers and features may mean something else from here on.
  hub_->Broadcast((*device)->id(),
                  EncodeNotice(v1::StreamNotice::DEVICE_RECONFIGURED,
                               "a new configuration was applied"));
  for (const chip::ConfigProblem& p : report->problems) {
    codec::ToProto(p, response->add_problems());
  }
  for (const chip::CoreMemoryUsage& m : report->memory) {
    codec::ToProto(m, response->add_memory());
  }
  return FinishUnary(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* ConfigServiceImpl::GetConfiguration(
    grpc::CallbackServerContext* context,
    const v1::GetConfigurationRequest* request,
    v1::GetConfigurationResponse* response) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request->device_id());
  if (!device.ok()) return FinishUnary(context, device.status());
  const std::shared_ptr<const chip::SpeckConfig> config =
      (*device)->configuration();
  response->set_applied((*device)->configured());
  codec::ToProto(*config, response->mutable_configuration());
  // What Validate reports as memory, without re-checking every weight.
  for (size_t i = 0; i < config->cnn_layers.size(); ++i) {
    const chip::CnnLayerConfig& core = config->cnn_layers[i];
    if (!core.InUse()) continue;
    codec::ToProto(chip::MemoryUsage(static_cast<int>(i), core),
                   response->add_memory());
  }
  return FinishUnary(context, absl::OkStatus());
}

}  // namespace speckd::server::api
