#include "server/auth/authorizer.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/auth/web_bridge.h"

namespace speckd::server::auth {
namespace {

// The decisions of calls in progress, by their server context. A leaf lock.
class Decisions {
 public:
  struct Decision {
    absl::StatusOr<Identity> allowed;
    std::string who;  // the caller's name even when refused ("" unknown)
  };
  void Put(const grpc::ServerContextBase* call, Decision decision) {
    MutexLock lock(&mu_);
    decisions_.insert_or_assign(call, std::move(decision));
  }
  void Erase(const grpc::ServerContextBase* call) {
    MutexLock lock(&mu_);
    decisions_.erase(call);
  }
  Decision Get(const grpc::ServerContextBase* call) const {
    MutexLock lock(&mu_);
    auto it = decisions_.find(call);
    if (it == decisions_.end()) return {Identity{}, ""};
    return it->second;
  }

 private:
  mutable Mutex mu_;
  std::map<const grpc::ServerContextBase*, Decision> decisions_
      ABSL_GUARDED_BY(mu_);
};

Decisions& AllDecisions() {
  static auto* decisions = new Decisions();
  return *decisions;
}

// A verified client certificate's common name and alternative names: from
// gRPC's TLS, or from the web port's (web_bridge.h).
std::vector<std::string> CertificateNames(
    const grpc::ServerContextBase* context,
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
  std::vector<std::string> names;
  std::shared_ptr<const grpc::AuthContext> auth = context->auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) {
    return WebBridgeValues(metadata, kWebCertificateKey);
  }
  for (const char* property :
       {"x509_common_name", "x509_subject_alternative_name"}) {
    for (const grpc::string_ref& value : auth->FindPropertyValues(property)) {
      names.emplace_back(value.data(), value.size());
    }
  }
  return names;
}

class AuthInterceptor final : public grpc::experimental::Interceptor {
 public:
  AuthInterceptor(const Authorizer* authorizer,
                  grpc::experimental::ServerRpcInfo* info)
      : authorizer_(authorizer), info_(info) {}
  ~AuthInterceptor() override { AllDecisions().Erase(info_->server_context()); }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    using Hook = grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(Hook::POST_RECV_INITIAL_METADATA)) {
      const auto& metadata = *methods->GetRecvInitialMetadata();
      const std::string token = BearerToken(metadata);
      const std::vector<std::string> names =
          CertificateNames(info_->server_context(), metadata);
      AllDecisions().Put(info_->server_context(),
                         {authorizer_->Decide(info_->method(), token, names),
                          authorizer_->NameOf(token, names)});
    }
    methods->Proceed();
  }

 private:
  const Authorizer* const authorizer_;
  grpc::experimental::ServerRpcInfo* const info_;
};

class AuthInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit AuthInterceptorFactory(const Authorizer* authorizer)
      : authorizer_(authorizer) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new AuthInterceptor(authorizer_, info);
  }

 private:
  const Authorizer* const authorizer_;
};

// "ApplyConfiguration" of "/speckd.v1.ConfigService/ApplyConfiguration".
absl::string_view ShortName(absl::string_view method) {
  const size_t slash = method.rfind('/');
  return slash == absl::string_view::npos ? method : method.substr(slash + 1);
}

}  // namespace

Authorizer::Authorizer(std::shared_ptr<const TokenTable> tokens)
    : tokens_(std::move(tokens)) {}

bool Authorizer::enabled() const {
  MutexLock lock(&mu_);
  return tokens_ != nullptr;
}

void Authorizer::Reload(std::shared_ptr<const TokenTable> tokens) {
  MutexLock lock(&mu_);
  tokens_ = std::move(tokens);
}

absl::StatusOr<Identity> Authorizer::Decide(
    absl::string_view method, absl::string_view token,
    const std::vector<std::string>& certificate_names) const {
  return Check(ShortName(method), RequiredRole(method), token,
               certificate_names);
}

absl::StatusOr<Identity> Authorizer::Check(
    absl::string_view what, Role needed, absl::string_view token,
    const std::vector<std::string>& certificate_names) const {
  std::shared_ptr<const TokenTable> tokens;
  {
    MutexLock lock(&mu_);
    tokens = tokens_;
  }
  if (tokens == nullptr) return Identity{};
  if (needed == Role::kPublic) return Identity{"", Role::kPublic};
  // A token wins; without one, a verified client certificate may stand in.
  std::optional<Identity> who = token.empty()
                                    ? tokens->FindCertificate(certificate_names)
                                    : tokens->Find(token);
  if (!who.has_value() && token.empty()) {
    return absl::UnauthenticatedError(absl::StrCat(
        "this speckd needs an access token for ", what, " (with the ",
        RoleName(needed),
        " role or above): speckctl --token=... or $SPECKD_TOKEN; the Python "
        "client's token=; the dashboard asks for one",
        certificate_names.empty()
            ? ""
            : absl::StrCat("; the client certificate (", certificate_names[0],
                           ") is not in the token file")));
  }
  if (!who.has_value()) {
    return absl::UnauthenticatedError(
        "this access token is not in speckd's token file (--auth_tokens); ask "
        "whoever runs speckd for one");
  }
  if (who->role < needed) {
    return absl::PermissionDeniedError(
        absl::StrCat(what, " needs the ", RoleName(needed), " role; ",
                     who->name, " is ", RoleWithArticle(who->role)));
  }
  return *who;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
Authorizer::InterceptorFactory() {
  return std::make_unique<AuthInterceptorFactory>(this);
}

absl::StatusOr<Identity> CallerOf(const grpc::ServerContextBase* context) {
  return AllDecisions().Get(context).allowed;
}

std::string CallerNameOf(const grpc::ServerContextBase* context) {
  return AllDecisions().Get(context).who;
}

std::string Authorizer::NameOf(
    absl::string_view token,
    const std::vector<std::string>& certificate_names) const {
  std::shared_ptr<const TokenTable> tokens;
  {
    MutexLock lock(&mu_);
    tokens = tokens_;
  }
  if (tokens == nullptr) return "";
  std::optional<Identity> who = token.empty()
                                    ? tokens->FindCertificate(certificate_names)
                                    : tokens->Find(token);
  return who.has_value() ? who->name : "";
}

std::string BearerToken(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return "";
  const absl::string_view value(it->second.data(), it->second.size());
  constexpr absl::string_view kBearer = "Bearer ";
  if (value.size() <= kBearer.size() ||
      !absl::EqualsIgnoreCase(value.substr(0, kBearer.size()), kBearer)) {
    return "";
  }
  return std::string(absl::StripAsciiWhitespace(value.substr(kBearer.size())));
}

}  // namespace speckd::server::auth
