// SpeckdServer assembles the gRPC server: every speckd.v1 service, gRPC health
// (grpc.health.v1) and server reflection, on one listening address.
//
//   DeviceManager devices;
//   devices.Add(driver::sim::NewSimDevice(0));
//   auto server = SpeckdServer::Start({.listen = "127.0.0.1:0"}, &devices);
//   (*server)->port();        // the port actually bound
//   (*server)->Shutdown(absl::Seconds(2));
#ifndef SPECKD_SERVER_SPECKD_SERVER_H_
#define SPECKD_SERVER_SPECKD_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/speckd/v1/server_service.pb.h"
#include "server/auth/token_file.h"
#include "server/devices/device_manager.h"
#include "server/recording/recording_api.h"
#include "server/stream/subscriber.h"

namespace speckd::server {

struct ServerOptions {
  // HOST:PORT; port 0 picks a free port.
  std::string listen = "127.0.0.1:50051";
  // Where recordings go and their limits (data_dir empty: DefaultDataDir()).
  RecordingOptions recordings;
  // A connection that has not begun HTTP/2 (its preface and SETTINGS) this
  // long after connecting is closed (gRPC's default is 2 minutes).
  absl::Duration handshake_timeout = absl::Seconds(10);
  // A connection without a call this long is sent GOAWAY (clients reconnect
  // when they next call).
  absl::Duration max_connection_idle = absl::Minutes(10);
  // The gRPC port's credentials (TLS, tls_files.h); null: plain TCP.
  std::shared_ptr<grpc::ServerCredentials> credentials;
  // Access tokens (--auth_tokens); null: access control off, every call
  // allowed (loopback only: main refuses a remote listener without TLS and
  // tokens unless --insecure_remote).
  std::shared_ptr<const auth::TokenTable> tokens;
  // What GetServerInfo answers (versions from api::BuildInfo() unless set);
  // the server fills in its start time, host name, data directory and the
  // limits it knows.
  speckd::v1::ServerInfo info;
};

// Options that listen on `address`, the rest as default.
inline ServerOptions Listening(std::string address) {
  ServerOptions options;
  options.listen = std::move(address);
  return options;
}

class SpeckdServer {
 public:
  // Binds and starts serving. UNAVAILABLE with the address if it cannot bind
  // (in use, not permitted, bad host). `devices` must outlive the server.
  static absl::StatusOr<std::unique_ptr<SpeckdServer>> Start(
      const ServerOptions& options, DeviceManager* devices);

  ~SpeckdServer();

  // The bound port and "host:port" as clients should dial it.
  int port() const { return port_; }
  const std::string& address() const { return address_; }

  // Replaces the access tokens (SIGHUP); OK only if the server started with
  // some (access control cannot be turned on or off while serving).
  absl::Status ReloadTokens(std::shared_ptr<const auth::TokenTable> tokens);

  // Whether the "authorization" value (e.g. "Bearer spk_...") may read
  // `what` (the web port's /metrics: a viewer's); OK when access control is
  // off.
  absl::Status Authorize(absl::string_view what, auth::Role needed,
                         const std::string& authorization) const;

  // A channel into the same services without TCP (grpc-web bridge, tests).
  std::shared_ptr<grpc::Channel> InProcessChannel();

  // Health turns NOT_SERVING, every open stream ends with UNAVAILABLE
  // ("speckd is shutting down"), then in-flight calls get `grace` to finish
  // before they are cancelled. Idempotent.
  void Shutdown(absl::Duration grace);

  // Streams open now (diagnostics, tests).
  size_t open_streams() const;
  // Waits until exactly `n` streams are open; false after `timeout`.
  bool WaitForOpenStreams(size_t n, absl::Duration timeout);
  // Queue statistics of every open stream.
  std::vector<SubscriberStats> StreamStats() const;
  // Internal graphs the Subscribe* calls run now.
  size_t subscription_graphs() const;

  // Prometheus' text exposition of the daemon: devices, streams, RPCs, the
  // process (server/metrics/).
  std::string MetricsText() const;

 private:
  struct Services;
  SpeckdServer() = default;

  std::unique_ptr<Services> services_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::string address_;
  bool shut_down_ = false;
};

}  // namespace speckd::server

#endif  // SPECKD_SERVER_SPECKD_SERVER_H_
