// Access control for every RPC, decided in one place: a gRPC server
// interceptor reads the call's token ("authorization: Bearer <token>"),
// finds its identity in the token table and compares its role with the
// method's (roles.h), before any handler runs. The handlers' common entry
// points (server/api: ServeUnary, ServeStream, the write and read streams)
// ask CallerOf() and answer a refused call with its status; nothing else in
// a handler runs for it.
//
// Without a token table access control is off: every call is allowed, as
// an admin with no name (speckd on loopback without --auth_tokens).
//
//   Authorizer auth(std::make_shared<TokenTable>(*TokenTable::Load(path)));
//   interceptors.push_back(auth.InterceptorFactory());
//   ... in a handler: absl::StatusOr<Identity> who = CallerOf(context);
#ifndef SPECKD_SERVER_AUTH_AUTHORIZER_H_
#define SPECKD_SERVER_AUTH_AUTHORIZER_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "driver/util/mutex.h"
#include "server/auth/token_file.h"

namespace speckd::server::auth {

class Authorizer {
 public:
  // `tokens` null: access control off.
  explicit Authorizer(std::shared_ptr<const TokenTable> tokens);

  bool enabled() const;
  // Replaces the token table (speckd reloads its file on SIGHUP); calls
  // already decided keep their decision.
  void Reload(std::shared_ptr<const TokenTable> tokens);

  // The caller of `method` holding `token` ("" for none): OK with its
  // identity, UNAUTHENTICATED (no token, or one the table does not know) or
  // PERMISSION_DENIED (its role is below the method's).
  absl::StatusOr<Identity> Decide(
      absl::string_view method, absl::string_view token,
      const std::vector<std::string>& certificate_names = {}) const;
  // The same for something other than an RPC (`what`, e.g. "/metrics")
  // that needs `needed`.
  // `certificate_names`: the verified client certificate's common name and
  // alternative names (mutual TLS), used when there is no token.
  absl::StatusOr<Identity> Check(
      absl::string_view what, Role needed, absl::string_view token,
      const std::vector<std::string>& certificate_names = {}) const;

  // Whose token or certificate this is, whatever its role ("" unknown).
  std::string NameOf(absl::string_view token,
                     const std::vector<std::string>& certificate_names) const;

  // For grpc::ServerBuilder::experimental().SetInterceptorCreators; `this`
  // must outlive the server.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
  InterceptorFactory();

 private:
  // Guards the table pointer (the table itself never changes). A leaf.
  mutable Mutex mu_;
  std::shared_ptr<const TokenTable> tokens_ ABSL_GUARDED_BY(mu_);
};

// The decision the interceptor made for the call of `context`. A call no
// Authorizer saw (a server built without one) is allowed, with no name.
absl::StatusOr<Identity> CallerOf(const grpc::ServerContextBase* context);

// The caller's name, also for a call that was refused ("" when unknown or
// access control is off): for the audit log.
std::string CallerNameOf(const grpc::ServerContextBase* context);

// The bearer token in `authorization` metadata ("" if none).
std::string BearerToken(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata);

}  // namespace speckd::server::auth

#endif  // SPECKD_SERVER_AUTH_AUTHORIZER_H_
