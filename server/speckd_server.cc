#include "server/speckd_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "server/api/convert.h"
#include "server/api/recording_service.h"
#include "server/api/server_service.h"
#include "server/api/services.h"
#include "server/api/stream_reactor.h"
#include "server/api/subscriptions.h"
#include "server/auth/audit.h"
#include "server/auth/authorizer.h"
#include "server/log/log.h"
#include "server/metrics/daemon_metrics.h"
#include "server/metrics/exposition.h"
#include "server/metrics/rpc_metrics.h"
#include "server/version.h"

namespace speckd::server {

// Service objects live as long as the server; the hub takes the devices'
// notices while it does.
struct SpeckdServer::Services {
  Services(DeviceManager* devices, const ServerOptions& options)
      : devices(devices),
        registry(RegistryOptions(devices)),
        hub(devices, devices->clock()),
        device_api(devices, &hub),
        config_api(devices),
        event_api(devices, &hub),
        graph_api(devices, &hub),
        device(&device_api, &registry),
        config(&config_api),
        events(&event_api, devices, &registry),
        graphs(&graph_api, &registry),
        recording_api(devices, &event_api, devices->clock(),
                      WithVersion(options.recordings)),
        recordings(&recording_api),
        server(CompleteInfo(options)),
        auth(options.tokens) {
    devices->SetNoticeSink(&hub);
  }
  ~Services() { devices->SetNoticeSink(nullptr); }

  static RecordingOptions WithVersion(RecordingOptions options) {
    if (options.data_dir.empty()) options.data_dir = DefaultDataDir();
    options.speckd_version = kSpeckdVersion;
    return options;
  }

  static v1::ServerInfo CompleteInfo(const ServerOptions& options) {
    v1::ServerInfo info = options.info;
    if (info.version().empty()) info.MergeFrom(api::BuildInfo());
    info.set_started_unix_us(
        static_cast<uint64_t>(absl::ToUnixMicros(absl::Now())));
    char host[256] = {};
    if (gethostname(host, sizeof(host) - 1) == 0) info.set_hostname(host);
    info.set_data_dir(WithVersion(options.recordings).data_dir);
    v1::ServerLimits* limits = info.mutable_limits();
    // gRPC's default, which speckd keeps (memory_pressure_test).
    limits->set_max_request_bytes(4 << 20);
    limits->set_max_recording_bytes(options.recordings.max_recording_bytes);
    limits->set_recordings_quota_bytes(options.recordings.quota_bytes);
    // "none", "tokens", and "+tls" when the gRPC port serves TLS.
    info.set_auth_mode(
        absl::StrCat(options.tokens != nullptr ? "tokens" : "none",
                     options.credentials != nullptr ? "+tls" : ""));
    return info;
  }

  static api::StreamRegistryOptions RegistryOptions(DeviceManager* devices) {
    api::StreamRegistryOptions options;
    options.clock = devices->clock();
    return options;
  }

  DeviceManager* const devices;
  api::StreamRegistry registry;
  api::SubscriptionHub hub;
  api::DeviceApi device_api;
  api::ConfigApi config_api;
  api::EventApi event_api;
  api::GraphApi graph_api;
  api::DeviceService device;
  api::ConfigService config;
  api::EventService events;
  api::GraphService graphs;
  // After what recorders use: they stop first.
  RecordingApi recording_api;
  api::RecordingService recordings;
  api::ServerService server;
  // Both outlive the gRPC server (Services is destroyed after it), whose
  // interceptors use them.
  metrics::RpcMetrics rpc;
  auth::Authorizer auth;
  int watcher = 0;
};

namespace {

constexpr absl::string_view kServiceNames[] = {
    "speckd.v1.DeviceService",    "speckd.v1.ConfigService",
    "speckd.v1.EventService",     "speckd.v1.GraphService",
    "speckd.v1.RecordingService", "speckd.v1.ServerService",
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
  server->services_ = std::make_unique<Services>(devices, options);

  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default: a second speckd would then share the
  // port and steal half the connections instead of failing to start.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Silent or half-open connections do not hold descriptors for long.
  builder.AddChannelArgument(
      GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options.handshake_timeout)));
  builder.AddChannelArgument(
      GRPC_ARG_MAX_CONNECTION_IDLE_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options.max_connection_idle)));
  int selected_port = 0;
  builder.AddListeningPort(options.listen,
                           options.credentials != nullptr
                               ? options.credentials
                               : grpc::InsecureServerCredentials(),
                           &selected_port);
  builder.RegisterService(&server->services_->device);
  builder.RegisterService(&server->services_->config);
  builder.RegisterService(&server->services_->events);
  builder.RegisterService(&server->services_->graphs);
  builder.RegisterService(&server->services_->recordings);
  builder.RegisterService(&server->services_->server);
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  // Access control first: every call is decided before anything else sees
  // it.
  interceptors.push_back(server->services_->auth.InterceptorFactory());
  interceptors.push_back(auth::AuditInterceptorFactory());
  interceptors.push_back(server->services_->rpc.InterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
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
  // Each device is a health "service" of its own, by id: SERVING while it is
  // present and usable (ready, configured or streaming).
  auto device_health = [health](DeviceChange change,
                                const DeviceSnapshot& snapshot) {
    health->SetServingStatus(snapshot.descriptor.id,
                             change != DeviceChange::kRemoved &&
                                 snapshot.state != DeviceState::kLost &&
                                 snapshot.state != DeviceState::kAbsent &&
                                 snapshot.state != DeviceState::kUnusable);
  };
  for (const DeviceSnapshot& snapshot : devices->List()) {
    device_health(DeviceChange::kAdded, snapshot);
  }
  server->services_->watcher = devices->AddWatcher(device_health);
  log::Info("listening", {{"address", server->address_},
                          {"devices", devices->List().size()}});
  return server;
}

