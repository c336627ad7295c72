// speckd's HTTP/1.1 listener: serves the dashboard's static files and
// translates grpc-web (binary and text) to the daemon's gRPC services over an
// in-process channel with generic calls, so every unary and server-streaming
// RPC is reachable without per-method code. Built on libevent's evhttp (one
// event-loop thread; gRPC reactions hand their bytes to it).
//
//   auto web = WebServer::Start({.listen = "127.0.0.1:8080", .web_root = dir},
//                               server->InProcessChannel());
//   (*web)->address();   // "127.0.0.1:8080"
//   (*web)->Shutdown();  // browser streams end, then calls are cancelled
#ifndef SPECKD_SERVER_WEB_WEB_SERVER_H_
#define SPECKD_SERVER_WEB_WEB_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/tls/tls_files.h"
#include "server/web/request_policy.h"

namespace speckd::server::web {

// The largest request body read: one gRPC request at the daemon's 4 MiB
// limit, base64-encoded as in grpc-web text mode, with its frame header.
// libevent refuses a larger Content-Length (or chunked body) with 413 while
// reading, so no more than this is ever buffered per request.
inline constexpr size_t kMaxBodyBytes = size_t{6} << 20;

struct WebServerOptions {
  // HOST:PORT; port 0 picks a free port.
  std::string listen = "127.0.0.1:8080";
  // Directory of the built dashboard (index.html, assets/); empty serves a
  // page saying how to build it.
  std::string web_root;
  // A response stream whose browser reads slower than this many bytes behind
  // stops reading from the gRPC call until it catches up (the subscription's
  // own queue then applies its overflow policy).
  size_t max_buffered_bytes = size_t{4} << 20;
  // How long a connection may take to send a whole request (line, headers,
  // body), and stay idle between requests; then it is closed. A grpc-web
  // call in progress (a subscription may last hours) is exempt.
  absl::Duration request_timeout = absl::Seconds(10);
  // TLS (https) when the files are set (web_tls.h); plain HTTP otherwise.
  tls::TlsFiles tls;
  // Which Host names and page origins are answered (request_policy.h).
  RequestPolicyOptions policy;
  // GET /metrics answers what this returns (Prometheus' text format);
  // unset: 404.
  std::function<std::string()> metrics;
  // Whether the request's "Authorization" header value may read /metrics:
  // UNAUTHENTICATED (answered 401) or PERMISSION_DENIED (403) with why;
  // unset: anyone may.
  std::function<absl::Status(const std::string& authorization)>
      authorize_metrics;
};

class WebServer {
 public:
  // UNAVAILABLE naming the address if it cannot listen.
  static absl::StatusOr<std::unique_ptr<WebServer>> Start(
      const WebServerOptions& options, std::shared_ptr<grpc::Channel> channel);

  ~WebServer();

  int port() const;
  const std::string& address() const;
  // "https" with TLS, else "http".
  const char* scheme() const;

  // Calls in progress now (diagnostics, tests).
  size_t active_calls() const;

  // OK once the event loop has run a task posted to it, within `timeout`
  // (the service watchdog's probe); DEADLINE_EXCEEDED if it did not, and
  // UNAVAILABLE once shutting down.
  absl::Status Ping(absl::Duration timeout);

  // Refuses new calls, lets those in progress end by themselves for up to
  // `grace` (a daemon shutting down ends its streams with a notice and
  // UNAVAILABLE, which browsers should get), cancels the rest, gives them
  // half a second, then stops listening. Idempotent.
  void Shutdown(absl::Duration grace = absl::Seconds(2));

  class Impl;

 private:
  explicit WebServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace speckd::server::web

#endif  // SPECKD_SERVER_WEB_WEB_SERVER_H_
