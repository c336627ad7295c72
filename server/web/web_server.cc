#include "server/web/web_server.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <grpcpp/generic/generic_stub.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "driver/util/mutex.h"
#include "server/log/log.h"
#include "server/web/grpc_web.h"
#include "server/web/grpc_web_call.h"
#include "server/web/http_request.h"
#include "server/web/web_tls.h"

namespace speckd::server::web {

class WebServer::Impl final : public CallOwner {
 public:
  Impl(const WebServerOptions& options, std::shared_ptr<grpc::Channel> channel)
      : options_(options),
        policy_(options.policy),
        channel_(std::move(channel)),
        stub_(channel_) {}
  ~Impl();

  absl::Status Listen();
  void Shutdown(absl::Duration grace);
  absl::Status Ping(absl::Duration timeout);
  size_t active_calls() const {
    MutexLock lock(&mu_);
    return calls_.size();
  }

  // CallOwner (grpc_web_call.h).
  void Finished(GrpcWebCall* call) override;
  event_base* base() override { return base_; }
  grpc::GenericStub* stub() override { return &stub_; }
  size_t max_buffered_bytes() const override {
    return options_.max_buffered_bytes;
  }
  const timeval& request_timeout() const override { return request_timeout_; }

  bool tls_enabled() const { return tls_ != nullptr; }

  int port_ = 0;
  std::string address_;

 private:
  static void OnRequest(evhttp_request* req, void* arg);
  // evhttp's constructor of each accepted connection's bufferevent, with
  // TLS (the handshake runs once the socket is set).
  static bufferevent* NewTlsConnection(event_base* base, void* arg);
  void Handle(evhttp_request* req);
  // The request policy's verdict; false after answering 403.
  bool Admit(evhttp_request* req, evhttp_cmd_type command);
  void ServeStatic(evhttp_request* req);
  void ServeMetrics(evhttp_request* req);
  void Preflight(evhttp_request* req);
  void ServeGrpcWeb(evhttp_request* req, WireFormat format);

  const WebServerOptions options_;
  const timeval request_timeout_ = absl::ToTimeval(options_.request_timeout);
  const RequestPolicy policy_;
  // Refusals are logged at most once per period (a page could send many);
  // the loop thread alone touches these.
  absl::Time last_refusal_logged_ = absl::InfinitePast();
  uint64_t refusals_unlogged_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
  grpc::GenericStub stub_;
  // Null without TLS; the loop thread alone uses it.
  std::unique_ptr<WebTls> tls_;
  event_base* base_ = nullptr;
  evhttp* http_ = nullptr;
  std::thread loop_;

  mutable Mutex mu_;
  CondVar calls_changed_;
  std::set<GrpcWebCall*> calls_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ = false;
};

WebServer::Impl::~Impl() {
  Shutdown(absl::Seconds(2));
  if (http_ != nullptr) evhttp_free(http_);
  if (base_ != nullptr) event_base_free(base_);
}

absl::Status WebServer::Impl::Listen() {
  static const int threads_ready = evthread_use_pthreads();
  if (threads_ready != 0) {
    return absl::InternalError("libevent has no thread support");
  }
  const size_t colon = options_.listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(options_.listen.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "web listen address '", options_.listen, "' must be HOST:PORT"));
  }
  const std::string host = options_.listen.substr(0, colon);
  if (options_.tls.enabled()) {
    absl::StatusOr<std::unique_ptr<WebTls>> tls = WebTls::Create(options_.tls);
    if (!tls.ok()) return tls.status();
    tls_ = *std::move(tls);
  }
  base_ = event_base_new();
  http_ = evhttp_new(base_);
  evhttp_set_max_body_size(http_, kMaxBodyBytes);
  // Slow or silent clients (half-sent requests, idle keep-alives) are cut.
  evhttp_set_timeout_tv(http_, &request_timeout_);
  evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
                                        EVHTTP_REQ_POST | EVHTTP_REQ_OPTIONS);
  evhttp_set_gencb(http_, &Impl::OnRequest, this);
  if (tls_ != nullptr) evhttp_set_bevcb(http_, &Impl::NewTlsConnection, this);
  evhttp_bound_socket* socket = evhttp_bind_socket_with_handle(
      http_, host.c_str(), static_cast<uint16_t>(port));
  if (socket == nullptr) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options_.listen,
        " (web): the address is in use, not local, or not permitted"));
  }
  // libevent listens with a backlog of 128: a burst of connections beyond
  // it is dropped and retried by the clients a second later. Linux takes a
  // second listen() on the socket as a new backlog.
  listen(evhttp_bound_socket_get_fd(socket), SOMAXCONN);
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  getsockname(evhttp_bound_socket_get_fd(socket),
              reinterpret_cast<sockaddr*>(&bound), &length);
  port_ = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  address_ = absl::StrCat(host, ":", port_);
  loop_ = std::thread([this] {
    // Runs until Shutdown breaks the loop (EVLOOP_NO_EXIT_ON_EMPTY: idle is
    // not a reason to stop).
    event_base_loop(base_, EVLOOP_NO_EXIT_ON_EMPTY);
  });
  return absl::OkStatus();
}