SpeckdServer::~SpeckdServer() { Shutdown(absl::ZeroDuration()); }

absl::Status SpeckdServer::ReloadTokens(
    std::shared_ptr<const auth::TokenTable> tokens) {
  if (!services_->auth.enabled() || tokens == nullptr) {
    return absl::FailedPreconditionError(
        "access control is turned on or off only by restarting speckd");
  }
  services_->auth.Reload(std::move(tokens));
  return absl::OkStatus();
}

absl::Status SpeckdServer::Authorize(absl::string_view what, auth::Role needed,
                                     const std::string& authorization) const {
  std::multimap<grpc::string_ref, grpc::string_ref> metadata;
  metadata.emplace("authorization", authorization);
  return services_->auth.Check(what, needed, auth::BearerToken(metadata))
      .status();
}

std::shared_ptr<grpc::Channel> SpeckdServer::InProcessChannel() {
  return server_->InProcessChannel(grpc::ChannelArguments());
}

void SpeckdServer::Shutdown(absl::Duration grace) {
  if (shut_down_ || server_ == nullptr) return;
  shut_down_ = true;
  services_->devices->RemoveWatcher(services_->watcher);
  server_->GetHealthCheckService()->SetServingStatus(false);
  const absl::Time deadline = absl::Now() + grace;
  const size_t streams = services_->registry.open_streams();
  // Recordings end first, cleanly, saying why.
  services_->recording_api.StopAll(
      absl::UnavailableError("speckd is shutting down"));
  // Subscribers learn why their stream ends (within a small part of the
  // grace), then streams end with a status instead of hanging until the
  // deadline.
  services_->registry.Announce(
      api::EncodeNotice(
          {Notice::Kind::kShuttingDown, "speckd is shutting down", 0}),
      absl::Now() + std::min(grace / 4, absl::Milliseconds(500)));
  services_->registry.CloseAll(
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "speckd is shutting down"),
      deadline);
  server_->Shutdown(absl::ToChronoTime(deadline));
  server_->Wait();
  log::Info("stopped", {{"address", address_}, {"streams_ended", streams}});
}

size_t SpeckdServer::open_streams() const {
  return services_->registry.open_streams();
}

bool SpeckdServer::WaitForOpenStreams(size_t n, absl::Duration timeout) {
  return services_->registry.WaitForOpenStreams(n, absl::Now() + timeout);
}

std::vector<SubscriberStats> SpeckdServer::StreamStats() const {
  return services_->registry.Stats();
}

size_t SpeckdServer::subscription_graphs() const {
  return services_->hub.internal_graphs();
}

std::string SpeckdServer::MetricsText() const {
  metrics::Exposition out;
  metrics::RenderDevices(services_->devices->List(), &out);
  metrics::RenderStreams(services_->registry.Stats(), &out);
  services_->rpc.Render(&out);
  metrics::RenderProcess(&out);
  return out.Take();
}

}  // namespace speckd::server
