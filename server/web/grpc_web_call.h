// One grpc-web call of the web port (web_server.h): the browser's HTTP
// request on the server's event-loop thread, a generic gRPC call on gRPC's
// threads, and the frames between them, with one write in flight toward the
// browser. Private to server/web.
#ifndef SPECKD_SERVER_WEB_GRPC_WEB_CALL_H_
#define SPECKD_SERVER_WEB_GRPC_WEB_CALL_H_

#include <event2/event.h>
#include <event2/http.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <sys/time.h>

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "driver/util/mutex.h"
#include "server/web/grpc_web.h"

namespace speckd::server::web {

class GrpcWebCall;

// What a call needs of the server that owns it (WebServer::Impl).
class CallOwner {
 public:
  virtual ~CallOwner() = default;
  virtual event_base* base() = 0;
  virtual grpc::GenericStub* stub() = 0;
  // How far a browser may fall behind before the call stops reading.
  virtual size_t max_buffered_bytes() const = 0;
  // The idle timeout a connection returns to once its call is over.
  virtual const timeval& request_timeout() const = 0;
  // Called on the loop thread once both sides of `call` are done; the
  // owner deletes it.
  virtual void Finished(GrpcWebCall* call) = 0;
};

// One grpc-web call: an HTTP request on the loop thread, a generic gRPC call
// on gRPC's threads. Frames pass from the gRPC side to the loop thread
// through `out_`; the call deletes itself on the loop thread once the gRPC
// call is over and the HTTP side has ended or gone.
class GrpcWebCall final
    : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  GrpcWebCall(CallOwner* server, evhttp_request* req, WireFormat format);

  ~GrpcWebCall() override { event_free(wake_); }

  // Loop thread: answers the HTTP request's headers and starts the call.
  void Start(const std::string& method, std::string request,
             std::optional<absl::Duration> timeout,
             const std::string& authorization, const std::string& browser_peer,
             const std::vector<std::string>& certificate_names);

  // Loop thread: answers with `status` in the trailers; no call is made.
  void Reject(const grpc::Status& status);

  void Cancel() { context_.TryCancel(); }

  void OnReadInitialMetadataDone(bool) override;

  void OnWriteDone(bool) override {}

  void OnReadDone(bool ok) override;

  void OnDone(const grpc::Status& status) override;

 private:
  static void OnWake(evutil_socket_t, short, void* arg);
  static void OnChunkSent(evhttp_connection*, void* arg);
  static void OnClose(evhttp_connection*, void* arg);

  void StartReply();

  size_t HttpBuffered() const;

  // Loop thread, on a wake-up from the gRPC side or when written bytes have
  // left the connection's buffer (`write_done`).
  //
  // One write in flight: frames are handed to libevent only when what was
  // handed before has left, and the reply is ended only from that
  // notification. libevent calls it "written" when the connection's buffer
  // empties, and for TLS connections it calls it later (deferred): bytes
  // added meanwhile would be taken as written too, and ending the reply then
  // would close a "Connection: close" connection with them unsent.
  void Drain(bool write_done);

  // The headers when due, every queued frame, and the end of the reply once
  // the trailers have been written (`write_done`, nothing left).
  void SendQueued(bool write_done) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  CallOwner* const server_;
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

}  // namespace speckd::server::web

#endif  // SPECKD_SERVER_WEB_GRPC_WEB_CALL_H_