bufferevent* WebServer::Impl::NewTlsConnection(event_base* base, void* arg) {
  SSL* ssl = static_cast<Impl*>(arg)->tls_->NewConnectionSsl();
  bufferevent* bev =
      ssl == nullptr ? nullptr
                     : bufferevent_openssl_socket_new(base, -1, ssl,
                                                      BUFFEREVENT_SSL_ACCEPTING,
                                                      BEV_OPT_CLOSE_ON_FREE);
  if (bev == nullptr) {
    // Out of memory. Returning no bufferevent would make evhttp serve the
    // connection in plain text: stop instead (the service restarts).
    log::Error("web_tls_failed", {{"error", "no memory for a TLS connection"}});
    std::abort();
  }
  // Browsers often close without TLS's close_notify; that is no error.
  bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
  return bev;
}

// How long cancelled calls get to finish.
constexpr absl::Duration kCancelGrace = absl::Milliseconds(500);

absl::Status WebServer::Impl::Ping(absl::Duration timeout) {
  {
    MutexLock lock(&mu_);
    if (stopping_) return absl::UnavailableError("the web port is stopping");
  }
  // Shared with the loop's task, which may run after a timed-out ping.
  auto answered = std::make_shared<Notification>();
  auto* task = new std::shared_ptr<Notification>(answered);
  const timeval now{0, 0};
  if (event_base_once(
          base_, -1, EV_TIMEOUT,
          [](evutil_socket_t, short, void* arg) {
            auto* done = static_cast<std::shared_ptr<Notification>*>(arg);
            (*done)->Notify();
            delete done;
          },
          task, &now) != 0) {
    delete task;
    return absl::InternalError("cannot post to the web port's event loop");
  }
  if (!answered->WaitForNotificationWithTimeout(timeout)) {
    return absl::DeadlineExceededError(
        absl::StrCat("the web port's event loop did not answer within ",
                     absl::FormatDuration(timeout)));
  }
  return absl::OkStatus();
}

void WebServer::Impl::Shutdown(absl::Duration grace) {
  if (stopped_ || base_ == nullptr) return;
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    // First the calls may end by themselves: a daemon shutting down ends
    // its streams with a notice and UNAVAILABLE within its own grace, and
    // browsers should get that.
    const absl::Time ends = absl::Now() + grace;
    while (!calls_.empty()) {
      if (calls_changed_.WaitWithDeadline(&mu_, ends)) break;
    }
    for (GrpcWebCall* call : calls_) call->Cancel();
    const absl::Time deadline = absl::Now() + kCancelGrace;
    while (!calls_.empty()) {
      if (calls_changed_.WaitWithDeadline(&mu_, deadline)) break;
    }
    if (!calls_.empty()) {
      log::Warning("web_calls_left", {{"calls", calls_.size()}});
    }
  }
  // Not loopbreak: the last calls' final chunks (their trailers) may still
  // sit in connection buffers, and the loop must run to send them.
  const timeval flush = {0, 250000};
  event_base_loopexit(base_, &flush);
  if (loop_.joinable()) loop_.join();
  stopped_ = true;
}

void WebServer::Impl::Finished(GrpcWebCall* call) {
  {
    MutexLock lock(&mu_);
    calls_.erase(call);
    calls_changed_.SignalAll();
  }
  delete call;
}

void WebServer::Impl::OnRequest(evhttp_request* req, void* arg) {
  static_cast<Impl*>(arg)->Handle(req);
}

