#include "server/web/grpc_web_call.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>

#include <utility>

#include "absl/time/clock.h"
#include "server/auth/web_bridge.h"
#include "server/web/http_request.h"

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

GrpcWebCall::GrpcWebCall(CallOwner* server, evhttp_request* req,
                         WireFormat format)
    : server_(server),
      req_(req),
      conn_(evhttp_request_get_connection(req)),
      format_(format) {
  wake_ = event_new(server->base(), -1, 0, &GrpcWebCall::OnWake, this);
  evhttp_connection_set_closecb(conn_, &GrpcWebCall::OnClose, this);
  // The browser sends nothing while a call streams: no read timeout until
  // it is over (libevent keeps reading, to notice a close).
  bufferevent_set_timeouts(evhttp_connection_get_bufferevent(conn_), nullptr,
                           nullptr);
}

void GrpcWebCall::Start(const std::string& method, std::string request,
                        std::optional<absl::Duration> timeout,
                        const std::string& authorization,
                        const std::string& browser_peer,
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

void GrpcWebCall::Reject(const grpc::Status& status) {
  {
    MutexLock lock(&mu_);
    out_.push_back(
        EncodeTrailers(status.error_code(), status.error_message(), format_));
    grpc_done_ = true;
  }
  Drain(/*write_done=*/false);
}

void GrpcWebCall::OnReadInitialMetadataDone(bool) {
  MutexLock lock(&mu_);
  headers_ready_ = true;
  event_active(wake_, 0, 0);
}

void GrpcWebCall::OnReadDone(bool ok) {
  if (!ok) return;  // the stream is over; OnDone follows
  std::string frame = EncodeDataFrame(ToString(response_), format_);
  bool read_more;
  {
    MutexLock lock(&mu_);
    queued_bytes_ += frame.size();
    out_.push_back(std::move(frame));
    // A browser that reads slowly stops our reads; the server-side
    // subscription then applies its own overflow policy.
    read_more = queued_bytes_ + http_buffered_ < server_->max_buffered_bytes();
    read_paused_ = !read_more;
    event_active(wake_, 0, 0);
  }
  if (read_more) StartRead(&response_);
}

void GrpcWebCall::OnDone(const grpc::Status& status) {
  MutexLock lock(&mu_);
  out_.push_back(
      EncodeTrailers(status.error_code(), status.error_message(), format_));
  grpc_done_ = true;
  // Under the lock: the loop thread cannot delete us before this returns.
  event_active(wake_, 0, 0);
}

void GrpcWebCall::OnWake(evutil_socket_t, short, void* arg) {
  static_cast<GrpcWebCall*>(arg)->Drain(/*write_done=*/false);
}

void GrpcWebCall::OnChunkSent(evhttp_connection*, void* arg) {
  static_cast<GrpcWebCall*>(arg)->Drain(/*write_done=*/true);
}

void GrpcWebCall::OnClose(evhttp_connection*, void* arg) {
  auto* call = static_cast<GrpcWebCall*>(arg);
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

void GrpcWebCall::StartReply() {
  evkeyvalq* out = evhttp_request_get_output_headers(req_);
  evhttp_add_header(out, "Content-Type", ContentTypeOf(format_));
  evhttp_add_header(out, "Cache-Control", "no-cache");
  AddCors(req_);
  evhttp_send_reply_start(req_, 200, "OK");
}

size_t GrpcWebCall::HttpBuffered() const {
  bufferevent* bev = evhttp_connection_get_bufferevent(conn_);
  return bev != nullptr ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

void GrpcWebCall::Drain(bool write_done) {
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

void GrpcWebCall::SendQueued(bool write_done) {
  if (!reply_started_ && (headers_ready_ || grpc_done_)) {
    StartReply();
    reply_started_ = true;
  }
  if (!reply_started_ || http_ended_) return;
  while (!out_.empty()) {
    evbuffer* chunk = evbuffer_new();
    evbuffer_add(chunk, out_.front().data(), out_.front().size());
    evhttp_send_reply_chunk_with_cb(req_, chunk, &GrpcWebCall::OnChunkSent,
                                    this);
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

}  // namespace speckd::server::web
