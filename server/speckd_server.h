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

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/devices/device_manager.h"

namespace speckd::server {

struct ServerOptions {
  // HOST:PORT; port 0 picks a free port.
  std::string listen = "127.0.0.1:50051";
};

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

  // A channel into the same services without TCP (grpc-web bridge, tests).
  std::shared_ptr<grpc::Channel> InProcessChannel();

  // Stops accepting calls; in-flight calls get `grace` to finish, then are
  // cancelled. Health turns NOT_SERVING first. Idempotent.
  void Shutdown(absl::Duration grace);

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
