#include "server/speckd_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "proto/speckd/v1/config_service.grpc.pb.h"
#include "proto/speckd/v1/event_service.grpc.pb.h"
#include "proto/speckd/v1/graph_service.grpc.pb.h"
#include "server/api/device_service.h"
#include "server/log/log.h"

namespace speckd::server {

// Service objects live as long as the server; services whose RPCs are not
// implemented yet answer UNIMPLEMENTED through the generated defaults.
struct SpeckdServer::Services {
  explicit Services(DeviceManager* devices) : device(devices) {}
  api::DeviceServiceImpl device;
  speckd::v1::ConfigService::CallbackService config;
  speckd::v1::EventService::CallbackService events;
  speckd::v1::GraphService::CallbackService graphs;
};

namespace {

constexpr absl::string_view kServiceNames[] = {
    "speckd.v1.DeviceService",
    "speckd.v1.ConfigService",
    "speckd.v1.EventService",
    "speckd.v1.GraphService",
};

// "host:port" with the bound port substituted for a requested port 0.
std::string BoundAddress(absl::string_view listen, int port) {
  size_t colon = listen.rfind(':');
  absl::string_view host =
      colon == absl::string_view::npos ? listen : listen.substr(0, colon);
  return absl::StrCat(host, ":", port);
}

}  // namespace

absl::StatusOr<std::unique_ptr<SpeckdServer>> SpeckdServer::Start(
    const ServerOptions& options, DeviceManager* devices) {
  if (options.listen.find(':') == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "listen address '", options.listen, "' must be HOST:PORT"));
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  std::unique_ptr<SpeckdServer> server(new SpeckdServer());
  server->services_ = std::make_unique<Services>(devices);

  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default: a second speckd would then share the
  // port and steal half the connections instead of failing to start.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  int selected_port = 0;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(),
                           &selected_port);
  builder.RegisterService(&server->services_->device);
  builder.RegisterService(&server->services_->config);
  builder.RegisterService(&server->services_->events);
  builder.RegisterService(&server->services_->graphs);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || selected_port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen,
                     ": the address is in use, not local, or not permitted"));
  }
  server->port_ = selected_port;
  server->address_ = BoundAddress(options.listen, selected_port);

  grpc::HealthCheckServiceInterface* health =
      server->server_->GetHealthCheckService();
  health->SetServingStatus(true);
  for (absl::string_view name : kServiceNames) {
    health->SetServingStatus(std::string(name), true);
  }
  log::Info("listening", {{"address", server->address_},
                          {"devices", devices->List().size()}});
  return server;
}

SpeckdServer::~SpeckdServer() { Shutdown(absl::ZeroDuration()); }

std::shared_ptr<grpc::Channel> SpeckdServer::InProcessChannel() {
  return server_->InProcessChannel(grpc::ChannelArguments());
}

void SpeckdServer::Shutdown(absl::Duration grace) {
  if (shut_down_ || server_ == nullptr) return;
  shut_down_ = true;
  server_->GetHealthCheckService()->SetServingStatus(false);
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  server_->Wait();
  log::Info("stopped", {{"address", address_}});
}

}  // namespace speckd::server
