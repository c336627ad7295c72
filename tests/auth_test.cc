// Access control over gRPC, every RPC against every role: a speckd with
// access tokens is called, method by method (RoleTable: every speckd.v1
// RPC), with no token, an unknown one, and a viewer's, operator's and
// admin's. A caller whose role is below the method's is refused
// (UNAUTHENTICATED without a known token, PERMISSION_DENIED with one) before
// the handler runs; one whose role suffices gets whatever the handler says
// of an empty request, never a refusal. Calls are made as raw bidi streams
// (the wire does not know kinds), each with a short deadline so that an
// allowed subscription ends.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "driver/util/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/auth/roles.h"
#include "server/auth/token_file.h"
#include "tests/grpc/speckd_fixture.h"

namespace speckd::testing {
namespace {

using server::auth::Role;

// One call of `method` with an empty request, to its status.
class RawCall final
    : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  RawCall(grpc::GenericStub* stub, const std::string& method,
          const std::string& token) {
    context_.set_deadline(
        absl::ToChronoTime(absl::Now() + absl::Milliseconds(300)));
    if (!token.empty())
      context_.AddMetadata("authorization", "Bearer " + token);
    grpc::Slice empty("");
    request_ = grpc::ByteBuffer(&empty, 1);
    stub->PrepareBidiStreamingCall(&context_, method, grpc::StubOptions(),
                                   this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (ok) StartRead(&response_);
  }
  void OnDone(const grpc::Status& status) override {
    MutexLock lock(&mu_);
    status_ = status;
    done_ = true;
    cv_.SignalAll();
  }
  grpc::Status Wait() {
    MutexLock lock(&mu_);
    while (!done_) cv_.Wait(&mu_);
    return status_;
  }

 private:
  grpc::ClientContext context_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  Mutex mu_;
  CondVar cv_;
  bool done_ = false;
  grpc::Status status_;
};

struct Caller {
  std::string label;
  std::string token;
  std::optional<Role> role;  // nullopt: no known token
};

class AuthTest : public ::testing::Test {
 protected:
  static std::shared_ptr<const server::auth::TokenTable> Tokens() {
    const std::string text = absl::StrCat(
        "ann viewer ", server::auth::HashToken("viewer-token"), "\n",
        "bob operator ", server::auth::HashToken("operator-token"), "\n",
        "cat admin ", server::auth::HashToken("admin-token"), "\n");
    return std::make_shared<const server::auth::TokenTable>(
        *server::auth::TokenTable::Parse(text, "tokens"));
  }
  static FixtureOptions Options() {
    FixtureOptions options;
    options.tokens = Tokens();
    return options;
  }

  SpeckdFixture speckd_{Options()};
};

TEST_F(AuthTest, EveryRpcAllowsItsRolesAndRefusesTheOthersBeforeRunning) {
  auto channel = grpc::CreateChannel(speckd_.server().address(),
                                     grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  const Caller callers[] = {{"no token", "", std::nullopt},
                            {"unknown token", "not-a-token", std::nullopt},
                            {"viewer", "viewer-token", Role::kViewer},
                            {"operator", "operator-token", Role::kOperator},
                            {"admin", "admin-token", Role::kAdmin}};
  int refused = 0, allowed = 0;
  for (const auto& [method, needed] : server::auth::RoleTable()) {
    for (const Caller& caller : callers) {
      RawCall call(&stub, method, caller.token);
      const grpc::Status status = call.Wait();
      const bool may = needed == Role::kPublic ||
                       (caller.role.has_value() && *caller.role >= needed);
      const std::string where =
          absl::StrCat(method, " as ", caller.label, ": ", status.error_code(),
                       " ", status.error_message());
      if (may) {
        ++allowed;
        EXPECT_NE(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
            << where;
        EXPECT_NE(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << where;
      } else {
        ++refused;
        EXPECT_EQ(status.error_code(), caller.role.has_value()
                                           ? grpc::StatusCode::PERMISSION_DENIED
                                           : grpc::StatusCode::UNAUTHENTICATED)
            << where;
        if (caller.role.has_value()) {
          EXPECT_THAT(status.error_message(),
                      ::testing::HasSubstr(
                          absl::StrCat("needs the ", RoleName(needed))))
              << where;
        }
      }
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_GT(allowed, 0);
}

TEST_F(AuthTest, RefusedCallsChangeNothing) {
  auto channel = grpc::CreateChannel(speckd_.server().address(),
                                     grpc::InsecureChannelCredentials());
  auto devices = v1::DeviceService::NewStub(channel);
  v1::AcquireLeaseRequest request;
  request.set_holder("mallory");
  v1::Lease lease;
  grpc::ClientContext viewer;
  viewer.AddMetadata("authorization", "Bearer viewer-token");
  EXPECT_EQ(devices->AcquireLease(&viewer, request, &lease).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::ClientContext look;
  look.AddMetadata("authorization", "Bearer viewer-token");
  v1::Device device;
  ASSERT_TRUE(devices->GetDevice(&look, v1::GetDeviceRequest(), &device).ok());
  EXPECT_EQ(device.lease().holder(), "");

  // An operator's lease carries the operator's name.
  grpc::ClientContext op;
  op.AddMetadata("authorization", "Bearer operator-token");
  ASSERT_TRUE(devices->AcquireLease(&op, request, &lease).ok());
  EXPECT_EQ(lease.holder(), "bob (mallory)");

  // Taking over a held lease is the admin's: an operator may not, an admin
  // may, and the old lease_id stops working.
  v1::AcquireLeaseRequest take;
  take.set_take_over(true);
  v1::Lease taken;
  grpc::ClientContext op_take;
  op_take.AddMetadata("authorization", "Bearer operator-token");
  grpc::Status refused = devices->AcquireLease(&op_take, take, &taken);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(refused.error_message(),
            "take_over needs the admin role; bob is an operator");
  grpc::ClientContext admin;
  admin.AddMetadata("authorization", "Bearer admin-token");
  ASSERT_TRUE(devices->AcquireLease(&admin, take, &taken).ok());
  EXPECT_EQ(taken.holder(), "cat");
  v1::RenewLeaseRequest renew;
  renew.set_lease_id(lease.lease_id());
  renew.set_device_id(taken.device_id());
  grpc::ClientContext bob_renews;
  bob_renews.AddMetadata("authorization", "Bearer operator-token");
  v1::Lease renewed;
  grpc::Status gone = devices->RenewLease(&bob_renews, renew, &renewed);
  EXPECT_EQ(gone.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(gone.error_message(), ::testing::HasSubstr("'cat'"));
}

}  // namespace
}  // namespace speckd::testing