bool WebServer::Impl::Admit(evhttp_request* req, evhttp_cmd_type command) {
  const std::string host = Header(req, "Host");
  absl::Status verdict = policy_.CheckHost(host);
  // Only calls need an allowed origin: a foreign page may link to the
  // dashboard, but not call it.
  if (verdict.ok() &&
      (command == EVHTTP_REQ_POST || command == EVHTTP_REQ_OPTIONS)) {
    verdict = policy_.CheckOrigin(Header(req, "Origin"), host);
  }
  if (verdict.ok()) return true;
  const absl::Time now = absl::Now();
  if (now - last_refusal_logged_ >= absl::Seconds(10)) {
    log::Warning("web_request_refused",
                 {{"error", verdict.message()},
                  {"refused_since_last_line", refusals_unlogged_}});
    last_refusal_logged_ = now;
    refusals_unlogged_ = 0;
  } else {
    ++refusals_unlogged_;
  }
  evkeyvalq* out = evhttp_request_get_output_headers(req);
  evhttp_add_header(out, "Content-Type", "text/plain; charset=utf-8");
  evbuffer* body = evbuffer_new();
  const std::string text = absl::StrCat("speckd: ", verdict.message(), "\n");
  evbuffer_add(body, text.data(), text.size());
  evhttp_send_reply(req, 403, "Forbidden", body);
  evbuffer_free(body);
  return false;
}

void WebServer::Impl::Handle(evhttp_request* req) {
  const evhttp_cmd_type command = evhttp_request_get_command(req);
  if (!Admit(req, command)) return;
  if (command == EVHTTP_REQ_OPTIONS) {
    Preflight(req);
    return;
  }
  if (command == EVHTTP_REQ_POST) {
    std::optional<WireFormat> format =
        ParseContentType(Header(req, "Content-Type"));
    if (!format.has_value()) {
      AddCors(req);
      evhttp_send_error(req, 415,
                        "speckd accepts grpc-web (application/grpc-web, "
                        "application/grpc-web-text) on POST");
      return;
    }
    ServeGrpcWeb(req, *format);
    return;
  }
  const char* path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
  if (path != nullptr && std::string(path) == "/metrics" && options_.metrics) {
    ServeMetrics(req);
    return;
  }
  ServeStatic(req);
}

void WebServer::Impl::ServeMetrics(evhttp_request* req) {
  if (options_.authorize_metrics) {
    const absl::Status allowed =
        options_.authorize_metrics(Header(req, "authorization"));
    if (!allowed.ok()) {
      evkeyvalq* out = evhttp_request_get_output_headers(req);
      const bool who = allowed.code() == absl::StatusCode::kUnauthenticated;
      if (who) evhttp_add_header(out, "WWW-Authenticate", "Bearer");
      evhttp_add_header(out, "Content-Type", "text/plain; charset=utf-8");
      evbuffer* body = evbuffer_new();
      evbuffer_add_printf(body, "%s\n", std::string(allowed.message()).c_str());
      evhttp_send_reply(req, who ? 401 : 403,
                        who ? "Unauthorized" : "Forbidden", body);
      evbuffer_free(body);
      return;
    }
  }
  const std::string text = options_.metrics();
  evkeyvalq* out = evhttp_request_get_output_headers(req);
  evhttp_add_header(out, "Content-Type",
                    "text/plain; version=0.0.4; charset=utf-8");
  evhttp_add_header(out, "Cache-Control", "no-store");
  evbuffer* body = evbuffer_new();
  if (evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
    evbuffer_add(body, text.data(), text.size());
  }
  evhttp_send_reply(req, 200, "OK", body);
  evbuffer_free(body);
}

void WebServer::Impl::Preflight(evhttp_request* req) {
  AddCors(req);
  evkeyvalq* out = evhttp_request_get_output_headers(req);
  evhttp_add_header(out, "Access-Control-Allow-Methods", "POST, OPTIONS");
  const std::string asked = Header(req, "Access-Control-Request-Headers");
  evhttp_add_header(
      out, "Access-Control-Allow-Headers",
      asked.empty() ? "content-type, x-grpc-web, x-user-agent, grpc-timeout, "
                      "authorization"
                    : asked.c_str());
  evhttp_add_header(out, "Access-Control-Max-Age", "86400");
  evhttp_send_reply(req, 204, "No Content", nullptr);
}

