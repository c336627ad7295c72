// `speckctl version`: speckctl's own version, then what the daemon at
// --server says of itself (GetServerInfo): versions, backends, auth, limits.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "clients/cli/client.h"
#include "clients/cli/command.h"
#include "clients/cli/output.h"
#include "server/version.h"

namespace speckd::cli {
namespace {

namespace v1 = ::speckd::v1;

std::string Components(const v1::ServerInfo& info) {
  const std::map<std::string, std::string> sorted(info.components().begin(),
                                                  info.components().end());
  std::vector<std::string> parts;
  for (const auto& [name, version] : sorted) {
    parts.push_back(absl::StrCat(name, " ", version));
  }
  return absl::StrJoin(parts, ", ");
}

// A limit: 0 is none ("-").
std::string Limit(uint64_t n) { return n == 0 ? "-" : HumanBytes(n); }

void PrintTable(const std::string& address, const v1::ServerInfo& info) {
  std::printf("speckd    %s (%s; %s)\n", info.version().c_str(),
              info.api().c_str(), Components(info).c_str());
  std::printf("  at        %s (host %s, data in %s)\n", address.c_str(),
              info.hostname().c_str(), info.data_dir().c_str());
  std::printf("  backends  %s\n", absl::StrJoin(info.backends(), ", ").c_str());
  std::printf("  auth      %s\n", info.auth_mode().c_str());
  const v1::ServerLimits& l = info.limits();
  std::printf(
      "  limits    request %s, web body %s, recording %s, recordings %s, "
      "open files %llu\n",
      Limit(l.max_request_bytes()).c_str(),
      Limit(l.max_web_body_bytes()).c_str(),
      Limit(l.max_recording_bytes()).c_str(),
      Limit(l.recordings_quota_bytes()).c_str(),
      static_cast<unsigned long long>(l.open_files_limit()));
}

int RunVersion(const std::vector<std::string>& args) {
  if (!args.empty()) return UsageError("version", "takes no arguments");
  absl::StatusOr<GlobalOptions> options = GlobalOptionsFromFlags();
  if (!options.ok()) return Fail(options.status());
  const bool json = options->format == Format::kJson;
  if (!json) std::printf("speckctl  %s (speckd.v1)\n", kSpeckdVersion);
  std::fflush(stdout);
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(*options);
  if (!client.ok()) return Fail(client.status());
  v1::ServerInfo info;
  absl::Status got = (*client)->Unary([&](grpc::ClientContext* context) {
    return (*client)->server().GetServerInfo(context,
                                             v1::GetServerInfoRequest(), &info);
  });
  if (!got.ok()) return Fail(got);
  if (json) {
    std::printf("{\"speckctl\":\"%s\",\"server\":%s}\n", kSpeckdVersion,
                ProtoJson(info).c_str());
  } else {
    PrintTable((*client)->address(), info);
  }
  return kExitOk;
}

}  // namespace

const Command kVersionCommand = {
    "version", "speckctl's version and the daemon's (versions, limits)",
    "usage: speckctl version [--server=HOST:PORT] [--output=json]\n"
    "\n"
    "Prints speckctl's version, then asks speckd (GetServerInfo) for its\n"
    "version, the API it speaks, the libraries it was built with, its\n"
    "device backends, how it authenticates callers and its size limits.\n"
    "speckctl speaks speckd.v1: it works with any speckd of the same major\n"
    "API version. Exit status 1 when speckd cannot be reached (speckctl's\n"
    "own version is printed first).\n"
    "\n"
    "example:\n"
    "  speckctl version --output=json\n",
    RunVersion};

}  // namespace speckd::cli
