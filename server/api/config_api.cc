#include "server/api/config_api.h"

#include <memory>
#include <vector>

#include "driver/chip/validate.h"
#include "proto/codec/config_codec.h"
#include "proto/codec/config_json.h"

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

// The request's configuration: the message, or the file text it carries.
template <typename Request>
absl::StatusOr<chip::SpeckConfig> Configuration(const Request& request) {
  if (request.configuration_json().empty()) {
    return codec::FromProto(request.configuration());
  }
  if (request.has_configuration()) {
    return absl::InvalidArgumentError(
        "configuration and configuration_json: set one, not both");
  }
  absl::StatusOr<v1::SpeckConfiguration> parsed =
      codec::ParseConfigurationJson(request.configuration_json());
  if (!parsed.ok()) return parsed.status();
  return codec::FromProto(*parsed);
}

}  // namespace

absl::Status ConfigApi::ValidateConfiguration(
    const v1::ValidateConfigurationRequest& request,
    v1::ValidateConfigurationResponse* response) {
  if (!request.device_id().empty()) {
    absl::StatusOr<ManagedDevice*> device = devices_->Find(request.device_id());
    if (!device.ok()) return device.status();
  }
  if (!request.configuration_json().empty() && !request.has_configuration()) {
    // A file that does not read is invalid, with each problem where it is.
    const std::vector<codec::JsonProblem> problems =
        codec::ConfigurationJsonProblems(request.configuration_json());
    for (const codec::JsonProblem& p : problems) {
      v1::ConfigProblem* out = response->add_problems();
      out->set_severity(v1::ConfigProblem::ERROR);
      out->set_field_path(p.path);
      out->set_message(p.message);
    }
    if (!problems.empty()) return absl::OkStatus();
  }
  absl::StatusOr<chip::SpeckConfig> config = Configuration(request);
  if (!config.ok()) return config.status();
  const chip::ValidationReport report = chip::Validate(*config);
  response->set_valid(report.ok());
  ReportToProto(report, response);
  return absl::OkStatus();
}

absl::Status ConfigApi::ApplyConfiguration(
    const v1::ApplyConfigurationRequest& request,
    v1::ApplyConfigurationResponse* response) {
  absl::StatusOr<ManagedDevice*> device = devices_->Find(request.device_id());
  if (!device.ok()) return device.status();
  absl::StatusOr<chip::SpeckConfig> config = Configuration(request);
  if (!config.ok()) return config.status();
  absl::StatusOr<chip::ValidationReport> report =
      (*device)->ApplyConfiguration(*config, request.lease_id());
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
