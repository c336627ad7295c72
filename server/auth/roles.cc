#include "server/auth/roles.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace speckd::server::auth {
namespace {

constexpr absl::string_view kPackage = "/speckd.v1.";

std::vector<std::pair<std::string, Role>> Build() {
  const struct {
    const char* service;
    std::vector<const char*> methods;
    Role role;
  } kGroups[] = {
      {"DeviceService",
       {"ListDevices", "WatchDevices", "GetDevice", "WaitIdle"},
       Role::kViewer},
      {"DeviceService",
       {"AcquireLease", "RenewLease", "ReleaseLease", "SetStopWatch",
        "SetSlowClock", "SetPacing", "SetPowerMonitor", "ReadNeuronValues",
        "WriteNeuronValues", "CancelInputs"},
       Role::kOperator},
      {"DeviceService", {"SimulateFault"}, Role::kAdmin},
      {"ConfigService",
       {"ValidateConfiguration", "GetConfiguration"},
       Role::kViewer},
      {"ConfigService", {"ApplyConfiguration"}, Role::kOperator},
      {"EventService",
       {"SubscribeEvents", "SubscribeSpikeCounts", "SubscribeActivity",
        "SubscribeReadout", "SubscribePower"},
       Role::kViewer},
      {"EventService", {"WriteEvents", "WriteEventBatch"}, Role::kOperator},
      {"GraphService",
       {"ListNodeTypes", "ListGraphs", "GetGraph", "SubscribeNode"},
       Role::kViewer},
      {"GraphService",
       {"CreateGraph", "StartGraph", "StopGraph", "DeleteGraph"},
       Role::kOperator},
      {"RecordingService",
       {"ListRecordings", "GetRecording", "ReadRecording"},
       Role::kViewer},
      {"RecordingService",
       {"StartRecording", "StopRecording", "DeleteRecording",
        "ReplayRecording"},
       Role::kOperator},
      // What a client must know before it has a token (the auth mode).
      {"ServerService", {"GetServerInfo"}, Role::kPublic},
  };
  std::vector<std::pair<std::string, Role>> table;
  for (const auto& group : kGroups) {
    for (const char* method : group.methods) {
      table.emplace_back(absl::StrCat(kPackage, group.service, "/", method),
                         group.role);
    }
  }
  return table;
}

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kPublic:
      return "public";
    case Role::kViewer:
      return "viewer";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
  }
  return "?";
}

std::string RoleWithArticle(Role role) {
  const std::string name = RoleName(role);
  return absl::StrCat(name[0] == 'a' || name[0] == 'o' ? "an " : "a ", name);
}

std::optional<Role> ParseRole(absl::string_view name) {
  for (Role r : {Role::kViewer, Role::kOperator, Role::kAdmin}) {
    if (name == RoleName(r)) return r;
  }
  return std::nullopt;
}

const std::vector<std::pair<std::string, Role>>& RoleTable() {
  static const auto* table =
      new std::vector<std::pair<std::string, Role>>(Build());
  return *table;
}

Role RequiredRole(absl::string_view method) {
  if (!absl::StartsWith(method, kPackage)) return Role::kPublic;
  for (const auto& [name, role] : RoleTable()) {
    if (name == method) return role;
  }
  return Role::kAdmin;
}

}  // namespace speckd::server::auth
