// `speckctl token new NAME ROLE`: a new access token for a speckd started
// with --auth_tokens=FILE. Prints the token once (give it to NAME) and the
// line to add to the file (which keeps only the token's hash).
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clients/cli/command.h"
#include "server/auth/roles.h"
#include "server/auth/token_file.h"

namespace speckd::cli {
namespace {

int RunToken(const std::vector<std::string>& args) {
  if (args.size() != 3 || args[0] != "new") {
    return UsageError("token", "expects: new NAME ROLE");
  }
  const std::string& name = args[1];
  if (!server::auth::ParseRole(args[2]).has_value()) {
    return UsageError("token", absl::StrCat("'", args[2],
                                            "' is not a role: viewer, "
                                            "operator or admin"));
  }
  const std::string line =
      absl::StrCat(name, " ", args[2], " ", server::auth::HashToken(""));
  // The file's own parser says whether NAME is a name.
  if (absl::StatusOr<server::auth::TokenTable> check =
          server::auth::TokenTable::Parse(line, "NAME ROLE");
      !check.ok()) {
    return UsageError("token", std::string(check.status().message()));
  }
  const std::string token = server::auth::NewToken();
  if (token.empty())
    return Fail(absl::InternalError("no random bytes from the system"));
  std::printf("token for %s (%s; shown only now): %s\n", name.c_str(),
              args[2].c_str(), token.c_str());
  std::printf("line for speckd's --auth_tokens file:\n%s %s %s\n", name.c_str(),
              args[2].c_str(), server::auth::HashToken(token).c_str());
  std::fprintf(
      stderr,
      "speckctl: add the line to the file, then `systemctl reload speckd` "
      "(or send speckd SIGHUP); %s uses the token with --token=@FILE or "
      "$SPECKD_TOKEN\n",
      name.c_str());
  return kExitOk;
}

}  // namespace

const Command kTokenCommand = {
    "token", "make an access token for a speckd with --auth_tokens",
    "usage: speckctl token new NAME ROLE\n"
    "\n"
    "Makes a random access token for NAME with ROLE (viewer: see and\n"
    "subscribe; operator: also leases, writes, configurations, graphs and\n"
    "recordings; admin: everything), prints it once, and prints the line\n"
    "for speckd's --auth_tokens file, which keeps only the token's SHA-256.\n"
    "Needs no daemon.\n"
    "\n"
    "example:\n"
    "  speckctl token new alice operator\n",
    RunToken};

}  // namespace speckd::cli
