#include "tests/grpc/raw_calls.h"

#include <grpcpp/generic/generic_stub.h>

#include <utility>

namespace speckd::testing {
namespace {

grpc::ByteBuffer Buffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string Bytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

std::multimap<std::string, std::string> Trailers(
    const grpc::ClientContext& context) {
  std::multimap<std::string, std::string> out;
  for (const auto& [key, value] : context.GetServerTrailingMetadata()) {
    out.emplace(std::string(key.data(), key.size()),
                std::string(value.data(), value.size()));
  }
  return out;
}

// Waits for the completion of `tag` on `cq`; false if the operation failed.
bool Await(grpc::CompletionQueue* cq, void* tag) {
  void* got = nullptr;
  bool ok = false;
  while (cq->Next(&got, &ok)) {
    if (got == tag) return ok;
  }
  return false;
}

void* Tag(int n) { return reinterpret_cast<void*>(static_cast<intptr_t>(n)); }

}  // namespace

RawResult RawUnary(const std::shared_ptr<grpc::Channel>& channel,
                   const std::string& method, const std::string& request,
                   absl::Duration timeout) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  grpc::CompletionQueue cq;
  const grpc::ByteBuffer bytes = Buffer(request);
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> call =
      stub.PrepareUnaryCall(&context, method, bytes, &cq);
  call->StartCall();
  grpc::ByteBuffer response;
  RawResult result;
  call->Finish(&response, &result.status, Tag(1));
  Await(&cq, Tag(1));
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
  result.response = Bytes(response);
  result.trailers = Trailers(context);
  return result;
}

RawResult RawClientStream(const std::shared_ptr<grpc::Channel>& channel,
                          const std::string& method,
                          const std::vector<std::string>& messages,
                          absl::Duration timeout) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  grpc::CompletionQueue cq;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(&context, method, &cq);
  call->StartCall(Tag(1));
  bool open = Await(&cq, Tag(1));
  for (const std::string& message : messages) {
    if (!open) break;
    call->Write(Buffer(message), Tag(2));
    open = Await(&cq, Tag(2));
  }
  if (open) {
    call->WritesDone(Tag(3));
    Await(&cq, Tag(3));
  }
  grpc::ByteBuffer response;
  call->Read(&response, Tag(4));
  const bool got = Await(&cq, Tag(4));
  RawResult result;
  call->Finish(&result.status, Tag(5));
  Await(&cq, Tag(5));
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
  if (got) result.response = Bytes(response);
  result.trailers = Trailers(context);
  return result;
}

}  // namespace speckd::testing
