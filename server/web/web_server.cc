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
#include <deque>
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
#include "server/auth/web_bridge.h"
#include "server/log/log.h"
#include "server/web/grpc_web.h"
#include "server/web/http_request.h"
#include "server/web/web_tls.h"

namespace speckd::server::web {
namespace {

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  out.reserve(buffer.Length());
  for (const grpc::Slice& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

}  // namespace

class Call;

class WebServer::Impl {
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

  // Called by a call once both its sides are done (loop thread).
  void Finished(Call* call);

  event_base* base() { return base_; }
  bool tls_enabled() const { return tls_ != nullptr; }
  grpc::GenericStub* stub() { return &stub_; }
  size_t max_buffered_bytes() const { return options_.max_buffered_bytes; }
  const timeval& request_timeout() const { return request_timeout_; }

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
  std::set<Call*> calls_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ = false;
};

// One grpc-web call: an HTTP request on the loop thread, a generic gRPC call
// on gRPC's threads. Frames pass from the gRPC side to the loop thread
// through `out_`; the call deletes itself on the loop thread once the gRPC
// call is over and the HTTP side has ended or gone.
class Call final
    : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  Call(WebServer::Impl* server, evhttp_request* req, WireFormat format)
      : server_(server),
        req_(req),
        conn_(evhttp_request_get_connection(req)),
        format_(format) {
    wake_ = event_new(server->base(), -1, 0, &Call::OnWake, this);
    evhttp_connection_set_closecb(conn_, &Call::OnClose, this);
    // The browser sends nothing while a call streams: no read timeout until
    // it is over (libevent keeps reading, to notice a close).
    bufferevent_set_timeouts(evhttp_connection_get_bufferevent(conn_), nullptr,
                             nullptr);
  }

  ~Call() override { event_free(wake_); }

  // Loop thread: answers the HTTP request's headers and starts the call.
  void Start(const std::string& method, std::string request,
             std::optional<absl::Duration> timeout,
             const std::string& authorization, const std::string& browser_peer,
             const std::vector<std::string>& certificate_names) {
    // The HTTP headers wait for the call's initial metadata: a browser that
    // sees them knows the call (a subscription) is attached.

    if (timeout.has_value()) {
      context_.set_deadline(absl::ToChronoTime(absl::Now() + *timeout));
    }
    // The browser's token, for the daemon's access control.
    if (!authorization.empty())
      context_.AddMetadata("authorization", authorization);
    // Who the browser is, for access control and the audit log
    // (web_bridge.h): the browser cannot set these itself, as only its
    // authorization header is forwarded.
    auth::AddWebBridgeMetadata(&context_, browser_peer, certificate_names);
    grpc::Slice slice(request);
    request_ = grpc::ByteBuffer(&slice, 1);
    server_->stub()->PrepareBidiStreamingCall(&context_, method,
                                              grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    StartCall();
  }

  // Loop thread: answers with `status` in the trailers; no call is made.
  void Reject(const grpc::Status& status) {
    {
      MutexLock lock(&mu_);
      out_.push_back(
          EncodeTrailers(status.error_code(), status.error_message(), format_));
      grpc_done_ = true;
    }
    Drain(/*write_done=*/false);
  }

  void Cancel() { context_.TryCancel(); }

  void OnReadInitialMetadataDone(bool) override {
    MutexLock lock(&mu_);
    headers_ready_ = true;
    event_active(wake_, 0, 0);
  }

  void OnWriteDone(bool) override {}

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream is over; OnDone follows
    std::string frame = EncodeDataFrame(ToString(response_), format_);
    bool read_more;
    {
      MutexLock lock(&mu_);
      queued_bytes_ += frame.size();
      out_.push_back(std::move(frame));
      // A browser that reads slowly stops our reads; the server-side
      // subscription then applies its own overflow policy.
      read_more =
          queued_bytes_ + http_buffered_ < server_->max_buffered_bytes();
      read_paused_ = !read_more;
      event_active(wake_, 0, 0);
    }
    if (read_more) StartRead(&response_);
  }

  void OnDone(const grpc::Status& status) override {
    MutexLock lock(&mu_);
    out_.push_back(
        EncodeTrailers(status.error_code(), status.error_message(), format_));
    grpc_done_ = true;
    // Under the lock: the loop thread cannot delete us before this returns.
    event_active(wake_, 0, 0);
  }

 private:
  static void OnWake(evutil_socket_t, short, void* arg) {
    static_cast<Call*>(arg)->Drain(/*write_done=*/false);
  }
  static void OnChunkSent(evhttp_connection*, void* arg) {
    static_cast<Call*>(arg)->Drain(/*write_done=*/true);
  }
  static void OnClose(evhttp_connection*, void* arg) {
    auto* call = static_cast<Call*>(arg);
    {
      // The connection is freed after this callback; the unfinished request
      // is detached from it and stays ours to end (see Drain).
      MutexLock lock(&call->mu_);
      call->http_gone_ = true;
    }
    call->Cancel();
    // A call whose gRPC side is over was waiting for its last bytes to be
    // written: nothing else would wake it to finish.
    event_active(call->wake_, 0, 0);
  }

