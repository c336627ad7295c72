// Who may call what: the role each speckd.v1 RPC needs (docs/daemon.md,
// "Access: tokens and roles", has the same table). Roles are ordered: an
// operator may do what a viewer may, an admin everything.
//
//   viewer    see: list and get devices, configurations, graphs and
//             recordings; subscribe (DROP_OLDEST: LOSSLESS needs a lease)
//   operator  use: leases, writes, configuration, the stop watch and other
//             controls, graphs, recordings
//   admin     everything, including the simulated devkit's faults
//
// Public: ServerService.GetServerInfo (a client learns the auth mode from it
// before it has a token) and methods outside speckd.v1 (gRPC health
// checking, reflection).
#ifndef SPECKD_SERVER_AUTH_ROLES_H_
#define SPECKD_SERVER_AUTH_ROLES_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace speckd::server::auth {

enum class Role { kPublic, kViewer, kOperator, kAdmin };

// "public", "viewer", "operator", "admin".
const char* RoleName(Role role);
// "a viewer", "an operator", "an admin" (for sentences).
std::string RoleWithArticle(Role role);
// viewer, operator or admin (the roles a token can have).
std::optional<Role> ParseRole(absl::string_view name);

// The role a call of `method` ("/speckd.v1.ConfigService/ApplyConfiguration")
// needs. A speckd.v1 method missing from the table needs admin (a new RPC is
// closed until it is placed).
Role RequiredRole(absl::string_view method);

// Every speckd.v1 method with its role, in the table's order.
const std::vector<std::pair<std::string, Role>>& RoleTable();

}  // namespace speckd::server::auth

#endif  // SPECKD_SERVER_AUTH_ROLES_H_
