#include "server/auth/audit.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "server/auth/authorizer.h"
#include "server/auth/roles.h"
#include "server/auth/web_bridge.h"
#include "server/log/log.h"

namespace speckd::server::auth {
namespace {

using google::protobuf::FieldDescriptor;

// How much of a request is read for its device, graph and recording names.
constexpr size_t kPrefixBytes = 64 << 10;
using google::protobuf::internal::WireFormatLite;

// The request type of "/speckd.v1.X/Y", or null.
const google::protobuf::Descriptor* RequestType(absl::string_view method) {
  if (method.size() < 2) return nullptr;
  const std::string dotted =
      absl::StrReplaceAll(method.substr(1), {{"/", "."}});
  const google::protobuf::MethodDescriptor* m =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
          dotted);
  return m != nullptr ? m->input_type() : nullptr;
}

class AuditInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit AuditInterceptor(grpc::experimental::ServerRpcInfo* info)
      : info_(info), method_(info->method()) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    using Hook = grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(Hook::POST_RECV_MESSAGE) &&
        !subject_read_) {
      subject_read_ = true;
      auto* raw = static_cast<grpc::ByteBuffer*>(methods->GetRecvMessage());
      std::vector<grpc::Slice> slices;
      if (raw != nullptr && raw->Dump(&slices).ok()) {
        // The ids come first on the wire; a 4 MB event batch is not copied.
        std::string bytes;
        for (const grpc::Slice& s : slices) {
          if (bytes.size() >= kPrefixBytes) break;
          bytes.append(reinterpret_cast<const char*>(s.begin()),
                       std::min(s.size(), kPrefixBytes - bytes.size()));
        }
        subject_ = SubjectOf(method_, bytes);
      }
    }
    if (methods->QueryInterceptionHookPoint(Hook::PRE_SEND_STATUS)) {
      Write(methods->GetSendStatus());
    }
    methods->Proceed();
  }

 private:
  void Write(const grpc::Status& status) const {
    std::string who = CallerNameOf(info_->server_context());
    if (who.empty()) who = "-";
    const size_t slash = method_.rfind('/');
    log::Info("audit",
              {{"who", who},
               {"rpc", slash == std::string::npos ? method_
                                                  : method_.substr(slash + 1)},
               {"device", subject_.device},
               {"graph", subject_.graph},
               {"recording", subject_.recording},
               {"code", absl::StatusCodeToString(static_cast<absl::StatusCode>(
                            status.error_code()))},
               {"peer", Peer()}});
  }

  // gRPC's peer, or for the web port's calls the browser's.
  std::string Peer() const {
    const grpc::ServerContextBase* context = info_->server_context();
    std::vector<std::string> browser =
        WebBridgeValues(context->client_metadata(), kWebPeerKey);
    return browser.empty() ? context->peer() : "web:" + browser[0];
  }

  grpc::experimental::ServerRpcInfo* const info_;
  const std::string method_;
  bool subject_read_ = false;
  AuditSubject subject_;
};

class AuditFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    // Only calls that change something.
    if (RequiredRole(info->method()) < Role::kOperator) return nullptr;
    return new AuditInterceptor(info);
  }
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
AuditInterceptorFactory() {
  return std::make_unique<AuditFactory>();
}

AuditSubject SubjectOf(absl::string_view method, absl::string_view request) {
  AuditSubject subject;
  const google::protobuf::Descriptor* type = RequestType(method);
  if (type == nullptr) return subject;
  struct Wanted {
    const char* field;
    std::string* into;
  } wanted[] = {{"device_id", &subject.device},
                {"graph_id", &subject.graph},
                {"name", &subject.recording}};
  google::protobuf::io::CodedInputStream in(
      reinterpret_cast<const uint8_t*>(request.data()),
      static_cast<int>(request.size()));
  while (uint32_t tag = in.ReadTag()) {
    const int number = WireFormatLite::GetTagFieldNumber(tag);
    std::string* into = nullptr;
    for (const Wanted& w : wanted) {
      const FieldDescriptor* f = type->FindFieldByName(w.field);
      if (f != nullptr && f->number() == number &&
          f->type() == FieldDescriptor::TYPE_STRING) {
        into = w.into;
      }
    }
    if (into != nullptr && WireFormatLite::GetTagWireType(tag) ==
                               WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      if (!WireFormatLite::ReadString(&in, into)) break;
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      break;
    }
  }
  return subject;
}

}  // namespace speckd::server::auth