  void StartReply() {
    evkeyvalq* out = evhttp_request_get_output_headers(req_);
    evhttp_add_header(out, "Content-Type", ContentTypeOf(format_));
    evhttp_add_header(out, "Cache-Control", "no-cache");
    AddCors(req_);
    evhttp_send_reply_start(req_, 200, "OK");
  }

  size_t HttpBuffered() const {
    bufferevent* bev = evhttp_connection_get_bufferevent(conn_);
    return bev != nullptr ? evbuffer_get_length(bufferevent_get_output(bev))
                          : 0;
  }

  // Loop thread, on a wake-up from the gRPC side or when written bytes have
  // left the connection's buffer (`write_done`).
  //
  // One write in flight: frames are handed to libevent only when what was
  // handed before has left, and the reply is ended only from that
  // notification. libevent calls it "written" when the connection's buffer
  // empties, and for TLS connections it calls it later (deferred): bytes
  // added meanwhile would be taken as written too, and ending the reply then
  // would close a "Connection: close" connection with them unsent.
  void Drain(bool write_done) {
    bool resume = false;
    bool finished = false;
    {
      MutexLock lock(&mu_);
      if (write_done && !http_gone_ && HttpBuffered() == 0) {
        write_pending_ = false;
      }
      if (http_gone_) {
        out_.clear();
        queued_bytes_ = 0;
      } else if (!write_pending_) {
        SendQueued(write_done);
      }
      if (read_paused_ && !grpc_done_ && !http_gone_ &&
          http_buffered_ + queued_bytes_ < server_->max_buffered_bytes() / 2) {
        read_paused_ = false;
        resume = true;
      }
      if (grpc_done_ && out_.empty() && (http_ended_ || http_gone_)) {
        // After a disconnect libevent has detached the unfinished request
        // (its connection is gone); ending it then just frees it.
        if (!http_ended_) evhttp_send_reply_end(req_);
        http_ended_ = true;
        finished = true;
      }
    }
    if (resume) StartRead(&response_);
    if (finished) server_->Finished(this);
  }

  // The headers when due, every queued frame, and the end of the reply once
  // the trailers have been written (`write_done`, nothing left).
  void SendQueued(bool write_done) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!reply_started_ && (headers_ready_ || grpc_done_)) {
      StartReply();
      reply_started_ = true;
    }
    if (!reply_started_ || http_ended_) return;
    while (!out_.empty()) {
      evbuffer* chunk = evbuffer_new();
      evbuffer_add(chunk, out_.front().data(), out_.front().size());
      evhttp_send_reply_chunk_with_cb(req_, chunk, &Call::OnChunkSent, this);
      evbuffer_free(chunk);
      queued_bytes_ -= out_.front().size();
      out_.pop_front();
      write_pending_ = true;
    }
    http_buffered_ = HttpBuffered();
    if (grpc_done_ && !write_pending_ && write_done) {
      evhttp_connection_set_closecb(conn_, nullptr, nullptr);
      // Idle from now on: the request timeout applies again.
      evhttp_connection_set_timeout_tv(conn_, &server_->request_timeout());
      evhttp_send_reply_end(req_);
      http_ended_ = true;
    }
  }

  WebServer::Impl* const server_;
  evhttp_request* const req_;
  evhttp_connection* const conn_;
  const WireFormat format_;
  event* wake_ = nullptr;
  grpc::ClientContext context_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;

  Mutex mu_;
  std::deque<std::string> out_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  size_t http_buffered_ ABSL_GUARDED_BY(mu_) = 0;
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool grpc_done_ ABSL_GUARDED_BY(mu_) = false;
  bool http_gone_ ABSL_GUARDED_BY(mu_) = false;
  bool http_ended_ ABSL_GUARDED_BY(mu_) = false;
  bool headers_ready_ ABSL_GUARDED_BY(mu_) = false;
  bool reply_started_ ABSL_GUARDED_BY(mu_) = false;
  // Frames handed to libevent and not yet reported written.
  bool write_pending_ ABSL_GUARDED_BY(mu_) = false;
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
    for (Call* call : calls_) call->Cancel();
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

void WebServer::Impl::Finished(Call* call) {
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

  auto* call = new Call(this, req, format);
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
          "<p>The dashboard is not built. Run <code>deploy/run.sh</code>, "
          "which "
          "builds <code>clients/web</code> and passes "
          "<code>--web_root</code> to speckd.</p>";
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
