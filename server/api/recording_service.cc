#include "server/api/recording_service.h"

#include <string>
#include <utility>

#include "server/api/status.h"
#include "server/api/stream_reactor.h"
#include "server/api/unary.h"
#include "server/auth/authorizer.h"

namespace speckd::server::api {
namespace {

using RawUnary = grpc::ServerUnaryReactor*;

// Sends a recording file in chunks, reading each one when the previous has
// gone (one write in flight; the file is never buffered whole).
class ChunkStream final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  ChunkStream(RecordingApi* api, grpc::CallbackServerContext* context,
              std::string name, uint64_t offset)
      : api_(api), context_(context), name_(std::move(name)), offset_(offset) {
    Next();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) return Finish(grpc::Status(grpc::StatusCode::CANCELLED, ""));
    if (last_) return Finish(grpc::Status::OK);
    Next();
  }
  void OnDone() override { delete this; }

 private:
  void Next() {
    if (context_->IsCancelled()) {
      return Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
    }
    uint64_t total = 0;
    absl::StatusOr<std::string> data = api_->ReadChunk(name_, offset_, &total);
    if (!data.ok()) return Finish(ToGrpcStatus(data.status()));
    v1::RecordingChunk chunk;
    chunk.set_offset(offset_);
    offset_ += data->size();
    last_ = offset_ >= total;
    if (last_) chunk.set_total_bytes(total);
    *chunk.mutable_data() = *std::move(data);
    grpc::Slice slice(chunk.SerializeAsString());
    buffer_ = grpc::ByteBuffer(&slice, 1);
    StartWrite(&buffer_);
  }

  RecordingApi* const api_;
  grpc::CallbackServerContext* const context_;
  const std::string name_;
  uint64_t offset_;
  bool last_ = false;
  grpc::ByteBuffer buffer_;
};

}  // namespace

RawUnary RecordingService::StartRecording(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) {
  return Serve(api_, &RecordingApi::StartRecording, context, request, response);
}

RawUnary RecordingService::StopRecording(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) {
  return Serve(api_, &RecordingApi::StopRecording, context, request, response);
}

RawUnary RecordingService::ListRecordings(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) {
  return Serve(api_, &RecordingApi::ListRecordings, context, request, response);
}

RawUnary RecordingService::GetRecording(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) {
  return Serve(api_, &RecordingApi::GetRecording, context, request, response);
}

RawUnary RecordingService::DeleteRecording(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) {
  return Serve(api_, &RecordingApi::DeleteRecording, context, request,
               response);
}

RawUnary RecordingService::ReplayRecording(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) {
  return ServeUnaryLater<v1::ReplayRecordingRequest,
                         v1::ReplayRecordingResponse>(
      context, request, response,
      [this](const v1::ReplayRecordingRequest& in,
             v1::ReplayRecordingResponse* out,
             auto done) { api_->ReplayRecording(in, out, std::move(done)); });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* RecordingService::ReadRecording(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw) {
  if (absl::Status s = auth::CallerOf(context).status(); !s.ok()) {
    return FailedStream(ToGrpcStatus(s));
  }
  v1::ReadRecordingRequest request;
  if (absl::Status s = ParseRequest(*raw, &request); !s.ok()) {
    return FailedStream(ToGrpcStatus(s));
  }
  return new ChunkStream(api_, context, request.name(), request.offset());
}

}  // namespace speckd::server::api
