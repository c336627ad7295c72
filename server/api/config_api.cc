#include "server/api/config_api.h"

#include <memory>

#include "driver/chip/validate.h"
#include "proto/codec/config_codec.h"

namespace speckd::server::api {
namespace {

template <typename Response>
void ReportToProto(const chip::ValidationReport& report, Response* response) {
  for (const chip::ConfigProblem& p : report.problems) {
    codec::ToProto(p, response->add_problems());
  }
  for (const chip::CoreMemoryUsage& m : report.memory) {
    codec::ToProto(m, response->add_memory());
  }
}

}  // namespace

absl::Status ConfigApi::ValidateConfiguration(
    const v1::ValidateConfigurationRequest& request,
    v1::ValidateConfigurationResponse* response) {
  if (!request.device_id().empty()) {
    absl::StatusOr<ManagedDevice*> device = devices_->Find(request.device_id());
    if (!device.ok()) return device.status();
  }
  const chip::ValidationReport report =
      chip::Validate(codec::FromProto(request.configuration()));
  response->set_valid(report.ok());
  ReportToProto(report, response);
  return absl::OkStatus();
}

absl::Status ConfigApi::ApplyConfiguration(
    const v1::ApplyConfigurationRequest& request,
    v1::ApplyConfigurationResponse* response) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request.device_id());
  if (!device.ok()) return device.status();
  absl::StatusOr<chip::ValidationReport> report = (*device)->ApplyConfiguration(
      codec::FromProto(request.configuration()), request.lease_id());
  if (!report.ok()) return report.status();
  ReportToProto(*report, response);
  return absl::OkStatus();
}

absl::Status ConfigApi::GetConfiguration(
    const v1::GetConfigurationRequest& request,
    v1::GetConfigurationResponse* response) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request.device_id());
  if (!device.ok()) return device.status();
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
  return absl::OkStatus();
}

}  // namespace speckd::server::api