void WebServer::Impl::ServeGrpcWeb(evhttp_request* req, WireFormat format) {
  {
    MutexLock lock(&mu_);
    if (stopping_) {
      AddCors(req);
      evhttp_send_error(req, 503, "speckd is shutting down");
      return;
    }
  }
  const char* path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
  const std::string method = path != nullptr ? path : "";
  evbuffer* input = evhttp_request_get_input_buffer(req);
  std::string body(evbuffer_get_length(input), '\0');
  evbuffer_copyout(input, body.data(), body.size());
  absl::StatusOr<std::vector<std::string>> messages =
      DecodeRequestBody(body, format);

  auto* call = new GrpcWebCall(this, req, format);
  {
    MutexLock lock(&mu_);
    calls_.insert(call);
  }
  std::string request;
  std::string problem;
  if (!messages.ok()) {
    problem = std::string(messages.status().message());
  } else if (messages->size() > 1) {
    problem =
        "grpc-web requests carry one message (client streaming is not "
        "supported: use the unary batch calls)";
  } else if (!messages->empty()) {
    request = std::move((*messages)[0]);
  }
  if (!problem.empty()) {
    // Answered like a failed call: the status travels in the trailers, and
    // the method is never called.
    log::Warning("grpc_web_bad_request",
                 {{"method", method}, {"error", problem}});
    call->Reject(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, problem));
    return;
  }
  std::optional<absl::Duration> timeout =
      ParseGrpcTimeout(Header(req, "grpc-timeout"));
  call->Start(method, std::move(request), timeout, Header(req, "authorization"),
              BrowserPeer(req), ClientCertificateNames(req));
}

void WebServer::Impl::ServeStatic(evhttp_request* req) {
  const char* raw = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
  std::string path = raw != nullptr ? raw : "/";
  char* decoded = evhttp_uridecode(path.c_str(), 0, nullptr);
  if (decoded != nullptr) {
    path = decoded;
    free(decoded);
  }
  if (path.empty() || path == "/") path = "/index.html";
  evkeyvalq* out = evhttp_request_get_output_headers(req);
  if (path.find("..") != std::string::npos) {
    evhttp_send_error(req, 400, "bad path");
    return;
  }
  std::ifstream file(options_.web_root + path, std::ios::binary);
  if (options_.web_root.empty() || !file) {
    if (path == "/index.html") {
      const std::string page =
          "<!doctype html><title>speckd</title><h1>speckd is running</h1>"
          "<p>It serves no dashboard files: start it with "
          "<code>--web_root=DIR</code>, the built dashboard "
          "(<code>clients/web/dist</code> in a checkout, "
          "<code>/usr/share/speckd/web</code> from the Debian package). "
          "<code>deploy/run.sh</code> builds it and passes that.</p>";
      evhttp_add_header(out, "Content-Type", "text/html; charset=utf-8");
      evbuffer* body = evbuffer_new();
      evbuffer_add(body, page.data(), page.size());
      evhttp_send_reply(req, 200, "OK", body);
      evbuffer_free(body);
      return;
    }
    evhttp_send_error(req, 404, "not found");
    return;
  }
  std::stringstream content;
  content << file.rdbuf();
  const std::string data = content.str();
  evhttp_add_header(out, "Content-Type", MimeType(path));
  // index.html must be re-read so new builds are picked up; hashed assets
  // can be cached.
  evhttp_add_header(
      out, "Cache-Control",
      absl::StartsWith(path, "/assets/") ? "max-age=3600" : "no-cache");
  evbuffer* body = evbuffer_new();
  if (evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
    evbuffer_add(body, data.data(), data.size());
  }
  evhttp_send_reply(req, 200, "OK", body);
  evbuffer_free(body);
}

WebServer::WebServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WebServer::~WebServer() = default;

absl::StatusOr<std::unique_ptr<WebServer>> WebServer::Start(
    const WebServerOptions& options, std::shared_ptr<grpc::Channel> channel) {
  auto impl = std::make_unique<Impl>(options, std::move(channel));
  absl::Status listening = impl->Listen();
  if (!listening.ok()) return listening;
  return std::unique_ptr<WebServer>(new WebServer(std::move(impl)));
}

int WebServer::port() const { return impl_->port_; }
const std::string& WebServer::address() const { return impl_->address_; }
const char* WebServer::scheme() const {
  return impl_->tls_enabled() ? "https" : "http";
}
size_t WebServer::active_calls() const { return impl_->active_calls(); }
void WebServer::Shutdown(absl::Duration grace) { impl_->Shutdown(grace); }
absl::Status WebServer::Ping(absl::Duration timeout) {
  return impl_->Ping(timeout);
}

}  // namespace speckd::server::web
