#include "server/api/server_service.h"

#include <google/protobuf/stubs/common.h>

#include <string>
#include <vector>

#include "absl/base/config.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/api/unary.h"
#include "server/version.h"

namespace speckd::server::api {
namespace {

// 3021012 -> "3.21.12".
std::string ProtobufVersion(int v) {
  return absl::StrCat(v / 1000000, ".", v / 1000 % 1000, ".", v % 1000);
}

}  // namespace

grpc::ServerUnaryReactor* ServerService::GetServerInfo(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return ServeUnary<v1::GetServerInfoRequest, v1::ServerInfo>(
      context, request, response,
      [this](const v1::GetServerInfoRequest&, v1::ServerInfo* out) {
        *out = info_;
        return absl::OkStatus();
      });
}

v1::ServerInfo BuildInfo() {
  v1::ServerInfo info;
  info.set_version(kSpeckdVersion);
  info.set_api("speckd.v1");
  auto& components = *info.mutable_components();
  components["grpc"] = grpc::Version();
  components["protobuf"] = ProtobufVersion(GOOGLE_PROTOBUF_VERSION);
#ifdef ABSL_LTS_RELEASE_VERSION
  components["abseil"] = absl::StrCat(ABSL_LTS_RELEASE_VERSION);
#endif
  info.set_auth_mode("none");
  return info;
}

std::string VersionLine(const v1::ServerInfo& info) {
  std::vector<std::string> parts;
  // std::map order: the proto map's iteration order is unspecified.
  std::map<std::string, std::string> sorted(info.components().begin(),
                                            info.components().end());
  for (const auto& [name, version] : sorted) {
    parts.push_back(absl::StrCat(name, " ", version));
  }
  return absl::StrCat("speckd ", info.version(), " (", info.api(), "; ",
                      absl::StrJoin(parts, ", "), ")");
}

}  // namespace speckd::server::api
